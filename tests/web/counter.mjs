// The clerk's counter in headless Chromium against the real nodes (issue 21): every form
// rendered and checked for its fields, printed to PDF and checked for one page of its size;
// search by each key; each role's screen; logout; the late flow (due soon, overdue, Form 04);
// a real conflict (the commune's node restarted without its upstream writes while the
// district writes) settled by the head in plain words; the report judged at min(now, end of period).
import { spawn } from "node:child_process";
import { existsSync, openSync, readFileSync } from "node:fs";

const A5 = [419.5, 595.3], A4_ACROSS = [841.9, 595.3];

let t;  // { commune, district, dir, artifacts, check, shot, login, waitForCase, token, ... }

const api = async (url, method, path, body, token = t.token) => {
  const res = await fetch(url + path, {
    method, headers: { Authorization: "Bearer " + token, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => null);
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};
const runFile = (unit) => JSON.parse(readFileSync(`${t.dir}/nodes/${unit}/run.json`, "utf8"));
const alive = async (url) => (await fetch(url + "/healthz").catch(() => null))?.ok === true;

// Stops a node (SIGTERM) and starts it again as it was started, or without its upstream.
const started = {};
async function restart(unit, { offline }) {
  const { pid, api: address } = runFile(unit);
  started[unit] ??= readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, -1);
  const url = unit === "30280" ? t.commune : t.district;
  process.kill(pid, "SIGTERM");
  // Stopped once its run file is gone (removed last, after the store is closed).
  await waitUntil(`${unit} to stop`, async () => !existsSync(`${t.dir}/nodes/${unit}/run.json`));
  const [binary, ...args] = started[unit];
  const log = openSync(`${t.dir}/nodes/${unit}/node.log`, "a");
  // The same API address (the pages' URLs), with or without the link upstream.
  const flags = [...args, "--api", address, ...(offline ? ["--upstream", ""] : [])];
  const child = spawn(binary, flags, { detached: true, stdio: ["ignore", log, log] });
  child.unref();
  try {
    await waitUntil(`${unit} to start`, async () => runFile(unit).pid === child.pid && (await alive(url)), 60);
  } catch (e) {
    const tail = readFileSync(`${t.dir}/nodes/${unit}/node.log`, "utf8").split("\n").slice(-8).join("\n");
    throw new Error(`${e.message}; ${binary} ${flags.join(" ")}:\n${tail}`);
  }
}
const later = (ms) => new Date(Date.now() + ms).toISOString();

async function waitUntil(what, fn, tries = 180) {
  for (let i = 0; i < tries; ++i) {
    if (await fn().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("e2e: timed out waiting for " + what);
}

// The page printed to PDF as Chromium prints it: its pages and their size in points.
async function printed(page, name) {
  await page.emulateMedia({ media: "print" });
  const pdf = (await page.pdf({ path: `${t.artifacts}/${name}.pdf`, preferCSSPageSize: true, printBackground: true }))
    .toString("latin1");
  await page.emulateMedia({ media: "screen" });
  const pages = (pdf.match(/\/Type\s*\/Page(?![s\w])/g) || []).length;
  const box = /\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]/.exec(pdf);
  return { pages, size: box ? [Number(box[1]), Number(box[2])] : [0, 0] };
}

async function checkPrinted(page, name, size, what) {
  const p = await printed(page, name);
  const near = (a, b) => Math.abs(a - b) < 2;
  t.check(p.pages === 1 && near(p.size[0], size[0]) && near(p.size[1], size[1]),
          `${what} prints on one page of ${size === A5 ? "A5" : "A4 across"} (${p.pages} page(s), ${p.size.join("×")} pt)`);
}

async function form(page, url, path, selector, name) {
  await page.goto(url + path);
  await page.waitForSelector(selector);
  await page.waitForLoadState("networkidle");
  await t.shot(page, name);
  return (await page.innerText(selector)).replace(/\s+/g, " ");  // as rendered (upper case)
}

// A case received at the commune through the API, as the clerk nv.lan.
async function receive(name, extra = {}) {
  const c = await api(t.commune, "POST", "/v1/cases", {
    officer: "nv.lan", procedure: "1.001612", channel: "counter",
    applicant: { name, id_no: "079" + String(Date.now()).slice(-9), phone: "0987" + String(Date.now()).slice(-6) },
    documents: [{ name: "Tờ khai", kind: "original", count: 1 }], ...extra,
  });
  return c.code;
}
const step = (url, code, officer, status, extra = {}) =>
  api(url, "POST", `/v1/cases/${encodeURIComponent(code)}/steps`, { officer, status, ...extra }, url === t.commune ? t.token : t.districtToken);
const caseAt = (url, code) => api(url, "GET", `/v1/cases/${encodeURIComponent(code)}`, null, url === t.commune ? t.token : t.districtToken);

export async function counterChecks(context) {
  t = context;
  const { check, commune, district, clerk, code } = t;

  // ---- Form 01, the receipt, of the case the clerk received (postal, with a seal).
  let text = await form(clerk, commune, `/#/phieu/${encodeURIComponent(code)}`, "#slip", "20-mau-01");
  for (const want of ["Mẫu số 01", "UBND PHƯỜNG MỸ BÌNH", "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ", "Mỹ Bình, ngày",
                      "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", "(Liên: 01 giao người nộp; 01 lưu)", "Phạm Thị Thảo",
                      "012345678901", "0912345678", "Nội dung yêu cầu giải quyết:", "(mã 1.001612)", "Bản chính",
                      "Số lượng hồ sơ: 02 (bộ)", "ngày làm việc", "Thời gian nhận hồ sơ:", "Thời gian trả kết quả",
                      "qua dịch vụ bưu chính công ích", "Lệ phí:", "Vào Sổ theo dõi hồ sơ, Quyển số: 01/20", "Số thứ tự: 1",
                      "NGƯỜI TIẾP NHẬN HỒ SƠ", "Nguyễn Thị Lan"]) {
    check(text.includes(want), `Form 01 shows "${want}"`);
  }
  check(/Bản chính\s*2/.test(text), "Form 01 lists each document as original or copy with its count (2)");
  check((await clerk.$$("#slip-qr svg rect")).length > 20, "Form 01 carries the case's QR code");
  await checkPrinted(clerk, "20-mau-01", A5, "Form 01");
  text = await form(clerk, commune, `/#/mau/bk/${encodeURIComponent(code)}`, "#form-bk", "21-bang-ke-buu-chinh");
  check(text.includes("Số hiệu niêm phong: NP-0042") && text.includes("cước dịch vụ bưu chính 15.000 đồng") &&
        text.includes("NHÂN VIÊN BƯU CHÍNH"), "the postal list shows the seal number, the fees collected, both signatures");
  await checkPrinted(clerk, "21-bang-ke-buu-chinh", A5, "the postal list");
  text = await form(clerk, commune, `/#/mau/bg/${encodeURIComponent(code)}`, "#form-bg", "22-bien-ban-ban-giao");
  check(text.includes("BIÊN BẢN BÀN GIAO HỒ SƠ") && text.includes("EA123456789VN") && text.includes("ld.minh") &&
        text.includes("NP-0042"), "the hand-over record names the tracking number, the seal and the agency's officer");
  await checkPrinted(clerk, "22-bien-ban-ban-giao", A5, "the hand-over record");
  text = await form(clerk, commune, `/#/mau/05/${encodeURIComponent(code)}`, "#form-05", "23-mau-05");
  const handovers = await clerk.$$eval("#control-table tr.handover", (rows) => rows.map((r) => r.textContent));
  check(text.includes("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ") && handovers.length >= 2 &&
        handovers.every((h) => /Giao: \d\d:\d\d/.test(h) && /Nhận: \d\d:\d\d/.test(h)),
        `Form 05 lists every hand-over with both sides' times (${handovers.length})`);
  await checkPrinted(clerk, "23-mau-05", A5, "Form 05");

  // ---- Search by each key.
  await clerk.goto(`${commune}/#/hang-doi`);
  await clerk.waitForSelector("#q");
  const found = async (q) => {
    await clerk.evaluate(() => { document.querySelector("#queue-title").textContent = ""; });
    await clerk.fill("#q", q);
    await clerk.keyboard.press("Enter");
    await clerk.waitForSelector('#queue-title:text-matches("^Kết quả")');
    return clerk.$$eval("#queue tr a", (as) => as.map((a) => a.textContent));
  };
  const seq = code.slice(code.lastIndexOf("-") + 1), tail = code.slice(code.indexOf("-") + 1);
  for (const [q, what] of [["thao", "a name's word without diacritics"], ["Thị Thảo", "name words with diacritics"],
                           ["012345678901", "the ID number"], ["0912 345 678", "the phone"], [tail, "the end of the code"],
                           [seq, "the code's number"], ["EB987654321VN", "the (current) tracking number"], [code, "the whole code"]]) {
    const codes = await found(q);
    check(codes[0] === code, `search by ${what} ("${q}") finds the case first (${codes.length} found)`);
  }
  await t.shot(clerk, "24-tim-kiem");

  // ---- Supplement (Form 02) and refusal at the counter (Form 03) by the commune's head.
  let lead = await t.login(commune, "ld.hoa");
  const sup = await receive("Trần Văn Bổ Sung");
  await lead.goto(`${commune}/#/ho-so/${encodeURIComponent(sup)}`);
  await lead.waitForSelector("#next");
  await lead.selectOption("#next", "supplement_requested");
  check(await lead.isVisible("#missing") && await lead.isVisible("#reason"), "a supplement asks what is missing and why");
  await lead.fill("#missing", "Bản sao giấy khai sinh của con");
  await lead.fill("#reason", "Tờ khai ghi có con nhưng hồ sơ chưa có giấy khai sinh");
  await lead.fill("#step-note", "Nộp bổ sung tại quầy hoặc qua bưu điện");
  await lead.click("#record");
  await lead.waitForSelector(".ok");
  text = await form(lead, commune, `/#/mau/02/${encodeURIComponent(sup)}`, "#form-02", "25-mau-02");
  check(text.includes("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ") && text.includes("Bản sao giấy khai sinh của con") &&
        text.includes("Lý do: Tờ khai ghi có con") && text.includes("Nộp bổ sung tại quầy") && text.includes("Lê Thị Hoa"),
        "Form 02 says what is missing, why, how to submit it, and who guided");
  await checkPrinted(lead, "25-mau-02", A5, "Form 02");
  const ref = await receive("Hồ Văn Từ Chối");
  // A file attached between the reception and the refusal is no step: Form 03 reads the status
  // before the refusal, not the entry before it.
  const attached = await fetch(`${commune}/v1/cases/${encodeURIComponent(ref)}/documents?name=to-khai.pdf&officer=nv.lan`, {
    method: "POST", headers: { Authorization: "Bearer " + t.token, "Content-Type": "application/octet-stream" },
    body: Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.alloc(1024, 7), Buffer.from("\n%%EOF\n")]) });
  check(attached.status === 201, `a file is attached before the refusal (${attached.status})`);
  await lead.goto(`${commune}/#/ho-so/${encodeURIComponent(ref)}`);
  await lead.waitForSelector("#next");
  await lead.selectOption("#next", "refused");
  await lead.fill("#reason", "Thủ tục không thuộc thẩm quyền của phường");
  await lead.click("#record");
  await lead.waitForSelector(".ok");
  check((await lead.textContent("#case-status")).includes("Từ chối tiếp nhận"), "a refusal at the counter is 'Từ chối tiếp nhận'");
  text = await form(lead, commune, `/#/mau/03/${encodeURIComponent(ref)}`, "#form-03", "26-mau-03");
  check(text.includes("PHIẾU TỪ CHỐI TIẾP NHẬN HỒ SƠ") && text.includes("Thủ tục không thuộc thẩm quyền của phường"),
        "Form 03 gives the reason of the refusal");
  await checkPrinted(lead, "26-mau-03", A5, "Form 03");

  // ---- A refusal once the agency had the case is 'Từ chối giải quyết' (the district's head).
  const late_ref = await receive("Mai Văn Giải Quyết", { channel: "postal" });
  await step(commune, late_ref, "nv.lan", "posted_to_agency", { tracking: "EA000000001VN" });
  await waitUntil("the district holds " + late_ref, async () => str(await caseAt(district, late_ref)) === "posted_to_agency");
  await step(district, late_ref, "ld.minh", "agency_received");
  await t.head.goto(`${district}/#/ho-so/${encodeURIComponent(late_ref)}`);
  await t.head.waitForSelector("#next");
  check((await t.head.textContent("#next")).includes("Từ chối giải quyết"), "the agency is offered 'Từ chối giải quyết'");
  await t.head.selectOption("#next", "refused");
  await t.head.fill("#reason", "Hồ sơ không đủ điều kiện theo quy định");
  await t.head.click("#record");
  await t.head.waitForSelector(".ok");
  check((await t.head.textContent("#case-status")).includes("Từ chối giải quyết"), "refused by the agency: 'Từ chối giải quyết'");
  text = await form(t.head, district, `/#/mau/03/${encodeURIComponent(late_ref)}`, "#form-03", "27-mau-03-co-quan");
  check(text.includes("PHIẾU TỪ CHỐI GIẢI QUYẾT HỒ SƠ"), "its Form 03 is the refusal to process");

  // ---- The late flow: flagged a working day ahead, overdue, the head's new date (Form 04).
  const slow = await receive("Đoàn Thị Trễ Hạn", { due_at: later(15000) });
  await clerk.goto(`${commune}/#/hang-doi/soon`);
  await clerk.waitForSelector(`#queue a[href="#/ho-so/${slow}"]`);
  check((await clerk.textContent("#queue")).includes("Sắp đến hạn"), "a case due within a working day is in 'Sắp đến hạn', marked");
  await clerk.waitForSelector('.tabs [data-n="late"]:text-matches("^[0-9]")');  // the last tab counted
  check(/Sắp đến hạn \(1 ngày làm việc\)[1-9]/.test(await clerk.textContent(".tabs")), "the tabs carry their counts");
  check(await clerk.$eval(".tabs button.active", (b) => getComputedStyle(b).backgroundColor) !==
        await clerk.$eval(".tabs button:not(.active)", (b) => getComputedStyle(b).backgroundColor), "the active tab stands out");
  await t.shot(clerk, "28-sap-den-han");
  await waitUntil("the case to be overdue", async () => (await caseAt(commune, slow)).overdue === true);
  await lead.goto(`${commune}/#/ho-so/${encodeURIComponent(slow)}`);
  await lead.waitForSelector("#case-overdue");
  check((await lead.textContent("#case-overdue")) === "Quá hạn", "an overdue case carries a visible marker");
  await lead.waitForSelector("#assign");
  await lead.selectOption("#assign-to", "nv.lan");
  await lead.click("#assign-record");
  await lead.waitForSelector(".ok");
  check((await lead.textContent("#case-assigned")).includes("nv.lan"), "the head assigns the case");
  const local = (ms) => new Date(ms + 7 * 3600e3).toISOString().slice(0, 16);
  const newDate = local(Date.now() + 5 * 86400e3);
  await lead.fill("#delay-at", newDate);
  await lead.fill("#delay-reason", "Chờ ý kiến của Sở Xây dựng");
  await lead.click("#delay-record");
  await lead.waitForSelector("#form-04");
  text = (await lead.innerText("#form-04")).replace(/\s+/g, " ");
  const [y, mo, d] = newDate.slice(0, 10).split("-");
  check(text.includes("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ") && text.includes("Lý do: Chờ ý kiến của Sở Xây dựng") &&
        text.includes(`ngày ${d}/${mo}/${y}`) && text.includes("Đoàn Thị Trễ Hạn") && text.includes("Thời hạn trả kết quả"),
        "Form 04 apologises, gives the reason and the new date");
  await t.shot(lead, "29-mau-04");
  await checkPrinted(lead, "29-mau-04", A5, "Form 04");
  const afterDelay = await caseAt(commune, slow);
  check(typeof afterDelay.fields.appointment_at === "number" && afterDelay.overdue === true,
        "the appointment moved; the case stays late against its legal due date");
  await clerk.goto(`${commune}/#/viec-cua-toi`);
  await clerk.waitForSelector(`#mine a[href="#/ho-so/${slow}"]`);
  await clerk.waitForSelector(`#mine-late a[href="#/ho-so/${slow}"]`);
  check((await clerk.textContent("#mine")).includes("Hẹn lại"), "the clerk's own list shows it, overdue, with its new appointment");
  await t.shot(clerk, "30-viec-cua-toi");

  // ---- Roles: reception, processing, auditor.
  await clerk.goto(`${commune}/#/ho-so/${encodeURIComponent(sup)}`);
  await clerk.waitForSelector("#case-status");
  const clerkSteps = await clerk.$$eval("#next option", (o) => o.map((x) => x.value)).catch(() => []);
  check(!clerkSteps.some((s) => ["processing", "result_ready", "refused", "supplement_requested"].includes(s)),
        `the reception clerk is offered no processing step (${clerkSteps.join(", ") || "none"})`);
  const officer = await t.login(district, "cb.nam");
  check(!(await officer.isVisible("#nav a[href='#/tiep-nhan']")), "a processing officer has no reception in the menu");
  await officer.goto(`${district}/#/ho-so/${encodeURIComponent(late_ref)}`);
  await officer.waitForSelector("#no-step");  // a refused case is filed by the reception desk
  check(!(await officer.$("#delay")) && !(await officer.$("#assign")), "a processing officer takes no head's decision");
  await t.shot(officer, "31-can-bo-xu-ly");
  const auditor = await t.login(district, "tt.son");
  check(!(await auditor.isVisible("#nav a[href='#/tiep-nhan']")), "an auditor has no reception in the menu");
  await auditor.goto(`${district}/#/ho-so/${encodeURIComponent(code)}`);
  await auditor.waitForSelector("#read-only");
  check(!(await auditor.$("#step")) && !(await auditor.$("#upload")) && !(await auditor.$("#delay")) &&
        !(await auditor.$("button.withdraw")), "an auditor sees nothing that writes");
  await t.shot(auditor, "32-thanh-tra");

  // ---- Form 06, the register: every reception of the year, lines 1..n.
  await clerk.goto(`${commune}/#/so-theo-doi`);
  await clerk.waitForSelector("#register-table tr[data-line]");
  const lines = await clerk.$$eval("#register-table tr[data-line]", (rows) => rows.map((r) => Number(r.dataset.line)));
  check(lines.length >= 5 && lines.every((n, i) => n === i + 1), `the register's lines run 1..${lines.length}, none repeated or skipped`);
  text = (await clerk.innerText("#register")).replace(/\s+/g, " ");
  check(text.includes("SỔ THEO DÕI HỒ SƠ") && text.includes("Quyển số: 01/") && text.includes(code) &&
        text.includes("Chuyển hồ sơ đến cơ quan giải quyết"), "the register has its volume, columns and cases");
  await t.shot(clerk, "34-so-theo-doi");
  await checkPrinted(clerk, "34-so-theo-doi", A4_ACROSS, "the register (Form 06)");

  // ---- The report: judged at min(now, end of period), "—" for no data, CSV for Excel.
  await clerk.goto(`${commune}/#/bao-cao`);
  await clerk.waitForSelector("#report-table");
  const overdue = (await api(commune, "GET", "/v1/cases?overdue=true&limit=1000")).cases.length;
  const lateCell = await clerk.$$eval("#report-table tr", (rows) => rows[rows.length - 1].children[11].textContent);
  check(Number(lateCell) === overdue, `'Đang giải quyết – Quá hạn' counts only overdue cases (${lateCell} = ${overdue})`);
  check((await clerk.textContent("#report-table")).includes("Phường Mỹ Bình"), "the report names units");
  await clerk.fill("#from", "2030-05");
  await clerk.fill("#to", "2030-01");
  await clerk.click("#period button[type=submit]");
  await clerk.waitForSelector(".error");
  check((await clerk.textContent(".error")).includes("Đến tháng phải sau hoặc bằng từ tháng") &&
        !(await clerk.textContent("#report")).includes("Đang tải"), "a reversed period is refused in the form");
  await clerk.fill("#from", "2030-01");
  await clerk.fill("#to", "2030-02");
  await clerk.click("#period button[type=submit]");
  await clerk.waitForSelector("#report-table td[data-rate]");
  check(await clerk.$eval("#report-table tr:last-child td[data-rate=on_time_rate]", (td) => td.textContent) === "—",
        "no data is '—', not 0.0%");
  const csv = await clerk.evaluate(async () => {
    const r = await fetch(document.querySelector("#csv").getAttribute("href"), { credentials: "same-origin" });
    return new Uint8Array(await r.arrayBuffer()).slice(0, 40);
  });
  check(csv[0] === 0xef && csv[1] === 0xbb && csv[2] === 0xbf &&
        new TextDecoder().decode(new Uint8Array(Object.values(csv)).slice(3)).startsWith("Mã đơn vị,Đơn vị"),
        "the CSV has a UTF-8 BOM and Vietnamese headers");
  await t.shot(clerk, "35-bao-cao");

  // ---- Logout leaves nothing of the session on screen; the login page names the office.
  await clerk.click("#logout");
  await clerk.waitForSelector("#login-name");
  await clerk.waitForSelector('#login-office:text-matches(".")');
  check(!(await clerk.isVisible("#nav")) && (await clerk.textContent("#who")) === "" && !(await clerk.$("#sync-state")) &&
        (await clerk.textContent("#login-office")).includes("Phường Mỹ Bình"), "after logout: no menu, name or banner; the office is named");
  await t.shot(clerk, "36-dang-xuat");

  // ---- A real conflict: the commune's node restarted without its link (a rural line down)
  // records a withdrawal while the district records processing; back online, the case holds
  // both statuses, and the head settles it.
  const both = await receive("Lý Thị Xung Đột");
  await waitUntil("the district holds " + both, async () => str(await caseAt(district, both)) === "received");
  await restart("30280", { offline: true });
  await step(commune, both, "nv.lan", "withdrawn", { note: "Công dân xin rút" });
  await step(district, both, "ld.minh", "processing");
  await restart("30280", { offline: false });
  await waitUntil("the conflict at the commune", async () => (await caseAt(commune, both)).conflicts.length > 0);
  lead = await t.login(commune, "ld.hoa");  // sessions end with the process
  await lead.goto(`${commune}/#/ho-so/${encodeURIComponent(both)}`);
  await lead.waitForSelector(".conflict");
  text = (await lead.textContent(".conflict")).replace(/\s+/g, " ");
  check(text.includes("Cán bộ nv.lan (đơn vị 30280) ghi lúc") && text.includes('trạng thái "Công dân rút hồ sơ"') &&
        text.includes("Cán bộ ld.minh (đơn vị 883) ghi lúc") && text.includes('trạng thái "Đang giải quyết"') &&
        !/withdrawn|processing/.test(text), "the conflict reads as two sentences: who, which office, when, what");
  await t.shot(lead, "33-xung-dot");
  const options = await lead.$$eval(".choose option", (o) => o.map((x) => [x.value, x.textContent]));
  await lead.selectOption(".choose", options.find(([, label]) => label === "Đang giải quyết")[0]);
  await lead.fill(".resolve-note", "Công dân đã đồng ý để cơ quan tiếp tục giải quyết");
  await lead.click(".resolve-button");
  await lead.waitForSelector(".ok");
  check(!(await lead.$(".conflict")) && (await lead.textContent("#case-status")).includes("Đang giải quyết") &&
        (await lead.textContent(".timeline")).includes("Giải quyết xung đột trạng thái: Công dân đã đồng ý"),
        "the head's decision settles it, recorded with its reason");
  await waitUntil("the district sees the decision", async () => (await caseAt(district, both)).conflicts.length === 0);

  // ---- Two tiers: a birth registration for a citizen of another commune, received at this
  // counter with that commune chosen as the residence, goes to it (the district routes it).
  const desk = await t.login(commune, "nv.lan");
  await desk.goto(`${commune}/#/tiep-nhan`);
  await desk.fill("#procedure", "1.001193");
  await desk.waitForSelector("#suggest div");
  await desk.keyboard.press("ArrowDown");
  await desk.keyboard.press("Enter");
  await desk.waitForSelector("#residence option[value='30283']", { state: "attached" });
  await desk.selectOption("#residence", "30283");
  await desk.fill("#name", "Trịnh Minh Khang");
  await desk.check("#doc-0");
  await desk.click("#receive");
  await desk.waitForSelector("#slip");
  const routed = (await desk.textContent("#slip-code")).trim();
  check((await desk.textContent("#slip-days")).startsWith("Trong ngày") &&
        /^17 giờ 00 phút/.test((await desk.textContent("#slip-due")).trim()),
        "the slip of a same-day procedure says so and is due at a working day's end");
  check((await caseAt(commune, routed)).fields.route_to === "30283",
        `the case received for another commune of residence names it competent (${routed})`);
  const linked = "30283-R" + routed.replaceAll("-", ".");
  let held = null;
  await waitUntil("the district routes " + routed, async () => (held = await caseAt(district, linked)) !== null);
  check(held.fields.source === routed, `the district routed it to 30283 as ${linked}`);
  return desk;
}

const str = (c) => (c && c.fields && typeof c.fields.status === "string" ? c.fields.status : "");
