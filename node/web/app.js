// The office web app: reception, queues, a case's page, reports, and a sync banner.
// Plain JavaScript modules, no dependencies; it talks to the node's local API (docs/api.md)
// with the session cookie set by POST /v1/login. Every screen is built with el() (dom.js):
// data is only ever text, never markup (docs/web-app.md, "Rendering").
import { $, el, show, str, arr, obj, label, fmtTime, api, showError, session } from "./dom.js";
import { viewSlip, viewCase, STATUS } from "./case.js";
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
    const state = s.state === "online" ? "Đang kết nối" : s.state === "offline" ? "Mất kết nối" : "Nút gốc";
    b.className = "banner" + (s.state === "offline" ? " offline" : "");
    const n = obj(session.node);
    show(b,
      el("span", { id: "sync-state" }, state, s.since ? " từ " + fmtTime(s.since) : ""),
      el("span", {}, "Đồng bộ gần nhất: ", s.last_success ? fmtTime(s.last_success) : "chưa có"),
      el("span", { id: "waiting" }, "Sự kiện chờ gửi lên: ", String(waiting)),
      skew > 60000 ? el("span", { class: "warn" }, `Cảnh báo: đồng hồ máy lệch ${Math.round(skew / 1000)} giây`) : null,
      clocksAheadNotice(arr(s.clocks_ahead).map(obj)),
      selfCheckNotice(obj(s.self_check)),
      el("span", {}, str(n.name) || str(n.unit)));
  } catch (e) { /* the next tick tries again */ }
}

// ---- login

function viewLogin() {
  $("#nav").hidden = true;
  show(main(),
    el("h1", {}, "Đăng nhập"),
    el("form", { id: "login", class: "grid", autocomplete: "on", onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        session.me = await api("POST", "/v1/login", { login: $("#login-name").value.trim(),
                                                      password: $("#login-password").value });
        await start();
        location.hash = session.me.role === "processing" || session.me.role === "auditor" ? "#/hang-doi" : "#/tiep-nhan";
      } catch (e) { showError(main(), e); }
    } },
      el("label", { for: "login-name" }, "Tên đăng nhập"), el("input", { id: "login-name", required: true, autofocus: true }),
      el("label", { for: "login-password" }, "Mật khẩu"), el("input", { id: "login-password", type: "password", required: true }),
      el("div", { class: "actions" }, el("button", { type: "submit" }, "Đăng nhập"))));
  $("#login-name").focus();
}

// ---- reception

function viewReception() {
  const field = (id, text, attrs = {}) => [el("label", { for: id }, text), el("input", { id, ...attrs })];
  show(main(),
    el("h1", {}, "Tiếp nhận hồ sơ"),
    el("form", { id: "reception", class: "grid" },
      el("label", { for: "procedure" }, "Thủ tục"),
      el("div", { class: "full" },
        el("input", { id: "procedure", placeholder: "Gõ mã hoặc tên thủ tục, có dấu hoặc không dấu", autocomplete: "off" }),
        el("div", { id: "suggest", class: "suggest", hidden: true }), el("div", { id: "proc-info" })),
      field("name", "Họ tên người nộp", { required: true }),
      field("id_no", "Số định danh cá nhân", { inputmode: "numeric" }),
      field("phone", "Số điện thoại", { inputmode: "tel" }),
      field("email", "Thư điện tử", { type: "email" }),
      field("address", "Địa chỉ", { class: "full" }),
      el("label", { for: "channel" }, "Hình thức tiếp nhận"),
      el("select", { id: "channel" }, el("option", { value: "counter" }, "Trực tiếp tại quầy"),
        el("option", { value: "postal" }, "Qua bưu điện"), el("option", { value: "online" }, "Trực tuyến")),
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
    input.value = `${str(p.code)} — ${str(p.name)}`;
    box.hidden = true;
    const fee = Number.isSafeInteger(p.fee) ? p.fee.toLocaleString("vi-VN") : "không rõ";
    $("#proc-info").textContent = `${str(p.agency)} · ${str(p.days)} ngày ${p.working_days ? "làm việc" : ""} · ` +
      `lệ phí ${fee} đ · ${p.postal ? "được thực hiện qua bưu điện" : "KHÔNG thực hiện qua bưu điện"}`;
    show($("#docs"), arr(p.documents).map((d, i) => el("label", {},
      el("input", { type: "checkbox", class: "doc", "data-name": str(d), id: `doc-${i}` }), " ", str(d), " ",
      el("select", { class: "kind", "aria-label": "Loại giấy tờ" },
        el("option", { value: "copy" }, "bản sao"), el("option", { value: "original" }, "bản chính")))));
  };
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
  $("#reception").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!chosen) { showError(main(), new Error("Vui lòng chọn thủ tục trong danh mục.")); return; }
    const applicant = { name: $("#name").value.trim() };
    for (const f of ["id_no", "phone", "email", "address"]) if ($("#" + f).value.trim()) applicant[f] = $("#" + f).value.trim();
    const documents = [...document.querySelectorAll(".doc")].filter((c) => c.checked)
      .map((c) => ({ name: c.dataset.name, kind: c.parentElement.querySelector(".kind").value, count: 1 }));
    const body = { procedure: chosen.code, applicant, channel: $("#channel").value, documents };
    if ($("#by-post").checked) { body.return_by_post = true; body.return_address = $("#return-address").value.trim(); }
    if ($("#note").value.trim()) body.note = $("#note").value.trim();
    try {
      const c = await api("POST", "/v1/cases", body);
      location.hash = "#/phieu/" + encodeURIComponent(str(c.code));
    } catch (e) { showError(main(), e); }
  });
}

