// The directory of units: the administrative tree as replicated, time-versioned data.
//
// The tree is the fold of the "$directory" system channel, which only the deployment's root
// authority writes. Three event types (case code = the unit's code, time in the body):
//
//   "unit.set"   body { "parent": tstr ("" for the root), "name": tstr, "type": tstr,
//                       "valid_from": uint (ms since the Unix epoch) }
//   "unit.merge" body { "into": tstr, "valid_from": uint }   ; unit now belongs to `into`
//   "unit.leave" body { "to": tstr, "province": tstr, "valid_from": uint }
//                ; unit left this deployment: it became `to` of another province
//
// Every query takes a time: the write rule is judged against the tree as it stood at the
// event's time, so history stays valid after a re-draw; scopes use the tree as it stands now.
// A node's scope is every channel whose unit lies in its subtree (itself, descendants, and
// units merged into them), plus the system channels. A unit that left is in nobody's scope.
//
// The root authority is the deployment's founding root (the store's root unit) until a
// "unit.merge" hangs it under a unit with no parent: from then on that unit is the root (the
// province's succession 89 -> 91 of 2025). A former root keeps acting as the root it became
// (the same authority and machine, before its operator switches it to the new certificate):
// it writes what the root writes and holds what the root holds. A unit of type "relay" (kRelayType)
// is a node with no channel of its own: it holds and forwards its subtree's channels and writes
// none. Thread-safety: const methods may run concurrently; Apply needs exclusive access.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/base/status.h"
#include "core/format/event.h"

namespace hoso {

// The type of a relay: a former district server that forwards its communes' streams.
inline constexpr std::string_view kRelayType = "relay";

struct UnitRecord {  // one line of a units CSV
  std::string code;
  std::string parent;  // empty for the root
  std::string name;
  std::string type;
};

// Parses "code,parent_code,name,type" with a header line. Fields may be double-quoted.
Result<std::vector<UnitRecord>> ParseUnitsCsv(std::string_view text);

// The same CSV text, header included (fields quoted where needed).
std::string UnitsCsv(const std::vector<UnitRecord>& units);

// Body of a "unit.set" event for a record.
cbor::Value UnitSetBody(const UnitRecord& unit, int64_t valid_from_ms);
cbor::Value UnitMergeBody(std::string_view into, int64_t valid_from_ms);
cbor::Value UnitLeaveBody(std::string_view to, std::string_view province, int64_t valid_from_ms);

class Directory {
 public:
  explicit Directory(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }

  // Checks a directory event's type and body without applying it.
  static Status ValidateEvent(const Event& e);
  // Applies a validated "$directory" event. Order of application does not matter for the
  // result: versions are ordered by (valid_from, hlc, origin, seq).
  Status Apply(const Event& e);
  // Convenience for tests and bootstrap: applies records as unit.set at valid_from_ms.
  void Load(const std::vector<UnitRecord>& units, int64_t valid_from_ms);

  // The unit is in the tree at t (a unit that left is not).
  bool Exists(std::string_view unit, int64_t t_ms) const;
  // Where a unit that left at or before t went ("30259@82"), or nothing.
  std::optional<std::string> LeftTo(std::string_view unit, int64_t t_ms) const;
  // The unit a merged unit belongs to at t, or nothing when it was not merged.
  std::optional<std::string> MergedInto(std::string_view unit, int64_t t_ms) const;
  bool IsRelay(std::string_view unit, int64_t t_ms) const;
  // The root authority at t: the founding root or its successor.
  std::string RootAt(int64_t t_ms) const;
  // `unit` is the root authority at t, or a former root acting as it.
  bool IsRootAuthority(std::string_view unit, int64_t t_ms) const {
    return AuthorityAt(t_ms, unit) == RootAt(t_ms);
  }
  // The first valid_from after t at which the tree changes (scopes may move then), or nothing.
  std::optional<int64_t> NextChangeAfter(int64_t t_ms) const;
  std::optional<std::string> ParentAt(std::string_view unit, int64_t t_ms) const;
  std::optional<UnitRecord> UnitAt(std::string_view unit, int64_t t_ms) const;
  bool IsAncestorOrSelf(std::string_view ancestor, std::string_view unit, int64_t t_ms) const;

  // The write rule: may `origin` write into `channel` at t?
  Status CheckWrite(std::string_view origin, std::string_view channel, int64_t t_ms) const;
  // Scope: may a node at `node` hold `channel` (judged at t, normally now)?
  bool InScope(std::string_view node, std::string_view channel, int64_t t_ms) const;
  // Every unit channel in `node`'s scope at t, sorted.
  std::vector<std::string> ScopeOf(std::string_view node, int64_t t_ms) const;
  std::vector<std::string> Units() const;
  size_t size() const { return units_.size(); }

 private:
  struct Version {
    int64_t valid_from;
    uint64_t order_hlc;
    std::string order_origin;
    uint64_t order_seq;
    std::string parent;
    std::string name;
    std::string type;
    std::string merged_into;
    std::string left_to;  // "to@province" once the unit left the deployment
  };
  const Version* VersionAt(std::string_view unit, int64_t t_ms) const;
  const Version* PresentAt(std::string_view unit, int64_t t_ms) const;  // not left
  // The root at t when `unit` is it or a former root; else `unit` ("": the root at t).
  std::string_view AuthorityAt(int64_t t_ms, std::string_view unit) const;
  void AddVersion(const std::string& unit, Version v);

  std::string root_;
  // Transparent hashing: lookups by string_view allocate nothing (the write rule runs them
  // for every ingested event).
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::vector<Version>, NameHash, std::equal_to<>> units_;
};

}  // namespace hoso
