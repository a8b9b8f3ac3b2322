// End-to-end test of the office web app in headless Chromium against real hoso-node processes:
// a commune clerk receives a case and prints the slip, hands it to the post; the district
// records the result; after sync the commune sees it and records the delivery. Then hostile
// text (hostile.mjs): a case whose every text field holds markup and script, as a hostile
// office could sign and relay, is shown on every screen at the commune and the district, and
// must stay text.
// Last, the province erases the citizen's data: the clerk's page says so instead of her name.
// Between 5 and 6, the clerk's counter (counter.mjs): every form, search, roles, the late flow,
// a conflict, the register and the report.
// Usage: node e2e.mjs COMMUNE_URL DISTRICT_URL ARTIFACTS_DIR CLERK_PASSWORD HEAD_PASSWORD
//                     COMMUNE_TOKEN_FILE ROOT_URL ROOT_TOKEN_FILE DISTRICT_TOKEN_FILE NETWORK_DIR
//        with OTHER_PASSWORDS in the environment: "login=password ..." of the other officers
import { chromium } from "playwright-core";
import { mkdirSync, readFileSync } from "node:fs";
import { hostileChecks } from "./hostile.mjs";

import { attachScans, districtSeesScans, setCheck } from "./documents.mjs";
import { counterChecks } from "./counter.mjs";

const [commune, district, artifacts, clerkPassword, headPassword, tokenFile, root, rootTokenFile,
       districtTokenFile, networkDir] = process.argv.slice(2);
const passwords = Object.fromEntries((process.env.OTHER_PASSWORDS || "").split(" ").filter(Boolean)
  .map((p) => p.split("=")));
mkdirSync(artifacts, { recursive: true });

function check(cond, what) {
  if (!cond) throw new Error("e2e: " + what);
  console.log("ok -", what);
}
setCheck(check, (page, name) => shot(page, name));

const browser = await chromium.launch({
  executablePath: process.env.HOSO_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const shot = (page, name) => page.screenshot({ path: `${artifacts}/${name}.png`, fullPage: true });

// Content-Security-Policy violations and page errors are printed, as information.
const cspReports = [];
function watch(page, name) {
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) {
      cspReports.push(m.text());
      console.log(`info - ${name}: CSP: ${m.text()}`);
    }
  });
  page.on("pageerror", (e) => console.log(`info - ${name}: page error: ${e.message}`));
}

// routes: [[predicate(URL), (json) => void]] rewrite the API's answers before the app sees
// them (hostile values the node would not store, hostile.mjs).
async function login(url, user, password, routes = []) {
  const ctx = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: "vi-VN" });
  const page = await ctx.newPage();
  watch(page, user);
  for (const [match, edit] of routes) {
    await page.route((u) => match(u), async (route) => {
      const res = await route.fetch();
      const json = await res.json();
      edit(json);
      await route.fulfill({ response: res, json });
    });
  }
  const headers = (await page.goto(url + "/")).headers();
  check(/script-src 'self'/.test(headers["content-security-policy"] || "") &&
        !/unsafe-inline/.test(headers["content-security-policy"]) &&
        headers["x-content-type-options"] === "nosniff" && headers["x-frame-options"] === "DENY",
        `the app is served with its CSP and security headers (${user})`);
  await page.waitForSelector("#login-name");
  await page.fill("#login-name", user);
  await page.fill("#login-password", "wrong password!");
  await page.keyboard.press("Enter");
  await page.waitForSelector(".error");
  check((await page.textContent(".error")).includes("Sai tên đăng nhập hoặc mật khẩu"),
        `a wrong password is refused in Vietnamese (${user})`);
  await page.fill("#login-password", password);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#nav:not([hidden])");
  return page;
}

// Clears the last message first, so the wait sees this step's outcome, not the previous one.
async function clearMessages(page) {
  await page.evaluate(() => document.querySelectorAll(".ok, .error").forEach((e) => e.remove()));
}

async function recordStep(page, status, tracking) {
  await clearMessages(page);
  await page.selectOption("#next", status);
  if (tracking) await page.fill("#tracking", tracking);
  await page.click("#record");
  await page.waitForSelector(".ok");
}

