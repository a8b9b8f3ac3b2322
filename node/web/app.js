// The office web app: reception, queues, a case's page, reports, and a sync banner.
// Plain JavaScript, no dependencies; it talks to the node's local API (docs/api.md) with the
// session cookie set by POST /v1/login.
"use strict";

const STATUS = {
  submitted: "Mới nộp trực tuyến", received: "Đã tiếp nhận", refused: "Từ chối tiếp nhận",
  posted_to_agency: "Đã chuyển bưu điện đến cơ quan", agency_received: "Cơ quan đã nhận",
  forwarded: "Đã chuyển cơ quan giải quyết", processing: "Đang giải quyết",
  supplement_requested: "Chờ bổ sung", fees_due: "Chờ nộp phí", withdrawn: "Công dân rút hồ sơ",
  stopped: "Dừng giải quyết", result_ready: "Đã có kết quả",
  dispatched: "Đã gửi kết quả qua bưu điện", undeliverable: "Bưu điện không phát được",
  delivered: "Đã phát kết quả", returned: "Đã trả kết quả tại quầy", closed: "Đã lưu trữ",
};
const CHANNEL = { counter: "Trực tiếp tại quầy", online: "Trực tuyến", postal: "Qua bưu điện" };
const ROLE = { reception: "Cán bộ tiếp nhận", processing: "Cán bộ xử lý", head: "Lãnh đạo",
               auditor: "Thanh tra (chỉ xem)" };

const $ = (sel, root = document) => root.querySelector(sel);
const main = () => $("#main");
let me = null;
let node = null;

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;",
    '"': "&quot;", "'": "&#39;" }[c]));
}

function fmtTime(v) {
  if (v === undefined || v === null || v === "") return "";
  const d = new Date(typeof v === "number" ? v : Date.parse(v));
  if (isNaN(d)) return "";
  // Vietnam's time (+07:00) whatever the PC's zone.
  const t = new Date(d.getTime() + 7 * 3600 * 1000);
  const p = (n) => String(n).padStart(2, "0");
  return `${p(t.getUTCHours())}:${p(t.getUTCMinutes())} ${p(t.getUTCDate())}/${p(t.getUTCMonth() + 1)}/${t.getUTCFullYear()}`;
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method, credentials: "same-origin",
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (res.status === 401 && path !== "/v1/login") {
    me = null;
    location.hash = "#/dang-nhap";
  }
  if (!res.ok) {
    const err = new Error((data && (data.message || data.reason)) || `Lỗi ${res.status}`);
    err.data = data;
    throw err;
  }
  return data;
}

function showError(where, e) {
  const box = document.createElement("div");
  box.className = "error";
  box.setAttribute("role", "alert");
  box.textContent = e.message;
  where.querySelectorAll(".error").forEach((x) => x.remove());
  where.prepend(box);
}

// ---- banner: online/offline, last sync, events waiting upstream, clock skew

async function refreshBanner() {
  const b = $("#banner");
  if (!me) { b.textContent = "Hệ thống quản lý hồ sơ thủ tục hành chính"; return; }
  try {
    const s = await api("GET", "/v1/sync/status");
    const up = s.peers.filter((p) => p.direction === "upstream");
    const waiting = up.reduce((n, p) => n + p.events_behind, 0);
    const skew = Math.max(0, ...s.peers.filter((p) => p.connected).map((p) => Math.abs(p.clock_skew_ms)));
    const state = s.state === "online" ? "Đang kết nối" : s.state === "offline" ? "Mất kết nối" : "Nút gốc";
    b.className = "banner" + (s.state === "offline" ? " offline" : "");
    b.innerHTML = `<span id="sync-state">${state}${s.since ? " từ " + fmtTime(s.since) : ""}</span>` +
      `<span>Đồng bộ gần nhất: ${s.last_success ? fmtTime(s.last_success) : "chưa có"}</span>` +
      `<span id="waiting">Sự kiện chờ gửi lên: ${waiting}</span>` +
      (skew > 60000 ? `<span class="warn">Cảnh báo: đồng hồ máy lệch ${Math.round(skew / 1000)} giây</span>` : "") +
      `<span>${esc(node ? node.name || node.unit : "")}</span>`;
  } catch (e) { /* the next tick tries again */ }
}

// ---- login

