#include "node/api/case_locks.h"

#include <utility>

namespace hoso::node::api {

CaseLocks::Held::Held(Held&& other) noexcept
    : locks_(std::exchange(other.locks_, nullptr)), code_(std::move(other.code_)) {}

CaseLocks::Held& CaseLocks::Held::operator=(Held&& other) noexcept {
  if (this != &other) {
    Release();
    locks_ = std::exchange(other.locks_, nullptr);
    code_ = std::move(other.code_);
  }
  return *this;
}

CaseLocks::Held::~Held() { Release(); }

void CaseLocks::Held::Release() {
  if (locks_) std::exchange(locks_, nullptr)->Unlock(code_);
}

CaseLocks::Held CaseLocks::Lock(const std::string& code) {
  std::unique_lock lock(mu_);
  released_.wait(lock, [&] { return !held_.count(code); });
  held_.insert(code);
  return Held(this, code);
}

CaseLocks::Held CaseLocks::TryLock(const std::string& code) {
  std::lock_guard lock(mu_);
  if (!held_.insert(code).second) return Held();
  return Held(this, code);
}

void CaseLocks::Unlock(const std::string& code) {
  {
    std::lock_guard lock(mu_);
    held_.erase(code);
  }
  // Waiters for other codes wake and wait again: few requests wait at once (the API's
  // workers), so one condition for all is simpler than one per code.
  released_.notify_all();
}

}  // namespace hoso::node::api
