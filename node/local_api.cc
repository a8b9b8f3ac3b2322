// The router: a request's path and query, admission (the token or a session, the cross-site
// checks) and the route to its handler in node/api/ (one file per resource group).
#include "node/local_api.h"

#include <cctype>
#include <charconv>

#include "node/api/responses.h"
#include "node/web_assets.h"

namespace hoso::node {

using api::Error;
using api::Json;

namespace {

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

// /v1/cases/{code}/documents[/{rest}]: a case's files (node/api/documents.cc).
struct FilesPath {
  std::string code, rest;  // rest: what follows ".../documents/", "" for the list
};
std::optional<FilesPath> ParseFilesPath(std::string_view path) {
  constexpr std::string_view kCases = "/v1/cases/", kFiles = "/documents";
  if (!path.starts_with(kCases)) return std::nullopt;
  path.remove_prefix(kCases.size());
  const size_t at = path.find(kFiles);
  if (at == 0 || at == std::string_view::npos) return std::nullopt;
  const std::string_view code = path.substr(0, at), after = path.substr(at + kFiles.size());
  if (code.find('/') != std::string_view::npos) return std::nullopt;
  if (!after.empty() && after[0] != '/') return std::nullopt;
  return FilesPath{std::string(code), std::string(after.empty() ? after : after.substr(1))};
}

// POST /v1/cases/{code}/documents: a file's bytes as the body.
bool IsUploadPath(std::string_view method, std::string_view path) {
  if (method != "POST") return false;
  auto files = ParseFilesPath(path);
  return files && files->rest.empty();
}

// CSRF (docs/api.md, "Cross-site requests"): a state-changing request that a browser may
// send on its own (a session cookie, or a login) must be JSON, which a cross-site form cannot
// send, and, when it names its Origin, come from a page of this very host:port (the cookie is
// sent to every port of a host: SameSite does not look at ports).
// `need_type`: the Content-Type a session's write must have ("" for none): one a cross-site
// form or no-cors fetch cannot send without a preflight, which this API never grants.
std::optional<HttpResponse> CrossSiteCheck(const HttpRequest& req, std::string_view need_type) {
  const std::string& m = req.method;
  if (m != "POST" && m != "PUT" && m != "PATCH" && m != "DELETE") return std::nullopt;
  if (!need_type.empty()) {
    std::string_view type = req.content_type;
    type = type.substr(0, type.find(';'));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
    if (Lower(type) != need_type) {
      return Error(403, "forbidden", "Content-Type",
                   "a request with an officer's session must have Content-Type: " +
                       std::string(need_type) + " (cross-site request refused)",
                   std::string("Yêu cầu bị từ chối: dữ liệu phải được gửi ") +
                       (need_type == "application/json" ? "dưới dạng JSON" : "dưới dạng tệp") +
                       " từ ứng dụng của đơn vị.");
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

bool LocalApi::AnswersFromMemory(const HttpRequest& request) {
  std::string_view target = request.target;
  const std::string p = PercentDecode(target.substr(0, target.find('?')));
  // As Route: /healthz, then the web app's files.
  return p == "/healthz" || (request.method == "GET" && p.rfind("/v1/", 0) != 0 && p != "/metrics");
}

bool LocalApi::IsDocumentUpload(std::string_view method, std::string_view target) {
  return IsUploadPath(method, PercentDecode(target.substr(0, target.find('?'))));
}

bool LocalApi::IsPublic(const HttpRequest& request) {
  if (AnswersFromMemory(request)) return true;
  std::string_view target = request.target;
  std::string path = PercentDecode(target.substr(0, target.find('?')));
  return (request.method == "POST" && path == "/v1/login") ||
         (request.method == "GET" && path == "/v1/office");
}

std::optional<HttpResponse> LocalApi::Admit(const HttpRequest& request) {
  if (IsPublic(request)) return std::nullopt;
  Call call{request, "", {}};
  std::string_view target = request.target;
  call.path = PercentDecode(target.substr(0, target.find('?')));
  const std::string& p = call.path;
  std::optional<HttpResponse> refused = Authenticate(call, /*check_account=*/false);
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
    if (auto refused = CrossSiteCheck(call.req, "application/json")) return *refused;
    return Login(call);
  }
  if (p == "/v1/office" && m == "GET") return OfficeName(call);
  if (auto denied = Authenticate(call, /*check_account=*/true)) return *denied;
  if (call.session) {
    // The web app's logout sends no body (and so no Content-Type): only its Origin is checked.
    bool bodyless_logout = p == "/v1/logout" && call.req.body.empty();
    // A file is uploaded as itself (node/api/documents.cc).
    std::string_view need = bodyless_logout      ? ""
                            : IsUploadPath(m, p) ? "application/octet-stream"
                                                 : "application/json";
    if (auto refused = CrossSiteCheck(call.req, need)) return *refused;
  }
  if (p == "/v1/logout" && m == "POST") return Logout(call);
  if (p == "/v1/me" && m == "GET" && call.session) return Me(call);
  if (p == "/v1/officers" && m == "GET") return ListOfficers(call);
  if (call.session && m != "GET") {
    // Officers write cases and steps; everything else is the IT team's (the API token).
    bool case_write = p == "/v1/cases" ||
                      (p.rfind("/v1/cases/", 0) == 0 && p.ends_with("/steps")) ||
                      (m == "POST" && IsDecisionPath(p)) || ParseFilesPath(p).has_value();
    if (!case_write) {
      return Error(403, "forbidden", "",
                   "this needs the node's API token, not an officer's session",
                   "Chức năng này dành cho bộ phận công nghệ thông tin.");
    }
  }
  const std::string cases = "/v1/cases";
  if (p == cases) {
    if (m == "POST") return ReceiveCase(call);
    if (m == "GET") return ReadCaseList(call);
  } else if (p.rfind(cases + "/", 0) == 0) {
    std::string rest = p.substr(cases.size() + 1);
    const std::string steps = "/steps";
    if (auto files = ParseFilesPath(p)) {
      return Documents(call, files->code, files->rest);
    } else if (rest.size() > steps.size() && rest.ends_with(steps)) {
      if (m == "POST") return RecordStep(call, rest.substr(0, rest.size() - steps.size()));
    } else if (m == "POST" && IsDecisionPath(p)) {
      size_t slash = rest.rfind('/');
      return Decide(call, rest.substr(0, slash), rest.substr(slash + 1));
    } else if (!rest.empty() && rest.find('/') == std::string::npos && m == "GET") {
      return ReadCase(call, rest);
    }
  } else if (p == "/v1/sync/status" && m == "GET") {
    return SyncStatus(call);
  } else if (p == "/v1/node" && m == "GET") {
    return NodeInfo(call);
  } else if (p == "/v1/scope" && m == "GET") {
    return Scope(call);
  } else if (p == "/v1/network" && m == "GET") {
    return Network(call);
  } else if (p == "/v1/backup" && m == "POST") {
    return Backup(call);
  } else if (p == "/v1/bundle" && m == "POST") {
    return ImportBundle(call);
  } else if (p == "/v1/bundle/system" && m == "GET") {
    return ExportSystemBundle(call);
  } else if (p == "/v1/report" && m == "GET") {
    return Report(call);
  } else if (p == "/v1/register" && m == "GET") {
    return Register(call);
  } else if (p == "/v1/qr" && m == "GET") {
    return QrCode(call);
  } else if (p == "/v1/catalogue") {
    if (m == "GET") return Catalogue(call);
    if (m == "POST") return LoadCatalogue(call);
  } else if (p == "/v1/calendar") {
    if (m == "GET") return Calendar(call);
    if (m == "POST") return SetCalendar(call);
  } else if (p == "/v1/directory/redraw" && m == "POST") {
    return Redraw(call);
  } else if (p == "/v1/directory") {
    if (m == "GET") return Directory(call);
    if (m == "POST") return LoadDirectory(call);
  } else if (p == "/v1/erasures") {
    if (m == "GET") return Erasures(call);
    if (m == "POST") return Erase(call);
  } else if (p == "/v1/subjects/export" && m == "POST") {
    return SubjectExport(call);
  } else if (p == "/v1/subjects" && m == "GET") {
    return SubjectList(call);
  } else if (p == "/v1/revocations") {
    if (m == "GET") return Revocations(call);
    if (m == "POST") return Revoke(call);
  } else if (p == "/metrics" && m == "GET") {
    return Metrics(call);
  }
  return Error(404, "not_found", "", m + " " + p + " is not a route of this API (docs/api.md)",
               "Không có chức năng này.");
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

}  // namespace hoso::node
