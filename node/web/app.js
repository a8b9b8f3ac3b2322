// The office web app: reception, queues, a case's page, reports, and a sync banner.
// Plain JavaScript modules, no dependencies; it talks to the node's local API (docs/api.md)
// with the session cookie set by POST /v1/login. Every screen is built with el() (dom.js):
// data is only ever text, never markup (docs/web-app.md, "Rendering").
import { $, el, show, str, arr, obj, label, fmtTime, api, showError, session, mayRecord, timeLimit } from "./dom.js";
import { viewForm, viewCase, STATUS } from "./case.js";
import { viewRegister } from "./register.js";
import { viewReports } from "./reports.js";
import { viewNetwork } from "./network.js";

const ROLE = { reception: "Cán bộ tiếp nhận", processing: "Cán bộ xử lý", head: "Lãnh đạo",
               auditor: "Thanh tra (chỉ xem)" };

const main = () => $("#main");

// ---- banner: online/offline, last sync, events waiting upstream, clock skew

// The store's check at start (sync is held until it passes).
function selfCheckNotice(c) {
  if (c.state === "running") return el("span", { id: "self-check" }, "Đang tự kiểm tra dữ liệu, tạm dừng đồng bộ");
  if (c.state !== "damaged") return null;
  return el("span", { id: "self-check", class: "warn" },
    "Cảnh báo: dữ liệu của nút đã bị thay đổi ngoài hệ thống, đã dừng đồng bộ. Hãy báo bộ phận công nghệ thông tin.");
}

// Offices whose events arrive stamped in the future (a wrong clock, seen anywhere above them).
function clocksAheadNotice(list) {
  const units = list.map((a) => str(a.unit)).filter((u) => u);
  if (!units.length) return null;
  return el("span", { id: "clocks-ahead", class: "warn" },
    "Cảnh báo: đồng hồ của đơn vị " + units.slice(0, 5).join(", ") + (units.length > 5 ? "…" : "") +
    " chạy nhanh, thời gian trên hồ sơ của đơn vị đó có thể sai");
}

async function refreshBanner() {
  const b = $("#banner");
  if (!session.me) { b.textContent = "Hệ thống quản lý hồ sơ thủ tục hành chính"; return; }
  try {
    const s = obj(await api("GET", "/v1/sync/status"));
    const peers = arr(s.peers).map(obj);
    const whole = (v) => (Number.isSafeInteger(v) ? v : 0);
    const waiting = peers.filter((p) => p.direction === "upstream")
      .reduce((n, p) => n + whole(p.events_behind), 0);
    const skew = Math.max(0, ...peers.filter((p) => p.connected === true)
      .map((p) => Math.abs(whole(p.clock_skew_ms))));
    // The province's server has no upstream: no link state, no "last sync", nothing waiting.
    const root = s.state !== "online" && s.state !== "offline";
    const state = s.state === "online" ? "Đã kết nối (trực tuyến)" : s.state === "offline" ? "Mất kết nối" : "Máy chủ cấp tỉnh";
    b.className = "banner" + (s.state === "offline" ? " offline" : "");
    const n = obj(session.node);
    show(b,
      el("span", { id: "sync-state" }, state, !root && s.since ? " từ " + fmtTime(s.since) : ""),
      root ? null : el("span", {}, "Đồng bộ gần nhất: ", s.last_success ? fmtTime(s.last_success) : "chưa có"),
      root ? null : el("span", { id: "waiting" }, "Dữ liệu chờ đồng bộ lên cấp trên: ", String(waiting)),
      skew > 60000 ? el("span", { class: "warn" }, `Cảnh báo: đồng hồ máy lệch ${Math.round(skew / 1000)} giây`) : null,
      clocksAheadNotice(arr(s.clocks_ahead).map(obj)),
      selfCheckNotice(obj(s.self_check)),
      el("span", {}, str(n.name) || str(n.unit)));
  } catch (e) { /* the next tick tries again */ }
}

