// The postal forms (Decision 45/2016/QĐ-TTg, Circular 17/2017/TT-BTTTT; docs/forms.md): the
// list of originals and copies the post office and the citizen co-sign when the post receives
// a file, with its seal number and the fees collected; and the record of the hand-over of the
// file between the post and the agency. Both come from the case's signed history.
import { el, str, obj, money, fmtTime } from "./dom.js";
import { agencyOf, applicantOf, documentsTable, header, longTime, officerOf, paper, placeDate, signatures } from "./forms.js";

const changes = (h) => obj(obj(h).changes);

export function postalForms(c, history) {
  const f = obj(c.fields), out = [];
  if (f.channel === "postal") out.push(["bk", "Bản kê thành phần hồ sơ nhận qua bưu chính"]);
  if (history.some((h) => changes(h).status === "posted_to_agency")) out.push(["bg", "Biên bản bàn giao hồ sơ giữa bưu chính và cơ quan"]);
  return out;
}

export function viewPostalList(main, c, history, hidden) {
  const f = obj(c.fields), a = applicantOf(c);
  const received = history[0] || {};
  paper(main, "form-bk", "#/ho-so/" + encodeURIComponent(str(c.code)), "a5",
    header(c, "BK"), placeDate(c, f.received_at),
    el("h1", {}, "Bản kê thành phần hồ sơ nhận qua dịch vụ bưu chính công ích"),
    el("p", {}, "Mã hồ sơ: ", el("b", {}, str(c.code)), " — Số hiệu niêm phong: ", el("b", { id: "form-seal" }, str(f.seal_no) || "……")),
    el("p", {}, "Người gửi hồ sơ: ", el("b", { class: "form-applicant" }, hidden("applicant") || str(a.name)),
      " — Điện thoại: ", str(a.phone) || "……"),
    el("p", {}, "Địa chỉ: ", str(a.address) || "……"),
    el("p", {}, "Thủ tục: ", el("b", {}, str(f.procedure_name) || str(f.procedure))),
    el("p", {}, "Thành phần hồ sơ đã kiểm đếm và niêm phong trước mặt người gửi:"),
    documentsTable(f),
    el("p", {}, "Thời gian nhận: ", longTime(f.received_at)),
    el("p", { id: "form-fees" }, "Đã thu: lệ phí ", money(f.fee), " đồng; cước dịch vụ bưu chính ",
      f.postal_fee === undefined ? "……" : money(f.postal_fee), " đồng."),
    el("p", {}, f.return_by_post ? "Kết quả trả qua bưu chính tại địa chỉ: " + (hidden("return_address") || str(f.return_address))
      : "Kết quả nhận trực tiếp tại cơ quan."),
    signatures(["NGƯỜI GỬI HỒ SƠ", "(Ký và ghi rõ họ tên)", hidden("applicant") ? "" : str(a.name)],
      ["NHÂN VIÊN BƯU CHÍNH", "(Ký và ghi rõ họ tên)", officerOf(received)]));
}

export function viewHandOver(main, c, history, hidden) {
  const f = obj(c.fields), ag = agencyOf(c);
  const posted = history.find((h) => changes(h).status === "posted_to_agency") || {};
  const taken = history.find((h) => changes(h).status === "agency_received") || null;
  paper(main, "form-bg", "#/ho-so/" + encodeURIComponent(str(c.code)), "a5",
    header(c, "BG"), placeDate(c, posted.at),
    el("h1", {}, "Biên bản bàn giao hồ sơ"),
    el("p", {}, "Bên giao: ", `${ag.desk} ${ag.name}, qua dịch vụ bưu chính công ích`, " — người giao: ", officerOf(posted),
      " — lúc ", fmtTime(posted.at)),
    el("p", {}, "Bên nhận: ", str(f.agency) || "cơ quan giải quyết", taken ? ` — người nhận: ${officerOf(taken)} (đơn vị ${str(taken.office)}) — lúc ${fmtTime(taken.at)}` : " — chưa ghi nhận"),
    el("table", { id: "handover-table" },
      el("tr", {}, ["Mã hồ sơ", "Người nộp", "Thủ tục", "Số hiệu niêm phong", "Mã vận đơn"].map((t) => el("th", {}, t))),
      el("tr", {}, el("td", {}, str(c.code)), el("td", {}, hidden("applicant") || str(applicantOf(c).name)),
        el("td", {}, str(f.procedure_name) || str(f.procedure)), el("td", {}, str(f.seal_no) || "……"),
        el("td", { id: "form-tracking" }, str(changes(posted).tracking) || str(f.tracking)))),
    el("p", {}, "Hồ sơ còn nguyên niêm phong khi bàn giao. Biên bản lập thành 02 bản, mỗi bên giữ 01 bản."),
    signatures(["BÊN GIAO", "(Ký và ghi rõ họ tên)", officerOf(posted)], ["BÊN NHẬN", "(Ký và ghi rõ họ tên)", taken ? officerOf(taken) : ""]));
}
