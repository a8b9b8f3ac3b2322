// A case's files on its page (docs/documents.md): the list (opened in a new tab when here,
// "đang tải về, 40%" while its chunks arrive, withdrawn ones struck through), the upload of
// a scan per checklist item, the withdrawal of a wrong file. Names, items and reasons come
// from other offices: text only, as everywhere (dom.js). The file itself is served by the
// node with a policy that runs nothing in it (docs/api.md, "Documents").
import { $, el, str, arr, obj, label, count, fmtTime, api, upload, showError, mayWrite } from "./dom.js";

const KIND = { original: "Bản chính", copy: "Bản sao", electronic: "Bản điện tử" };
const ROLE = { application: "Hồ sơ nộp", supplement: "Bổ sung", result: "Kết quả" };
const POLL_MS = 3000;

const filesPath = (code) => `/v1/cases/${encodeURIComponent(code)}/documents`;

function size(v) {
  if (!Number.isSafeInteger(v)) return "không rõ";
  return v >= 1 << 20 ? (v / (1 << 20)).toFixed(1).replace(".", ",") + " MB" : Math.ceil(v / 1024) + " KB";
}

// The file's URL as the node gave it, if it is one of this node's own file paths.
function fileUrl(code, d) {
  const want = filesPath(code) + "/" + str(d.sha256);
  return /^[0-9a-f]{64}$/.test(str(d.sha256)) && str(d.url) === want ? want : "";
}

function stateText(d) {
  if (d.state === "here") return "Có ở đây";
  if (d.state === "arriving") return `Đang tải về, ${count(d.progress)}%`;
  return d.hidden === "erased" ? "Đã xoá dữ liệu cá nhân: không mở được" : "Chưa mở được (chưa nhận khoá)";
}

function fileRow(code, d, onWithdraw) {
  const url = fileUrl(code, d);
  const name = str(d.name) || "(không rõ tên)";
  const opened = d.state === "here" && url
    ? el("a", { href: url, target: "_blank", rel: "noopener", class: "file-link" }, name) : el("span", {}, name);
  const progress = d.state === "arriving"
    ? el("progress", { max: "100", value: String(Number.isSafeInteger(d.progress) ? d.progress : 0) }) : "";
  return el("tr", { class: d.withdrawn === true ? "withdrawn" : "", "data-sha256": str(d.sha256) },
    el("td", {}, opened, d.withdrawn === true ? el("div", { class: "note" }, "Đã rút: " + str(d.withdraw_reason)) : ""),
    el("td", {}, str(d.item)), el("td", {}, label(KIND, d.kind)), el("td", {}, label(ROLE, d.role)),
    el("td", { class: "num" }, size(d.size)),
    el("td", { class: "file-state" }, stateText(d), " ", progress),
    el("td", {}, `${str(d.office)}, ${fmtTime(d.attached_at)}`),
    el("td", { class: "noprint" }, d.withdrawn === true || !url || !mayWrite() ? ""
      : el("button", { type: "button", class: "withdraw", onclick: () => onWithdraw(d) }, "Rút tệp")));
}

function uploadForm(items) {
  return el("form", { id: "upload", class: "grid noprint" },
    el("label", { for: "file" }, "Tệp (PDF, JPEG, PNG)"),
    el("input", { id: "file", type: "file", accept: "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png" }),
    el("label", { for: "file-item" }, "Giấy tờ"),
    el("select", { id: "file-item" }, el("option", { value: "" }, "(không thuộc danh mục)"),
      items.map((n) => el("option", { value: n }, n))),
    el("label", { for: "file-kind" }, "Loại bản"),
    el("select", { id: "file-kind" }, Object.entries(KIND).map(([k, v]) => el("option", { value: k }, v))),
    el("label", { for: "file-role" }, "Thuộc"),
    el("select", { id: "file-role" }, Object.entries(ROLE).map(([k, v]) => el("option", { value: k }, v))),
    el("div", { class: "actions" }, el("button", { type: "submit", id: "attach" }, "Đính kèm")));
}

// Fills `box` with the case's files and the upload form; `items` are the checklist's names.
// While a file is arriving the list is read again every few seconds, as long as `box` is
// still on the page.
export async function showFiles(box, code, items) {
  let timer = null;
  const render = async () => {
    timer = null;
    if (!box.isConnected) return;
    let files;
    try {
      files = arr(obj(await api("GET", filesPath(code))).documents).map(obj);
    } catch (e) {
      box.replaceChildren(el("h2", {}, "Tệp hồ sơ"));
      showError(box, e);
      return;
    }
    const table = files.length === 0 ? el("p", { id: "files" }, "Chưa có tệp nào.")
      : el("table", { id: "files" },
        el("tr", {}, ["Tệp", "Giấy tờ", "Loại bản", "Thuộc", "Dung lượng", "Tình trạng", "Đính kèm", ""]
          .map((t) => el("th", {}, t))),
        files.map((d) => fileRow(code, d, withdraw)));
    box.replaceChildren(el("h2", {}, "Tệp hồ sơ"), table, mayWrite() ? uploadForm(items) : "");
    $("#upload", box)?.addEventListener("submit", attach);
    if (files.some((d) => d.state === "arriving")) timer = setTimeout(render, POLL_MS);
  };
  const done = async (message) => {
    if (timer) clearTimeout(timer);
    await render();
    box.prepend(el("div", { class: "ok" }, message));
  };
  async function attach(ev) {
    ev.preventDefault();
    const file = $("#file", box).files[0];
    if (!file) return showError(box, new Error("Hãy chọn tệp cần đính kèm."));
    const q = new URLSearchParams({ name: file.name, kind: $("#file-kind", box).value, role: $("#file-role", box).value });
    if ($("#file-item", box).value) q.set("item", $("#file-item", box).value);
    $("#attach", box).disabled = true;
    try {
      await upload(`${filesPath(code)}?${q}`, file);
      await done("Đã đính kèm tệp: " + file.name);
    } catch (e) {
      $("#attach", box).disabled = false;
      showError(box, e);
    }
  }
  async function withdraw(d) {
    const reason = (window.prompt(`Lý do rút tệp "${str(d.name)}"?`) || "").trim();
    if (!reason) return;
    try {
      await api("POST", `${filesPath(code)}/${str(d.sha256)}/withdraw`, { reason });
      await done("Đã rút tệp: " + str(d.name));
    } catch (e) { showError(box, e); }
  }
  await render();
}