// ---- login

// Nothing of a previous session stays on screen: menu, name, banner, footer, page.
function clearSession() {
  session.me = null;
  session.node = null;
  $("#nav").hidden = true;
  $("#who").textContent = "";
  $("#footer").hidden = true;
  $("#footer").textContent = "";
  refreshBanner();
}

function viewLogin() {
  clearSession();
  show(main(),
    el("h1", {}, "Đăng nhập"),
    el("p", { id: "login-office", class: "login-office" }),
    el("form", { id: "login", class: "grid", autocomplete: "on", onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        session.me = await api("POST", "/v1/login", { login: $("#login-name").value.trim(),
                                                      password: $("#login-password").value });
        await start();
        if (location.hash === home()) route(); else location.hash = home();
      } catch (e) { showError(main(), e); }
    } },
      el("label", { for: "login-name" }, "Tên đăng nhập"), el("input", { id: "login-name", required: true, autofocus: true }),
      el("label", { for: "login-password" }, "Mật khẩu"), el("input", { id: "login-password", type: "password", required: true }),
      el("div", { class: "actions" }, el("button", { type: "submit" }, "Đăng nhập"))));
  $("#login-name").focus();
  api("GET", "/v1/office").then((o) => {
    const office = obj(o);
    $("#login-office").textContent = str(office.name)
      ? `${str(office.name)} (mã đơn vị ${str(office.unit)})` : `Đơn vị ${str(office.unit)}`;
  }).catch(() => {});
}

// Where an officer starts: reception for those who receive, the queues for the others.
const home = () => (mayRecord("received") ? "#/tiep-nhan" : "#/hang-doi");

// ---- reception

