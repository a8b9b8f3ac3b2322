// A case's files over the API (docs/api.md, "Documents"): list, upload, download, withdraw,
// and ask for one a node fetches on demand. The rules are core/domain/documents.h; the bytes
// are the store's. An upload is the file itself as the body (what it is, the content says),
// its name and role in the query; a download is served as a file, never as a page
// (ApiServer::ToBeast sets its policy), with the type the content had at upload.
#include "core/domain/documents.h"

#include "core/domain/access_log.h"
#include "core/format/crypto.h"
#include "node/api/responses.h"
#include "node/local_api.h"

namespace hoso::node {

using namespace api;

namespace {

std::string Query(const std::map<std::string, std::string>& query, const char* name,
                  const char* fallback = "") {
  auto it = query.find(name);
  return it == query.end() ? std::string(fallback) : it->second;
}

// A filename for Content-Disposition: the UTF-8 name percent-encoded (RFC 8187), and an ASCII
// fallback with any character but ASCII letters, digits, '.', '-' and '_' made '_'.
std::string Disposition(bool inline_view, const std::string& name) {
  std::string ascii, encoded;
  static const char* kHex = "0123456789ABCDEF";
  for (unsigned char c : name) {
    const bool plain = std::isalnum(c) || c == '.' || c == '-' || c == '_';
    if ((c & 0xc0) != 0x80) ascii += plain && c < 0x80 ? static_cast<char>(c) : '_';  // per letter
    if (plain && c < 0x80) {
      encoded += static_cast<char>(c);
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  if (ascii.empty()) ascii = "file";
  return std::string(inline_view ? "inline" : "attachment") + "; filename=\"" + ascii +
         "\"; filename*=UTF-8''" + encoded;
}

// The role's right to write, as the lifecycle's steps give it: a result is the competent
// unit's, the rest the reception's.
std::string_view RightOf(std::string_view role) {
  return role == "result" ? "result_ready" : "received";
}

HttpResponse NotArrived(size_t held, size_t chunks) {
  const int percent = chunks ? static_cast<int>(held * 100 / chunks) : 0;
  HttpResponse r =
      Error(409, "not_arrived", "",
            "the file has not fully arrived at this node (" + std::to_string(percent) +
                "% of its chunks); it is being fetched",
            "Tệp đang tải về (" + std::to_string(percent) + "%), vui lòng thử lại sau.");
  r.retry_after = "5";
  return r;
}

HttpResponse HiddenFile(const CaseDocument& d) {
  if (d.hidden == "erased") {
    return Error(410, "erased", "",
                 "the case's personal data were erased: its files cannot be opened",
                 "Dữ liệu cá nhân của hồ sơ đã bị xoá theo quyết định; không thể mở tệp.");
  }
  return Error(409, d.hidden.empty() ? "no_key" : d.hidden, "",
               "this node cannot open the file (" + d.hidden + ")",
               "Máy này chưa mở được tệp (chưa nhận khoá của hồ sơ).");
}

// The case and its files as its log tells them, or the answer saying why they cannot be read.
std::optional<HttpResponse> ReadFiles(const Store& store, const std::string& code, CaseView* view,
                                      std::vector<CaseDocument>* docs) {
  auto read = store.GetCase(code);
  if (!read.ok()) return CaseReadError(read.status(), code);
  auto files = DocumentsOfCase(store, *read);
  if (!files.ok()) return FromStatus(files.status());
  *view = std::move(read).value();
  *docs = std::move(files).value();
  return std::nullopt;
}

// The case's file whose content hash is `sha256`, or the answer saying why there is none.
std::optional<HttpResponse> ReadFile(const Store& store, const std::string& code,
                                     const Hash& sha256, CaseView* view, CaseDocument* doc) {
  std::vector<CaseDocument> docs;
  if (auto e = ReadFiles(store, code, view, &docs)) return e;
  auto found = FindCaseDocument(docs, sha256);
  if (!found.ok()) return FromStatus(found.status(), "sha256");
  *doc = std::move(found).value();
  return std::nullopt;
}

}  // namespace

json::object LocalApi::DocumentJson(const std::string& code, const CaseDocument& d) const {
  const size_t held = store_->HeldChunks(d.ref);
  json::object o;
  o["sha256"] = Hex(d.ref.sha256);
  o["size"] = d.ref.size;
  o["name"] = d.name;
  o["type"] = d.media_type;
  o["kind"] = d.kind;
  o["role"] = d.role;
  if (!d.item.empty()) o["item"] = d.item;
  o["office"] = d.office;
  o["officer"] = d.officer;
  o["attached_at"] = FormatTime(d.attached_ms);
  o["chunks"] = d.ref.chunks.size();
  o["held_chunks"] = held;
  o["progress"] = d.ref.chunks.empty() ? 100 : static_cast<int>(held * 100 / d.ref.chunks.size());
  o["state"] = !d.hidden.empty() ? "hidden" : held == d.ref.chunks.size() ? "here" : "arriving";
  if (!d.hidden.empty()) o["hidden"] = d.hidden;
  if (d.withdrawn) {
    o["withdrawn"] = true;
    o["withdraw_reason"] = d.withdraw_reason;
  }
  o["url"] = "/v1/cases/" + code + "/documents/" + Hex(d.ref.sha256);
  return o;
}

HttpResponse LocalApi::Documents(Call& call, const std::string& code, const std::string& rest) {
  const std::string& m = call.req.method;
  if (rest.empty()) {
    if (m == "GET") return ListDocuments(call, code);
    if (m == "POST") return AttachDocument(call, code);
  } else {
    const size_t slash = rest.find('/');
    const std::string hex = rest.substr(0, slash),
                      action = slash == std::string::npos ? "" : rest.substr(slash + 1);
    auto bytes = FromHex(hex);
    if (!bytes.ok() || bytes->size() != 32) {
      return Invalid("sha256", "expected the file's SHA-256 in 64 hex digits",
                     "mã tệp phải gồm 64 ký tự hexa");
    }
    const Hash sha = HashFromView(*bytes);
    if (action.empty() && m == "GET") return ServeDocument(call, code, sha);
    if (action == "withdraw" && m == "POST") return WithdrawDocument(call, code, sha);
    if (action == "fetch" && m == "POST") return FetchDocument(call, code, sha);
  }
  return Error(404, "not_found", "",
               m + " " + call.path + " is not a route of this API (docs/api.md)",
               "Không có chức năng này.");
}

HttpResponse LocalApi::ListDocuments(Call& call, const std::string& code) {
  CaseView view;
  std::vector<CaseDocument> docs;
  if (auto e = ReadFiles(*store_, code, &view, &docs)) return *e;
  json::array list;
  for (const CaseDocument& d : docs) list.push_back(DocumentJson(code, d));
  if (!IsAccessCaseCode(code)) RecordRead(call, {code}, "case");  // the files' names
  return Json(200, json::object{{"code", code}, {"documents", std::move(list)}});
}

HttpResponse LocalApi::AttachDocument(Call& call, const std::string& code) {
  AttachRequest r;
  r.name = Query(call.query, "name");
  r.item = Query(call.query, "item");
  r.kind = Query(call.query, "kind", "copy");
  r.role = Query(call.query, "role", "application");
  if (Status s = CheckAttachRequest(r); !s.ok()) {
    const std::string field = s.message().substr(0, s.message().find(':'));
    return Invalid(field, s.message(), "thông tin tệp không hợp lệ: " + s.message());
  }
  std::string officer;
  json::object who;
  if (call.query.count("officer")) who["officer"] = Query(call.query, "officer");
  if (auto e = ActingOfficer(call, who, RightOf(r.role), &officer)) return *e;
  const std::string& bytes = call.req.body;
  if (bytes.empty()) return Invalid("file", "the file is empty", "tệp rỗng");
  const std::string_view type = SniffMediaType(bytes);
  if (type.empty()) {
    return Error(415, "unsupported_type", "file",
                 "the file is not a PDF, JPEG or PNG (its content decides, not its name)",
                 "Chỉ nhận tệp PDF, JPEG hoặc PNG (bản chụp, bản quét).");
  }
  api::CaseLocks::Held held = case_locks_.Lock(code);  // the limits and the write see one case
  CaseView view;
  std::vector<CaseDocument> docs;
  if (auto e = ReadFiles(*store_, code, &view, &docs)) return *e;
  if (Status s = CheckAttachSize(bytes.size(), docs, view_.document_limits); !s.ok()) {
    if (s.code() == Code::kOutOfRange) {
      return Error(413, "too_large", "file", s.message(),
                   "Tệp vượt quá giới hạn cho phép: " + s.message());
    }
    return Invalid("file", s.message(), "tệp rỗng");
  }
  if (Status s = CheckAttachStatus(view.state.TextOr("status", ""), r.role); !s.ok()) {
    return Error(409, "conflict", "role", s.message(),
                 "Hồ sơ ở trạng thái này không nhận thêm tệp với vai trò đã chọn.");
  }
  auto sealed = store_->PutDocument(bytes);
  if (!sealed.ok()) return FromStatus(sealed.status());
  auto appended =
      store_->Append(LocalWrite{view.state.channel(), code, std::string(kDocumentAttachedType),
                                AttachBody(*sealed, type, r), officer});
  if (!appended.ok()) return FromStatus(appended.status());
  CaseDocument d;
  d.ref = sealed->ref;
  d.name = r.name;
  d.media_type = std::string(type);
  d.item = r.item;
  d.kind = r.kind;
  d.role = r.role;
  d.office = view.state.channel();
  d.officer = officer;
  d.attached_ms = clock_->NowMs();
  return Json(201, DocumentJson(code, d));
}

HttpResponse LocalApi::ServeDocument(Call& call, const std::string& code, const Hash& sha256) {
  CaseView view;
  CaseDocument doc;
  if (auto e = ReadFile(*store_, code, sha256, &view, &doc)) return *e;
  if (!doc.hidden.empty()) return HiddenFile(doc);
  const size_t held = store_->HeldChunks(doc.ref);
  if (held < doc.ref.chunks.size()) {
    (void)store_->FetchDocument(doc.ref);  // on demand: asked of the peers from now on
    return NotArrived(held, doc.ref.chunks.size());
  }
  auto bytes = store_->ReadDocument(doc.ref, doc.key);
  if (!bytes.ok()) {
    // A damaged chunk (or one marked held whose bytes are gone) is dropped and asked of the
    // peers again; the error stays for the IT team to see (and the self-check names it).
    auto dropped = store_->RefetchDamagedChunks(doc.ref);
    if (bytes.status().code() == Code::kNotFound) {
      return NotArrived(store_->HeldChunks(doc.ref), doc.ref.chunks.size());
    }
    const bool refetched = dropped.ok() && *dropped > 0;
    HttpResponse r =
        Error(500, "corrupt", "",
              bytes.status().message() +
                  (refetched ? "; its damaged chunks are being fetched again" : ""),
              refetched ? "Tệp trên máy này bị hỏng; đang tải lại phần hỏng từ máy khác. Vui lòng "
                          "thử lại sau và báo bộ phận công nghệ thông tin."
                        : "Tệp trên máy này bị hỏng; vui lòng báo bộ phận công nghệ thông tin.");
    if (refetched) r.retry_after = "5";
    return r;
  }
  RecordRead(call, {code}, "case");
  HttpResponse r;
  r.file = true;
  // The type the content has now, which the upload checked; a mismatch is only downloaded.
  const std::string_view type = SniffMediaType(*bytes);
  const bool viewable =
      !type.empty() && type == doc.media_type && Query(call.query, "download").empty();
  r.content_type = viewable ? std::string(type) : "application/octet-stream";
  r.content_disposition = Disposition(viewable, doc.name);
  r.body = std::move(bytes).value();
  return r;
}

HttpResponse LocalApi::WithdrawDocument(Call& call, const std::string& code, const Hash& sha256) {
  json::object in;
  if (auto e = ParseBody(call.req, {"officer", "reason"}, &in)) return *e;
  std::string officer, reason;
  if (auto e = TextField(in, "reason", "reason", true, kMaxText, &reason)) return *e;
  if (auto e = ActingOfficer(call, in, "received", &officer)) return *e;
  api::CaseLocks::Held held = case_locks_.Lock(code);
  CaseView view;
  CaseDocument doc;
  if (auto e = ReadFile(*store_, code, sha256, &view, &doc)) return *e;
  if (doc.withdrawn) {
    return Error(409, "conflict", "sha256", "the file was withdrawn already",
                 "Tệp này đã được rút khỏi hồ sơ.");
  }
  auto appended =
      store_->Append(LocalWrite{view.state.channel(), code, std::string(kDocumentWithdrawnType),
                                WithdrawBody(sha256, reason), officer});
  if (!appended.ok()) return FromStatus(appended.status());
  doc.withdrawn = true;
  doc.withdraw_reason = reason;
  return Json(201, DocumentJson(code, doc));
}

HttpResponse LocalApi::FetchDocument(Call&, const std::string& code, const Hash& sha256) {
  CaseView view;
  CaseDocument doc;
  if (auto e = ReadFile(*store_, code, sha256, &view, &doc)) return *e;
  if (Status s = store_->FetchDocument(doc.ref); !s.ok()) return FromStatus(s);
  return Json(202, DocumentJson(code, doc));
}

}  // namespace hoso::node
