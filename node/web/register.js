// The tracking register (sổ theo dõi hồ sơ, Form 06; docs/forms.md): the office's receptions of
// a period, one line each with its volume's line number (a property of the log: lines never
// repeat or skip, core/domain/register.h), printed on A4 across.
import { $, el, show, str, arr, obj, count, fmtTime, api, showError, session } from "./dom.js";
import { agencyOf, dayOf, sets } from "./forms.js";

const today = () => {
  const t = new Date(Date.now() + 7 * 3600 * 1000);
  return `${t.getUTCFullYear()}-${String(t.getUTCMonth() + 1).padStart(2, "0")}-${String(t.getUTCDate()).padStart(2, "0")}`;
};

export async function viewRegister(main) {
  const valid = (d) => (/^\d{4}-\d{2}-\d{2}$/.test(d || "") ? d : null);
  const to = valid(sessionStorage.getItem("reg-to")) || today();
  const from = valid(sessionStorage.getItem("reg-from")) || `${to.slice(0, 4)}-01-01`;
  show(main,
    el("h1", { class: "noprint" }, "Sổ theo dõi hồ sơ"),
    el("form", { id: "reg-period", class: "grid noprint", onsubmit: (ev) => {
      ev.preventDefault();
      if ($("#reg-to").value < $("#reg-from").value) {
        showError(main, new Error("Đến ngày phải sau hoặc bằng từ ngày."));
        return;
      }
      sessionStorage.setItem("reg-from", $("#reg-from").value); sessionStorage.setItem("reg-to", $("#reg-to").value);
      viewRegister(main).catch((e) => showError(main, e));
    } },
      el("label", { for: "reg-from" }, "Từ ngày"), el("input", { id: "reg-from", type: "date", value: from, required: true }),
      el("label", { for: "reg-to" }, "Đến ngày"), el("input", { id: "reg-to", type: "date", value: to, required: true }),
      el("div", { class: "actions" }, el("button", { type: "submit" }, "Xem sổ"), " ",
        el("button", { type: "button", id: "print", onclick: () => window.print() }, "In sổ"))),
    el("div", { id: "register", class: "slip paper-a4l" }, "Đang tải…"));
  // Every page of the period (2,000 lines each), in line order.
  const lines = [];
  let r = {};
  for (let next = 1, pages = 0; next && pages < 500; ++pages) {
    r = obj(await api("GET", `/v1/register?from=${from}&to=${to}&from_line=${next}`));
    lines.push(...arr(r.lines).map(obj));
    next = Number.isSafeInteger(r.next_line) && r.next_line > next ? r.next_line : 0;
  }
  const node = obj(session.node);
  const ag = agencyOf({ office_name: node.name, office: node.unit, office_type: node.type, office_depth: node.depth });
  const td = (...t) => el("td", {}, ...t);
  show($("#register"),
    el("div", { class: "form-no" }, "Mẫu số 06"),
    el("div", { class: "head" }, el("div", {}, ag.authority, el("br", {}), el("b", {}, ag.desk.toLocaleUpperCase("vi-VN"))),
      el("div", {}, el("b", {}, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), el("br", {}), el("b", {}, "Độc lập - Tự do - Hạnh phúc"))),
    el("h1", {}, "Sổ theo dõi hồ sơ"),
    el("p", { class: "center", id: "register-volume" }, `Quyển số: 01/${count(r.volume)} — từ ngày ${dayOf(from + "T00:00:00+07:00")} đến ngày ${dayOf(to + "T00:00:00+07:00")}`),
    el("table", { id: "register-table", class: "register" },
      el("tr", {}, el("th", { rowspan: 2 }, "STT"), el("th", { rowspan: 2 }, "Mã hồ sơ"), el("th", { rowspan: 2 }, "Tên thủ tục hành chính"),
        el("th", { rowspan: 2 }, "Số lượng hồ sơ (bộ)"), el("th", { rowspan: 2 }, "Tên cá nhân, tổ chức"),
        el("th", { rowspan: 2 }, "Địa chỉ, số điện thoại"), el("th", { rowspan: 2 }, "Cơ quan chủ trì giải quyết"),
        el("th", { colspan: 5 }, "Ngày, tháng, năm"), el("th", { rowspan: 2 }, "Ghi chú")),
      el("tr", {}, ["Nhận hồ sơ", "Hẹn trả kết quả", "Chuyển hồ sơ đến cơ quan giải quyết", "Nhận kết quả từ cơ quan giải quyết",
        "Trả kết quả cho cá nhân, tổ chức"].map((t) => el("th", {}, t))),
      lines.length === 0 ? el("tr", {}, el("td", { colspan: 13 }, "Không có hồ sơ trong khoảng thời gian này.")) :
        lines.map((l) => el("tr", { "data-line": count(l.line) },
          el("td", { class: "num" }, count(l.line)), td(str(l.code)), td(str(l.procedure_name) || str(l.procedure)), td(sets(l)),
          td(str(l.applicant_name)), td([str(l.applicant_address), str(l.applicant_phone)].filter(Boolean).join(" — ")),
          td(str(l.agency)), td(fmtTime(l.received_at)), td(fmtTime(l.appointment_at) || fmtTime(l.due_at)),
          td(fmtTime(l.sent_at)), td(fmtTime(l.finished_at)), td(fmtTime(l.returned_at)),
          td(l.appointment_at ? "Đã hẹn lại" : "")))),
    el("p", { class: "noprint" }, `${count(lines.length)} hồ sơ trong kỳ; quyển có ${count(r.volume_lines)} dòng.`));
}