function viewLogin() {
  $("#nav").hidden = true;
  main().innerHTML = `
    <h1>Đăng nhập</h1>
    <form id="login" class="grid" autocomplete="on">
      <label for="login-name">Tên đăng nhập</label><input id="login-name" required autofocus>
      <label for="login-password">Mật khẩu</label><input id="login-password" type="password" required>
      <div class="actions"><button type="submit">Đăng nhập</button></div>
    </form>`;
  $("#login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      me = await api("POST", "/v1/login", { login: $("#login-name").value.trim(),
                                             password: $("#login-password").value });
      await start();
      location.hash = me.role === "processing" || me.role === "auditor" ? "#/hang-doi" : "#/tiep-nhan";
    } catch (e) { showError(main(), e); }
  });
}

// ---- reception

function viewReception() {
  main().innerHTML = `
    <h1>Tiếp nhận hồ sơ</h1>
    <form id="reception" class="grid">
      <label for="procedure">Thủ tục</label>
      <div class="full"><input id="procedure" placeholder="Gõ mã hoặc tên thủ tục, có dấu hoặc không dấu" autocomplete="off" style="width:100%">
        <div id="suggest" class="suggest" hidden></div><div id="proc-info"></div></div>
      <label for="name">Họ tên người nộp</label><input id="name" required>
      <label for="id_no">Số định danh cá nhân</label><input id="id_no" inputmode="numeric">
      <label for="phone">Số điện thoại</label><input id="phone" inputmode="tel">
      <label for="email">Thư điện tử</label><input id="email" type="email">
      <label for="address">Địa chỉ</label><input id="address" class="full">
      <label for="channel">Hình thức tiếp nhận</label>
      <select id="channel"><option value="counter">Trực tiếp tại quầy</option>
        <option value="postal">Qua bưu điện</option><option value="online">Trực tuyến</option></select>
      <label for="by-post">Trả kết quả qua bưu điện</label><input id="by-post" type="checkbox" style="justify-self:start">
      <label for="return-address">Địa chỉ nhận kết quả</label><input id="return-address" class="full" disabled>
      <label>Thành phần hồ sơ</label><div id="docs" class="docs full"><em>Chọn thủ tục để hiện danh mục giấy tờ.</em></div>
      <label for="note">Ghi chú</label><input id="note" class="full">
      <div class="actions"><button type="submit" id="receive">Tiếp nhận và in phiếu hẹn</button></div>
    </form>`;
  let chosen = null;
  const input = $("#procedure"), box = $("#suggest");
  let timer = null, items = [], sel = -1;
  const choose = (p) => {
    chosen = p;
    input.value = `${p.code} — ${p.name}`;
    box.hidden = true;
    $("#proc-info").textContent = `${p.agency} · ${p.days} ngày ${p.working_days ? "làm việc" : ""} · ` +
      `lệ phí ${p.fee.toLocaleString("vi-VN")} đ · ${p.postal ? "được thực hiện qua bưu điện" : "KHÔNG thực hiện qua bưu điện"}`;
    $("#docs").innerHTML = p.documents.map((d, i) =>
      `<label><input type="checkbox" class="doc" data-name="${esc(d)}" id="doc-${i}"> ${esc(d)}
        <select class="kind" aria-label="Loại giấy tờ"><option value="copy">bản sao</option><option value="original">bản chính</option></select></label>`).join("");
  };
  input.addEventListener("input", () => {
    chosen = null;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = input.value.trim();
      if (!q) { box.hidden = true; return; }
      const r = await api("GET", "/v1/catalogue?limit=10&q=" + encodeURIComponent(q));
      items = r.procedures; sel = -1;
      box.innerHTML = items.map((p, i) => `<div data-i="${i}">${esc(p.code)} — ${esc(p.name)}</div>`).join("");
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
      location.hash = "#/phieu/" + encodeURIComponent(c.code);
    } catch (e) { showError(main(), e); }
  });
}

// ---- receipt and appointment slip (Form 01)

