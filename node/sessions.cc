#include "node/sessions.h"

#include "core/format/aead.h"
#include "core/format/crypto.h"

namespace hoso::node {

std::string SessionStamp(const Officer& officer) {
  return std::string(RoleName(officer.role)) + ":" + Hex(officer.salt) + ":" +
         std::to_string(officer.iterations);
}

Result<std::string> SessionTable::Open(const Officer& officer) {
  HOSO_ASSIGN_OR_RETURN(std::string raw, RandomBytes(32));
  std::string token = Hex(raw);
  Session s;
  s.officer = officer;
  s.stamp = SessionStamp(officer);
  s.officer.salt.clear();
  s.officer.hash.clear();
  s.created_ms = s.last_ms = clock_->NowMs();
  std::lock_guard lock(mu_);
  // Expired sessions go when new ones come.
  std::erase_if(sessions_, [&](const auto& e) {
    return s.created_ms - e.second.last_ms > kIdleMs || s.created_ms - e.second.created_ms > kMaxMs;
  });
  sessions_[token] = std::move(s);
  return token;
}

std::optional<Session> SessionTable::Lookup(std::string_view token) {
  int64_t now = clock_->NowMs();
  std::lock_guard lock(mu_);
  auto it = sessions_.find(token);
  if (it == sessions_.end()) return std::nullopt;
  if (now - it->second.last_ms > kIdleMs || now - it->second.created_ms > kMaxMs) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.last_ms = now;
  return it->second;
}

void SessionTable::Close(std::string_view token) {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(token);
  if (it != sessions_.end()) sessions_.erase(it);
}

}  // namespace hoso::node

namespace hoso::node {

void SessionTable::CloseOfficer(std::string_view login) {
  std::lock_guard lock(mu_);
  std::erase_if(sessions_, [&](const auto& e) { return e.second.officer.login == login; });
}

}  // namespace hoso::node
