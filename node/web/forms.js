// The counter's printed forms (docs/forms.md): the pieces every form shares (the agency's
// header, the national motto, place and date, the signatures, the QR code) and Form 01, the
// receipt and appointment slip. Forms 02-05 are forms_case.js, the postal forms
// forms_post.js, the register (Form 06) register.js. Every value is text (dom.js); a form
// prints on one A5 page (A4 across for the register): app.css "Paper".
import { $, el, svg, show, str, arr, obj, count, money, fmtTime, api, timeLimit } from "./dom.js";

export const KIND = { original: "Bản chính", copy: "Bản sao", electronic: "Bản điện tử" };

// "Phường Mỹ Bình" -> "Mỹ Bình": the place of the date line.
const UNIT_TYPES = /^(Tỉnh|Thành phố|Huyện|Quận|Thị xã|Thị trấn|Xã|Phường|Đặc khu)\s+/;
export const placeOf = (name) => str(name).replace(UNIT_TYPES, "") || str(name);

// The unit that received the case, as the form's header names it: "UBND PHƯỜNG MỸ BÌNH" over
// the reception desk of the time (the three-tier tree's "Bộ phận tiếp nhận và trả kết quả",
// since 2025-07-01 the commune's and the province's public service centre).
export function agencyOf(c) {
  const name = str(c.office_name) || str(c.office);
  const depth = Number.isSafeInteger(c.office_depth) ? c.office_depth : 0;
  const district = /^(Huyện|Quận|Thị xã|Thành phố)$/.test(str(c.office_type));
  const threeTier = depth >= 2 || (depth === 1 && district);
  return {
    name,
    authority: "UBND " + name.toLocaleUpperCase("vi-VN"),
    desk: threeTier ? "Bộ phận tiếp nhận và trả kết quả" : "Trung tâm phục vụ hành chính công",
  };
}

// Vietnam's local date parts of a time (ms or RFC 3339), or null.
export function parts(v) {
  const t = fmtTime(v);  // "HH:MM DD/MM/YYYY"
  const m = /^(\d\d):(\d\d) (\d\d)\/(\d\d)\/(\d{4})$/.exec(t);
  return m ? { h: m[1], min: m[2], d: m[3], mo: m[4], y: m[5] } : null;
}
// "09 giờ 15 phút, ngày 03/12/2026"
export const longTime = (v) => { const p = parts(v); return p ? `${p.h} giờ ${p.min} phút, ngày ${p.d}/${p.mo}/${p.y}` : "……"; };
export const dayOf = (v) => { const p = parts(v); return p ? `${p.d}/${p.mo}/${p.y}` : "……"; };

export function header(c, formNo) {
  const a = agencyOf(c);
  const br = () => el("br", {});
  return [
    el("div", { class: "form-no" }, `Mẫu số ${formNo}`),
    el("div", { class: "head" },
      el("div", {}, a.authority, br(), el("b", { class: "desk" }, a.desk.toLocaleUpperCase("vi-VN")), el("div", { class: "rule" })),
      el("div", {}, el("b", {}, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), br(), el("b", {}, "Độc lập - Tự do - Hạnh phúc"), el("div", { class: "rule" }))),
  ];
}

// "Mỹ Bình, ngày 03 tháng 12 năm 2026" at the time given (ms or RFC 3339).
export function placeDate(c, at) {
  const p = parts(at);
  return el("p", { class: "place-date" },
    `${placeOf(c.office_name)}, ngày ${p ? p.d : "…"} tháng ${p ? p.mo : "…"} năm ${p ? p.y : "…"}`);
}

// Two (or more) signature blocks: [title, hint, name].
export function signatures(...blocks) {
  return el("div", { class: "sign" }, blocks.map(([title, hint, name]) =>
    el("div", {}, el("b", {}, title), el("br", {}), el("i", {}, hint), el("div", { class: "sign-space" }), str(name))));
}

// Who recorded an event: the full name where this office holds the account, else the login.
export const officerOf = (h) => str(obj(h).officer_name) || str(obj(h).officer);

export const applicantOf = (c) => obj(obj(c.fields).applicant);

// The QR code of `text` as SVG squares (the node encodes, GET /v1/qr).
export async function qrCode(text) {
  const q = obj(await api("GET", "/v1/qr?text=" + encodeURIComponent(text)));
  const rows = arr(q.rows).map(str);
  const n = rows.length, quiet = 2, size = n + 2 * quiet;
  const rects = [];
  rows.forEach((row, y) => {
    for (let x = 0; x < row.length;) {
      if (row[x] !== "1") { ++x; continue; }
      let end = x;
      while (end < row.length && row[end] === "1") ++end;
      rects.push(svg("rect", { x: x + quiet, y: y + quiet, width: end - x, height: 1 }));
      x = end;
    }
  });
  return svg("svg", { class: "qr", viewBox: `0 0 ${size} ${size}`, role: "img", "aria-label": "Mã QR của hồ sơ " + text },
    svg("rect", { x: 0, y: 0, width: size, height: size, fill: "#fff" }), svg("g", { fill: "#000" }, rects));
}

