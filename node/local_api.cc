#include "node/local_api.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <set>

#include "core/domain/case_index.h"
#include "core/domain/case_rules.h"
#include "core/log/case_state.h"
#include "core/log/directory.h"
#include "core/domain/event_schema.h"
#include "core/domain/lifecycle.h"
#include "core/domain/report.h"
#include "core/base/text.h"
#include "node/json.h"
#include "node/web_assets.h"
#include "sync/bundle.h"

namespace hoso::node {
namespace {

constexpr std::string_view kSessionCookie = "hoso_session";
// The documented account reference data (directory, catalogue, calendar) may be written as.
constexpr std::string_view kSystemOfficer = "system";
constexpr size_t kMaxShortText = 64;
constexpr size_t kMaxText = 2000;
constexpr size_t kDefaultLimit = 100, kMaxLimit = 10000;

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size()) {
      unsigned v = 0;
      auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (ec == std::errc() && p == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
      } else {
        out.push_back(s[i]);
      }
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

HttpResponse Json(int status, const json::value& v) {
  HttpResponse r;
  r.status = status;
  r.body = json::serialize(v) + "\n";
  return r;
}

// The error body: {"error": code, "field": name, "reason": English, "message": Vietnamese}.
HttpResponse Error(int status, std::string_view code, std::string_view field,
                   std::string_view reason, std::string_view message_vi) {
  json::object o;
  o["error"] = code;
  if (!field.empty()) o["field"] = field;
  o["reason"] = reason;
  o["message"] = message_vi;
  return Json(status, o);
}

HttpResponse FromStatus(const Status& s, std::string_view field = "") {
  switch (s.code()) {
    case Code::kInvalidArgument:
    case Code::kOutOfRange:
      return Error(400, "invalid", field, s.message(), "Dữ liệu không hợp lệ: " + s.message());
    case Code::kNotFound:
      return Error(404, "not_found", field, s.message(), "Không tìm thấy: " + s.message());
    case Code::kPermissionDenied:
      return Error(403, "forbidden", field, s.message(),
                   "Đơn vị này không có quyền ghi vào hồ sơ này.");
    case Code::kAlreadyExists:
      return Error(409, "exists", field, s.message(), "Đã tồn tại: " + s.message());
    case Code::kFrozen:
    case Code::kFork:
    case Code::kFailedPrecondition:
      return Error(409, "conflict", field, s.message(), "Không thể thực hiện: " + s.message());
    default:
      return Error(500, "internal", field, s.message(),
                   "Lỗi hệ thống, vui lòng báo bộ phận công nghệ thông tin.");
  }
}

// Vietnamese names of the request fields, for the clerk's messages.
std::string Label(std::string_view field) {
  static const std::map<std::string_view, std::string_view> labels = {
      {"officer", "cán bộ thực hiện"},
      {"code", "mã hồ sơ"},
      {"procedure", "mã thủ tục"},
      {"procedure_name", "tên thủ tục"},
      {"applicant", "thông tin người nộp"},
      {"applicant.name", "họ tên người nộp"},
      {"applicant.id_no", "số định danh cá nhân"},
      {"applicant.phone", "số điện thoại"},
      {"applicant.email", "thư điện tử"},
      {"applicant.address", "địa chỉ người nộp"},
      {"documents", "thành phần hồ sơ"},
      {"channel", "hình thức tiếp nhận"},
      {"return_by_post", "nhận kết quả qua bưu điện"},
      {"return_address", "địa chỉ nhận kết quả qua bưu điện"},
      {"due_at", "ngày hẹn trả kết quả"},
      {"fee", "lệ phí"},
      {"note", "ghi chú"},
      {"status", "trạng thái"},
      {"tracking", "mã vận đơn"},
      {"limit", "số hồ sơ tối đa"},
      {"due_before", "hạn trả trước ngày"},
      {"due_after", "hạn trả từ ngày"},
      {"overdue", "quá hạn"},
      {"valid_from", "ngày hiệu lực"},
      {"body", "nội dung gửi lên"},
  };
  auto it = labels.find(field);
  if (it != labels.end()) return std::string(it->second);
  if (field.rfind("documents", 0) == 0) return "thành phần hồ sơ (" + std::string(field) + ")";
  return std::string(field);
}

// A case that could not be read: 404 when this node does not hold it.
HttpResponse CaseReadError(const Status& s, const std::string& code) {
  if (s.code() != Code::kNotFound) return FromStatus(s);
  return Error(404, "not_found", "code", "no case " + code + " on this node",
               "Không tìm thấy hồ sơ " + code + ".");
}

HttpResponse Missing(const std::string& field) {
  return Error(400, "invalid", field, "is required", "Thiếu " + Label(field) + ".");
}

HttpResponse Invalid(const std::string& field, const std::string& reason,
                     const std::string& reason_vi) {
  return Error(400, "invalid", field, reason,
               "Thông tin không hợp lệ – " + Label(field) + ": " + reason_vi + ".");
}

// A case rule's refusal as the API's answer (400; a step the lifecycle forbids: 409 with
// the steps allowed).
HttpResponse Refused(const Refusal& r) {
  if (r.kind == Refusal::Kind::kMissing) return Missing(r.field);
  if (r.kind == Refusal::Kind::kInvalid) return Invalid(r.field, r.reason, r.message_vi);
  json::object e{{"error", "invalid_step"},
                 {"field", r.field},
                 {"reason", r.reason},
                 {"message", r.message_vi}};
  json::array allowed;
  for (const auto& a : r.allowed) allowed.push_back(json::value(a));
  e["allowed"] = std::move(allowed);
  return Json(409, e);
}

const char* const kViTime = "không đúng định dạng thời gian (ví dụ 2026-12-05T17:00:00+07:00)";
const char* const kViBool = "chỉ nhận true hoặc false";

std::optional<HttpResponse> UnknownFields(const json::object& o, const std::set<std::string>& known,
                                          const std::string& prefix) {
  for (const auto& [k, v] : o) {
    std::string key(k.data(), k.size());
    if (!known.count(key)) {
      return Error(400, "invalid", prefix + key, "unknown field",
                   "Trường không được hỗ trợ: " + prefix + key + ".");
    }
  }
  return std::nullopt;
}

// Reads an optional (or required) text field of at most `max` bytes, trimmed of nothing:
// what the clerk typed is what is stored.
std::optional<HttpResponse> TextField(const json::object& o, const std::string& name,
                                      const std::string& path, bool required, size_t max,
                                      std::string* out) {
  auto it = o.find(name);
  if (it == o.end() || it->value().is_null()) {
    if (required) return Missing(path);
    return std::nullopt;
  }
  if (!it->value().is_string()) return Invalid(path, "must be a string", "phải là chuỗi ký tự");
  const auto& s = it->value().get_string();
  std::string_view text(s.data(), s.size());
  if (required && text.find_first_not_of(" \t") == std::string_view::npos) return Missing(path);
  if (text.size() > max)
    return Invalid(path, "longer than " + std::to_string(max) + " bytes",
                   "dài quá " + std::to_string(max) + " byte");
  if (!cbor::IsValidUtf8(text)) return Invalid(path, "invalid UTF-8", "sai mã UTF-8");
  *out = std::string(text);
  return std::nullopt;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

json::value FieldValue(const LiveWrite& w) {
  auto v = cbor::Decode(w.value);
  return v.ok() ? CborToJson(*v) : json::value(nullptr);
}

// Sync keeps one status per accepted connection; people want one line per child office: its
// connected session, else its latest. Connections that never authenticated (refused
// certificates, probes) show only the latest few, for their errors.
std::vector<sync::PeerStatus> OnePerPeer(std::vector<sync::PeerStatus> all) {
  constexpr size_t kAnonymous = 5;
  std::vector<sync::PeerStatus> out, anonymous;
  std::map<std::string, sync::PeerStatus> by_unit;
  for (auto& p : all) {
    if (p.upstream) {
      out.push_back(std::move(p));
    } else if (p.unit.empty()) {
      anonymous.push_back(std::move(p));
    } else {
      auto [it, fresh] = by_unit.try_emplace(p.unit, p);
      const sync::PeerStatus& kept = it->second;
      if (!fresh && (p.connected > kept.connected ||
                     (p.connected == kept.connected && p.since_ms > kept.since_ms))) {
        it->second = std::move(p);
      }
    }
  }
  for (auto& [unit, p] : by_unit) out.push_back(std::move(p));
  std::sort(anonymous.begin(), anonymous.end(),
            [](const auto& a, const auto& b) { return a.since_ms > b.since_ms; });
  if (anonymous.size() > kAnonymous) anonymous.resize(kAnonymous);
  for (auto& p : anonymous) out.push_back(std::move(p));
  return out;
}

// Large reference loads (a catalogue of thousands of procedures) in commits of at most
// kMaxAppendWrites; each commit is atomic and a failed one stops the load there.
Status AppendInChunks(Store& store, std::vector<LocalWrite> writes) {
  for (size_t i = 0; i < writes.size(); i += kMaxAppendWrites) {
    size_t end = std::min(writes.size(), i + kMaxAppendWrites);
    std::vector<LocalWrite> chunk(std::make_move_iterator(writes.begin() + i),
                                  std::make_move_iterator(writes.begin() + end));
    HOSO_RETURN_IF_ERROR(store.Append(std::move(chunk)).status());
  }
  return Status::Ok();
}

std::string SessionToken(std::string_view cookie_header) {
  // Cookie: a=b; hoso_session=TOKEN; c=d
  std::string_view rest = cookie_header;
  while (!rest.empty()) {
    size_t semi = rest.find(';');
    std::string_view pair = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? "" : rest.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    std::string prefix = std::string(kSessionCookie) + "=";
    if (pair.rfind(prefix, 0) == 0) return std::string(pair.substr(prefix.size()));
  }
  return "";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "host[:port]" with the scheme's default port added when none is given ("[::1]" too).
std::string WithPort(std::string_view hostport, std::string_view default_port) {
  std::string h = Lower(hostport);
  size_t bracket = h.rfind(']');
  size_t colon = h.rfind(':');
  bool has_port = colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
  if (!has_port) h += ":" + std::string(default_port);
  return h;
}

// CSRF (docs/api.md, "Cross-site requests"): a state-changing request that a browser may
// send on its own (a session cookie, or a login) must be JSON, which a cross-site form cannot
// send, and, when it names its Origin, come from a page of this very host:port (the cookie is
// sent to every port of a host: SameSite does not look at ports).
std::optional<HttpResponse> CrossSiteCheck(const HttpRequest& req, bool need_json) {
  const std::string& m = req.method;
  if (m != "POST" && m != "PUT" && m != "PATCH" && m != "DELETE") return std::nullopt;
  if (need_json) {
    std::string_view type = req.content_type;
    type = type.substr(0, type.find(';'));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
    if (Lower(type) != "application/json") {
      return Error(403, "forbidden", "Content-Type",
                   "a request with an officer's session must have Content-Type: "
                   "application/json (cross-site request refused)",
                   "Yêu cầu bị từ chối: dữ liệu phải được gửi dưới dạng JSON từ ứng dụng của "
                   "đơn vị.");
    }
  }
  if (req.origin.empty()) return std::nullopt;
  std::string_view origin = req.origin;
  std::string origin_host;
  if (origin.starts_with("http://")) {
    origin_host = WithPort(origin.substr(7), "80");
  } else if (origin.starts_with("https://")) {
    origin_host = WithPort(origin.substr(8), "443");
  }
  if (origin_host.empty() || req.host.empty() || origin_host.find('/') != std::string::npos ||
      origin_host != WithPort(req.host, "80")) {
    return Error(403, "forbidden", "Origin",
                 "the request comes from a page of another origin than this node's (Origin " +
                     std::string(origin.substr(0, 200)) + ", Host " + req.host.substr(0, 200) +
                     "): cross-site request refused",
                 "Yêu cầu bị từ chối: yêu cầu được gửi từ một trang không thuộc ứng dụng của "
                 "đơn vị.");
  }
  return std::nullopt;
}

}  // namespace

struct LocalApi::Call {
  const HttpRequest& req;
  std::string path;
  std::map<std::string, std::string> query;
  std::optional<Session> session;  // a logged-in officer (web app); none with the API token
};

LocalApi::LocalApi(Store* store, const Clock* clock, std::string token, NodeView view)
    : store_(store),
      clock_(clock),
      token_(std::move(token)),
      view_(std::move(view)),
      sessions_(clock) {}

HttpResponse LocalApi::Handle(const HttpRequest& request) {
  Call call{request, "", {}};
  std::string_view target = request.target;
  size_t q = target.find('?');
  call.path = PercentDecode(target.substr(0, q));
  if (q != std::string_view::npos) {
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
      size_t amp = rest.find('&');
      std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? "" : rest.substr(amp + 1);
      size_t eq = pair.find('=');
      call.query[PercentDecode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1));
    }
  }
  HttpResponse r = Route(call);
  std::lock_guard lock(counts_mu_);
  ++responses_[r.status];
  return r;
}

std::optional<HttpResponse> LocalApi::Admit(const HttpRequest& request) {
  Call call{request, "", {}};
  std::string_view target = request.target;
  call.path = PercentDecode(target.substr(0, target.find('?')));
  const std::string& m = request.method;
  const std::string& p = call.path;
  std::optional<HttpResponse> refused;
  if (p == "/healthz" || (m == "GET" && p.rfind("/v1/", 0) != 0 && p != "/metrics") ||
      (p == "/v1/login" && m == "POST")) {
    return std::nullopt;  // public
  }
  refused = Authenticate(call);
  if (!refused && call.session && p.rfind("/v1/bundle", 0) == 0) {
    refused = Error(403, "forbidden", "",
                    "bundles are imported with the node's API token, not an officer's session",
                    "Chức năng này dành cho bộ phận công nghệ thông tin.");
  }
  if (refused) {
    std::lock_guard lock(counts_mu_);
    ++responses_[refused->status];
  }
  return refused;
}

HttpResponse LocalApi::Route(Call& call) {
  const std::string& m = call.req.method;
  const std::string& p = call.path;
  if (p == "/healthz") return Json(200, json::object{{"ok", true}});
  if (m == "GET" && p.rfind("/v1/", 0) != 0 && p != "/metrics") return StaticFile(p);
  if (p == "/v1/login" && m == "POST") {
    if (auto refused = CrossSiteCheck(call.req, true)) return *refused;
    return Login(call);
  }
  if (auto denied = Authenticate(call)) return *denied;
  if (call.session) {
    // The web app's logout sends no body (and so no Content-Type): only its Origin is checked.
    bool bodyless_logout = p == "/v1/logout" && call.req.body.empty();
    if (auto refused = CrossSiteCheck(call.req, !bodyless_logout)) return *refused;
  }
  if (p == "/v1/logout" && m == "POST") {
    sessions_.Close(SessionToken(call.req.cookie));
    HttpResponse r = Json(200, json::object{{"ok", true}});
    r.set_cookie = std::string(kSessionCookie) + "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0";
    return r;
  }
  if (p == "/v1/me" && m == "GET" && call.session) {
    const Officer& o = call.session->officer;
    return Json(200,
                json::object{{"login", o.login}, {"name", o.name}, {"role", RoleName(o.role)}});
  }
  if (call.session && m != "GET") {
    // Officers write cases and steps; everything else is the IT team's (the API token).
    bool case_write = p == "/v1/cases" || (p.rfind("/v1/cases/", 0) == 0 && p.ends_with("/steps"));
    if (!case_write) {
      return Error(403, "forbidden", "",
                   "this needs the node's API token, not an officer's session",
                   "Chức năng này dành cho bộ phận công nghệ thông tin.");
    }
  }
  const std::string cases = "/v1/cases";
  if (p == cases) {
    if (m == "POST") return ReceiveCase(call);
    if (m == "GET") return ListCases(call);
  } else if (p.rfind(cases + "/", 0) == 0) {
    std::string rest = p.substr(cases.size() + 1);
    const std::string steps = "/steps";
    if (rest.size() > steps.size() && rest.ends_with(steps)) {
      if (m == "POST") return RecordStep(call, rest.substr(0, rest.size() - steps.size()));
    } else if (!rest.empty() && rest.find('/') == std::string::npos && m == "GET") {
      return GetCase(call, rest);
    }
  } else if (p == "/v1/sync/status" && m == "GET") {
    return SyncStatus(call);
  } else if (p == "/v1/node" && m == "GET") {
    return NodeInfo(call);
  } else if (p == "/v1/scope" && m == "GET") {
    return Scope(call);
  } else if (p == "/v1/backup" && m == "POST") {
    return Backup(call);
  } else if (p == "/v1/bundle" && m == "POST") {
    return ImportBundle(call);
  } else if (p == "/v1/report" && m == "GET") {
    return Report(call);
  } else if (p == "/v1/catalogue") {
    if (m == "GET") return Catalogue(call);
    if (m == "POST") return LoadCatalogue(call);
  } else if (p == "/v1/calendar") {
    if (m == "GET") return Calendar(call);
    if (m == "POST") return SetCalendar(call);
  } else if (p == "/v1/directory") {
    if (m == "GET") return Directory(call);
    if (m == "POST") return LoadDirectory(call);
  } else if (p == "/v1/revocations") {
    if (m == "GET") return Revocations(call);
    if (m == "POST") return Revoke(call);
  } else if (p == "/metrics" && m == "GET") {
    return Metrics(call);
  }
  return Error(404, "not_found", "", m + " " + p + " is not a route of this API (docs/api.md)",
               "Không có chức năng này.");
}

Result<std::string> LocalApi::MintCaseCode(int64_t now_ms) const {
  const Identity& id = *store_->options().identity;
  const std::string prefix = CaseCodePrefix(id.unit, id.epoch, now_ms);
  HOSO_ASSIGN_OR_RETURN(std::vector<std::string> held, store_->CaseCodes(prefix, SIZE_MAX));
  // Only "not found" makes a code free: a read error is passed on.
  return NextCaseCode(prefix, held, [&](const std::string& code) -> Result<bool> {
    auto state = store_->GetCaseState(code);
    if (state.status().code() == Code::kNotFound) return true;
    if (!state.ok()) return state.status();
    return false;
  });
}

namespace {

// The request body as a JSON object with only the `known` fields.
std::optional<HttpResponse> ParseBody(const HttpRequest& req, const std::set<std::string>& known,
                                      json::object* out) {
  auto parsed = ParseJson(req.body);
  if (!parsed.ok() || !parsed->is_object()) {
    return Error(400, "invalid", "",
                 parsed.ok() ? "the body must be a JSON object" : parsed.status().message(),
                 "Dữ liệu gửi lên không đúng định dạng.");
  }
  *out = std::move(parsed->as_object());
  return UnknownFields(*out, known, "");
}

std::optional<HttpResponse> ReadApplicant(const json::object& in, cbor::Value* applicant) {
  auto app = in.find("applicant");
  if (app == in.end() || app->value().is_null()) return Missing("applicant");
  if (!app->value().is_object()) {
    return Invalid("applicant", "must be an object", "phải là một đối tượng");
  }
  const json::object& a = app->value().get_object();
  if (auto e = UnknownFields(a, {"name", "id_no", "phone", "email", "address"}, "applicant.")) {
    return e;
  }
  *applicant = cbor::Value::Map();
  for (std::string_view f : {"name", "id_no", "phone", "email", "address"}) {
    std::string value;
    std::string path = "applicant." + std::string(f);
    size_t max = f == "address" ? kMaxText : 200;
    if (auto e = TextField(a, std::string(f), path, f == "name", max, &value)) return e;
    if (value.empty()) continue;
    if (f == "id_no" && (!IsDigits(value) || (value.size() != 9 && value.size() != 12))) {
      return Invalid(path, "must be 9 or 12 digits", "phải gồm 9 hoặc 12 chữ số");
    }
    if (f == "phone" && (value.size() < 8 || value.size() > 15 ||
                         value.find_first_not_of("+0123456789 ") != std::string::npos)) {
      return Invalid(path, "must be 8 to 15 digits", "phải gồm 8 đến 15 chữ số");
    }
    applicant->Set(f, cbor::Value::Text(value));
  }
  return std::nullopt;
}

// Documents: [{name, kind: original|copy, count}].
std::optional<HttpResponse> ReadDocuments(const json::object& in, cbor::Value* documents) {
  *documents = cbor::Value::Array();
  auto d = in.find("documents");
  if (d == in.end() || d->value().is_null()) return std::nullopt;
  if (!d->value().is_array()) {
    return Invalid("documents", "must be an array", "phải là một danh sách");
  }
  size_t i = 0;
  for (const auto& item : d->value().get_array()) {
    std::string path = "documents[" + std::to_string(i++) + "]";
    if (!item.is_object()) return Invalid(path, "must be an object", "phải là một đối tượng");
    const json::object& doc = item.get_object();
    if (auto e = UnknownFields(doc, {"name", "kind", "count"}, path + ".")) return e;
    std::string name, kind = "copy";
    if (auto e = TextField(doc, "name", path + ".name", true, kMaxText, &name)) return e;
    if (auto e = TextField(doc, "kind", path + ".kind", false, kMaxShortText, &kind)) return e;
    if (kind != "original" && kind != "copy") {
      return Invalid(path + ".kind", "must be \"original\" or \"copy\"",
                     "chỉ nhận original (bản chính) hoặc copy (bản sao)");
    }
    uint64_t count = 1;
    if (auto c = doc.find("count"); c != doc.end()) {
      if (!c->value().is_int64() || c->value().get_int64() < 1 || c->value().get_int64() > 1000) {
        return Invalid(path + ".count", "must be a whole number from 1 to 1000",
                       "phải là số nguyên từ 1 đến 1000");
      }
      count = static_cast<uint64_t>(c->value().get_int64());
    }
    cbor::Value entry = cbor::Value::Map();
    entry.Set("name", cbor::Value::Text(name));
    entry.Set("kind", cbor::Value::Text(kind));
    entry.Set("count", cbor::Value::Uint(count));
    documents->Append(std::move(entry));
  }
  return std::nullopt;
}

}  // namespace

HttpResponse LocalApi::ReceiveCase(Call& call) {
  if (!store_->options().identity) return FromStatus(Status::FailedPrecondition("no identity"));
  json::object in;
  if (auto e =
          ParseBody(call.req,
                    {"officer", "code", "procedure", "procedure_name", "applicant", "documents",
                     "channel", "return_by_post", "return_address", "due_at", "fee", "note"},
                    &in)) {
    return *e;
  }
  std::string officer, code, procedure, procedure_name, channel, return_address, note;
  if (auto e = ActingOfficer(call, in, "received", &officer)) return *e;
  if (auto e = TextField(in, "code", "code", false, kMaxShortText, &code)) return *e;
  if (auto e = TextField(in, "procedure", "procedure", true, kMaxShortText, &procedure)) return *e;
  if (auto e = TextField(in, "procedure_name", "procedure_name", false, kMaxText, &procedure_name))
    return *e;
  if (auto e = TextField(in, "channel", "channel", true, kMaxShortText, &channel)) return *e;
  if (auto e = TextField(in, "note", "note", false, kMaxText, &note)) return *e;
  if (!code.empty() && (!ValidateName("case code", code).ok() || code.front() == '$')) {
    return Invalid("code", "use letters, digits, '.', '_' and '-' only",
                   "chỉ dùng chữ, số và các dấu . _ -");
  }
  cbor::Value applicant, documents;
  if (auto e = ReadApplicant(in, &applicant)) return *e;
  if (auto e = ReadDocuments(in, &documents)) return *e;

  bool by_post = false;
  if (auto r = in.find("return_by_post"); r != in.end() && !r->value().is_null()) {
    if (!r->value().is_bool()) return Invalid("return_by_post", "must be true or false", kViBool);
    by_post = r->value().get_bool();
  }
  if (auto e =
          TextField(in, "return_address", "return_address", by_post, kMaxText, &return_address)) {
    return *e;
  }
  ReceptionRequest request{procedure, procedure_name, channel, return_address, note,
                           std::move(applicant), std::move(documents), by_post};
  if (auto f = in.find("fee"); f != in.end() && !f->value().is_null()) {
    if (!f->value().is_int64() || f->value().get_int64() < 0) {
      return Invalid("fee", "must be a whole number of đồng, 0 or more",
                     "phải là số tiền nguyên (đồng), không âm");
    }
    request.fee = static_cast<uint64_t>(f->value().get_int64());
  }
  if (auto d = in.find("due_at"); d != in.end() && !d->value().is_null()) {
    Result<int64_t> t =
        d->value().is_string()
            ? ParseTime(std::string(d->value().get_string()))
            : (d->value().is_int64() ? Result<int64_t>(d->value().get_int64())
                                     : Result<int64_t>(Status::InvalidArgument("must be a time")));
    if (!t.ok()) return Invalid("due_at", t.status().message(), kViTime);
    request.due_at = *t;
  }
  const int64_t now = clock_->NowMs();
  const std::string& unit = store_->options().identity->unit;
  cbor::Value body;
  if (auto refused = BuildReception(request, *Reference(), unit, now, &body)) {
    return Refused(*refused);
  }
  std::lock_guard lock(write_mu_);
  if (code.empty()) {
    auto minted = MintCaseCode(now);
    if (!minted.ok()) return FromStatus(minted.status());
    code = std::move(minted).value();
  } else if (!CaseCodeBelongsTo(code, unit)) {
    return Invalid("code", "a case code received here starts with this office's unit " + unit,
                   "mã hồ sơ tiếp nhận tại đây phải bắt đầu bằng mã đơn vị " + unit);
  } else if (auto held = store_->GetCaseState(code); held.ok()) {
    return Error(409, "exists", "code", "case " + code + " already exists",
                 "Mã hồ sơ " + code + " đã tồn tại.");
  } else if (held.status().code() != Code::kNotFound) {
    return FromStatus(held.status());
  }
  auto appended = store_->Append(LocalWrite{unit, code, "case.received", std::move(body), officer});
  if (!appended.ok()) return FromStatus(appended.status());
  HttpResponse r = GetCase(call, code);
  r.status = 201;
  return r;
}

HttpResponse LocalApi::RecordStep(Call& call, const std::string& code) {
  json::object in;
  if (auto e = ParseBody(call.req, {"officer", "status", "note", "tracking"}, &in)) return *e;
  std::string officer, status, note, tracking;
  if (auto e = TextField(in, "status", "status", true, kMaxShortText, &status)) return *e;
  if (auto e = ActingOfficer(call, in, status, &officer)) return *e;
  if (auto e = TextField(in, "note", "note", false, kMaxText, &note)) return *e;
  if (auto e = TextField(in, "tracking", "tracking", false, kMaxShortText, &tracking)) return *e;
  if (auto refused = CheckStepStatus(status)) return Refused(*refused);
  std::lock_guard lock(write_mu_);  // the check and the write see the same state
  auto state = store_->GetCaseState(code);
  if (!state.ok()) return CaseReadError(state.status(), code);
  cbor::Value body;
  if (auto refused =
          BuildStep(*state, status, note, tracking, *Reference(), clock_->NowMs(), &body)) {
    return Refused(*refused);
  }
  auto appended =
      store_->Append(LocalWrite{state->channel(), code, "case.step", std::move(body), officer});
  if (!appended.ok()) return FromStatus(appended.status());
  HttpResponse r = GetCase(call, code);
  r.status = 201;
  return r;
}

std::shared_ptr<const ReferenceData> LocalApi::Reference() const {
  // Reloaded when the reference channels moved (their heads' seqs change).
  uint64_t version = 0;
  for (const auto& [stream, head] : store_->Vector(
           [](const std::string& c) { return c == kCatalogueChannel || c == kCalendarChannel; })) {
    version = version * 1000003 + head.seq + 1;
  }
  std::lock_guard lock(reference_mu_);
  if (!reference_ || version != reference_version_) {
    auto loaded = LoadReferenceData(*store_);
    reference_ = std::make_shared<const ReferenceData>(loaded.ok() ? std::move(loaded).value()
                                                                   : ReferenceData{});
    reference_version_ = version;
  }
  return reference_;
}

HttpResponse LocalApi::GetCase(Call&, const std::string& code) {
  auto view = store_->GetCase(code);
  if (!view.ok()) return CaseReadError(view.status(), code);
  const CaseState& st = view->state;
  std::map<std::string, const HistoryEntry*> by_id;
  for (const auto& h : view->history) by_id[std::string(AsView(h.id))] = &h;
  json::object fields;
  json::array conflicts;
  for (const auto& f : st.fields()) {
    if (const LiveWrite* w = st.Winner(f)) fields[f.name] = FieldValue(*w);
    if (f.live.size() < 2) continue;
    json::array candidates;
    for (const auto& w : f.live) {
      const EventRef& ref = st.events()[w.ref];
      json::object c;
      c["value"] = FieldValue(w);
      c["origin"] = ref.origin;
      c["at"] = FormatTime(static_cast<int64_t>(ref.hlc >> 16));
      auto h = by_id.find(std::string(AsView(ref.id)));
      if (h != by_id.end()) c["officer"] = h->second->event.officer;
      c["winner"] = (&w == st.Winner(f));
      candidates.push_back(std::move(c));
    }
    conflicts.push_back(json::object{{"field", f.name}, {"candidates", std::move(candidates)}});
  }
  json::array history;
  for (const auto& h : view->history) {
    const Event& e = h.event;
    json::object entry;
    entry["at"] = FormatTime(static_cast<int64_t>(e.hlc >> 16));
    entry["office"] = e.stream.origin;
    entry["epoch"] = e.stream.epoch;
    entry["seq"] = e.seq;
    entry["officer"] = e.officer;
    entry["type"] = e.type;
    entry["changes"] = CborToJson(e.body);
    entry["id"] = Hex(h.id);
    if (h.recorded_before_deps) entry["recorded_before_deps"] = true;
    history.push_back(std::move(entry));
  }
  json::object out;
  out["code"] = code;
  out["office"] = st.channel();
  out["fields"] = std::move(fields);
  out["conflicts"] = std::move(conflicts);
  out["history"] = std::move(history);
  out["fingerprint"] = Hex(st.Fingerprint());
  json::array next;
  for (const auto& a : AllowedNextSteps(st.TextOr("status", ""))) next.push_back(json::value(a));
  out["allowed_next"] = std::move(next);
  return Json(200, out);
}

HttpResponse LocalApi::ListCases(Call& call) {
  static const std::set<std::string> known = {"status",    "office",  "applicant", "due_before",
                                              "due_after", "overdue", "limit"};
  for (const auto& [k, v] : call.query) {
    if (!known.count(k)) {
      return Error(400, "invalid", k, "unknown query parameter", "Tham số không hợp lệ: " + k);
    }
  }
  size_t limit = kDefaultLimit;
  if (auto it = call.query.find("limit"); it != call.query.end()) {
    auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), limit);
    if (ec != std::errc() || p != it->second.data() + it->second.size() || limit == 0 ||
        limit > kMaxLimit) {
      return Invalid("limit", "must be a number from 1 to " + std::to_string(kMaxLimit),
                     "phải là số từ 1 đến " + std::to_string(kMaxLimit));
    }
  }
  int64_t now = clock_->NowMs();
  int64_t due_after = INT64_MIN, due_before = INT64_MAX;
  for (auto [name, bound] : {std::pair{"due_after", &due_after}, {"due_before", &due_before}}) {
    if (auto it = call.query.find(name); it != call.query.end()) {
      auto t = ParseTime(it->second);
      if (!t.ok()) return Invalid(name, t.status().message(), kViTime);
      *bound = *t;
    }
  }
  bool overdue = false;
  if (auto it = call.query.find("overdue"); it != call.query.end()) {
    if (it->second != "true" && it->second != "false" && it->second != "1" && it->second != "0") {
      return Invalid("overdue", "must be true or false", kViBool);
    }
    overdue = it->second == "true" || it->second == "1";
    if (overdue) due_before = std::min(due_before, now);
  }
  auto get = [&](const char* k) {
    auto it = call.query.find(k);
    return it == call.query.end() ? std::string() : it->second;
  };
  std::string status = get("status"), office = get("office"), applicant = get("applicant");
  // Candidates from the most selective index asked for; the others filter them.
  constexpr size_t kScan = 1 << 20;
  Result<std::vector<std::string>> found = std::vector<std::string>();
  if (!applicant.empty()) {
    found = CasesByApplicant(*store_, applicant, kScan);
  } else if (!status.empty()) {
    found = CasesByStatus(*store_, status, kScan);
  } else if (!office.empty()) {
    found = store_->CasesOfChannel(office, kScan);
  } else if (due_after != INT64_MIN || due_before != INT64_MAX) {
    found = CasesDueBetween(*store_, std::max<int64_t>(due_after, 0), due_before, kScan);
  } else {
    found = store_->CaseCodes("", kScan);
  }
  if (!found.ok()) return FromStatus(found.status());
  std::vector<std::string> candidates = std::move(found).value();
  json::array out;
  size_t matched = 0;
  for (const auto& code : candidates) {
    auto st = store_->GetCaseState(code);
    if (!st.ok()) continue;
    std::string s = st->TextOr("status", "");
    if (!status.empty() && s != status) continue;
    if (!office.empty() && st->channel() != office) continue;
    cbor::Value due_v = st->Get("due_at");
    bool has_due = due_v.is_uint();
    int64_t due = has_due ? static_cast<int64_t>(due_v.uint()) : 0;
    if ((due_after != INT64_MIN || due_before != INT64_MAX) &&
        (!has_due || due < due_after || due >= due_before)) {
      continue;
    }
    bool late = IsOverdue(*st, now);
    if (overdue && !late) continue;
    // One more than the limit tells that the list goes on; counting further would load every
    // case of a large scope.
    if (++matched > limit) break;
    json::object c;
    c["code"] = code;
    c["office"] = st->channel();
    c["status"] = s;
    c["procedure"] = st->TextOr("procedure", "");
    cbor::Value app = st->Get("applicant");
    const cbor::Value* name = app.is_map() ? app.Find("name") : nullptr;
    c["applicant"] = name && name->is_text() ? name->str() : "";
    cbor::Value received = st->Get("received_at");
    if (received.is_uint()) c["received_at"] = FormatTime(static_cast<int64_t>(received.uint()));
    if (has_due) c["due_at"] = FormatTime(due);
    c["overdue"] = late;
    c["conflicts"] = st->Conflicts().size();
    out.push_back(std::move(c));
  }
  json::object body;
  body["count"] = out.size();
  body["truncated"] = matched > limit;
  body["cases"] = std::move(out);
  return Json(200, body);
}

