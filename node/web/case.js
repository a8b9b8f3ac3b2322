// A case's page: its fields, conflicts in plain words with their resolution, the next step as
// the officer's role allows, a head's decisions (new appointment, assignment), its forms and
// history; and the forms' pages (forms.js, forms_case.js, forms_post.js). Only the fields named
// here are shown; a case's other fields, whatever a remote office put there, are never rendered.
import { $, el, show, str, arr, obj, label, fmtTime, api, showError, mayRecord, mayWrite, session } from "./dom.js";
import { showFiles } from "./documents.js";
import { viewSlip } from "./forms.js";
import { availableForms, viewApology, viewControl, viewRefusal, viewSupplement } from "./forms_case.js";
import { postalForms, viewHandOver, viewPostalList } from "./forms_post.js";

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
const FIELD = { status: "trạng thái", tracking: "mã vận đơn", note: "ghi chú", due_at: "hạn trả",
                appointment_at: "ngày hẹn trả", assigned_to: "cán bộ được phân công", return_address: "địa chỉ nhận kết quả" };
// A refusal once the agency had the case is of its processing, not of its reception.
const AFTER_COUNTER = ["agency_received", "forwarded", "processing"];
export const statusName = (s, previous) =>
  s === "refused" && AFTER_COUNTER.includes(previous) ? "Từ chối giải quyết" : label(STATUS, s);
// Steps that need what the post office gave: the tracking number.
const NEEDS_TRACKING = ["posted_to_agency", "dispatched"];

// `view` names the screen in the node's read log (docs/privacy.md): "case" or "slip".
async function getCase(code, view = "case") {
  const c = obj(await api("GET", "/v1/cases/" + encodeURIComponent(code) + "?view=" + view));
  const f = obj(c.fields);
  const hidden = (field) => hiddenNote(c, field);
  return { c, f, a: obj(f.applicant), history: arr(c.history).map(obj), hidden };
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

// ---- forms: #/phieu/<code> (Form 01), #/mau/<form>/<code>

export async function viewForm(main, form, code) {
  const { c, history, hidden } = await getCase(code, "slip");
  const views = { "01": viewSlip, "02": viewSupplement, "03": viewRefusal, "04": viewApology,
                  bk: viewPostalList, bg: viewHandOver };
  if (form === "05") return viewControl(main, c, history, STATUS);
  const known = [...availableForms(history), ...postalForms(c, history)].some(([id]) => id === form);
  if (!views[form] || !known) throw new Error("Hồ sơ này chưa có phiếu này.");
  return views[form](main, c, history, hidden);
}

// ---- a case: conflicts, the next step, decisions, history

// "Ông/bà nv.lan (đơn vị 30280) ghi lúc 14:02 03/12/2026: trạng thái "Công dân rút hồ sơ"."
function candidateText(field, k) {
  const v = k.value;
  const shown = field === "status" ? `"${statusName(str(v))}"` : typeof v === "string" ? `"${v}"` :
    typeof v === "number" && /_at$/.test(field) ? fmtTime(v) : JSON.stringify(v) ?? "";
  return `Cán bộ ${str(k.officer) || "không rõ"} (đơn vị ${str(k.origin)}) ghi lúc ${fmtTime(k.at)}: ` +
    `${label(FIELD, field)} ${shown}` + (k.winner === true ? " — đang được áp dụng." : ".");
}

function conflictList(c, onResolve) {
  const conflicts = arr(c.conflicts).map(obj);
  if (conflicts.length === 0) return [];
  const decide = obj(session.me).may_decide === true;
  return [el("h2", {}, "Xung đột cần giải quyết"),
    el("p", {}, "Hai đơn vị đã ghi cùng lúc mà chưa thấy thao tác của nhau (khi mất kết nối). Hãy xác nhận giá trị đúng."),
    conflicts.map((x) => {
      const field = str(x.field), candidates = arr(x.candidates).map(obj);
      return el("div", { class: "conflict", "data-field": field },
        el("ul", {}, candidates.map((k) => el("li", {}, candidateText(field, k)))),
        decide ? el("form", { class: "grid resolve", onsubmit: (ev) => { ev.preventDefault(); onResolve(field, ev.target); } },
          el("label", {}, "Giá trị đúng"),
          el("select", { class: "choose full" }, candidates.map((k) => el("option", { value: str(k.id) },
            field === "status" ? statusName(str(k.value)) : str(k.value) || JSON.stringify(k.value) || ""))),
          el("label", {}, "Lý do quyết định"), el("input", { class: "resolve-note full", required: true }),
          el("div", { class: "actions" }, el("button", { type: "submit", class: "resolve-button" }, "Ghi quyết định")))
          : el("p", { class: "sub" }, "Lãnh đạo đơn vị ghi quyết định giải quyết xung đột."));
    })];
}

function stepForm(c, allowed) {
  if (!mayWrite()) return el("p", { id: "read-only" }, "Tài khoản thanh tra chỉ xem hồ sơ, không ghi bước xử lý.");
  const mine = allowed.filter((s) => mayRecord(s));
  if (allowed.length === 0) return el("p", {}, "Hồ sơ đã kết thúc.");
  if (mine.length === 0) return el("p", { id: "no-step" }, "Bước tiếp theo của hồ sơ này không thuộc nhiệm vụ của tài khoản anh/chị.");
  const current = str(obj(c.fields).status);
  return el("form", { id: "step", class: "grid" },
    el("label", { for: "next" }, "Bước tiếp theo"),
    el("select", { id: "next" }, mine.map((s) => el("option", { value: str(s) }, statusName(s, current)))),
    el("label", { for: "tracking" }, "Mã vận đơn"), el("input", { id: "tracking", placeholder: "Bắt buộc khi chuyển qua bưu điện" }),
    el("label", { for: "missing", class: "for-supplement" }, "Nội dung cần bổ sung"),
    el("input", { id: "missing", class: "full for-supplement" }),
    el("label", { for: "reason", class: "for-reason" }, "Lý do"), el("input", { id: "reason", class: "full for-reason" }),
    el("label", { for: "step-note" }, "Ghi chú"), el("input", { id: "step-note", class: "full" }),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "record" }, "Ghi bước")));
}

