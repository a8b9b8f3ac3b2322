// The network: every office of this node's scope with its latest health report (GET
// /v1/network, docs/api.md), however many hops relayed it. Every value came from an office
// and is shown as text after a type check (docs/web-app.md).
import { el, show, str, arr, obj, count, fmtTime, api } from "./dom.js";

const CHECK = { passed: "Đạt", running: "Đang kiểm tra", damaged: "Hỏng", unknown: "Không rõ" };
const DRIFT_MS = 5 * 60 * 1000;  // the HLC's drift: beyond it a clock is named as wrong

// "+300 ngày 2 giờ", "-4 phút", "0 giây": a skew in words.
function skewText(ms) {
  if (!Number.isSafeInteger(ms)) return "không rõ";
  const sign = ms < 0 ? "-" : "+", a = Math.abs(ms);
  const d = Math.floor(a / 86400000), h = Math.floor((a % 86400000) / 3600000);
  const m = Math.floor((a % 3600000) / 60000), s = Math.floor((a % 60000) / 1000);
  if (d) return `${sign}${d} ngày ${h} giờ`;
  if (h) return `${sign}${h} giờ ${m} phút`;
  if (m) return `${sign}${m} phút`;
  return `${s ? sign : ""}${s} giây`;
}

function bytesText(v) {
  if (!Number.isSafeInteger(v)) return "không rõ";
  const gib = v / (1 << 30);
  return gib >= 1 ? `${gib.toFixed(1)} GiB` : `${(v / (1 << 20)).toFixed(0)} MiB`;
}

export async function viewNetwork(main) {
  show(main, el("h1", {}, "Mạng lưới các điểm phục vụ"), el("div", { id: "network" }, "Đang tải…"));
  const r = obj(await api("GET", "/v1/network"));
  const th = (t) => el("th", {}, t);
  const rows = arr(r.offices).map(obj).map((o) => {
    const rep = obj(o.report), has = o.report && typeof o.report === "object";
    const skew = rep.clock_skew_ms;
    const wrongClock = Number.isSafeInteger(skew) && Math.abs(skew) > DRIFT_MS;
    const damaged = rep.self_check === "damaged";
    return el("tr", { class: wrongClock || damaged ? "warn" : null },
      el("td", {}, str(o.unit)), el("td", {}, str(o.name), o.self === true ? " (máy này)" : ""),
      el("td", {}, str(o.parent)),
      el("td", {}, has ? fmtTime(rep.made_at) : "chưa có báo cáo"),
      el("td", {}, has && o.self !== true ? fmtTime(o.received_at) : ""),
      el("td", {}, has && o.self !== true ? str(o.relayed_by) : ""),
      el("td", { class: "num" }, has ? skewText(skew) : ""),
      el("td", {}, has ? (rep.last_sync ? fmtTime(rep.last_sync) : "chưa lần nào") : ""),
      el("td", { class: "num" }, has ? count(rep.events_waiting) : ""),
      el("td", {}, has ? (Object.hasOwn(CHECK, rep.self_check) ? CHECK[rep.self_check] : "không rõ") : ""),
      el("td", { class: "num" }, has ? bytesText(rep.disk_free_bytes) : ""),
      el("td", {}, has ? str(rep.version) : ""));
  });
  show(document.getElementById("network"),
    el("p", {}, `${count(r.offices_reporting)} trên ${count(r.offices_total)} điểm đã gửi báo cáo tình trạng.`),
    el("table", {},
      el("tr", {}, ["Mã đơn vị", "Tên", "Cấp trên", "Báo cáo lúc (giờ của điểm)", "Nhận lúc",
        "Chuyển qua", "Lệch đồng hồ", "Đồng bộ gần nhất", "Sự kiện chờ gửi", "Tự kiểm tra",
        "Dung lượng trống", "Phiên bản"].map(th)),
      rows));
}
