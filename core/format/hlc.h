// Hybrid Logical Clock: 48-bit wall-clock milliseconds and a 16-bit counter in one uint64.
//
// Local events take Now(), which never goes backwards: not across calls, and not across
// restarts, because the owner persists high_water() with every commit and passes it back at
// construction. Remote timestamps go through Observe(): one within max_drift_ms of our wall
// clock advances us (the HLC receive rule); one further ahead is reported and never advances
// us, so a single badly set office clock cannot drag the network into the future.
// Thread-safety: all methods are safe to call concurrently (internal mutex).
#pragma once

#include <cstdint>
#include <mutex>

#include "core/base/clock.h"

namespace hoso {

constexpr uint64_t HlcPack(int64_t ms, uint16_t counter) {
  return (static_cast<uint64_t>(ms) << 16) | counter;
}
constexpr int64_t HlcMillis(uint64_t hlc) { return static_cast<int64_t>(hlc >> 16); }
constexpr uint16_t HlcCounter(uint64_t hlc) { return static_cast<uint16_t>(hlc & 0xFFFF); }
constexpr int64_t kHlcMaxMillis = (int64_t{1} << 48) - 1;

class HybridClock {
 public:
  static constexpr int64_t kDefaultMaxDriftMs = 5 * 60 * 1000;

  HybridClock(const Clock* clock, uint64_t persisted_high_water,
              int64_t max_drift_ms = kDefaultMaxDriftMs)
      : clock_(clock), last_(persisted_high_water), max_drift_ms_(max_drift_ms) {}

  // A timestamp for a local event, strictly greater than every one issued or observed.
  uint64_t Now();

  // Applies the receive rule. Returns false (and leaves the clock alone) when `remote` is
  // more than max_drift_ms ahead of the wall clock.
  bool Observe(uint64_t remote);

  // True when `remote` would be refused by Observe (for reporting without side effects).
  bool TooFarAhead(uint64_t remote) const;

  uint64_t high_water() const;
  // Raises the clock to a persisted high-water mark (our own, so no drift check).
  void Restore(uint64_t high_water);
  int64_t max_drift_ms() const { return max_drift_ms_; }

 private:
  const Clock* clock_;
  mutable std::mutex mu_;
  uint64_t last_;
  int64_t max_drift_ms_;
};

}  // namespace hoso
