// The benchmark workload "cases" (WORKLOAD.md): deterministic realistic cases and their five
// status updates, as local writes.
//
// Case i is generated from (seed, i) alone, so any process can produce the same case or
// update without producing the others: benches on two processes, the demo, and peers in
// other systems agree byte for byte for a given seed and N.
// Thread-safety: const methods are reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/log/store.h"

namespace hoso {

// SplitMix64: one step of a small, well-mixed deterministic generator (the sample data's).
inline uint64_t SplitMix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The procedures the workload's cases name: sample codes ("TEST-..."), which no real
// procedure has, so a test catalogue cannot pass for the national one (GenerateCatalogue
// holds them first).
const std::vector<std::string>& WorkloadProcedureCodes();

class CaseWorkload {
 public:
  static constexpr int kUpdates = 5;  // forwarded .. delivered; update 6 ("closed") is extra

  explicit CaseWorkload(uint64_t seed = 42, std::vector<std::string> offices = {
                                                "30280", "30283", "30286", "30289", "30292"});

  std::string CaseCode(uint64_t i) const;
  const std::string& Office(uint64_t i) const;
  // Reception of case i (event type "case.received").
  LocalWrite Reception(uint64_t i) const;
  // Update k (1..6) of case i (event type "case.step").
  LocalWrite Update(uint64_t i, int k) const;
  // Milliseconds since the epoch at which case i was received / update k happened.
  int64_t ReceivedAt(uint64_t i) const;
  int64_t UpdateAt(uint64_t i, int k) const { return ReceivedAt(i) + k * 26LL * 3600 * 1000; }
  const std::vector<std::string>& offices() const { return offices_; }

 private:
  uint64_t seed_;
  std::vector<std::string> offices_;
};

}  // namespace hoso
