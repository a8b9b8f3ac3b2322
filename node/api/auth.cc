// Officers and sessions: the bearer token or a live session, logins and their throttling,
// logout, the acting officer of a write (docs/api.md, "Officer sessions", "Logins", "Officer").
#include <openssl/crypto.h>
#include <sys/stat.h>

#include <algorithm>

#include "core/domain/lifecycle.h"
#include "node/api/responses.h"
#include "node/local_api.h"

namespace hoso::node {

using api::Error;
using api::FromStatus;
using api::Json;
using api::kMaxShortText;
using api::ParseBody;
using api::TextField;

namespace {

// An officer as the web app knows her (login, GET /v1/me): who, and what the app offers her:
// the statuses her role may record ("received": receptions), so no screen offers a step the
// node would refuse; whether she writes at all, and whether she decides as the head.
json::object OfficerJson(const Officer& o) {
  json::array may_record;
  for (const auto& s : AllStatuses()) {
    if (RoleMayRecord(o.role, s)) may_record.push_back(json::value(s));
  }
  return json::object{{"login", o.login},
                      {"name", o.name},
                      {"role", RoleName(o.role)},
                      {"may_record", std::move(may_record)},
                      {"may_write", o.role != Role::kAuditor},
                      {"may_decide", RoleMayRecord(o.role, kDecision)}};
}

constexpr std::string_view kSessionCookie = "hoso_session";

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

}  // namespace

std::optional<HttpResponse> LocalApi::Authenticate(Call& call, bool check_account) {
  std::string expected = "Bearer " + token_;
  const std::string& got = call.req.authorization;
  if (!token_.empty() && got.size() == expected.size() &&
      CRYPTO_memcmp(got.data(), expected.data(), got.size()) == 0) {
    return std::nullopt;
  }
  std::string token = SessionToken(call.req.cookie);
  if (!token.empty()) call.session = sessions_.Lookup(token);
  if (call.session && !check_account) return std::nullopt;  // Route checks it, on a worker
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
      ++logins_throttled_;
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
    int from_address = 0;
    int64_t wait = 0;
    {
      std::lock_guard lock(login_mu_);
      NoteFailure(login_failures_, key, now);
      NoteFailure(address_failures_, address, now);
      const Failures& by_login = login_failures_[key];
      const Failures& by_address = address_failures_[address];
      from_address = by_address.count;
      wait =
          std::max(WaitMs(by_login, kFreePerLogin, now), WaitMs(by_address, kFreePerAddress, now));
    }
    ++login_failures_total_;
    LogFailedLogin(address, from_address, wait);
    return Error(401, "unauthorized", "password", officer.status().message(),
                 "Sai tên đăng nhập hoặc mật khẩu.");
  }
  {
    std::lock_guard lock(login_mu_);
    login_failures_.erase(key);
  }
  auto token = sessions_.Open(*officer);
  if (!token.ok()) return FromStatus(token.status());
  HttpResponse r = Json(200, OfficerJson(*officer));
  r.set_cookie =
      std::string(kSessionCookie) + "=" + *token +
      "; HttpOnly; SameSite=Strict; Path=/; Max-Age=" + std::to_string(SessionTable::kMaxMs / 1000);
  return r;
}

// At warning: someone may be guessing passwords. The address is the client's machine; the
// login typed is never logged (it may be a person's name, or a password typed in the wrong
// field). Failures are bounded by the throttle itself (each costs a password check, and the
// attempts within a wait, which cost nothing, are counted in /metrics, not logged).
void LocalApi::LogFailedLogin(const std::string& address, int from_address, int64_t wait_ms) {
  if (!view_.log) return;
  const std::string from = address.empty() ? std::string("an unknown address") : address;
  view_.log->Log(LogLevel::kWarn, "api",
                 "failed login from " + from + " (wrong password or unknown login): " +
                     std::to_string(from_address) + " from this address within 15 minutes");
  if (wait_ms > 0) {
    view_.log->Log(LogLevel::kWarn, "api",
                   "logins throttled from " + from + " for " +
                       std::to_string((wait_ms + 999) / 1000) +
                       " s after wrong passwords (docs/api.md, \"Logins\"); attempts within "
                       "the wait get 429");
  }
}

HttpResponse LocalApi::Logout(Call& call) {
  sessions_.Close(SessionToken(call.req.cookie));
  HttpResponse r = Json(200, json::object{{"ok", true}});
  r.set_cookie = std::string(kSessionCookie) + "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0";
  return r;
}

HttpResponse LocalApi::Me(Call& call) { return Json(200, OfficerJson(call.session->officer)); }

HttpResponse LocalApi::ListOfficers(Call&) {
  // Whom a head may give a case to: this office's officers who work on cases (no hashes).
  json::array out;
  for (const auto& o : Officers()->officers()) {
    if (o.role == Role::kAuditor) continue;
    out.push_back(json::object{{"login", o.login}, {"name", o.name}, {"role", RoleName(o.role)}});
  }
  return Json(200, json::object{{"officers", std::move(out)}});
}

HttpResponse LocalApi::OfficeName(Call&) {
  // What the login page shows before anyone signs in: the office's unit and name, as on the
  // door of the office; nothing of its cases or state.
  const auto& o = store_->options();
  std::string me = o.identity ? o.identity->unit : "";
  json::object out{{"unit", me}};
  if (auto u = store_->DirectorySnapshot()->UnitAt(me, clock_->NowMs())) out["name"] = u->name;
  return Json(200, out);
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
                 "Tài khoản của anh/chị không có quyền thực hiện bước này.");
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
}  // namespace hoso::node