std::vector<sync::PeerStatus> LocalApi::CurrentPeers() const {
  return view_.peers ? OnePerPeer(view_.peers()) : std::vector<sync::PeerStatus>{};
}

uint64_t LocalApi::EventsBehind(const sync::PeerStatus& peer, const std::string& me) const {
  if (peer.unit.empty()) return 0;
  auto dir = store_->DirectorySnapshot();
  int64_t now = clock_->NowMs();
  VersionVector ours = store_->Vector([&](const std::string& channel) {
    return IsSystemChannel(channel) ||
           (dir->InScope(peer.unit, channel, now) && dir->InScope(me, channel, now));
  });
  VersionVector known = store_->PeerKnowledge(peer.unit + "#" + std::to_string(peer.epoch));
  uint64_t behind = 0;
  for (const auto& [stream, head] : ours) {
    auto it = known.find(stream);
    uint64_t theirs = it == known.end() ? 0 : it->second.seq;
    if (head.seq > theirs) behind += head.seq - theirs;
  }
  return behind;
}

HttpResponse LocalApi::SyncStatus(Call&) {
  std::vector<sync::PeerStatus> peers = CurrentPeers();
  const std::string me = store_->options().identity ? store_->options().identity->unit : "";
  json::array list;
  bool online = false;
  int64_t since = view_.started_ms;
  int64_t last_success = 0;
  for (const auto& p : peers) {
    json::object o;
    o["address"] = p.address;
    o["unit"] = p.unit;
    o["epoch"] = p.epoch;
    o["direction"] = p.upstream ? "upstream" : "downstream";
    o["connected"] = p.connected;
    if (p.since_ms) o["since"] = FormatTime(p.since_ms);
    if (p.last_success_ms) o["last_success"] = FormatTime(p.last_success_ms);
    o["events_behind"] = EventsBehind(p, me);
    o["clock_skew_ms"] = p.clock_skew_ms;
    o["bytes_sent"] = p.bytes_sent;
    o["bytes_received"] = p.bytes_received;
    o["wire_bytes_sent"] = p.wire_sent;
    o["wire_bytes_received"] = p.wire_received;
    o["events_sent"] = p.events_sent;
    o["events_received"] = p.events_received;
    if (!p.last_error.empty()) o["last_error"] = p.last_error;
    list.push_back(std::move(o));
    if (!p.upstream) continue;
    last_success = std::max(last_success, p.last_success_ms);
    if (p.connected && !online) {
      online = true;
      since = p.since_ms;
    } else if (!p.connected && !online && p.since_ms) {
      since = std::max(since, p.since_ms);
    }
  }
  json::object out;
  out["unit"] = me;
  out["epoch"] = store_->options().identity ? store_->options().identity->epoch : 0;
  if (view_.upstreams.empty()) {
    out["state"] = "no_upstream";  // the root of the tree
  } else {
    out["state"] = online ? "online" : "offline";
    out["since"] = FormatTime(since);
  }
  if (last_success) out["last_success"] = FormatTime(last_success);
  json::array ups;
  for (const auto& u : view_.upstreams) ups.push_back(json::value(u));
  out["upstreams"] = std::move(ups);
  out["peers"] = std::move(list);
  auto ahead = store_->OriginsAhead();
  if (!ahead.ok()) return FromStatus(ahead.status());
  json::array clocks;
  for (const auto& a : *ahead) {
    json::object o;
    o["unit"] = a.unit;
    o["epoch"] = a.epoch;
    o["latest_event"] = FormatTime(a.latest_event_ms);
    o["max_ahead_ms"] = a.max_ahead_ms;
    o["noticed"] = FormatTime(a.noticed_ms);
    o["events"] = a.events;
    clocks.push_back(std::move(o));
  }
  out["clocks_ahead"] = std::move(clocks);
  if (view_.self_check) out["self_check"] = SelfCheckJson(view_.self_check());
  return Json(200, out);
}

