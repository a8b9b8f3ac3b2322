// A case's screens: the receipt and appointment slip (Form 01) and the case's page (fields,
// conflicts, the next step, history). Only the fields named here are shown; a case's other
// fields, whatever a remote office put there, are never rendered.
import { $, el, show, str, arr, obj, label, count, money, fmtTime, api, showError, session } from "./dom.js";
import { showFiles } from "./documents.js";

export const STATUS = {
  submitted: "Mới nộp trực tuyến", received: "Đã tiếp nhận", refused: "Từ chối tiếp nhận",
  posted_to_agency: "Đã chuyển bưu điện đến cơ quan", agency_received: "Cơ quan đã nhận",
  forwarded: "Đã chuyển cơ quan giải quyết", processing: "Đang giải quyết",
  supplement_requested: "Chờ bổ sung", fees_due: "Chờ nộp phí", withdrawn: "Công dân rút hồ sơ",
  stopped: "Dừng giải quyết", result_ready: "Đã có kết quả",
  dispatched: "Đã gửi kết quả qua bưu điện", undeliverable: "Bưu điện không phát được",
  delivered: "Đã phát kết quả", returned: "Đã trả kết quả tại quầy", closed: "Đã lưu trữ",
};
const CHANNEL = { counter: "Trực tiếp tại quầy", online: "Trực tuyến", postal: "Qua bưu điện" };

// `view` names the screen in the node's read log (docs/privacy.md): "case" or "slip".
async function getCase(code, view = "case") {
  const c = obj(await api("GET", "/v1/cases/" + encodeURIComponent(code) + "?view=" + view));
  const f = obj(c.fields);
  return { c, f, a: obj(f.applicant), history: arr(c.history).map(obj) };
}

// Why a personal field is not shown (docs/api.md: "hidden", "erasure"), or "" when it is.
function hiddenNote(c, field) {
  const why = obj(c.hidden)[field];
  if (why === "erased") {
    const e = obj(c.erasure);
    return `Dữ liệu cá nhân đã bị xoá lúc ${fmtTime(e.at)} theo quyết định ${str(e.decision)}.`;
  }
  if (why === "no_key") return "Chưa nhận được khoá của hồ sơ; thông tin sẽ hiện khi đồng bộ xong.";
  if (why === "invalid") return "Dữ liệu không hợp lệ, không hiển thị.";
  return "";
}

// ---- receipt and appointment slip (Form 01)

export async function viewSlip(main, code) {
  const { c, f, a, history } = await getCase(code, "slip");
  const node = obj(session.node);
  const docs = arr(f.documents).map(obj).map((d, i) => el("tr", {},
    el("td", {}, String(i + 1)), el("td", {}, str(d.name)),
    el("td", {}, d.kind === "original" ? "Bản chính" : "Bản sao"), el("td", { class: "num" }, count(d.count))));
  const p = (...children) => el("p", {}, ...children);
  const br = () => el("br", {});
  show(main,
    el("div", { class: "noprint slip-tools" }, el("button", { id: "print", onclick: () => window.print() }, "In phiếu"),
      " ", el("a", { href: "#/ho-so/" + encodeURIComponent(code) }, "Xem hồ sơ"), " · ",
      el("a", { href: "#/tiep-nhan" }, "Tiếp nhận hồ sơ khác")),
    el("div", { class: "slip", id: "slip" },
      el("div", { class: "head" },
        el("div", {}, str(node.name) || str(node.unit), br(), el("b", {}, "BỘ PHẬN MỘT CỬA")),
        el("div", {}, el("b", {}, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), br(), el("u", {}, "Độc lập - Tự do - Hạnh phúc"))),
      el("h1", {}, "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
      p("Mã hồ sơ: ", el("b", { id: "slip-code" }, str(c.code))),
      p("Tiếp nhận hồ sơ của: ", el("b", {}, hiddenNote(c, "applicant") || str(a.name)),
        a.id_no ? " — Số định danh: " + str(a.id_no) : ""),
      p("Địa chỉ: ", str(a.address), a.phone ? " — Điện thoại: " + str(a.phone) : "",
        a.email ? " — Thư điện tử: " + str(a.email) : ""),
      p(`Nội dung yêu cầu giải quyết: ${str(f.procedure_name) || str(f.procedure)} (mã ${str(f.procedure)})`),
      el("table", {},
        el("tr", {}, el("th", {}, "TT"), el("th", {}, "Tên giấy tờ"), el("th", {}, "Bản chính / bản sao"), el("th", {}, "Số lượng")),
        docs.length ? docs : el("tr", {}, el("td", { colspan: "4" }, "(không ghi)"))),
      p(`Số bộ hồ sơ: 01. Hình thức tiếp nhận: ${label(CHANNEL, f.channel)}.`),
      p("Thời gian nhận hồ sơ: ", el("b", {}, fmtTime(f.received_at))),
      p("Thời gian trả kết quả: ", el("b", { id: "slip-due" }, f.due_at ? fmtTime(f.due_at) : "theo quy định")),
      p("Nơi nhận kết quả: ", f.return_by_post
        ? "qua dịch vụ bưu chính, tại địa chỉ " + (hiddenNote(c, "return_address") || str(f.return_address))
        : "tại Bộ phận Một cửa"),
      p(`Lệ phí: ${money(f.fee)} đồng.`),
      el("div", { class: "sign" },
        el("div", {}, el("b", {}, "NGƯỜI NỘP HỒ SƠ"), br(), "(Ký và ghi rõ họ tên)"),
        el("div", {}, el("b", {}, "NGƯỜI TIẾP NHẬN HỒ SƠ"), br(), "(Ký và ghi rõ họ tên)", br(), br(), br(),
          str(obj(history[0]).officer)))));
}

// ---- a case: history, conflicts, record a step

function conflictList(conflicts) {
  if (conflicts.length === 0) return [];
  const candidate = (k) => `${JSON.stringify(k.value) ?? ""} (${str(k.officer)}, ${str(k.origin)}, ${fmtTime(k.at)})` +
    (k.winner === true ? " — đang áp dụng" : "");
  return [el("h2", {}, "Xung đột cần giải quyết"),
    el("ul", {}, conflicts.map((x) => el("li", {}, el("b", {}, str(x.field)), ": ",
      arr(x.candidates).map(obj).map(candidate).join("; "), " — ghi bước tiếp theo để xác nhận.")))];
}

function stepForm(allowed) {
  if (allowed.length === 0) return el("p", {}, "Hồ sơ đã kết thúc.");
  return el("form", { id: "step", class: "grid" },
    el("label", { for: "next" }, "Bước tiếp theo"),
    el("select", { id: "next" }, allowed.map((s) => el("option", { value: str(s) }, label(STATUS, s)))),
    el("label", { for: "tracking" }, "Mã vận đơn"), el("input", { id: "tracking", placeholder: "Bắt buộc khi gửi qua bưu điện" }),
    el("label", { for: "step-note" }, "Ghi chú"), el("input", { id: "step-note", class: "full" }),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "record" }, "Ghi bước")));
}

