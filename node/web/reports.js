// Reports: received, resolved and in progress per unit and month, and the indicators of
// Decision 766/QĐ-TTg (on-time rate, postal share, online share, supplement rate) as figures
// and bars (SVG), CSV download. Numbers are shown only if they are numbers; a rate over no
// case is "—", not 0%.
import { $, el, svg, show, str, arr, obj, count, ratio, pct, api, showError } from "./dom.js";

// The indicators: [field, title, colour].
const RATES = [["on_time_rate", "Tỷ lệ đúng hạn", "#2c5f2d"], ["postal_share", "Tỷ lệ qua bưu chính", "#d08c00"],
               ["online_share", "Tỷ lệ trực tuyến", "#1d4e89"], ["supplement_rate", "Tỷ lệ phải bổ sung", "#8a1c1c"]];
const rateText = (v) => (typeof v === "number" && Number.isFinite(v) ? pct(v) : "—");
// "03/2026" from "2026-03".
const monthText = (m) => (/^\d{4}-\d{2}$/.test(str(m)) ? `${str(m).slice(5)}/${str(m).slice(0, 4)}` : str(m));

export async function viewReports(main) {
  const now = new Date(Date.now() + 7 * 3600 * 1000);
  const month = (d) => `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`;
  const valid = (m) => (/^\d{4}-\d{2}$/.test(m || "") ? m : null);
  const from = valid(sessionStorage.getItem("from")) || `${now.getUTCFullYear()}-01`;
  const to = valid(sessionStorage.getItem("to")) || month(now);
  show(main,
    el("h1", {}, "Báo cáo tình hình giải quyết hồ sơ"),
    el("form", { id: "period", class: "grid", onsubmit: (ev) => {
      ev.preventDefault();
      // A reversed period is refused here, in words, before anything is asked of the node.
      if (!valid($("#from").value) || !valid($("#to").value)) {
        showError(main, new Error("Từ tháng, Đến tháng: phải có dạng MM/YYYY."));
        return;
      }
      if ($("#to").value < $("#from").value) {
        showError(main, new Error("Đến tháng phải sau hoặc bằng từ tháng."));
        return;
      }
      sessionStorage.setItem("from", $("#from").value); sessionStorage.setItem("to", $("#to").value);
      viewReports(main).catch((e) => showError(main, e));
    } },
      el("label", { for: "from" }, "Từ tháng"), el("input", { id: "from", type: "month", value: from }),
      el("label", { for: "to" }, "Đến tháng"), el("input", { id: "to", type: "month", value: to }),
      el("div", { class: "actions" }, el("button", { type: "submit" }, "Xem báo cáo"), " ",
        el("a", { id: "csv", href: "#" }, "Tải CSV (Excel)"))),
    el("div", { id: "report" }, "Đang tải…"));
  const query = `from=${from}&to=${to}&by=unit,month`;
  $("#csv").href = "/v1/report?format=csv&" + query;
  $("#csv").setAttribute("download", `bao-cao-${from}-${to}.csv`);
  let r;
  try { r = obj(await api("GET", "/v1/report?" + query)); } catch (e) {
    show($("#report"), el("p", {}, "Không lập được báo cáo."));
    throw e;
  }
  const rows = arr(r.rows).map(obj);
  const unitName = (row) => `${str(row.unit_name) || str(row.unit)} ${monthText(row.month)}`.trim();
  const n = (v) => el("td", { class: "num" }, count(v));
  const line = (row, name) => {
    const rec = obj(row.received), res = obj(row.resolved), pr = obj(row.in_progress);
    return el("tr", {}, el("td", {}, name),
      n(rec.total), n(rec.online), n(rec.in_person), n(rec.postal), n(rec.carried_over),
      n(res.total), n(res.early), n(res.on_time), n(res.late), n(pr.on_time), n(pr.late),
      RATES.map(([k]) => el("td", { class: "num", "data-rate": k }, rateText(row[k]))));
  };
  const th = (t, attrs = {}) => el("th", attrs, t);
  show($("#report"),
    el("table", { id: "report-table" },
      el("tr", {}, th("Đơn vị / tháng", { rowspan: 2 }), th("Tiếp nhận", { colspan: 5 }), th("Đã giải quyết", { colspan: 4 }),
        th("Đang giải quyết", { colspan: 2 }), th("Chỉ số (Quyết định 766/QĐ-TTg)", { colspan: RATES.length })),
      el("tr", {}, ["Tổng", "Trực tuyến", "Trực tiếp", "Bưu điện", "Kỳ trước chuyển sang", "Tổng", "Trước hạn",
        "Đúng hạn", "Quá hạn", "Trong hạn", "Quá hạn", ...RATES.map(([, t]) => t)].map((t) => th(t))),
      rows.map((row) => line(row, unitName(row))),
      line(obj(r.total), el("b", {}, "Tổng cộng"))),
    RATES.map(([k, title, colour]) => chart(rows, k, title, colour, unitName)));
}

// One indicator as bars, a row per unit and month; "—" where there is no case to rate.
function chart(rows, key, title, colour, name) {
  const w = 900, barH = 16, gap = 6, h = Math.max(1, rows.length) * (barH + gap) + 10, left = 230;
  const bars = rows.map((row, i) => {
    const y = 5 + i * (barH + gap), v = row[key], has = typeof v === "number" && Number.isFinite(v);
    return [
      svg("text", { x: 0, y: y + barH - 3, "font-size": 12 }, name(row)),
      has ? svg("rect", { x: left, y, width: Math.max(1, (w - left - 60) * ratio(v)), height: barH, fill: colour }) : null,
      svg("text", { x: left + 5 + (has ? (w - left - 60) * ratio(v) : 0), y: y + barH - 3, "font-size": 11 }, rateText(v)),
    ];
  });
  return [el("h2", {}, title),
    svg("svg", { class: "chart", "data-chart": key, width: w, height: h, role: "img", "aria-label": "Biểu đồ " + title.toLowerCase() }, bars)];
}
