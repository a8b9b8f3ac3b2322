#include "core/format/hlc.h"

#include <algorithm>

namespace hoso {

uint64_t HybridClock::Now() {
  int64_t wall = std::clamp<int64_t>(clock_->NowMs(), 0, kHlcMaxMillis);
  std::lock_guard lock(mu_);
  uint64_t candidate = HlcPack(wall, 0);
  // Counter overflow carries into the millisecond part, which keeps the order total.
  last_ = std::max(candidate, last_ + 1);
  return last_;
}

bool HybridClock::TooFarAhead(uint64_t remote) const {
  return HlcMillis(remote) > clock_->NowMs() + max_drift_ms_;
}

bool HybridClock::Observe(uint64_t remote) {
  if (TooFarAhead(remote)) return false;
  std::lock_guard lock(mu_);
  last_ = std::max(last_, remote);
  return true;
}

void HybridClock::Restore(uint64_t high_water) {
  std::lock_guard lock(mu_);
  last_ = std::max(last_, high_water);
}

uint64_t HybridClock::high_water() const {
  std::lock_guard lock(mu_);
  return last_;
}

}  // namespace hoso