// The page around a form: print and back links, then the paper.
export function paper(main, id, back, size, ...content) {
  show(main,
    el("div", { class: "noprint slip-tools" }, el("button", { id: "print", onclick: () => window.print() }, "In phiếu"), " ",
      el("a", { href: back }, "Quay lại hồ sơ")),
    el("div", { class: `slip paper-${size}`, id }, content));
}

export function documentsTable(f) {
  const docs = arr(f.documents).map(obj);
  return el("table", { class: "docs-table" },
    el("tr", {}, el("th", {}, "TT"), el("th", {}, "Tên giấy tờ"), el("th", {}, "Bản chính / bản sao"), el("th", {}, "Số lượng")),
    docs.length ? docs.map((d, i) => el("tr", {}, el("td", {}, String(i + 1)), el("td", {}, str(d.name)),
      el("td", {}, KIND[str(d.kind)] || "Bản sao"), el("td", { class: "num" }, count(d.count))))
      : el("tr", {}, el("td", { colspan: "4" }, "(không có giấy tờ nào được ghi)")));
}

// "01": the sets of the file handed in (1 when the reception did not say).
export const sets = (f) => String(Number.isSafeInteger(f.sets) ? f.sets : 1).padStart(2, "0");

// "03 ngày làm việc": the processing time by regulation.
export const processingTime = (f) => timeLimit(f.processing_days, f.working_days);

// ---- Form 01: receipt and appointment slip

export async function viewSlip(main, c, history, hidden) {
  const f = obj(c.fields), a = applicantOf(c), ag = agencyOf(c);
  const reg = obj(c.register);
  const received = history.find((h) => h.type === "case.received") || history[0] || {};
  const p = (...children) => el("p", {}, ...children);
  const due = f.appointment_at || f.due_at;
  paper(main, "slip", "#/ho-so/" + encodeURIComponent(str(c.code)), "a5",
    header(c, "01"),
    placeDate(c, f.received_at),
    el("h1", {}, "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
    el("div", { class: "code-line" },
      el("div", {}, "Mã hồ sơ: ", el("b", { id: "slip-code" }, str(c.code)),
        el("div", { class: "copies" }, "(Liên: 01 giao người nộp; 01 lưu)")),
      el("div", { id: "slip-qr" })),
    p(`${ag.desk} ${ag.name} tiếp nhận hồ sơ của: `, el("b", { id: "slip-applicant" }, hidden("applicant") || str(a.name))),
    p("Số định danh cá nhân: ", str(a.id_no) || "……", " — Điện thoại: ", str(a.phone) || "……",
      a.email ? " — Thư điện tử: " + str(a.email) : ""),
    p("Địa chỉ: ", str(a.address) || "……"),
    p("Nội dung yêu cầu giải quyết: ", el("b", {}, str(f.procedure_name) || str(f.procedure)), ` (mã ${str(f.procedure)})`),
    p("1. Thành phần hồ sơ nộp gồm:"),
    documentsTable(f),
    p("2. Số lượng hồ sơ: ", el("b", { id: "slip-sets" }, sets(f)), " (bộ)"),
    p("3. Thời gian giải quyết hồ sơ theo quy định là: ", el("b", { id: "slip-days" }, processingTime(f))),
    p("4. Thời gian nhận hồ sơ: ", el("b", {}, longTime(f.received_at))),
    p("5. Thời gian trả kết quả giải quyết hồ sơ: ", el("b", { id: "slip-due" }, due ? longTime(due) : "theo quy định")),
    p("6. Đăng ký nhận kết quả tại: ", f.return_by_post
      ? "qua dịch vụ bưu chính công ích, địa chỉ " + (hidden("return_address") || str(f.return_address))
      : `${ag.desk} ${ag.name}`),
    p("7. Lệ phí: ", el("b", {}, money(f.fee)), " đồng."),
    el("p", { id: "slip-register" }, "Vào Sổ theo dõi hồ sơ, Quyển số: ",
      el("b", {}, Number.isSafeInteger(reg.volume) ? `01/${reg.volume}` : "……"),
      ", Số thứ tự: ", el("b", {}, Number.isSafeInteger(reg.line) ? String(reg.line) : "……")),
    signatures(["NGƯỜI NỘP HỒ SƠ", "(Ký và ghi rõ họ tên)", hidden("applicant") ? "" : str(a.name)],
      ["NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký và ghi rõ họ tên)", officerOf(received)]));
  try { $("#slip-qr").append(await qrCode(str(c.code))); } catch (e) { $("#slip-qr").textContent = ""; }
}