// The form's fields as the chosen step needs them: a tracking number to hand to the post, what
// is missing and why for a supplement (Form 02), why for a refusal (Form 03).
function fitStepForm() {
  const next = $("#next")?.value || "";
  $("#tracking").required = NEEDS_TRACKING.includes(next);
  const supplement = next === "supplement_requested", reason = supplement || ["refused", "stopped"].includes(next);
  document.querySelectorAll(".for-supplement").forEach((e) => { e.hidden = !supplement; });
  document.querySelectorAll(".for-reason").forEach((e) => { e.hidden = !reason; });
  $("#missing").required = supplement;
  $("#reason").required = reason;
}

function decisionForms(c, officers) {
  const f = obj(c.fields), status = str(f.status);
  if (obj(session.me).may_decide !== true || ["result_ready", "dispatched", "undeliverable", "delivered", "returned", "closed", "refused", "withdrawn", "stopped"].includes(status)) return [];
  return [el("h2", {}, "Quyết định của lãnh đạo"),
    el("form", { id: "delay", class: "grid" },
      el("label", { for: "delay-at" }, "Ngày hẹn trả mới"), el("input", { id: "delay-at", type: "datetime-local", required: true }),
      el("label", { for: "delay-reason" }, "Lý do chậm trễ"), el("input", { id: "delay-reason", required: true }),
      el("div", { class: "actions" }, el("button", { type: "submit", id: "delay-record" }, "Hẹn lại và in phiếu xin lỗi"))),
    el("form", { id: "assign", class: "grid" },
      el("label", { for: "assign-to" }, "Phân công cho"),
      el("select", { id: "assign-to" }, officers.map((o) => el("option", { value: str(o.login), selected: o.login === f.assigned_to },
        `${str(o.name)} (${str(o.login)})`))),
      el("div", { class: "actions" }, el("button", { type: "submit", id: "assign-record" }, "Phân công")))];
}

function historyItem(h, i, all) {
  const ch = obj(h.changes);
  const prev = i > 0 ? str(obj(all[i - 1].changes).status) : "";
  const what = typeof ch.status === "string" && Object.hasOwn(STATUS, ch.status) && h.type !== "case.resolved" ? statusName(ch.status, prev)
    : h.type === "key.destroyed" ? "Đã huỷ khoá dữ liệu cá nhân theo quyết định xoá"
    : h.type === "document.attached" ? "Đính kèm tệp " + str(ch.document_name)
    : h.type === "document.withdrawn" ? "Rút tệp" + (ch.withdraw_reason ? ": " + str(ch.withdraw_reason) : "")
    : h.type === "case.resolved" ? `Giải quyết xung đột ${label(FIELD, ch.resolved_field)}: ${str(ch.resolution_note)}`
    : h.type === "case.delayed" ? `Hẹn lại ngày trả ${fmtTime(ch.appointment_at)}: ${str(ch.delay_reason)}`
    : h.type === "case.assigned" ? "Phân công cho " + str(ch.assigned_to) : str(h.type);
  return el("li", {}, `${fmtTime(h.at)} — `, el("b", {}, what),
    ` — ${h.officer_name ? `${str(h.officer_name)} (${str(h.officer)})` : str(h.officer)}, đơn vị ${str(h.office)}`,
    ch.tracking ? " — vận đơn " + str(ch.tracking) : "", ch.note ? " — " + str(ch.note) : "",
    h.recorded_before_deps === true
      ? el("span", { class: "clock-warning" }, " — thời điểm ghi sớm hơn bước mà nó dựa vào (đồng hồ máy sai?)")
      : "");
}

