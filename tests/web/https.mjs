// The web app over HTTPS in headless Chromium (run-https): a browser that trusts the
// province's web root loads the app with no warning, over TLS, and its session cookie is
// Secure; plain http:// is sent to https://; a browser that does not trust the root refuses
// the node's certificate.
// Usage: node https.mjs API_HOST:PORT TRUSTING_HOME UNTRUSTING_HOME ARTIFACTS_DIR PASSWORD
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";

const [api, trustingHome, untrustingHome, artifacts, password] = process.argv.slice(2);
mkdirSync(artifacts, { recursive: true });
const port = api.split(":").pop();

function check(cond, what) {
  if (!cond) throw new Error("https: " + what);
  console.log("ok -", what);
}

// Chromium on Linux reads the user's certificate trust from $HOME/.pki/nssdb.
const launch = (home) =>
  chromium.launch({
    executablePath: process.env.HOSO_CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
    env: { ...process.env, HOME: home },
  });

const trusting = await launch(trustingHome);
const untrusting = await launch(untrustingHome);
try {
  const ctx = await trusting.newContext({ viewport: { width: 1366, height: 768 }, locale: "vi-VN" });
  const page = await ctx.newPage();
  for (const host of ["localhost", "127.0.0.1"]) {
    const res = await page.goto(`https://${host}:${port}/`);
    const tls = await res.securityDetails();
    check(res.ok() && tls && /^TLS 1\.[23]$/.test(tls.protocol),
          `https://${host}:${port}/ loads over ${tls && tls.protocol}, no certificate warning`);
    check(tls.issuer === "hoso web CA 89", `its certificate is from the web root (${tls.issuer})`);
    check(/^max-age=\d+$/.test(res.headers()["strict-transport-security"] || ""),
          "the app is served with Strict-Transport-Security");
  }
  await page.waitForSelector("#login-name");
  await page.fill("#login-name", "nv.lan");
  await page.fill("#login-password", password);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#nav:not([hidden])");
  const cookies = await ctx.cookies();
  const session = cookies.find((c) => c.name === "hoso_session");
  check(session && session.secure && session.httpOnly, "the session cookie is Secure and HttpOnly");
  await page.screenshot({ path: `${artifacts}/https-app.png`, fullPage: true });

  // A clerk who types http:// lands on https://.
  const plain = await (await trusting.newContext()).newPage();
  await plain.goto(`http://127.0.0.1:${port}/`);
  check(plain.url() === `https://127.0.0.1:${port}/`, `http:// is sent to https:// (${plain.url()})`);

  // Without the root installed, the browser refuses the node's certificate.
  const stranger = await (await untrusting.newContext()).newPage();
  let refused = "";
  try {
    await stranger.goto(`https://127.0.0.1:${port}/`);
  } catch (e) {
    refused = String(e.message);
  }
  check(/ERR_CERT_AUTHORITY_INVALID/.test(refused),
        "a browser that does not trust the web root refuses the certificate");
  console.log("https: passed; screenshot in " + artifacts);
} catch (e) {
  console.error(e.stack || String(e));
  process.exitCode = 1;
} finally {
  await trusting.close();
  await untrusting.close();
}
