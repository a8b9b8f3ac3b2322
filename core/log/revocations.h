// Revocations: which origins (node unit and epoch) the root authority has revoked, as data.
//
// The root writes them into the "$revocations" system channel, which reaches every node like
// the directory (by sync and by bundle), so no one copies CRL files by hand and nothing
// expires on a date (docs/security.md):
//
//   "$revocations"  "origin.revoke"  case = "<unit>#<epoch>"
//       body { "unit": tstr, "epoch": uint, "revoked_at": uint (ms), "reason": tstr }
//
// From the moment a node stores one, it refuses that origin's events it does not hold yet
// (over sync and bundles alike) and closes its sessions; what it held before stays valid
// history, and the store records when it learned of the revocation, as evidence for audits.
// The earliest revocation of an origin stands.
// Thread-safety: Revocations is a value (the store shares immutable snapshots).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "core/base/status.h"
#include "core/format/event.h"

namespace hoso {

constexpr std::string_view kRevocationsChannel = "$revocations";
constexpr std::string_view kRevokeType = "origin.revoke";

struct Revocation {
  std::string unit;
  uint64_t epoch = 0;
  int64_t revoked_at_ms = 0;
  std::string reason;
  int64_t learned_ms = 0;  // when this node stored it (0: not known, e.g. a tool's store)
};

// "30280#1": the case code of a revocation event.
std::string RevocationKey(std::string_view unit, uint64_t epoch);

// The body of an "origin.revoke" event (the store's LocalWrite fills the rest).
cbor::Value RevocationBody(std::string_view unit, uint64_t epoch, int64_t revoked_at_ms,
                           std::string_view reason);

class Revocations {
 public:
  // Folds a validated "$revocations" event in; other types are ignored.
  Status Apply(const Event& e);
  void SetLearned(const std::string& key, int64_t learned_ms);
  const Revocation* Find(std::string_view unit, uint64_t epoch) const;
  const std::map<std::string, Revocation>& all() const { return by_key_; }

 private:
  std::map<std::string, Revocation> by_key_;  // RevocationKey -> revocation
};

}  // namespace hoso