async function waitForCase(page, url, code, statusText) {
  for (let i = 0; i < 60; ++i) {
    await page.goto(`${url}/#/ho-so/${encodeURIComponent(code)}`);
    await page.waitForLoadState("networkidle");
    const status = await page.$("#case-status");
    if (status && (!statusText || (await status.textContent()).includes(statusText))) return;
    await page.waitForTimeout(500);
  }
  throw new Error(`e2e: ${code} did not reach ${url} (${statusText || "any status"})`);
}

try {
  // 1. The commune clerk logs in.
  let clerk = await login(commune, "nv.lan", clerkPassword);
  await shot(clerk, "01-tiep-nhan-trong");
  await clerk.waitForFunction(() => document.querySelector("#sync-state"));
  check((await clerk.textContent("#sync-state")).includes("Đã kết nối (trực tuyến)"), "the banner shows the node online");
  // The footer names the build, as GET /v1/node does.
  check(/^hoso \d+\.\d+\.\d+\S* \([0-9a-f]{7}(-dirty)?\)$|^hoso \d+\.\d+\.\d+\S* \(unknown\)$/
          .test((await clerk.textContent("#footer")).trim()), "the footer shows hoso <version> (<commit>)");

  // A reception without a procedure is refused with a clear message.
  await clerk.fill("#name", "Phạm Thị Thảo");
  await clerk.click("#receive");
  check((await clerk.textContent(".error")).includes("chọn thủ tục"), "a missing procedure is named");

  // A procedure that may not go by post says so at once, and the post's options are off.
  const catalogue = await (await fetch(`${commune}/v1/catalogue?limit=50`, {
    headers: { Authorization: "Bearer " + readFileSync(tokenFile, "utf8").trim() } })).json();
  const counterOnly = catalogue.procedures.find((p) => p.postal === false);
  await clerk.fill("#procedure", counterOnly.code);
  await clerk.waitForSelector("#suggest div");
  await clerk.keyboard.press("ArrowDown");
  await clerk.keyboard.press("Enter");
  await clerk.waitForSelector("#not-postal:visible");
  check((await clerk.textContent("#not-postal")).includes(
          "Thủ tục này không thực hiện qua dịch vụ bưu chính công ích; đề nghị công dân nộp hồ sơ và nhận kết quả trực tiếp.") &&
        await clerk.isDisabled("#by-post") && await clerk.$eval("#channel option[value=postal]", (o) => o.disabled),
        `a procedure not done by post (${counterOnly.code}) disables return by post at once, with the message`);
  await shot(clerk, "01b-khong-qua-buu-dien");

  // The shipped catalogue (the national database's): a birth registration is done the same day,
  // says where its facts come from, and is decided by the citizen's commune of residence, which
  // the clerk chooses (this office's by default); another commune's means the case is routed.
  await clerk.fill("#procedure", "dang ky khai sinh");
  await clerk.waitForSelector('#suggest div:text-matches("^1\\.001193 — Đăng ký khai sinh$")');
  await clerk.keyboard.press("ArrowDown");
  await clerk.keyboard.press("Enter");
  await clerk.waitForSelector("#residence-row:visible");
  await clerk.waitForSelector("#residence option[value='30283']", { state: "attached" });
  const birthInfo = await clerk.textContent("#proc-info");
  check(birthInfo.includes("Trong ngày (nhận sau 15 giờ: ngày làm việc tiếp theo)") &&
        birthInfo.includes("Nguồn: CSDL quốc gia về TTHC (dichvucong.gov.vn)"),
        "a same-day procedure says so, with the catalogue's source");
  check(await clerk.$eval("#residence", (r) => r.value) === "30280" &&
        (await clerk.textContent("#residence-info")) === "",
        "a procedure decided by the commune of residence asks for it, this office's by default");
  await clerk.selectOption("#residence", "30283");
  check((await clerk.textContent("#residence-info")).includes("Hồ sơ sẽ được chuyển đến"),
        "another commune of residence says the case will be routed there");
  await shot(clerk, "01c-noi-cu-tru");

  // 2. Receive a case: procedure found by its name typed without diacritics.
  await clerk.fill("#procedure", "dang ky thanh lap ho kinh doanh");
  await clerk.waitForSelector('#suggest div:text-matches("^1\\.001612")');
  await clerk.keyboard.press("ArrowDown");
  await clerk.keyboard.press("Enter");
  await clerk.waitForSelector(".doc");
  check(await clerk.isHidden("#residence-row"), "a procedure decided where it is received asks for no residence");
  await clerk.fill("#id_no", "012345678901");
  await clerk.fill("#phone", "0912345678");
  await clerk.fill("#address", "Ấp Mỹ Hòa, phường Mỹ Bình, Long Xuyên");
  check(!(await clerk.isVisible("#not-postal")) && !(await clerk.isDisabled("#by-post")),
        "a procedure done by post enables it again");
  await clerk.selectOption("#channel", "postal");
  // Nothing ticked: refused, never received silently.
  await clerk.click("#receive");
  await clerk.waitForSelector(".error");
  check((await clerk.textContent(".error")).includes("Chưa đánh dấu giấy tờ nào"),
        "a reception with no document ticked is refused in words");
  await clerk.check("#doc-0");
  await clerk.selectOption(".doc-row .kind", "original");
  await clerk.fill(".doc-row .count", "2");
  await clerk.fill("#seal-no", "NP-0042");
  await clerk.fill("#sets", "2");
  await clerk.fill("#postal-fee", "15000");
  await clerk.check("#by-post");
  await clerk.fill("#return-address", "Ấp Mỹ Hòa, phường Mỹ Bình, Long Xuyên");
  await shot(clerk, "02-tiep-nhan");
  await clerk.click("#receive");
  await clerk.waitForSelector("#slip");
  const code = (await clerk.textContent("#slip-code")).trim();
  check(/^30280-\d{6}-\d{4}$/.test(code), `the case got a code (${code})`);
  check(/^\d\d giờ \d\d phút, ngày \d\d\/\d\d\/\d{4}$/.test((await clerk.textContent("#slip-due")).trim()), "the slip shows the due date");
  check((await clerk.textContent("#slip")).includes("Phạm Thị Thảo"), "the slip names the applicant");
  await clerk.emulateMedia({ media: "print" });
  await shot(clerk, "03-phieu-hen-ban-in");
  await clerk.emulateMedia({ media: "screen" });

  // 3. The clerk hands the file to the post.
  await clerk.goto(`${commune}/#/ho-so/${encodeURIComponent(code)}`);
  await clerk.waitForSelector("#next");
  await recordStep(clerk, "posted_to_agency", "EA123456789VN");
  check((await clerk.textContent("#case-status")).includes("Đã chuyển bưu điện"), "handed to the post");
  await shot(clerk, "04-ho-so-xa");
  await attachScans(clerk, commune, code);
  await clerk.goto(`${commune}/#/hang-doi/agency`);
  await clerk.waitForSelector(`a[href="#/ho-so/${code}"]`);
  await shot(clerk, "05-hang-doi");
  // Search by the applicant's name typed without diacritics.
  await clerk.fill("#q", "pham thi thao");
  await clerk.keyboard.press("Enter");
  await clerk.waitForSelector(`#queue a[href="#/ho-so/${code}"]`);
  check((await clerk.textContent("#queue")).includes("Phạm Thị Thảo"), "found by name without diacritics");

  // 4. The district receives it by sync and records the result.
  const head = await login(district, "ld.minh", headPassword);
  await waitForCase(head, district, code, "Đã chuyển bưu điện");
  await recordStep(head, "agency_received");
  await recordStep(head, "processing");
  await recordStep(head, "result_ready");
  await districtSeesScans(head, district, code);
  await clearMessages(head);
  await head.selectOption("#next", "dispatched");
  await head.click("#record");
  await head.waitForTimeout(300);
  check(await head.$eval("#tracking", (t) => t.required && t.validity.valueMissing) &&
        (await head.textContent("#case-status")).includes("Đã có kết quả"),
        "dispatching without a tracking number is held by the form (the field is required)");
  await recordStep(head, "dispatched", "EB987654321VN");
  await shot(head, "06-ho-so-huyen");
  await head.goto(`${district}/#/bao-cao`);
  await head.waitForSelector("svg.chart");
  check((await head.textContent("#report")).includes("Tổng cộng"), "the district's report renders");
  await shot(head, "07-bao-cao");

  // 5. The commune sees the result and records the delivery.
  await waitForCase(clerk, commune, code, "Đã gửi kết quả qua bưu điện");
  await recordStep(clerk, "delivered");
  check((await clerk.textContent("#case-status")).includes("Đã phát kết quả"), "delivered");
  const history = await clerk.textContent(".timeline");
  check(history.includes("nv.lan") && history.includes("ld.minh") && history.includes("883"),
        "the history names both offices' officers");
  await shot(clerk, "08-da-phat");

  // 5b. The clerk's counter; it restarts the commune's node, so the clerk signs in again.
  clerk = await counterChecks({
    commune, district, dir: networkDir, artifacts, check, shot, waitForCase, code, head,
    clerk, token: readFileSync(tokenFile, "utf8").trim(),
    districtToken: readFileSync(districtTokenFile, "utf8").trim(),
    login: (url, user) => login(url, user, { "nv.lan": clerkPassword, "ld.minh": headPassword }[user] ?? passwords[user]),
  });

  // 6. Hostile text in every field, at the commune and, after sync, at the district.
  await hostileChecks({
    commune, district, token: readFileSync(tokenFile, "utf8").trim(), clerk, head, check, shot,
    waitForCase, login: (url, user, routes) =>
      login(url, user, url === commune ? clerkPassword : headPassword, routes),
  });
  // 7. The province erases the citizen's data (docs/privacy.md): after sync, the commune's page
  // shows the decision, not her name.
  const erase = await fetch(`${root}/v1/erasures`, {
    method: "POST",
    headers: { "Content-Type": "application/json",
               Authorization: "Bearer " + readFileSync(rootTokenFile, "utf8").trim() },
    body: JSON.stringify({ officer: "system", case: code, decision: "QĐ 45/QĐ-UBND",
                           ground: "Yêu cầu của chủ thể dữ liệu" }),
  });
  check(erase.status === 201, "the province records the erasure");
  let erased = "";
  const erasing = Date.now();
  for (let i = 0; i < 180 && !erased.includes("đã bị xoá"); ++i) {
    await clerk.goto(`${commune}/#/ho-so/${encodeURIComponent(code)}`);
    await clerk.waitForSelector("#case-applicant");
    erased = await clerk.textContent("#case-applicant");
    if (!erased.includes("đã bị xoá")) await clerk.waitForTimeout(500);
  }
  console.log(`info - the erasure reached the commune's page in ${((Date.now() - erasing) / 1000).toFixed(1)} s`);
  check(erased.includes("Dữ liệu cá nhân đã bị xoá") && erased.includes("QĐ 45/QĐ-UBND") &&
        !(await clerk.textContent("main")).includes("Phạm Thị Thảo"), "the erased case shows the decision, not the name");
  await shot(clerk, "09-da-xoa");

  console.log(`info - ${cspReports.length} CSP report(s) in the console`);
  // The browser enforces the CSP: an inline script, even one the app itself added, is refused.
  const before = cspReports.length;
  check(await clerk.evaluate(() => {
    const s = document.createElement("script");
    s.textContent = "window.__inline = 1";
    document.body.append(s);
    return window.__inline === undefined;
  }), "the CSP refuses an inline script");
  await clerk.waitForTimeout(200);
  console.log(`info - the refused inline script was reported: ${cspReports.length > before}`);
  console.log("e2e: passed; screenshots in " + artifacts);
} catch (e) {
  console.error(e.stack || String(e));
  process.exitCode = 1;
} finally {
  await browser.close();
}