json::object LocalApi::SelfCheckJson(const SelfCheckReport& r) {
  json::object o;
  o["state"] = SelfCheckStateName(r.state);
  o["streams"] = r.streams;
  o["events"] = r.events;
  o["cases"] = r.cases;
  o["findings"] = r.findings;
  json::array first;
  for (const auto& f : r.first_findings) first.push_back(json::value(f));
  o["first_findings"] = std::move(first);
  o["started"] = FormatTime(r.started_ms);
  if (r.finished_ms) {
    o["finished"] = FormatTime(r.finished_ms);
    o["seconds"] = r.seconds;
  }
  return o;
}

HttpResponse LocalApi::NodeInfo(Call&) {
  const auto& o = store_->options();
  auto dir = store_->DirectorySnapshot();
  int64_t now = clock_->NowMs();
  std::string me = o.identity ? o.identity->unit : "";
  json::object out;
  out["unit"] = me;
  out["epoch"] = o.identity ? o.identity->epoch : 0;
  out["root"] = o.root_unit;
  if (auto u = dir->UnitAt(me, now)) {
    out["name"] = u->name;
    out["parent"] = u->parent;
  }
  out["directory_units"] = dir->size();
  out["cases"] = store_->CaseCount();
  out["commit_counter"] = store_->CommitCounter();
  out["scope_fingerprint"] =
      Hex(store_->ScopeFingerprint([&](const std::string& c) { return !IsSystemChannel(c); }));
  out["forks"] = store_->Forks().size();
  if (view_.self_check) out["self_check"] = SelfCheckJson(view_.self_check());
  if (view_.api_tls) out["api_tls"] = view_.api_tls();
  out["started"] = FormatTime(view_.started_ms);
  out["now"] = FormatTime(now);
  return Json(200, out);
}