function viewReception() {
  const field = (id, text, attrs = {}) => [el("label", { for: id }, text), el("input", { id, ...attrs })];
  show(main(),
    el("h1", {}, "Tiếp nhận hồ sơ"),
    el("form", { id: "reception", class: "grid" },
      el("label", { for: "procedure" }, "Thủ tục"),
      el("div", { class: "full" },
        el("input", { id: "procedure", placeholder: "Gõ mã hoặc tên thủ tục, có dấu hoặc không dấu", autocomplete: "off" }),
        el("div", { id: "suggest", class: "suggest", hidden: true }), el("div", { id: "proc-info" }),
        el("div", { id: "not-postal", class: "warn-box", role: "alert", hidden: true },
          "Thủ tục này không thực hiện qua dịch vụ bưu chính công ích; đề nghị công dân nộp hồ sơ và nhận kết quả trực tiếp."),
        // Decided by the citizen's commune of residence: received anywhere, routed there.
        el("div", { id: "residence-row", hidden: true },
          el("label", { for: "residence" }, "Xã, phường nơi công dân cư trú (nơi giải quyết hồ sơ)"), " ",
          el("select", { id: "residence" }), el("div", { id: "residence-info" }))),
      field("name", "Họ tên người nộp", { required: true }),
      field("id_no", "Số định danh cá nhân", { inputmode: "numeric" }),
      field("phone", "Số điện thoại", { inputmode: "tel" }),
      field("email", "Thư điện tử", { type: "email" }),
      field("address", "Địa chỉ", { class: "full" }),
      field("sets", "Số bộ hồ sơ", { type: "number", min: 1, max: 99, value: 1 }),
      el("label", { for: "channel" }, "Hình thức tiếp nhận"),
      el("select", { id: "channel" }, el("option", { value: "counter" }, "Trực tiếp tại quầy"),
        el("option", { value: "postal" }, "Qua bưu điện"), el("option", { value: "online" }, "Trực tuyến")),
      // The post office's reception (Decision 45/2016): the seal on the file, the fees collected.
      field("seal-no", "Số hiệu niêm phong", { class: "for-postal", placeholder: "Bưu điện ghi khi niêm phong hồ sơ" }),
      field("postal-fee", "Cước bưu chính đã thu (đồng)", { class: "for-postal", type: "number", min: 0 }),
      field("by-post", "Trả kết quả qua bưu điện", { type: "checkbox" }),
      field("return-address", "Địa chỉ nhận kết quả", { class: "full", disabled: true }),
      el("label", {}, "Thành phần hồ sơ"),
      el("div", { id: "docs", class: "docs full" }, el("em", {}, "Chọn thủ tục để hiện danh mục giấy tờ.")),
      field("note", "Ghi chú", { class: "full" }),
      el("div", { class: "actions" }, el("button", { type: "submit", id: "receive" }, "Tiếp nhận và in phiếu hẹn"))));
  let chosen = null;
  const input = $("#procedure"), box = $("#suggest");
  let timer = null, items = [], sel = -1;
  const choose = (p) => {
    chosen = p;
    main().querySelectorAll(".error").forEach((x) => x.remove());  // "choose a procedure" is answered
    input.value = `${str(p.code)} — ${str(p.name)}`;
    box.hidden = true;
    const fee = Number.isSafeInteger(p.fee) ? p.fee.toLocaleString("vi-VN") : "không rõ";
    $("#proc-info").textContent = `${str(p.agency)} · ${timeLimit(p.days, p.working_days)} · ` +
      `lệ phí ${fee} đ · ${p.postal ? "được thực hiện qua bưu điện" : "KHÔNG thực hiện qua bưu điện"}` +
      (str(p.source) ? ` · Nguồn: ${str(p.source)}` : "");
    postalAllowed(p.postal === true);
    byResidence(p.competent === "residence").catch((e) => showError(main(), e));
    show($("#docs"), arr(p.documents).map((d, i) => el("div", { class: "doc-row" },
      el("label", { for: `doc-${i}` },
        el("input", { type: "checkbox", class: "doc", "data-name": str(d), id: `doc-${i}` }), " ", str(d)), " ",
      el("select", { class: "kind", "aria-label": "Bản chính hay bản sao: " + str(d) },
        el("option", { value: "copy" }, "bản sao"), el("option", { value: "original" }, "bản chính")), " ",
      el("input", { type: "number", class: "count", min: 1, max: 1000, value: 1, "aria-label": "Số lượng: " + str(d) }))));
  };
  // A procedure that may not go by post: neither received nor returned by post, said at once.
  const postalAllowed = (ok) => {
    const postal = $("#channel option[value='postal']");
    postal.disabled = !ok;
    if (!ok && $("#channel").value === "postal") $("#channel").value = "counter";
    $("#by-post").disabled = !ok;
    if (!ok) { $("#by-post").checked = false; $("#return-address").disabled = true; }
    $("#not-postal").hidden = ok;
    fitChannel();
  };
  const byResidence = async (on) => {
    $("#residence-row").hidden = !on;
    if (!on || $("#residence").options.length) return;
    const own = str(obj(session.node).unit);
    show($("#residence"), el("option", { value: "" }, "— Chọn xã, phường —"),
      (await residenceUnits()).map((u) => el("option", { value: str(u.code), selected: str(u.code) === own },
        `${str(u.name)} (${str(u.code)})`)));
    whereDecided();
  };
  const whereDecided = () => {
    const r = $("#residence"), own = str(obj(session.node).unit);
    $("#residence-info").textContent = !r.value || r.value === own ? ""
      : `Hồ sơ sẽ được chuyển đến ${r.selectedOptions[0].textContent} để giải quyết.`;
  };
  $("#residence").addEventListener("change", whereDecided);
  input.addEventListener("input", () => {
    chosen = null;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = input.value.trim();
      if (!q) { box.hidden = true; return; }
      const r = obj(await api("GET", "/v1/catalogue?limit=10&q=" + encodeURIComponent(q)));
      items = arr(r.procedures).map(obj); sel = -1;
      show(box, items.map((p, i) => el("div", { "data-i": i }, `${str(p.code)} — ${str(p.name)}`)));
      box.hidden = items.length === 0;
    }, 150);
  });
  input.addEventListener("keydown", (ev) => {
    if (box.hidden) return;
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      sel = Math.max(0, Math.min(items.length - 1, sel + (ev.key === "ArrowDown" ? 1 : -1)));
      box.querySelectorAll("div").forEach((d, i) => d.classList.toggle("sel", i === sel));
      ev.preventDefault();
    } else if (ev.key === "Enter" && sel >= 0) { choose(items[sel]); ev.preventDefault(); }
  });
  box.addEventListener("click", (ev) => { const i = ev.target.dataset.i; if (i !== undefined) choose(items[i]); });
  $("#by-post").addEventListener("change", () => { $("#return-address").disabled = !$("#by-post").checked; });
  const fitChannel = () => {
    const postal = $("#channel").value === "postal";
    for (const id of ["seal-no", "postal-fee"]) {
      $("#" + id).hidden = !postal;
      $(`label[for="${id}"]`).hidden = !postal;
    }
  };
  $("#channel").addEventListener("change", fitChannel);
  fitChannel();
  $("#reception").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!chosen) { showError(main(), new Error("Vui lòng chọn thủ tục trong danh mục.")); return; }
    const applicant = { name: $("#name").value.trim() };
    for (const f of ["id_no", "phone", "email", "address"]) if ($("#" + f).value.trim()) applicant[f] = $("#" + f).value.trim();
    const documents = [...document.querySelectorAll(".doc")].filter((c) => c.checked).map((c) => {
      const row = c.closest(".doc-row");
      const n = Number(row.querySelector(".count").value);
      return { name: c.dataset.name, kind: row.querySelector(".kind").value, count: Number.isSafeInteger(n) ? n : 0 };
    });
    // A case is never received with nothing ticked: the slip lists what the citizen handed in.
    if (documents.length === 0 && document.querySelector(".doc")) {
      showError(main(), new Error("Chưa đánh dấu giấy tờ nào trong thành phần hồ sơ: hãy đánh dấu các giấy tờ công dân đã nộp."));
      return;
    }
    const bad = documents.find((d) => d.count < 1 || d.count > 1000);
    if (bad) { showError(main(), new Error(`Số lượng của "${bad.name}" phải là số từ 1 đến 1000.`)); return; }
    const body = { procedure: chosen.code, applicant, channel: $("#channel").value, documents };
    if (!$("#residence-row").hidden) {
      if (!$("#residence").value) { showError(main(), new Error("Hãy chọn xã, phường nơi công dân cư trú: thủ tục này do nơi đó giải quyết.")); return; }
      body.residence = $("#residence").value;
    }
    if ($("#by-post").checked) { body.return_by_post = true; body.return_address = $("#return-address").value.trim(); }
    if ($("#note").value.trim()) body.note = $("#note").value.trim();
    const sets = Number($("#sets").value);
    if (!Number.isSafeInteger(sets) || sets < 1 || sets > 99) {
      showError(main(), new Error("Số bộ hồ sơ phải là số từ 1 đến 99."));
      return;
    }
    body.sets = sets;
    if (body.channel === "postal") {
      if ($("#seal-no").value.trim()) body.seal_no = $("#seal-no").value.trim();
      const fee = Number($("#postal-fee").value);
      if ($("#postal-fee").value !== "" && Number.isSafeInteger(fee) && fee >= 0) body.postal_fee = fee;
    }
    try {
      const c = await api("POST", "/v1/cases", body);
      location.hash = "#/phieu/" + encodeURIComponent(str(c.code));
    } catch (e) { showError(main(), e); }
  });
}