// The status before the current one, as the history went.
function previousStatus(history) {
  const statuses = history.map((h) => obj(h.changes).status).filter((s) => typeof s === "string");
  return statuses.length > 1 ? statuses[statuses.length - 2] : "";
}

export async function viewCase(main, code) {
  const { c, f, a, history, hidden } = await getCase(code);
  const allowed = arr(c.allowed_next);
  const officers = obj(session.me).may_decide === true ? arr(obj(await api("GET", "/v1/officers")).officers).map(obj) : [];
  const row = (...cells) => el("tr", {}, cells);
  const th = (t) => el("th", {}, t), td = (...t) => el("td", {}, ...t);
  const flags = [c.overdue === true ? el("span", { class: "badge-late", id: "case-overdue" }, "Quá hạn") : null,
    c.due_soon === true ? el("span", { class: "badge-soon", id: "case-due-soon" }, "Sắp đến hạn (còn dưới 1 ngày làm việc)") : null];
  const forms = [...availableForms(history), ...postalForms(c, history)];
  const link = (id) => (id === "01" ? "#/phieu/" : `#/mau/${id}/`) + encodeURIComponent(str(c.code));
  show(main,
    el("h1", {}, "Hồ sơ ", str(c.code), " ", flags),
    el("table", {},
      row(th("Trạng thái"), el("td", { id: "case-status" }, statusName(str(f.status), previousStatus(history))),
        th("Đơn vị tiếp nhận"), td(str(c.office_name) || str(c.office))),
      row(th("Người nộp"), el("td", { id: "case-applicant" }, hidden("applicant") || str(a.name)),
        th("Thủ tục"), td(str(f.procedure_name) || str(f.procedure))),
      row(th("Tiếp nhận"), td(`${fmtTime(f.received_at)} (${label(CHANNEL, f.channel)})`), th("Hẹn trả"),
        el("td", { id: "case-due", class: c.overdue === true ? "late" : "" }, fmtTime(f.due_at),
          f.appointment_at ? el("div", {}, "Hẹn lại: ", fmtTime(f.appointment_at)) : "")),
      row(th("Trả kết quả"), td(f.return_by_post
        ? "Qua bưu điện: " + (hidden("return_address") || str(f.return_address)) : "Tại quầy"),
        th("Mã vận đơn"), td(str(f.tracking))),
      row(th("Cán bộ được phân công"), el("td", { id: "case-assigned" }, str(f.assigned_to) || "chưa phân công"),
        th("Sổ theo dõi"), td(obj(c.register).line ? `Quyển 01/${str(obj(c.register).volume)}, số ${str(obj(c.register).line)}` : ""))),
    conflictList(c, resolve),
    el("section", { id: "case-files" }),
    el("h2", {}, "Ghi bước xử lý"),
    stepForm(c, allowed),
    decisionForms(c, officers),
    el("h2", {}, "Phiếu in"),
    el("ul", { id: "forms" }, forms.map(([id, title]) => el("li", {}, el("a", { href: link(id), "data-form": id }, title)))),
    el("h2", {}, "Lịch sử xử lý"),
    el("ol", { class: "timeline" }, history.map(historyItem)));
  showFiles($("#case-files"), code, arr(f.documents).map(obj).map((d) => str(d.name)).filter(Boolean));
  const post = async (what, body, done) => {
    try {
      await api("POST", `/v1/cases/${encodeURIComponent(code)}/${what}`, body);
      await (done ? done() : viewCase(main, code));
    } catch (e) { showError(main, e); }
  };
  async function resolve(field, form) {
    await post("resolve", { field, choose: $(".choose", form).value, note: $(".resolve-note", form).value.trim() });
    main.prepend(el("div", { class: "ok" }, "Đã ghi quyết định giải quyết xung đột."));
  }
  const step = $("#step");
  if (step) {
    fitStepForm();
    $("#next").addEventListener("change", fitStepForm);
    step.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = { status: $("#next").value };
      for (const [id, key] of [["tracking", "tracking"], ["step-note", "note"], ["missing", "missing"], ["reason", "reason"]]) {
        const input = $("#" + id);
        if (!input.hidden && input.value.trim()) body[key] = input.value.trim();
      }
      await post("steps", body);
      main.prepend(el("div", { class: "ok" }, "Đã ghi bước: " + statusName(body.status, str(f.status))));
    });
  }
  $("#delay")?.addEventListener("submit", (ev) => {
    ev.preventDefault();
    // The picker's local time is Vietnam's (+07:00), whatever the PC's zone.
    const at = $("#delay-at").value + ":00+07:00";
    post("delay", { appointment_at: at, reason: $("#delay-reason").value.trim() },
      () => { location.hash = "#/mau/04/" + encodeURIComponent(code); });
  });
  $("#assign")?.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    await post("assign", { assign_to: $("#assign-to").value });
    main.prepend(el("div", { class: "ok" }, "Đã phân công."));
  });
}