HttpResponse LocalApi::Scope(Call&) {
  // Counts come from index scans: fine for an office's node and for checks, not for reports
  // over a province (the domain issue's incremental reports do that).
  constexpr size_t kAll = SIZE_MAX;
  VersionVector held = store_->Vector([](const std::string& c) { return !IsSystemChannel(c); });
  std::set<std::string> channels;
  for (const auto& [stream, head] : held) channels.insert(stream.channel);
  json::array list;
  for (const auto& c : channels) {
    auto cases = store_->CasesOfChannel(c, kAll);
    if (!cases.ok()) return FromStatus(cases.status());
    list.push_back(json::object{{"channel", c},
                                {"cases", cases->size()},
                                {"fingerprint", Hex(store_->ChannelFingerprint(c))}});
  }
  json::object by_status;
  for (const std::string& s : AllStatuses()) {
    auto cases = CasesByStatus(*store_, s, kAll);
    if (!cases.ok()) return FromStatus(cases.status());
    if (!cases->empty()) by_status[s] = cases->size();
  }
  json::object out;
  out["cases"] = store_->CaseCount();
  out["by_status"] = std::move(by_status);
  out["channels"] = std::move(list);
  return Json(200, out);
}

HttpResponse LocalApi::Backup(Call& call) {
  auto it = call.query.find("dir");
  if (it == call.query.end() || it->second.empty()) return Missing("dir");
  const std::string& dir = it->second;
  if (dir.front() != '/') {
    return Invalid("dir", "must be an absolute path on the node's machine",
                   "phải là đường dẫn tuyệt đối trên máy của nút");
  }
  Status s = store_->Checkpoint(dir);
  if (!s.ok()) {
    return Error(s.code() == Code::kIOError ? 500 : 400, "backup_failed", "dir", s.message(),
                 "Không sao lưu được: " + s.message());
  }
  return Json(201, json::object{{"dir", dir},
                                {"cases", store_->CaseCount()},
                                {"commit_counter", store_->CommitCounter()}});
}