// The units a case may be decided by as the citizen's residence: those with no unit under
// them that are neither relays nor departments (the communes, wards and special zones), by name.
async function residenceUnits() {
  const units = arr(obj(await api("GET", "/v1/directory")).units).map(obj);
  const parents = new Set(units.map((u) => str(u.parent)));
  return units.filter((u) => !parents.has(str(u.code)) && !["relay", "agency"].includes(str(u.type)))
    .sort((a, b) => str(a.name).localeCompare(str(b.name), "vi"));
}

// ---- queues

const QUEUES = [
  // Only what goes to the agency by post: a case received at the counter is forwarded, not posted.
  { id: "post", title: "Chờ chuyển bưu điện", queries: ["status=received&channel=postal"] },
  { id: "agency", title: "Tại cơ quan giải quyết",
    queries: ["status=posted_to_agency", "status=agency_received", "status=forwarded", "status=processing"] },
  { id: "supplement", title: "Chờ bổ sung", queries: ["status=supplement_requested"] },
  { id: "result", title: "Có kết quả, chờ trả", queries: ["status=result_ready", "status=dispatched", "status=undeliverable"] },
  { id: "soon", title: "Sắp đến hạn (1 ngày làm việc)", queries: ["due_soon=true"] },
  { id: "late", title: "Quá hạn", queries: ["overdue=true"] },
];
const QUEUE_LIMIT = 500;

