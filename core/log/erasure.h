// Erasure of a case's personal data from a signed, replicated log (docs/privacy.md).
//
// The root authority writes an erasure into the "$erasure" system channel, which reaches every
// node like the directory (by sync and by bundle):
//
//   "$erasure"  "case.erase"  case = the erased case's code
//       body { "decision": tstr (1..200 bytes), "ground": tstr (1..500 bytes) }
//
// Every node that stores one deletes the case's keys (meta "casekey/") in the same commit,
// records the erasure (meta "erased/"), drops what the keys let it index, and never stores a key
// of that case again. The case's events stay, their personal fields sealed under a key no one
// holds: every chain, signature and receipt still verifies. The first erasure of a case stands.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/format/cbor.h"
#include "core/format/event.h"

namespace hoso {

constexpr std::string_view kErasureChannel = "$erasure";
constexpr std::string_view kEraseType = "case.erase";
constexpr size_t kMaxErasureDecision = 200;
constexpr size_t kMaxErasureGround = 500;

// The body of a "case.erase" event (the store's LocalWrite fills the rest).
cbor::Value ErasureBody(std::string_view decision, std::string_view ground);

// Checks an "$erasure" event's type and body, naming the first problem.
Status ValidateErasureEvent(const Event& e);

}  // namespace hoso