HttpResponse LocalApi::ImportBundle(Call& call) {
  if (!view_.verify_origin) {
    return FromStatus(Status::FailedPrecondition("this node has no CA to verify bundles with"));
  }
  auto stats = sync::ImportBundle(*store_, call.req.body, view_.verify_origin);
  if (!stats.ok()) {
    return Error(400, "invalid", "body", stats.status().message(),
                 "Tệp dữ liệu không hợp lệ hoặc bị hỏng, không nhập được.");
  }
  json::array refused;
  for (const auto& r : stats->refused) refused.push_back(json::value(r));
  const auto& b = stats->bundle;
  return Json(200, json::object{{"scope", b.scope},
                                {"exporter", b.exporter},
                                {"created", FormatTime(b.created_ms)},
                                {"streams", b.streams},
                                {"events", b.events},
                                {"applied", stats->applied},
                                {"duplicates", stats->duplicates},
                                {"refused", std::move(refused)}});
}

HttpResponse LocalApi::Report(Call& call) {
  static const std::set<std::string> known = {"scope", "from", "to", "by", "format"};
  for (const auto& [k, v] : call.query) {
    if (!known.count(k)) {
      return Error(400, "invalid", k, "unknown query parameter", "Tham số không hợp lệ: " + k);
    }
  }
  ReportQuery q;
  q.scope = call.query.count("scope") ? call.query.at("scope") : store_->options().identity->unit;
  int this_month = MonthOf(clock_->NowMs());
  for (auto [name, month] : {std::pair{"from", &q.from_month}, {"to", &q.to_month}}) {
    *month = this_month;
    if (auto it = call.query.find(name); it != call.query.end()) {
      auto m = ParseMonth(it->second);
      if (!m.ok()) return Invalid(name, m.status().message(), "tháng phải có dạng YYYY-MM");
      *month = *m;
    }
  }
  if (auto it = call.query.find("by"); it != call.query.end()) {
    for (std::string_view g : SplitList(it->second)) {
      if (g == "unit") {
        q.by_unit = true;
      } else if (g == "procedure") {
        q.by_procedure = true;
      } else if (g == "month") {
        q.by_month = true;
      } else {
        return Invalid("by", "groups are unit, procedure and month",
                       "chỉ nhóm theo unit (đơn vị), procedure (thủ tục), month (tháng)");
      }
    }
  }
  auto rows = BuildReport(*store_, q);
  if (!rows.ok()) return FromStatus(rows.status(), "from");
  if (call.query.count("format") && call.query.at("format") == "csv") {
    HttpResponse r;
    r.content_type = "text/csv; charset=utf-8";
    r.body = ReportCsv(*rows);
    return r;
  }
  json::array out;
  for (const auto& row : *rows) {
    const ReportFigures& f = row.figures;
    json::object o;
    if (!row.unit.empty()) o["unit"] = row.unit;
    if (!row.procedure.empty()) o["procedure"] = row.procedure;
    if (!row.month.empty()) o["month"] = row.month;
    o["received"] = json::object{{"total", f.received},
                                 {"online", f.received_online},
                                 {"in_person", f.received_in_person},
                                 {"postal", f.received_postal},
                                 {"carried_over", f.carried_over}};
    o["resolved"] = json::object{{"total", f.resolved},
                                 {"early", f.early},
                                 {"on_time", f.on_time},
                                 {"late", f.late},
                                 {"not_judged", f.not_judged}};
    o["in_progress"] = json::object{
        {"total", f.in_progress}, {"on_time", f.in_progress_on_time}, {"late", f.in_progress_late}};
    o["postal"] = f.postal;
    o["postal_share"] = f.received ? static_cast<double>(f.postal) / f.received : 0.0;
    uint64_t judged = f.early + f.on_time + f.late;
    o["on_time_rate"] = judged ? static_cast<double>(f.early + f.on_time) / judged : 0.0;
    out.push_back(std::move(o));
  }
  json::object total = out.back().as_object();
  out.pop_back();
  return Json(200, json::object{{"scope", q.scope},
                                {"from", MonthName(q.from_month)},
                                {"to", MonthName(q.to_month)},
                                {"rows", std::move(out)},
                                {"total", std::move(total)}});
}