const listCases = async (query) => obj(await api("GET", "/v1/cases?" + query));
async function queueRows(q) {
  const queries = typeof q.queries === "function" ? q.queries() : q.queries;
  const rows = [];
  let truncated = false;
  for (const query of queries) {
    const r = await listCases(`limit=${QUEUE_LIMIT}&${query}`);
    rows.push(...arr(r.cases).map(obj));
    truncated = truncated || r.truncated === true;
  }
  return { rows, truncated };
}

async function viewQueues(which) {
  const q = QUEUES.find((x) => x.id === which) || QUEUES[0];
  show(main(),
    el("h1", {}, "Hàng đợi hồ sơ"),
    el("form", { id: "search", class: "grid" }, el("label", { for: "q" }, "Tìm hồ sơ"),
      el("input", { id: "q", class: "full", placeholder: "Họ tên (có dấu hoặc không dấu), số định danh, số điện thoại, mã hồ sơ hoặc mã vận đơn" })),
    el("div", { class: "tabs", role: "tablist" }, QUEUES.map((x) => el("button", {
      type: "button", role: "tab", "data-q": x.id, class: x.id === q.id ? "active" : "secondary",
      "aria-selected": x.id === q.id ? "true" : "false",
      onclick: () => { location.hash = "#/hang-doi/" + x.id; } }, x.title, el("span", { class: "n", "data-n": x.id }, "…")))),
    el("h2", { id: "queue-title" }, q.title),
    el("div", { id: "queue" }, "Đang tải…"));
  $("#search").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = $("#q").value.trim();
    if (!text) return;
    try {
      const r = await listCases("limit=200&q=" + encodeURIComponent(text));
      $("#queue-title").textContent = `Kết quả tìm "${text}"`;
      showRows(arr(r.cases).map(obj));
    } catch (e) { showError(main(), e); }
  });
  const { rows } = await queueRows(q);
  showRows(rows);
  // The counts on the tabs, one list each (a count past the limit shows as "500+").
  for (const x of QUEUES) {
    const { rows: n, truncated } = x.id === q.id ? { rows, truncated: false } : await queueRows(x);
    const badge = document.querySelector(`.tabs [data-n="${x.id}"]`);
    if (badge) badge.textContent = String(n.length) + (truncated ? "+" : "");
  }
}

