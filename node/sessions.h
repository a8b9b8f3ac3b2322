// SessionTable: the web app's logged-in officers. A session is a random 256-bit token (a
// cookie, HttpOnly, SameSite=Strict) that expires after 30 minutes without use or 10 hours
// in all; logging out ends it. Sessions live in memory: a restarted node asks everyone to
// log in again.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "core/base/clock.h"
#include "core/base/status.h"
#include "node/officers.h"

namespace hoso::node {

struct Session {
  Officer officer;    // login, name and role (no password material is kept)
  std::string stamp;  // the account as it was at login (SessionStamp): a change ends it
  int64_t created_ms = 0, last_ms = 0;
};

// What a change of the account (role, password) changes: the role and the salt, which a new
// password renews.
std::string SessionStamp(const Officer& officer);

class SessionTable {
 public:
  static constexpr int64_t kIdleMs = 30 * 60 * 1000;
  static constexpr int64_t kMaxMs = 10 * 3600 * 1000;

  explicit SessionTable(const Clock* clock) : clock_(clock) {}
  Result<std::string> Open(const Officer& officer);  // the new token
  // The live session of a token (its idle time restarts), or nothing.
  std::optional<Session> Lookup(std::string_view token);
  void Close(std::string_view token);
  // Ends every session of an officer (removed, or changed).
  void CloseOfficer(std::string_view login);

 private:
  const Clock* clock_;
  std::mutex mu_;
  std::map<std::string, Session, std::less<>> sessions_;
};

}  // namespace hoso::node