HttpResponse LocalApi::StaticFile(const std::string& path) const {
  std::string want = path == "/" ? "/index.html" : path;
  for (const auto& a : WebAssets()) {
    if (a.path != want) continue;
    HttpResponse r;
    r.body = std::string(a.bytes);
    r.content_type = want.ends_with(".js")    ? "text/javascript; charset=utf-8"
                     : want.ends_with(".css") ? "text/css; charset=utf-8"
                                              : "text/html; charset=utf-8";
    return r;
  }
  return Error(404, "not_found", "", "no such page", "Không có trang này.");
}

std::optional<HttpResponse> LocalApi::Authenticate(Call& call) {
  std::string expected = "Bearer " + token_;
  const std::string& got = call.req.authorization;
  if (!token_.empty() && got.size() == expected.size() &&
      CRYPTO_memcmp(got.data(), expected.data(), got.size()) == 0) {
    return std::nullopt;
  }
  std::string token = SessionToken(call.req.cookie);
  if (!token.empty()) call.session = sessions_.Lookup(token);
  if (call.session) {
    // A removed or changed account (hoso officer remove, passwd, a new role) ends its
    // sessions at once.
    auto officers = Officers();
    const Officer* now = nullptr;
    for (const auto& o : officers->officers()) {
      if (o.login == call.session->officer.login) now = &o;
    }
    if (now && SessionStamp(*now) == call.session->stamp) return std::nullopt;
    sessions_.CloseOfficer(call.session->officer.login);
    call.session.reset();
  }
  return Error(401, "unauthorized", "Authorization",
               "missing or wrong bearer token (the node's token_file), or no live session",
               "Phiên làm việc không hợp lệ hoặc đã hết hạn: vui lòng đăng nhập lại.");
}

HttpResponse LocalApi::Login(Call& call) {
  json::object in;
  if (auto e = ParseBody(call.req, {"login", "password"}, &in)) return *e;
  std::string login, password;
  if (auto e = TextField(in, "login", "login", true, kMaxShortText, &login)) return *e;
  if (auto e = TextField(in, "password", "password", true, 1024, &password)) return *e;
  if (view_.officers_file.empty()) {
    return Error(403, "forbidden", "", "this node has no officer accounts",
                 "Nút này chưa có tài khoản cán bộ.");
  }
  const int64_t now = clock_->NowMs();
  const std::string& address = call.req.remote;
  const std::string key = login + "\n" + address;
  {
    std::lock_guard lock(login_mu_);
    int64_t wait = 0;
    if (auto it = login_failures_.find(key); it != login_failures_.end()) {
      wait = std::max(wait, WaitMs(it->second, kFreePerLogin, now));
    }
    if (auto it = address_failures_.find(address); it != address_failures_.end()) {
      wait = std::max(wait, WaitMs(it->second, kFreePerAddress, now));
    }
    if (wait > 0) {
      std::string secs = std::to_string((wait + 999) / 1000);
      HttpResponse r =
          Error(429, "throttled", "login",
                "too many wrong passwords from this address: try again in " + secs + " s",
                "Nhập sai mật khẩu nhiều lần: vui lòng đợi " + secs + " giây rồi thử lại.");
      r.retry_after = secs;
      return r;
    }
  }
  auto officers = OfficerDirectory::Load(view_.officers_file);
  if (!officers.ok()) return FromStatus(officers.status());
  auto officer = officers->Verify(login, password);
  if (!officer.ok()) {
    std::lock_guard lock(login_mu_);
    NoteFailure(login_failures_, key, now);
    NoteFailure(address_failures_, address, now);
    return Error(401, "unauthorized", "password", officer.status().message(),
                 "Sai tên đăng nhập hoặc mật khẩu.");
  }
  {
    std::lock_guard lock(login_mu_);
    login_failures_.erase(key);
  }
  auto token = sessions_.Open(*officer);
  if (!token.ok()) return FromStatus(token.status());
  HttpResponse r = Json(200, json::object{{"login", officer->login},
                                          {"name", officer->name},
                                          {"role", RoleName(officer->role)}});
  r.set_cookie =
      std::string(kSessionCookie) + "=" + *token +
      "; HttpOnly; SameSite=Strict; Path=/; Max-Age=" + std::to_string(SessionTable::kMaxMs / 1000);
  return r;
}

int64_t LocalApi::WaitMs(const Failures& f, int free, int64_t now) {
  if (f.count < free) return 0;
  int doublings = std::min(f.count - free, 20);
  int64_t delay = std::min<int64_t>(int64_t{1000} << doublings, kMaxDelayMs);
  return std::max<int64_t>(0, f.last_ms + delay - now);
}

void LocalApi::NoteFailure(std::map<std::string, Failures>& table, const std::string& key,
                           int64_t now) {
  if (table.size() >= kMaxThrottled && !table.count(key)) {
    std::erase_if(table, [&](const auto& e) { return now - e.second.last_ms > kForgetMs; });
    if (table.size() >= kMaxThrottled) {  // still full: forget the oldest
      auto oldest = std::min_element(table.begin(), table.end(), [](const auto& a, const auto& b) {
        return a.second.last_ms < b.second.last_ms;
      });
      table.erase(oldest);
    }
  }
  Failures& f = table[key];
  if (now - f.last_ms > kForgetMs) f.count = 0;
  ++f.count;
  f.last_ms = now;
}

// The acting officer of a write: the logged-in one, who must hold a role allowed to record
// `status`; with the API token, the body's "officer".
std::optional<HttpResponse> LocalApi::ActingOfficer(const Call& call, const json::object& in,
                                                    std::string_view status,
                                                    std::string* officer) const {
  if (!call.session) {
    if (auto e = TextField(in, "officer", "officer", true, kMaxShortText, officer)) return e;
    // With the API token, the officer named must be an account of this node allowed to
    // record this step (docs/api.md, "Officer").
    auto officers = Officers();
    for (const auto& o : officers->officers()) {
      if (o.login != *officer) continue;
      // (A status no role records is not one: the step's own check answers 400.)
      if (RoleMayRecord(o.role, status) || !RoleMayRecord(Role::kHead, status)) {
        return std::nullopt;
      }
      return Error(403, "forbidden", "officer",
                   "officer " + *officer + " has role " + std::string(RoleName(o.role)) +
                       " and may not record '" + std::string(status) + "'",
                   "Cán bộ " + *officer + " không có quyền ghi bước này.");
    }
    return Error(403, "forbidden", "officer",
                 "no officer " + *officer +
                     " on this node: with the API token, every event names an account of "
                     "officers.json (hoso officer add)",
                 "Không có cán bộ " + *officer + " tại đơn vị này.");
  }
  const Officer& o = call.session->officer;
  if (!RoleMayRecord(o.role, status)) {
    return Error(403, "forbidden", "status",
                 "an officer with role " + std::string(RoleName(o.role)) + " may not record '" +
                     std::string(status) + "'",
                 "Vai trò của anh/chị không được ghi bước này.");
  }
  std::string claimed;
  if (auto e = TextField(in, "officer", "officer", false, kMaxShortText, &claimed)) return e;
  if (!claimed.empty() && claimed != o.login) {
    return Error(403, "forbidden", "officer", "a session writes only as its own officer",
                 "Chỉ được ghi dưới tên của chính mình.");
  }
  *officer = o.login;
  return std::nullopt;
}