async function viewSlip(code) {
  const c = await api("GET", "/v1/cases/" + encodeURIComponent(code));
  const f = c.fields, a = f.applicant || {};
  const docs = (f.documents || []).map((d, i) =>
    `<tr><td>${i + 1}</td><td>${esc(d.name)}</td><td>${d.kind === "original" ? "Bản chính" : "Bản sao"}</td><td class="num">${d.count}</td></tr>`).join("");
  main().innerHTML = `
    <div class="noprint" style="margin-bottom:8px"><button id="print">In phiếu</button>
      <a href="#/ho-so/${encodeURIComponent(code)}">Xem hồ sơ</a> · <a href="#/tiep-nhan">Tiếp nhận hồ sơ khác</a></div>
    <div class="slip" id="slip">
      <div class="head"><div>${esc(node.name || node.unit)}<br><b>BỘ PHẬN MỘT CỬA</b></div>
        <div><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b><br><u>Độc lập - Tự do - Hạnh phúc</u></div></div>
      <h1>Giấy tiếp nhận hồ sơ và hẹn trả kết quả</h1>
      <p>Mã hồ sơ: <b id="slip-code">${esc(c.code)}</b></p>
      <p>Tiếp nhận hồ sơ của: <b>${esc(a.name)}</b>${a.id_no ? " — Số định danh: " + esc(a.id_no) : ""}</p>
      <p>Địa chỉ: ${esc(a.address)}${a.phone ? " — Điện thoại: " + esc(a.phone) : ""}${a.email ? " — Thư điện tử: " + esc(a.email) : ""}</p>
      <p>Nội dung yêu cầu giải quyết: ${esc(f.procedure_name || f.procedure)} (mã ${esc(f.procedure)})</p>
      <table><tr><th>TT</th><th>Tên giấy tờ</th><th>Bản chính / bản sao</th><th>Số lượng</th></tr>${docs || '<tr><td colspan="4">(không ghi)</td></tr>'}</table>
      <p>Số bộ hồ sơ: 01. Hình thức tiếp nhận: ${CHANNEL[f.channel] || esc(f.channel)}.</p>
      <p>Thời gian nhận hồ sơ: <b>${fmtTime(f.received_at)}</b></p>
      <p>Thời gian trả kết quả: <b id="slip-due">${f.due_at ? fmtTime(f.due_at) : "theo quy định"}</b></p>
      <p>Nơi nhận kết quả: ${f.return_by_post ? "qua dịch vụ bưu chính, tại địa chỉ " + esc(f.return_address) : "tại Bộ phận Một cửa"}</p>
      <p>Lệ phí: ${Number(f.fee || 0).toLocaleString("vi-VN")} đồng.</p>
      <div class="sign"><div><b>NGƯỜI NỘP HỒ SƠ</b><br>(Ký và ghi rõ họ tên)</div>
        <div><b>NGƯỜI TIẾP NHẬN HỒ SƠ</b><br>(Ký và ghi rõ họ tên)<br><br><br>${esc(c.history[0].officer)}</div></div>
    </div>`;
  $("#print").addEventListener("click", () => window.print());
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
  main().innerHTML = `<h1>Hàng đợi hồ sơ</h1>
    <form id="search" class="grid"><label for="q">Tìm hồ sơ</label>
      <input id="q" class="full" placeholder="Mã hồ sơ, hoặc họ tên người nộp (có dấu hoặc không dấu)"></form>
    <div class="tabs">${QUEUES.map((x) =>
    `<button type="button" data-q="${x.id}" class="${x.id === q.id ? "active" : "secondary"}">${x.title}</button>`).join("")}</div>
    <div id="queue">Đang tải…</div>`;
  main().querySelectorAll(".tabs button").forEach((b) => b.addEventListener("click", () => { location.hash = "#/hang-doi/" + b.dataset.q; }));
  $("#search").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = $("#q").value.trim();
    if (!text) return;
    try {
      await api("GET", "/v1/cases/" + encodeURIComponent(text));
      location.hash = "#/ho-so/" + encodeURIComponent(text);
    } catch (e) {
      showRows((await api("GET", "/v1/cases?limit=200&applicant=" + encodeURIComponent(text))).cases);
    }
  });
  const queries = typeof q.queries === "function" ? q.queries() : q.queries;
  const rows = [];
  for (const query of queries) rows.push(...(await api("GET", "/v1/cases?limit=500&" + query)).cases);
  showRows(rows);
}

function showRows(rows) {
  $("#queue").innerHTML = rows.length === 0 ? "<p>Không có hồ sơ.</p>" :
    `<table><tr><th>Mã hồ sơ</th><th>Người nộp</th><th>Thủ tục</th><th>Trạng thái</th><th>Hẹn trả</th></tr>${rows.map((c) =>
      `<tr><td><a href="#/ho-so/${encodeURIComponent(c.code)}">${esc(c.code)}</a></td><td>${esc(c.applicant)}</td>
      <td>${esc(c.procedure)}</td><td>${STATUS[c.status] || esc(c.status)}</td>
      <td class="${c.overdue ? "late" : ""}">${fmtTime(c.due_at)}${c.overdue ? " (quá hạn)" : ""}</td></tr>`).join("")}</table>`;
}

