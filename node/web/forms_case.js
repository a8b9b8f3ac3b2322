// Forms 02-05 of Circular 01/2018/TT-VPCP, made from a case's signed history (docs/forms.md):
// the request to supplement (02), the refusal (03), the apology with a new appointment for a
// late case (04) and the processing control slip (05). Each takes the event that made it
// (the latest supplement request, refusal, delay); none is offered without one.
import { el, str, obj, fmtTime, label } from "./dom.js";
import { agencyOf, applicantOf, dayOf, header, longTime, officerOf, paper, placeDate, signatures } from "./forms.js";

const changes = (h) => obj(obj(h).changes);
const lastOf = (history, pred) => [...history].reverse().find(pred) || null;
const statusIs = (s) => (h) => changes(h).status === s;

// The forms a case can print now, [id, title]: what the web app offers on its page.
export function availableForms(history) {
  const out = [["01", "Giấy tiếp nhận và hẹn trả kết quả (Mẫu 01)"]];
  if (lastOf(history, statusIs("supplement_requested"))) out.push(["02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)"]);
  if (lastOf(history, statusIs("refused"))) out.push(["03", "Phiếu từ chối tiếp nhận, giải quyết hồ sơ (Mẫu 03)"]);
  if (lastOf(history, (h) => h.type === "case.delayed")) out.push(["04", "Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)"]);
  out.push(["05", "Phiếu kiểm soát quá trình giải quyết hồ sơ (Mẫu 05)"]);
  return out;
}

function intro(c, hidden) {
  const f = obj(c.fields), a = applicantOf(c), ag = agencyOf(c);
  return [
    el("p", {}, `${ag.desk} ${ag.name} tiếp nhận hồ sơ của: `, el("b", { class: "form-applicant" }, hidden("applicant") || str(a.name))),
    el("p", {}, "Nội dung yêu cầu giải quyết: ", el("b", {}, str(f.procedure_name) || str(f.procedure)),
      ` (mã hồ sơ ${str(c.code)})`),
  ];
}