std::shared_ptr<const OfficerDirectory> LocalApi::Officers() const {
  std::string stamp;
  struct stat st;
  if (!view_.officers_file.empty() && ::stat(view_.officers_file.c_str(), &st) == 0) {
    stamp = std::to_string(st.st_ino) + ":" + std::to_string(st.st_size) + ":" +
            std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
  }
  std::lock_guard lock(officers_mu_);
  if (officers_ && stamp == officers_stamp_) return officers_;
  auto loaded = stamp.empty() ? Result<OfficerDirectory>(OfficerDirectory())
                              : OfficerDirectory::Load(view_.officers_file);
  // An unreadable file has no officers (nobody may write) until it is fixed.
  officers_ = std::make_shared<const OfficerDirectory>(loaded.ok() ? std::move(*loaded)
                                                                   : OfficerDirectory());
  officers_stamp_ = loaded.ok() ? stamp : "";
  return officers_;
}

std::optional<HttpResponse> LocalApi::ReferenceOfficer(const std::string& officer) const {
  if (officer == kSystemOfficer) return std::nullopt;
  auto officers = Officers();
  for (const auto& o : officers->officers()) {
    if (o.login == officer && o.role == Role::kHead) return std::nullopt;
  }
  return Error(403, "forbidden", "officer",
               "reference data is written by \"system\" or an officer of this node with role "
               "head; " +
                   officer + " is neither",
               "Dữ liệu dùng chung chỉ được ghi bởi \"system\" hoặc lãnh đạo của đơn vị.");
}

std::optional<HttpResponse> LocalApi::RootOnly(const char* what) const {
  const auto& o = store_->options();
  if (o.identity && o.identity->unit == o.root_unit) return std::nullopt;
  return Error(403, "forbidden", "",
               std::string("only the root node (") + o.root_unit + ") writes the " + what,
               "Chỉ đơn vị gốc (" + o.root_unit + ") được cập nhật dữ liệu này.");
}

HttpResponse LocalApi::Catalogue(Call& call) {
  auto ref = Reference();
  std::string q = call.query.count("q") ? call.query.at("q") : "";
  size_t limit = 50;
  if (auto it = call.query.find("limit"); it != call.query.end()) {
    auto [ptr, ec] =
        std::from_chars(it->second.data(), it->second.data() + it->second.size(), limit);
    if (ec != std::errc() || limit == 0 || limit > kMaxLimit) {
      return Invalid("limit", "must be a number from 1 to " + std::to_string(kMaxLimit),
                     "phải là số từ 1 đến " + std::to_string(kMaxLimit));
    }
  }
  json::array list;
  for (const Procedure* p : ref->Search(q, limit)) {
    json::array docs;
    for (const auto& d : p->documents) docs.push_back(json::value(d));
    list.push_back(json::object{{"code", p->code},
                                {"name", p->name},
                                {"agency", p->agency},
                                {"days", p->days},
                                {"working_days", p->working_days},
                                {"postal", p->postal},
                                {"fee", p->fee},
                                {"documents", std::move(docs)}});
  }
  return Json(200, json::object{{"total", ref->procedures.size()}, {"procedures", list}});
}

HttpResponse LocalApi::LoadCatalogue(Call& call) {
  if (auto e = RootOnly("catalogue")) return *e;
  auto officer = call.query.find("officer");
  if (officer == call.query.end() || officer->second.empty()) return Missing("officer");
  if (auto e = ReferenceOfficer(officer->second)) return *e;
  auto procedures = ParseCatalogueCsv(call.req.body);
  if (!procedures.ok()) return FromStatus(procedures.status(), "body");
  Status appended = AppendInChunks(*store_, CatalogueWrites(*procedures, officer->second));
  if (!appended.ok()) return FromStatus(appended, "body");
  return Json(201, json::object{{"procedures", procedures->size()}});
}

HttpResponse LocalApi::Calendar(Call& call) {
  auto ref = Reference();
  std::string unit = call.query.count("unit")     ? call.query.at("unit")
                     : store_->options().identity ? store_->options().identity->unit
                                                  : "";
  WorkingCalendar cal = ref->CalendarFor(unit);
  json::array sessions;
  for (const auto& s : cal.sessions()) {
    sessions.push_back(
        json::array{json::value(FormatClock(s.start_min)), json::value(FormatClock(s.end_min))});
  }
  json::array years;
  std::map<int, std::pair<CalendarYear, std::string>> all;
  for (const auto& y : BuiltInYears()) all[y.year] = {y, "built-in"};
  for (const auto& [year, y] : ref->years) all[year] = {y, "$calendar"};
  for (const auto& [year, entry] : all) {
    if (call.query.count("year") && call.query.at("year") != std::to_string(year)) continue;
    json::array holidays, working;
    for (const auto& h : entry.first.holidays) holidays.push_back(json::value(h));
    for (const auto& w : entry.first.working_days) working.push_back(json::value(w));
    years.push_back(json::object{{"year", year},
                                 {"source", entry.second},
                                 {"holidays", std::move(holidays)},
                                 {"working_days", std::move(working)}});
  }
  return Json(200, json::object{{"unit", unit},
                                {"sessions", std::move(sessions)},
                                {"working_day_hours", cal.WorkingDayMs() / 3600000.0},
                                {"years", std::move(years)}});
}

HttpResponse LocalApi::SetCalendar(Call& call) {
  if (auto e = RootOnly("calendar")) return *e;
  json::object in;
  if (auto e = ParseBody(
          call.req, {"officer", "year", "holidays", "working_days", "unit", "sessions"}, &in)) {
    return *e;
  }
  std::string officer;
  if (auto e = TextField(in, "officer", "officer", true, kMaxShortText, &officer)) return *e;
  if (auto e = ReferenceOfficer(officer)) return *e;
  auto dates = [&](const char* field,
                   std::vector<std::string>* out) -> std::optional<HttpResponse> {
    auto it = in.find(field);
    if (it == in.end()) return std::nullopt;
    if (!it->value().is_array())
      return Invalid(field, "must be a list of dates", "phải là danh sách ngày");
    for (const auto& d : it->value().as_array()) {
      if (!d.is_string())
        return Invalid(field, "must be a list of dates", "phải là danh sách ngày");
      out->emplace_back(d.as_string());
    }
    return std::nullopt;
  };
  LocalWrite write;
  if (in.contains("year")) {
    if (!in.at("year").is_int64() || in.at("year").as_int64() < 2000 ||
        in.at("year").as_int64() > 2100) {
      return Invalid("year", "must be a year from 2000 to 2100", "phải là năm từ 2000 đến 2100");
    }
    CalendarYear y;
    y.year = static_cast<int>(in.at("year").as_int64());
    if (auto e = dates("holidays", &y.holidays)) return *e;
    if (auto e = dates("working_days", &y.working_days)) return *e;
    WorkingCalendar check;
    if (Status s = check.SetYear(y); !s.ok()) return FromStatus(s, "holidays");
    write = CalendarYearWrite(y, officer);
  } else if (in.contains("unit")) {
    std::string unit;
    if (auto e = TextField(in, "unit", "unit", true, kMaxShortText, &unit)) return *e;
    auto it = in.find("sessions");
    if (it == in.end() || !it->value().is_array()) return Missing("sessions");
    std::vector<WorkSession> sessions;
    for (const auto& pair : it->value().as_array()) {
      if (!pair.is_array() || pair.as_array().size() != 2 || !pair.as_array()[0].is_string() ||
          !pair.as_array()[1].is_string()) {
        return Invalid("sessions", "each session is [\"HH:MM\", \"HH:MM\"]",
                       "mỗi buổi làm việc có dạng [\"HH:MM\", \"HH:MM\"]");
      }
      auto a = ParseClock(std::string(pair.as_array()[0].as_string()));
      auto b = ParseClock(std::string(pair.as_array()[1].as_string()));
      if (!a.ok() || !b.ok())
        return Invalid("sessions", "a time is not HH:MM", "giờ phải có dạng HH:MM");
      sessions.push_back({*a, *b});
    }
    WorkingCalendar check;
    if (Status s = check.SetSessions(sessions); !s.ok()) return FromStatus(s, "sessions");
    write = CalendarHoursWrite(unit, sessions, officer);
  } else {
    return Invalid("year", "give a year (holidays) or a unit (sessions)",
                   "cần năm (ngày nghỉ) hoặc đơn vị (giờ làm việc)");
  }
  auto appended = store_->Append(write);
  if (!appended.ok()) return FromStatus(appended.status());
  return Json(201, json::object{{"key", write.case_code}});
}