// An officer's own work: the cases given to her, those of them due within a working day, and
// those overdue.
async function viewWork() {
  const me = encodeURIComponent(str(obj(session.me).login));
  const parts = [["mine", "Hồ sơ được phân công cho tôi", `assigned=${me}`],
    ["mine-soon", "Sắp đến hạn (trong 1 ngày làm việc)", `assigned=${me}&due_soon=true`],
    ["mine-late", "Quá hạn", `assigned=${me}&overdue=true`]];
  show(main(), el("h1", {}, "Việc của tôi"), parts.map(([id, title]) => [el("h2", {}, title), el("div", { id })]));
  for (const [id, , query] of parts) {
    const r = await listCases(`limit=${QUEUE_LIMIT}&${query}`);
    showRows(arr(r.cases).map(obj), $("#" + id));
  }
}

function showRows(rows, where = $("#queue")) {
  const late = (c) => c.overdue === true;
  show(where, rows.length === 0 ? el("p", {}, "Không có hồ sơ.") :
    el("table", {},
      el("tr", {}, ["Mã hồ sơ", "Người nộp", "Thủ tục", "Trạng thái", "Hẹn trả"].map((h) => el("th", {}, h))),
      rows.map((c) => el("tr", { class: late(c) ? "overdue" : null },
        el("td", {}, el("a", { href: "#/ho-so/" + encodeURIComponent(str(c.code)) }, str(c.code))),
        el("td", {}, str(c.applicant)),
        el("td", {}, str(c.procedure_name) || str(c.procedure), el("div", { class: "sub" }, str(c.procedure))),
        el("td", {}, label(STATUS, c.status)),
        el("td", { class: late(c) ? "late" : "" }, fmtTime(c.due_at),
          late(c) ? el("span", { class: "badge-late" }, "Quá hạn") : "",
          c.due_soon === true ? el("span", { class: "badge-soon" }, "Sắp đến hạn") : "",
          c.appointment_at ? el("div", { class: "sub" }, "Hẹn lại: " + fmtTime(c.appointment_at)) : "")))));
}

// ---- routing

async function start() {
  session.node = obj(await api("GET", "/v1/node"));
  const me = obj(session.me);
  $("#nav").hidden = false;
  $("#nav a[href='#/tiep-nhan']").hidden = !mayRecord("received");
  $("#who").textContent = `${str(me.name)} — ${label(ROLE, me.role)}`;
  // The build the office runs, for the IT team on the phone: "hoso 0.1.0 (17a7de7)".
  const n = obj(session.node);
  const f = $("#footer");
  f.textContent = str(n.version) ? `hoso ${str(n.version)} (${str(n.commit) || "?"})` : "";
  f.hidden = !str(n.version);
  refreshBanner();
}

async function route() {
  const [, page, arg, arg2] = (location.hash || "#/").split("/");
  if (!session.me) {
    try { session.me = await api("GET", "/v1/me"); await start(); } catch (e) { viewLogin(); return; }
  }
  document.querySelectorAll(".nav a").forEach((a) => a.classList.toggle("active", a.getAttribute("href") === "#/" + page));
  try {
    if (page === "phieu") await viewForm(main(), "01", decodeURIComponent(arg));
    else if (page === "mau") await viewForm(main(), arg, decodeURIComponent(arg2 || ""));
    else if (page === "so-theo-doi") await viewRegister(main());
    else if (page === "viec-cua-toi") await viewWork();
    else if (page === "hang-doi") await viewQueues(arg);
    else if (page === "ho-so") await viewCase(main(), decodeURIComponent(arg));
    else if (page === "bao-cao") await viewReports(main());
    else if (page === "mang-luoi") await viewNetwork(main());
    else if (page === "dang-nhap") viewLogin();
    else if (mayRecord("received")) viewReception();
    else location.hash = home();
  } catch (e) { showError(main(), e); }
}

$("#logout").addEventListener("click", async () => {
  try { await api("POST", "/v1/logout"); } catch (e) { /* gone anyway */ }
  viewLogin();
  location.hash = "#/dang-nhap";
});
window.addEventListener("hashchange", route);
setInterval(refreshBanner, 10000);
route();
