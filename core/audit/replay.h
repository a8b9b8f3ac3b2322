// Replay: a case's or a scope's past, rebuilt from the log alone (time travel for auditors).
//
// ReplayCase folds the case's events in fold order (docs/case-fold.md) up to a time, noting at
// each event which fields it left in conflict and which conflicts it resolved. ReplayScope
// folds every case of the channels in a unit's scope (as the directory stood at that time)
// from the events written up to then, and gives counts by status and the scope's fingerprint,
// computed exactly as Store::ScopeFingerprint computes the current one.
// An event's time is its HLC (the writer's clock, bounded by the drift rule). A case as of T
// holds the events recorded by T and everything they saw, whatever time those carry (an
// office whose clock ran ahead recorded them "later"): a step is never shown without what its
// author saw, and it is flagged (recorded_before_deps).
// Thread-safety: reads the store; may run while it is in use.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/format/event.h"
#include "core/log/case_state.h"
#include "core/log/store.h"

namespace hoso {

struct ReplayStep {
  Hash id{};
  Event event;
  std::vector<std::string> conflicts_opened;    // fields this event left in conflict
  std::vector<std::string> conflicts_resolved;  // conflicted fields it settled
  bool recorded_before_deps = false;            // its time is before an event it saw
};

struct CaseReplay {
  std::vector<ReplayStep> steps;  // the events up to as_of, in fold order
  CaseState state;                // the case as of as_of
  size_t later_events = 0;        // events after as_of (not folded)
};

Result<CaseReplay> ReplayCase(const Store& store, std::string_view case_code, int64_t as_of_ms);

struct ScopeReplay {
  std::map<std::string, uint64_t> by_status;
  uint64_t cases = 0, events = 0;
  std::vector<std::pair<std::string, Hash>> channels;  // channel fingerprints
  Hash fingerprint{};
};

Result<ScopeReplay> ReplayScope(const Store& store, std::string_view unit, int64_t as_of_ms);

}  // namespace hoso