export function viewSupplement(main, c, history, hidden) {
  const h = lastOf(history, statusIs("supplement_requested"));
  const ch = changes(h), ag = agencyOf(c);
  paper(main, "form-02", "#/ho-so/" + encodeURIComponent(str(c.code)), "a5",
    header(c, "02"), placeDate(c, obj(h).at),
    el("h1", {}, "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
    intro(c, hidden),
    el("p", {}, "Ngày nhận hồ sơ: ", longTime(obj(c.fields).received_at)),
    el("p", {}, "Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:"),
    el("p", { id: "form-missing", class: "indent" }, str(ch.supplement_missing) || str(ch.note) || "……"),
    el("p", {}, "Lý do: ", el("span", { id: "form-reason" }, str(ch.step_reason) || "……")),
    el("p", {}, "Cách thức bổ sung: ", el("span", { id: "form-how" },
      str(ch.note) && str(ch.supplement_missing) ? str(ch.note) : `nộp trực tiếp tại ${ag.desk} ${ag.name} hoặc qua dịch vụ bưu chính công ích`)),
    el("p", {}, "Thời gian chờ bổ sung không tính vào thời hạn giải quyết hồ sơ. Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, ông/bà liên hệ với ",
      officerOf(h), ` (${ag.desk} ${ag.name}) để được hướng dẫn.`),
    signatures(["NGƯỜI HƯỚNG DẪN", "(Ký và ghi rõ họ tên)", officerOf(h)]));
}

export function viewRefusal(main, c, history, hidden) {
  const h = lastOf(history, statusIs("refused"));
  const ch = changes(h), ag = agencyOf(c);
  // Refused at the counter, or by the agency once it had the case: the status before the
  // refusal (a file attached in between is no step).
  const before = history.slice(0, history.indexOf(h)).reverse().find((e) => typeof changes(e).status === "string");
  const atCounter = !before || ["received", "submitted"].includes(changes(before).status);
  paper(main, "form-03", "#/ho-so/" + encodeURIComponent(str(c.code)), "a5",
    header(c, "03"), placeDate(c, obj(h).at),
    el("h1", {}, atCounter ? "Phiếu từ chối tiếp nhận hồ sơ" : "Phiếu từ chối giải quyết hồ sơ"),
    intro(c, hidden),
    el("p", {}, "Ngày nhận hồ sơ: ", longTime(obj(c.fields).received_at)),
    el("p", {}, `Qua xem xét, ${atCounter ? ag.desk + " " + ag.name : "cơ quan giải quyết"} thông báo không ${atCounter ? "tiếp nhận" : "giải quyết"} hồ sơ này với lý do cụ thể như sau:`),
    el("p", { id: "form-reason", class: "indent" }, str(ch.step_reason) || str(ch.note) || "……"),
    el("p", {}, "Xin thông báo để ông/bà được biết và thực hiện."),
    signatures(["NGƯỜI LẬP PHIẾU", "(Ký và ghi rõ họ tên)", officerOf(h)]));
}

export function viewApology(main, c, history, hidden) {
  const h = lastOf(history, (x) => x.type === "case.delayed");
  const ch = changes(h), f = obj(c.fields), ag = agencyOf(c);
  const agency = str(f.agency) || ag.name;
  paper(main, "form-04", "#/ho-so/" + encodeURIComponent(str(c.code)), "a5",
    header(c, "04"), placeDate(c, obj(h).at),
    el("h1", {}, "Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
    el("p", {}, `Ngày ${dayOf(f.received_at)}, ${ag.desk} ${ag.name} tiếp nhận giải quyết hồ sơ của: `,
      el("b", { class: "form-applicant" }, hidden("applicant") || str(applicantOf(c).name))),
    el("p", {}, "Nội dung yêu cầu giải quyết: ", el("b", {}, str(f.procedure_name) || str(f.procedure)), ` (mã hồ sơ ${str(c.code)})`),
    el("p", {}, "Thời hạn trả kết quả giải quyết hồ sơ: ", el("b", { id: "form-due" }, longTime(f.due_at)), "."),
    el("p", {}, `Tuy nhiên đến nay, ${agency} chưa trả kết quả giải quyết hồ sơ của ông/bà.`),
    el("p", {}, "Lý do: ", el("span", { id: "form-reason" }, str(ch.delay_reason) || "……")),
    el("p", {}, `Sự chậm trễ này đã gây phiền hà cho ông/bà. ${agency} xin lỗi ông/bà và sẽ trả kết quả giải quyết hồ sơ cho ông/bà vào `,
      el("b", { id: "form-new-date" }, longTime(ch.appointment_at)), "."),
    el("p", {}, "Xin trân trọng cảm ơn!"),
    signatures(["THỦ TRƯỞNG CƠ QUAN, ĐƠN VỊ", "(Ký, ghi rõ họ tên và đóng dấu)", officerOf(h)]));
}

// A hand-over: where the case moves from one office to another in the history (the giving
// office's last event, the receiving office's first). Both sides' times and officers.
function handOvers(history) {
  const out = [];
  for (let i = 1; i < history.length; ++i) {
    const give = history[i - 1], take = history[i];
    if (str(give.office) !== str(take.office)) out.push({ give, take });
  }
  return out;
}

export function viewControl(main, c, history, STATUS) {
  const f = obj(c.fields), ag = agencyOf(c);
  const due = typeof f.due_at === "number" ? f.due_at : null;
  const judged = (at) => {
    const t = Date.parse(str(at));
    if (due === null || isNaN(t)) return "";
    return t <= due - 86400000 ? "Trước hạn" : t <= due ? "Đúng hạn" : "Quá hạn";
  };
  const rows = handOvers(history);
  const received = history[0] || {};
  paper(main, "form-05", "#/ho-so/" + encodeURIComponent(str(c.code)), "a5",
    header(c, "05"),
    el("h1", {}, "Phiếu kiểm soát quá trình giải quyết hồ sơ"),
    el("p", {}, "Mã hồ sơ: ", el("b", {}, str(c.code))),
    el("p", {}, `Cơ quan (bộ phận) giải quyết hồ sơ: ${str(f.agency) || ag.name}`),
    el("p", {}, "Cơ quan phối hợp giải quyết hồ sơ: ……"),
    el("table", { id: "control-table", class: "control" },
      el("tr", {}, ["Tên cơ quan", "Thời gian giao, nhận hồ sơ", "Kết quả giải quyết hồ sơ (trước hạn / đúng hạn / quá hạn)", "Ghi chú"].map((t) => el("th", {}, t))),
      el("tr", {}, el("td", {}, `1. Giao: ${ag.desk} ${ag.name}`, el("br", {}), `2. Nhận: ${officerOf(received)}`),
        el("td", {}, fmtTime(received.at)), el("td", {}, ""), el("td", {}, "Tiếp nhận")),
      rows.map(({ give, take }, i) => el("tr", { class: "handover" },
        el("td", {}, `${i + 2}. Giao: đơn vị ${str(give.office)} (${officerOf(give)})`, el("br", {}),
          `Nhận: đơn vị ${str(take.office)} (${officerOf(take)})`, el("div", { class: "sign-line" }, "Người giao ký: ………  Người nhận ký: ………")),
        el("td", {}, "Giao: ", fmtTime(give.at), el("br", {}), "Nhận: ", fmtTime(take.at)),
        el("td", {}, judged(take.at)),
        el("td", {}, label(STATUS, changes(give).status), " → ", label(STATUS, changes(take).status))))),
    signatures(["NGƯỜI LẬP PHIẾU", "(Ký và ghi rõ họ tên)", officerOf(received)]));
  return rows.length;
}