// ---- a case: history, conflicts, record a step

async function viewCase(code) {
  const c = await api("GET", "/v1/cases/" + encodeURIComponent(code));
  const f = c.fields, a = f.applicant || {};
  const steps = c.allowed_next.map((s) => `<option value="${s}">${STATUS[s] || s}</option>`).join("");
  main().innerHTML = `
    <h1>Hồ sơ ${esc(c.code)}</h1>
    <table>
      <tr><th>Trạng thái</th><td id="case-status">${STATUS[f.status] || esc(f.status)}</td><th>Đơn vị tiếp nhận</th><td>${esc(c.office)}</td></tr>
      <tr><th>Người nộp</th><td>${esc(a.name)}</td><th>Thủ tục</th><td>${esc(f.procedure_name || f.procedure)}</td></tr>
      <tr><th>Tiếp nhận</th><td>${fmtTime(f.received_at)} (${CHANNEL[f.channel] || esc(f.channel)})</td><th>Hẹn trả</th><td>${fmtTime(f.due_at)}</td></tr>
      <tr><th>Trả kết quả</th><td>${f.return_by_post ? "Qua bưu điện: " + esc(f.return_address) : "Tại quầy"}</td><th>Mã vận đơn</th><td>${esc(f.tracking)}</td></tr>
    </table>
    ${c.conflicts.length ? `<h2>Xung đột cần giải quyết</h2><ul>${c.conflicts.map((x) =>
      `<li><b>${esc(x.field)}</b>: ${x.candidates.map((k) => `${esc(JSON.stringify(k.value))} (${esc(k.officer)}, ${esc(k.origin)}, ${fmtTime(k.at)})${k.winner ? " — đang áp dụng" : ""}`).join("; ")}
      — ghi bước tiếp theo để xác nhận.</li>`).join("")}</ul>` : ""}
    <h2>Ghi bước xử lý</h2>
    ${c.allowed_next.length === 0 ? "<p>Hồ sơ đã kết thúc.</p>" : `
    <form id="step" class="grid">
      <label for="next">Bước tiếp theo</label><select id="next">${steps}</select>
      <label for="tracking">Mã vận đơn</label><input id="tracking" placeholder="Bắt buộc khi gửi qua bưu điện">
      <label for="step-note">Ghi chú</label><input id="step-note" class="full">
      <div class="actions"><button type="submit" id="record">Ghi bước</button></div>
    </form>`}
    <h2>Lịch sử xử lý</h2>
    <ol class="timeline">${c.history.map((h) => `<li>${fmtTime(h.at)} — <b>${STATUS[h.changes.status] || esc(h.type)}</b>
      — ${esc(h.officer)} (đơn vị ${esc(h.office)})${h.changes.tracking ? " — vận đơn " + esc(h.changes.tracking) : ""}${h.changes.note ? " — " + esc(h.changes.note) : ""}</li>`).join("")}</ol>
    <p class="noprint"><a href="#/phieu/${encodeURIComponent(c.code)}">Phiếu hẹn trả kết quả</a></p>`;
  const form = $("#step");
  if (form) form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { status: $("#next").value };
    if ($("#tracking").value.trim()) body.tracking = $("#tracking").value.trim();
    if ($("#step-note").value.trim()) body.note = $("#step-note").value.trim();
    try {
      await api("POST", `/v1/cases/${encodeURIComponent(code)}/steps`, body);
      await viewCase(code);
      const ok = document.createElement("div");
      ok.className = "ok"; ok.textContent = "Đã ghi bước: " + (STATUS[body.status] || body.status);
      main().prepend(ok);
    } catch (e) { showError(main(), e); }
  });
}

// ---- reports