HttpResponse LocalApi::Directory(Call&) {
  auto dir = store_->DirectorySnapshot();
  int64_t now = clock_->NowMs();
  json::array units;
  for (const auto& code : dir->Units()) {
    auto u = dir->UnitAt(code, now);
    if (!u) continue;
    units.push_back(json::object{
        {"code", u->code}, {"parent", u->parent}, {"name", u->name}, {"type", u->type}});
  }
  return Json(200, json::object{{"root", dir->root()}, {"units", std::move(units)}});
}

HttpResponse LocalApi::LoadDirectory(Call& call) {
  if (auto e = RootOnly("directory")) return *e;
  auto officer = call.query.find("officer");
  if (officer == call.query.end() || officer->second.empty()) return Missing("officer");
  if (auto e = ReferenceOfficer(officer->second)) return *e;
  // The first load describes the tree as it has always been; a later one is a re-draw from
  // now on, unless valid_from says otherwise.
  int64_t valid_from = store_->DirectorySnapshot()->size() == 0 ? 0 : clock_->NowMs();
  if (auto it = call.query.find("valid_from"); it != call.query.end()) {
    auto t = ParseTime(it->second);
    if (!t.ok()) return Invalid("valid_from", t.status().message(), kViTime);
    valid_from = *t;
  }
  auto units = ParseUnitsCsv(call.req.body);
  if (!units.ok()) return FromStatus(units.status(), "body");
  if (units->empty())
    return Invalid("body", "the CSV lists no units", "tệp CSV không có đơn vị nào");
  auto writes = DirectoryWrites(*units, valid_from, officer->second);
  size_t events = writes.size();
  Status appended = AppendInChunks(*store_, std::move(writes));
  if (!appended.ok()) return FromStatus(appended, "body");
  return Json(201, json::object{{"units", units->size()},
                                {"events", events},
                                {"valid_from", FormatTime(valid_from)}});
}

HttpResponse LocalApi::Revocations(Call&) {
  json::array list;
  for (const auto& [key, r] : store_->RevocationsSnapshot()->all()) {
    json::object o{{"unit", r.unit},
                   {"epoch", r.epoch},
                   {"revoked_at", FormatTime(r.revoked_at_ms)},
                   {"reason", r.reason}};
    if (r.learned_ms) o["learned_at"] = FormatTime(r.learned_ms);
    list.push_back(std::move(o));
  }
  return Json(200, json::object{{"revocations", std::move(list)}});
}

HttpResponse LocalApi::Revoke(Call& call) {
  if (auto e = RootOnly("revocations")) return *e;
  json::object in;
  if (auto e = ParseBody(call.req, {"officer", "unit", "epoch", "reason"}, &in)) return *e;
  std::string officer, unit, reason;
  if (auto e = TextField(in, "officer", "officer", true, kMaxShortText, &officer)) return *e;
  if (auto e = ReferenceOfficer(officer)) return *e;
  if (auto e = TextField(in, "unit", "unit", true, kMaxShortText, &unit)) return *e;
  if (auto e = TextField(in, "reason", "reason", true, kMaxText, &reason)) return *e;
  auto epoch = in.find("epoch");
  if (epoch == in.end() || !epoch->value().is_int64() || epoch->value().get_int64() < 1) {
    return Invalid("epoch", "must be a whole number, 1 or more", "phải là số nguyên từ 1 trở lên");
  }
  const auto e = static_cast<uint64_t>(epoch->value().get_int64());
  if (store_->RevocationsSnapshot()->Find(unit, e)) {
    return Error(409, "exists", "unit", "origin " + RevocationKey(unit, e) + " is already revoked",
                 "Đơn vị " + unit + " (lần cài đặt " + std::to_string(e) + ") đã bị thu hồi.");
  }
  const int64_t now = clock_->NowMs();
  auto appended = store_->Append(LocalWrite{std::string(kRevocationsChannel),
                                            RevocationKey(unit, e), std::string(kRevokeType),
                                            RevocationBody(unit, e, now, reason), officer});
  if (!appended.ok()) return FromStatus(appended.status());
  return Json(
      201, json::object{
               {"unit", unit}, {"epoch", e}, {"revoked_at", FormatTime(now)}, {"reason", reason}});
}

HttpResponse LocalApi::Metrics(Call&) {
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  auto line = [&](const std::string& name, const std::string& labels, double value) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", value);
    out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + buf + "\n";
  };
  metric("hoso_cases", "gauge", "Cases held by this node.");
  line("hoso_cases", "", static_cast<double>(store_->CaseCount()));
  metric("hoso_commits_total", "counter", "Commits to the case log since it was created.");
  line("hoso_commits_total", "", static_cast<double>(store_->CommitCounter()));
  metric("hoso_forks", "gauge", "Forked streams kept as evidence.");
  line("hoso_forks", "", static_cast<double>(store_->Forks().size()));
  if (view_.self_check) {
    SelfCheckReport check = view_.self_check();
    metric("hoso_self_check_state", "gauge",
           "The store's check at start: 0 running (sync held), 1 passed, 2 damaged (sync held).");
    line("hoso_self_check_state", "", static_cast<double>(check.state));
    metric("hoso_self_check_findings", "gauge", "What the store's check at start found wrong.");
    line("hoso_self_check_findings", "", static_cast<double>(check.findings));
  }
  if (view_.api_tls_metrics) out += view_.api_tls_metrics();
  metric("hoso_uptime_seconds", "gauge", "Seconds since the node started.");
  line("hoso_uptime_seconds", "", static_cast<double>(clock_->NowMs() - view_.started_ms) / 1000);
  std::vector<sync::PeerStatus> peers = CurrentPeers();
  const std::string me = store_->options().identity ? store_->options().identity->unit : "";
  struct PeerMetric {
    const char* name;
    const char* type;
    const char* help;
    std::function<double(const sync::PeerStatus&)> value;
  };
  const PeerMetric peer_metrics[] = {
      {"hoso_peer_connected", "gauge", "1 while the peer is connected.",
       [](const auto& p) { return p.connected ? 1.0 : 0.0; }},
      {"hoso_peer_events_behind", "gauge", "Events this node holds that the peer lacks.",
       [&](const auto& p) { return static_cast<double>(EventsBehind(p, me)); }},
      {"hoso_peer_clock_skew_ms", "gauge", "The peer's clock minus ours.",
       [](const auto& p) { return static_cast<double>(p.clock_skew_ms); }},
      {"hoso_peer_bytes_sent_total", "counter", "Protocol bytes sent to the peer.",
       [](const auto& p) { return static_cast<double>(p.bytes_sent); }},
      {"hoso_peer_bytes_received_total", "counter", "Protocol bytes received from the peer.",
       [](const auto& p) { return static_cast<double>(p.bytes_received); }},
      {"hoso_peer_events_sent_total", "counter", "Events sent to the peer.",
       [](const auto& p) { return static_cast<double>(p.events_sent); }},
      {"hoso_peer_events_received_total", "counter", "Events received from the peer.",
       [](const auto& p) { return static_cast<double>(p.events_received); }},
  };
  for (const auto& m : peer_metrics) {
    metric(m.name, m.type, m.help);
    for (const auto& p : peers) {
      std::string labels = "peer=\"" + (p.unit.empty() ? std::string("unknown") : p.unit) +
                           "\",address=\"" + p.address + "\",direction=\"" +
                           (p.upstream ? "upstream" : "downstream") + "\"";
      line(m.name, labels, m.value(p));
    }
  }
  if (auto ahead = store_->OriginsAhead(); ahead.ok()) {
    metric("hoso_origin_clock_ahead_ms", "gauge",
           "How far ahead of this node's clock an origin's events were stamped (beyond the drift).");
    for (const auto& a : *ahead) {
      line("hoso_origin_clock_ahead_ms",
           "origin=\"" + a.unit + "\",epoch=\"" + std::to_string(a.epoch) + "\"",
           static_cast<double>(a.max_ahead_ms));
    }
  }
  metric("hoso_api_responses_total", "counter", "Local API responses by HTTP status.");
  {
    std::lock_guard lock(counts_mu_);
    for (const auto& [code, n] : responses_) {
      line("hoso_api_responses_total", "code=\"" + std::to_string(code) + "\"",
           static_cast<double>(n));
    }
  }
  HttpResponse r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = std::move(out);
  return r;
}

}  // namespace hoso::node
