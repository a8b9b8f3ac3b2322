// Reports: received, resolved and in progress per unit and month, the on-time rate and the
// postal share as bars (SVG), CSV download. Numbers are shown only if they are numbers.
import { $, el, svg, show, str, arr, obj, count, ratio, pct, api } from "./dom.js";

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
      sessionStorage.setItem("from", $("#from").value); sessionStorage.setItem("to", $("#to").value);
      viewReports(main);
    } },
      el("label", { for: "from" }, "Từ tháng"), el("input", { id: "from", type: "month", value: from }),
      el("label", { for: "to" }, "Đến tháng"), el("input", { id: "to", type: "month", value: to }),
      el("div", { class: "actions" }, el("button", { type: "submit" }, "Xem báo cáo"), " ",
        el("a", { id: "csv", href: "#" }, "Tải CSV"))),
    el("div", { id: "report" }, "Đang tải…"));
  const query = `from=${from}&to=${to}&by=unit,month`;
  $("#csv").href = "/v1/report?format=csv&" + query;
  $("#csv").setAttribute("download", `bao-cao-${from}-${to}.csv`);
  const r = obj(await api("GET", "/v1/report?" + query));
  const rows = arr(r.rows).map(obj);
  const n = (v) => el("td", { class: "num" }, count(v));
  const line = (row, name) => {
    const rec = obj(row.received), res = obj(row.resolved), pr = obj(row.in_progress);
    return el("tr", {}, el("td", {}, name),
      n(rec.total), n(rec.online), n(rec.in_person), n(rec.postal), n(rec.carried_over),
      n(res.total), n(res.early), n(res.on_time), n(res.late), n(pr.on_time), n(pr.late),
      el("td", { class: "num" }, pct(row.on_time_rate)), el("td", { class: "num" }, pct(row.postal_share)));
  };
  const th = (t, attrs = {}) => el("th", attrs, t);
  const w = 900, barH = 14, gap = 10, h = Math.max(1, rows.length) * (2 * barH + gap) + 30;
  const bars = rows.map((row, i) => {
    const y = 20 + i * (2 * barH + gap), on = ratio(row.on_time_rate), post = ratio(row.postal_share);
    return [
      svg("text", { x: 0, y: y + barH, "font-size": 12 }, `${str(row.unit)} ${str(row.month)}`),
      svg("rect", { x: 160, y, width: (w - 260) * on, height: barH, fill: "#2c5f2d" }),
      svg("text", { x: 165 + (w - 260) * on, y: y + barH - 2, "font-size": 11 }, pct(on)),
      svg("rect", { x: 160, y: y + barH, width: (w - 260) * post, height: barH, fill: "#d08c00" }),
      svg("text", { x: 165 + (w - 260) * post, y: y + 2 * barH - 2, "font-size": 11 }, pct(post)),
    ];
  });
  show($("#report"),
    el("table", {},
      el("tr", {}, th("Đơn vị / tháng", { rowspan: 2 }), th("Tiếp nhận", { colspan: 5 }), th("Đã giải quyết", { colspan: 4 }),
        th("Đang giải quyết", { colspan: 2 }), th("Tỷ lệ đúng hạn", { rowspan: 2 }), th("Tỷ lệ qua bưu điện", { rowspan: 2 })),
      el("tr", {}, ["Tổng", "Trực tuyến", "Trực tiếp", "Bưu điện", "Kỳ trước chuyển sang", "Tổng", "Trước hạn",
        "Đúng hạn", "Quá hạn", "Trong hạn", "Quá hạn"].map((t) => th(t))),
      rows.map((row) => line(row, `${str(row.unit)} ${str(row.month)}`)),
      line(obj(r.total), el("b", {}, "Tổng cộng"))),
    el("h2", {}, "Tỷ lệ đúng hạn (xanh) và tỷ lệ qua bưu điện (vàng)"),
    svg("svg", { class: "chart", width: w, height: h, role: "img", "aria-label": "Biểu đồ tỷ lệ đúng hạn và qua bưu điện" }, bars));
}
