// A case's files in the web app (docs/documents.md), part of e2e.mjs: the commune clerk
// attaches the scans of the checklist (a page passed off as "scan.pdf" is refused), opens an
// image under the file policy; after sync the district sees them arrive and attaches the
// result. Files are checked byte for byte as the browser fetches them.
let check = null, shot = null;
export function setCheck(c, s) { check = c; shot = s; }

export const PDF = Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.alloc(600 * 1024, 7), Buffer.from("\n%%EOF\n")]);
// A 1x1 PNG.
export const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64");

async function attach(page, name, mimeType, buffer, { item = 1, kind = "copy", role = "application" } = {}) {
  await page.setInputFiles("#file", { name, mimeType, buffer });
  if (item !== null) await page.selectOption("#file-item", { index: item });
  await page.selectOption("#file-kind", kind);
  await page.selectOption("#file-role", role);
  await page.click("#attach");
}

const row = (name) => `#files tr:has-text("${name}")`;

async function fetched(page, base, href) {
  const res = await page.request.get(base + href);
  return { res, body: await res.body() };
}

export async function attachScans(clerk, commune, code) {
  await clerk.goto(`${commune}/#/ho-so/${encodeURIComponent(code)}`);
  await clerk.waitForSelector("#upload");
  check((await clerk.textContent("#files")).includes("Chưa có tệp"), "the case has no file yet");
  await attach(clerk, "scan.pdf", "application/pdf", Buffer.from("<html><script>alert(1)</script></html>"));
  await clerk.waitForSelector("#case-files .error");
  check((await clerk.textContent("#case-files .error")).includes("Chỉ nhận tệp PDF, JPEG hoặc PNG"),
        "a page passed off as a scan is refused, in Vietnamese");
  check((await clerk.textContent("#files")).includes("Chưa có tệp"), "and nothing is attached");

  await attach(clerk, "Tờ khai.pdf", "application/pdf", PDF, { kind: "original" });
  await clerk.waitForSelector(`${row("Tờ khai.pdf")} a.file-link`);
  await attach(clerk, "Ảnh CCCD.png", "image/png", PNG, { item: 0 });
  await clerk.waitForSelector(`${row("Ảnh CCCD.png")} a.file-link`);
  const files = await clerk.textContent("#files");
  check(files.includes("Bản chính") && files.includes("Có ở đây") && files.includes("Hồ sơ nộp"),
        "the scans are listed with their kind, role and state");
  await shot(clerk, "04b-tep-ho-so");

  // The PDF as the browser gets it: its own bytes, type and policy.
  const pdfHref = await clerk.getAttribute(`${row("Tờ khai.pdf")} a.file-link`, "href");
  const pdf = await fetched(clerk, commune, pdfHref);
  const h = pdf.res.headers();
  check(pdf.res.status() === 200 && pdf.body.equals(PDF) && h["content-type"] === "application/pdf",
        "the PDF comes back byte for byte as application/pdf");
  check(/^default-src 'none'/.test(h["content-security-policy"] || "") && h["x-content-type-options"] === "nosniff" &&
        /^inline; filename="T__ khai.pdf"|^inline; filename=/.test(h["content-disposition"] || "") &&
        (h["content-disposition"] || "").includes("filename*=UTF-8''T%E1%BB%9D%20khai.pdf"),
        "it is served inline under the file policy, its Vietnamese name kept");
  // The image opens in a tab of its own and shows, under that policy.
  const pngHref = await clerk.getAttribute(`${row("Ảnh CCCD.png")} a.file-link`, "href");
  const tab = await clerk.context().newPage();
  const opened = await tab.goto(commune + pngHref);
  check(opened.headers()["content-type"] === "image/png", "the image is served as image/png");
  check(await tab.evaluate(() => document.images.length === 1 && document.images[0].naturalWidth === 1),
        "the browser shows the image");
  await tab.close();

  // A wrong file is withdrawn with a reason; it stays listed, struck through.
  clerk.once("dialog", (d) => d.accept("Ảnh mờ, chụp lại"));
  await clerk.click(`${row("Ảnh CCCD.png")} button.withdraw`);
  await clerk.waitForSelector(`${row("Ảnh CCCD.png")}.withdrawn`);
  check((await clerk.textContent(row("Ảnh CCCD.png"))).includes("Đã rút: Ảnh mờ, chụp lại"),
        "a withdrawn file stays listed with its reason");
  await clerk.reload();
  await clerk.waitForSelector(".timeline");
  const history = await clerk.textContent(".timeline");
  check(history.includes("Đính kèm tệp Tờ khai.pdf") && history.includes("Rút tệp: Ảnh mờ, chụp lại"),
        "the history names the files attached and withdrawn");
}

export async function districtSeesScans(head, district, code) {
  let text = "";
  let arriving = false;
  for (let i = 0; i < 60; ++i) {
    await head.goto(`${district}/#/ho-so/${encodeURIComponent(code)}`);
    await head.waitForSelector("#files");
    text = await head.textContent("#files");
    arriving ||= text.includes("Đang tải về");
    if (text.includes("Tờ khai.pdf")) break;
    await head.waitForTimeout(500);
  }
  check(text.includes("Tờ khai.pdf") && text.includes("Ảnh CCCD.png"), "the district lists the commune's scans");

  // A file on its way, as the node says of one whose chunks are 40% here (the answer forged:
  // on loopback the real one arrives before a page can see it).
  const list = (u) => u.pathname === `/v1/cases/${code}/documents`;
  await head.route(list, async (route) => {
    const res = await route.fetch();
    const json = await res.json();
    for (const d of json.documents) Object.assign(d, { state: "arriving", progress: 40, held_chunks: 1 });
    await route.fulfill({ response: res, json });
  });
  await head.reload();  // the same page read again, through the route
  await head.waitForSelector("#files progress");
  const state = await head.textContent(`${row("Tờ khai.pdf")} .file-state`);
  check(state.includes("Đang tải về, 40%") &&
        (await head.getAttribute(`${row("Tờ khai.pdf")} progress`, "value")) === "40" &&
        (await head.$(`${row("Tờ khai.pdf")} a.file-link`)) === null,
        "a file still arriving shows 'Đang tải về, 40%' with its progress, and no link yet");
  await shot(head, "06-dang-tai-ve");
  await head.unroute(list);
  await head.reload();
  // The list reads itself again while a file arrives; then it is here.
  await head.waitForSelector(`${row("Tờ khai.pdf")} a.file-link`, { timeout: 60000 });
  console.log(`info - the district saw a file arriving: ${arriving || text.includes("Đang tải về")}`);
  const href = await head.getAttribute(`${row("Tờ khai.pdf")} a.file-link`, "href");
  const pdf = await fetched(head, district, href);
  check(pdf.res.status() === 200 && pdf.body.equals(PDF), "the district opens the scan, byte-identical");

  await attach(head, "Quyết định.pdf", "application/pdf", PDF.subarray(0, 2000), { item: null, kind: "electronic", role: "result" });
  await head.waitForSelector(`${row("Quyết định.pdf")} a.file-link`);
  check((await head.textContent(row("Quyết định.pdf"))).includes("Kết quả"), "the district attaches the result");
  await shot(head, "06a-tep-huyen");
}