async function viewReports() {
  const now = new Date(Date.now() + 7 * 3600 * 1000);
  const month = (d) => `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
  const from = sessionStorage.getItem("from") || `${now.getUTCFullYear()}-01`;
  const to = sessionStorage.getItem("to") || month(now);
  main().innerHTML = `<h1>Báo cáo tình hình giải quyết hồ sơ</h1>
    <form id="period" class="grid"><label for="from">Từ tháng</label><input id="from" type="month" value="${from}">
      <label for="to">Đến tháng</label><input id="to" type="month" value="${to}">
      <div class="actions"><button type="submit">Xem báo cáo</button> <a id="csv" href="#">Tải CSV</a></div></form>
    <div id="report">Đang tải…</div>`;
  $("#period").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem("from", $("#from").value); sessionStorage.setItem("to", $("#to").value);
    viewReports();
  });
  const query = `from=${from}&to=${to}&by=unit,month`;
  $("#csv").href = "/v1/report?format=csv&" + query;
  $("#csv").setAttribute("download", `bao-cao-${from}-${to}.csv`);
  const r = await api("GET", "/v1/report?" + query);
  const pct = (x) => (100 * x).toFixed(1) + "%";
  const line = (row, label) => {
    const rec = row.received, res = row.resolved, pr = row.in_progress;
    return `<tr><td>${label}</td><td class="num">${rec.total}</td><td class="num">${rec.online}</td><td class="num">${rec.in_person}</td>
      <td class="num">${rec.postal}</td><td class="num">${rec.carried_over}</td><td class="num">${res.total}</td><td class="num">${res.early}</td>
      <td class="num">${res.on_time}</td><td class="num">${res.late}</td><td class="num">${pr.on_time}</td><td class="num">${pr.late}</td>
      <td class="num">${pct(row.on_time_rate)}</td><td class="num">${pct(row.postal_share)}</td></tr>`;
  };
  const rows = r.rows;
  const w = 900, barH = 14, gap = 10, h = Math.max(1, rows.length) * (2 * barH + gap) + 30;
  const bars = rows.map((row, i) => {
    const y = 20 + i * (2 * barH + gap);
    return `<text x="0" y="${y + barH}" font-size="12">${esc(row.unit)} ${esc(row.month)}</text>
      <rect x="160" y="${y}" width="${(w - 260) * row.on_time_rate}" height="${barH}" fill="#2c5f2d"></rect>
      <text x="${165 + (w - 260) * row.on_time_rate}" y="${y + barH - 2}" font-size="11">${pct(row.on_time_rate)}</text>
      <rect x="160" y="${y + barH}" width="${(w - 260) * row.postal_share}" height="${barH}" fill="#d08c00"></rect>
      <text x="${165 + (w - 260) * row.postal_share}" y="${y + 2 * barH - 2}" font-size="11">${pct(row.postal_share)}</text>`;
  }).join("");
  $("#report").innerHTML = `
    <table><tr><th rowspan="2">Đơn vị / tháng</th><th colspan="5">Tiếp nhận</th><th colspan="4">Đã giải quyết</th><th colspan="2">Đang giải quyết</th><th rowspan="2">Tỷ lệ đúng hạn</th><th rowspan="2">Tỷ lệ qua bưu điện</th></tr>
      <tr><th>Tổng</th><th>Trực tuyến</th><th>Trực tiếp</th><th>Bưu điện</th><th>Kỳ trước chuyển sang</th><th>Tổng</th><th>Trước hạn</th><th>Đúng hạn</th><th>Quá hạn</th><th>Trong hạn</th><th>Quá hạn</th></tr>
      ${rows.map((row) => line(row, `${esc(row.unit)} ${esc(row.month)}`)).join("")}${line(r.total, "<b>Tổng cộng</b>")}</table>
    <h2>Tỷ lệ đúng hạn (xanh) và tỷ lệ qua bưu điện (vàng)</h2>
    <svg class="chart" width="${w}" height="${h}" role="img" aria-label="Biểu đồ tỷ lệ đúng hạn và qua bưu điện">${bars}</svg>`;
}

// ---- routing

async function start() {
  node = await api("GET", "/v1/node");
  $("#nav").hidden = false;
  $("#who").textContent = `${me.name} — ${ROLE[me.role] || me.role}`;
  refreshBanner();
}

async function route() {
  const [, page, arg] = (location.hash || "#/").split("/");
  if (!me) {
    try { me = await api("GET", "/v1/me"); await start(); } catch (e) { viewLogin(); return; }
  }
  document.querySelectorAll(".nav a").forEach((a) => a.classList.toggle("active", a.getAttribute("href") === "#/" + page));
  try {
    if (page === "phieu") await viewSlip(decodeURIComponent(arg));
    else if (page === "hang-doi") await viewQueues(arg);
    else if (page === "ho-so") await viewCase(decodeURIComponent(arg));
    else if (page === "bao-cao") await viewReports();
    else if (page === "dang-nhap") viewLogin();
    else viewReception();
  } catch (e) { showError(main(), e); }
}

$("#logout").addEventListener("click", async () => {
  try { await api("POST", "/v1/logout"); } catch (e) { /* gone anyway */ }
  me = null;
  location.hash = "#/dang-nhap";
});
window.addEventListener("hashchange", route);
setInterval(refreshBanner, 10000);
route();
