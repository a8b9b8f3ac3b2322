// The web app's helpers: building the DOM, reading values that came over the wire, the API.
// The rendering rule (docs/web-app.md): any field of a case may come from a hostile office, so
// the app never parses data as HTML. Elements are made with createElement, text is only ever
// a text node (textContent), attributes are set with setAttribute from names written here.
// Numbers from data are shown only after a type check.

export const $ = (sel, root = document) => root.querySelector(sel);

// el("td", { class: "num", "data-i": 3 }, "text", otherNode, [more, children])
// attrs: true sets an empty attribute, false/null/undefined leave it out; "on<event>" takes a
// function (addEventListener), never a string. Children: nodes, strings and numbers (as text);
// arrays are flattened; null, undefined, false and other values are left out.
export function el(tag, attrs, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

// The same in the SVG namespace (the chart). The namespace is a name, never fetched.
const SVG_NS = "http://www.w3.org/2000/svg";
export function svg(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function fill(e, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) {
      if (typeof v !== "function") throw new Error("el: " + k + " needs a function");
      e.addEventListener(k.slice(2), v);
    } else if (k === "href" && !/^(#|\/(?!\/))/.test(String(v))) {  // "#/..." or "/...", not "//host"
      throw new Error("el: href must be a path or a fragment");
    } else {
      e.setAttribute(k, v === true ? "" : String(v));
    }
  }
  for (const c of children.flat(Infinity)) {
    if (c instanceof Node) e.append(c);
    else if (typeof c === "string" || typeof c === "number") e.append(document.createTextNode(String(c)));
  }
  return e;
}

// Replaces the contents of `where` with `nodes` (arrays flattened, non-nodes left out).
export function show(where, ...nodes) {
  where.replaceChildren(...nodes.flat(Infinity).filter((n) => n instanceof Node));
}

// ---- values from the wire

// A text field's value: a string as it is, a number as its digits, "" for anything else
// (an object, array or boolean where text belongs).
export const str = (v) => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");
export const arr = (v) => (Array.isArray(v) ? v : []);
export const obj = (v) => (v && typeof v === "object" && !Array.isArray(v) ? v : {});
// A label from one of the app's own tables, else the value itself as text.
export const label = (table, key) => (typeof key === "string" && Object.hasOwn(table, key) ? table[key] : str(key));
// A finite number, else `fallback`.
export const numOr = (v, fallback) => (typeof v === "number" && Number.isFinite(v) ? v : fallback);
// A whole number as text, "không rõ" when the data is not one.
export const count = (v) => (Number.isSafeInteger(v) ? String(v) : "không rõ");
// Đồng: missing is 0, anything but a whole number is "không rõ".
export const money = (v) =>
  v === undefined || v === null ? "0" : Number.isSafeInteger(v) ? v.toLocaleString("vi-VN") : "không rõ";
// A procedure's time limit by regulation: "03 ngày làm việc", "15 ngày", and 0 working days
// for a same-day procedure (due at the day's end; received after 15:00, the next day's).
export const timeLimit = (days, working) => {
  if (!Number.isSafeInteger(days) || days < 0) return "theo quy định của thủ tục";
  if (days === 0 && working !== false) return "Trong ngày (nhận sau 15 giờ: ngày làm việc tiếp theo)";
  return `${String(days).padStart(2, "0")} ngày${working === false ? "" : " làm việc"}`;
};
// A ratio in [0, 1]; anything else is 0.
export const ratio = (v) => Math.min(1, Math.max(0, numOr(v, 0)));
export const pct = (x) => (100 * ratio(x)).toFixed(1) + "%";
export const caseLink = (code) => "#/ho-so/" + encodeURIComponent(str(code));

export function fmtTime(v) {
  // Milliseconds, or RFC 3339 (the API's times): Date.parse would read a date out of junk.
  if (typeof v === "string" ? !/^\d{4}-\d{2}-\d{2}(T|$)/.test(v) : typeof v !== "number") return "";
  const d = new Date(typeof v === "number" ? v : Date.parse(v));
  if (isNaN(d)) return "";
  // Vietnam's time (+07:00) whatever the PC's zone.
  const t = new Date(d.getTime() + 7 * 3600 * 1000);
  const p = (n) => String(n).padStart(2, "0");
  return `${p(t.getUTCHours())}:${p(t.getUTCMinutes())} ${p(t.getUTCDate())}/${p(t.getUTCMonth() + 1)}/${t.getUTCFullYear()}`;
}

// ---- the API and the session

export const session = { me: null, node: null };

// What the signed-in officer may write (GET /v1/me): the app offers nothing the node would
// refuse for the role; an auditor sees no form that writes.
export const mayRecord = (status) => arr(obj(session.me).may_record).includes(status);
export const mayWrite = () => obj(session.me).may_write === true;

export async function api(method, path, body) {
  return send(method, path, body ? { "Content-Type": "application/json" } : {},
    body ? JSON.stringify(body) : undefined);
}

// A file as itself (a case's scan): POST with its bytes as the body.
export async function upload(path, file) {
  return send("POST", path, { "Content-Type": "application/octet-stream" }, file);
}

async function send(method, path, headers, body) {
  const res = await fetch(path, { method, credentials: "same-origin", headers, body });
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (res.status === 401 && path !== "/v1/login") {
    session.me = null;
    location.hash = "#/dang-nhap";
  }
  if (!res.ok) {
    const err = new Error(str(data && (data.message || data.reason)) || `Lỗi ${res.status}`);
    err.data = data;
    throw err;
  }
  return data;
}

export function showError(where, e) {
  where.querySelectorAll(".error").forEach((x) => x.remove());
  where.prepend(el("div", { class: "error", role: "alert" }, str(e.message)));
}