function historyItem(h) {
  const ch = obj(h.changes);
  const what = typeof ch.status === "string" && Object.hasOwn(STATUS, ch.status) ? STATUS[ch.status]
    : h.type === "key.destroyed" ? "Đã huỷ khoá dữ liệu cá nhân theo quyết định xoá"
    : h.type === "document.attached" ? "Đính kèm tệp " + str(ch.document_name)
    : h.type === "document.withdrawn" ? "Rút tệp" + (ch.withdraw_reason ? ": " + str(ch.withdraw_reason) : "") : str(h.type);
  return el("li", {}, `${fmtTime(h.at)} — `, el("b", {}, what),
    ` — ${str(h.officer)} (đơn vị ${str(h.office)})`,
    ch.tracking ? " — vận đơn " + str(ch.tracking) : "", ch.note ? " — " + str(ch.note) : "",
    h.recorded_before_deps === true
      ? el("span", { class: "clock-warning" }, " — thời điểm ghi sớm hơn bước mà nó dựa vào (đồng hồ máy sai?)")
      : "");
}

export async function viewCase(main, code) {
  const { c, f, a, history } = await getCase(code);
  const allowed = arr(c.allowed_next);
  const row = (...cells) => el("tr", {}, cells);
  const th = (t) => el("th", {}, t), td = (...t) => el("td", {}, ...t);
  show(main,
    el("h1", {}, "Hồ sơ ", str(c.code)),
    el("table", {},
      row(th("Trạng thái"), el("td", { id: "case-status" }, label(STATUS, f.status)), th("Đơn vị tiếp nhận"), td(str(c.office))),
      row(th("Người nộp"), el("td", { id: "case-applicant" }, hiddenNote(c, "applicant") || str(a.name)),
        th("Thủ tục"), td(str(f.procedure_name) || str(f.procedure))),
      row(th("Tiếp nhận"), td(`${fmtTime(f.received_at)} (${label(CHANNEL, f.channel)})`), th("Hẹn trả"), td(fmtTime(f.due_at))),
      row(th("Trả kết quả"), td(f.return_by_post
        ? "Qua bưu điện: " + (hiddenNote(c, "return_address") || str(f.return_address)) : "Tại quầy"),
        th("Mã vận đơn"), td(str(f.tracking)))),
    conflictList(arr(c.conflicts).map(obj)),
    el("section", { id: "case-files" }),
    el("h2", {}, "Ghi bước xử lý"),
    stepForm(allowed),
    el("h2", {}, "Lịch sử xử lý"),
    el("ol", { class: "timeline" }, history.map(historyItem)),
    el("p", { class: "noprint" }, el("a", { href: "#/phieu/" + encodeURIComponent(str(c.code)) }, "Phiếu hẹn trả kết quả")));
  showFiles($("#case-files"), code, arr(f.documents).map(obj).map((d) => str(d.name)).filter(Boolean));
  const form = $("#step");
  if (form) form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { status: $("#next").value };
    if ($("#tracking").value.trim()) body.tracking = $("#tracking").value.trim();
    if ($("#step-note").value.trim()) body.note = $("#step-note").value.trim();
    try {
      await api("POST", `/v1/cases/${encodeURIComponent(code)}/steps`, body);
      await viewCase(main, code);
      main.prepend(el("div", { class: "ok" }, "Đã ghi bước: " + label(STATUS, body.status)));
    } catch (e) { showError(main, e); }
  });
}