// ---- queues

const QUEUES = [
  { id: "post", title: "Chờ chuyển bưu điện", queries: ["status=received"] },
  { id: "agency", title: "Tại cơ quan giải quyết",
    queries: ["status=posted_to_agency", "status=agency_received", "status=forwarded", "status=processing"] },
  { id: "supplement", title: "Chờ bổ sung", queries: ["status=supplement_requested"] },
  { id: "result", title: "Có kết quả, chờ trả", queries: ["status=result_ready", "status=dispatched", "status=undeliverable"] },
  { id: "soon", title: "Sắp đến hạn (2 ngày)", queries: () => [`due_after=${Date.now()}&due_before=${Date.now() + 2 * 86400000}`] },
  { id: "late", title: "Quá hạn", queries: ["overdue=true"] },
];

async function viewQueues(which) {
  const q = QUEUES.find((x) => x.id === which) || QUEUES[0];
  show(main(),
    el("h1", {}, "Hàng đợi hồ sơ"),
    el("form", { id: "search", class: "grid" }, el("label", { for: "q" }, "Tìm hồ sơ"),
      el("input", { id: "q", class: "full", placeholder: "Mã hồ sơ, hoặc họ tên người nộp (có dấu hoặc không dấu)" })),
    el("div", { class: "tabs" }, QUEUES.map((x) => el("button", {
      type: "button", "data-q": x.id, class: x.id === q.id ? "active" : "secondary",
      onclick: () => { location.hash = "#/hang-doi/" + x.id; } }, x.title))),
    el("div", { id: "queue" }, "Đang tải…"));
  const list = async (query) => arr(obj(await api("GET", "/v1/cases?" + query)).cases).map(obj);
  $("#search").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = $("#q").value.trim();
    if (!text) return;
    try {
      await api("GET", "/v1/cases/" + encodeURIComponent(text));
      location.hash = "#/ho-so/" + encodeURIComponent(text);
    } catch (e) {
      showRows(await list("limit=200&applicant=" + encodeURIComponent(text)));
    }
  });
  const queries = typeof q.queries === "function" ? q.queries() : q.queries;
  const rows = [];
  for (const query of queries) rows.push(...await list("limit=500&" + query));
  showRows(rows);
}

function showRows(rows) {
  const late = (c) => c.overdue === true;
  show($("#queue"), rows.length === 0 ? el("p", {}, "Không có hồ sơ.") :
    el("table", {},
      el("tr", {}, ["Mã hồ sơ", "Người nộp", "Thủ tục", "Trạng thái", "Hẹn trả"].map((h) => el("th", {}, h))),
      rows.map((c) => el("tr", {},
        el("td", {}, el("a", { href: "#/ho-so/" + encodeURIComponent(str(c.code)) }, str(c.code))),
        el("td", {}, str(c.applicant)),
        el("td", {}, str(c.procedure)),
        el("td", {}, label(STATUS, c.status)),
        el("td", { class: late(c) ? "late" : "" }, fmtTime(c.due_at), late(c) ? " (quá hạn)" : "")))));
}

// ---- routing

async function start() {
  session.node = obj(await api("GET", "/v1/node"));
  const me = obj(session.me);
  $("#nav").hidden = false;
  $("#who").textContent = `${str(me.name)} — ${label(ROLE, me.role)}`;
  // The build the office runs, for the IT team on the phone: "hoso 0.1.0 (17a7de7)".
  const n = obj(session.node);
  const f = $("#footer");
  f.textContent = str(n.version) ? `hoso ${str(n.version)} (${str(n.commit) || "?"})` : "";
  f.hidden = !str(n.version);
  refreshBanner();
}

async function route() {
  const [, page, arg] = (location.hash || "#/").split("/");
  if (!session.me) {
    try { session.me = await api("GET", "/v1/me"); await start(); } catch (e) { viewLogin(); return; }
  }
  document.querySelectorAll(".nav a").forEach((a) => a.classList.toggle("active", a.getAttribute("href") === "#/" + page));
  try {
    if (page === "phieu") await viewSlip(main(), decodeURIComponent(arg));
    else if (page === "hang-doi") await viewQueues(arg);
    else if (page === "ho-so") await viewCase(main(), decodeURIComponent(arg));
    else if (page === "bao-cao") await viewReports(main());
    else if (page === "mang-luoi") await viewNetwork(main());
    else if (page === "dang-nhap") viewLogin();
    else viewReception();
  } catch (e) { showError(main(), e); }
}

$("#logout").addEventListener("click", async () => {
  try { await api("POST", "/v1/logout"); } catch (e) { /* gone anyway */ }
  session.me = null;
  location.hash = "#/dang-nhap";
});
window.addEventListener("hashchange", route);
setInterval(refreshBanner, 10000);
route();
