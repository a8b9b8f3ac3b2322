// The re-draw of a province: a mapping file of old units to new ones turned into the root's
// "$directory" events (docs/operations.md, "Applying the 2025 re-draw").
//
// The mapping file is a CSV with this header and one row per (old unit, new unit) share:
//
//   old_province,old_code,old_name,new_code,new_name,new_province,share
//
// share is "full" (the whole old unit went into the new one) or "partial" (a part did: the old
// unit has several rows). District-level units are dissolved and have no row. The plan, all
// valid from one instant:
//   - the province's row (old_code = the root authority) names the new province; a new code
//     makes it a new parentless unit and merges the old root into it (the succession 89 -> 91:
//     the same CA, the root authority passes to the new code);
//   - every new unit of the new province is set under it with its new name (a code reused by a
//     new unit keeps its channel and history under the new name);
//   - every old unit this deployment holds is merged into its successor: the row whose new code
//     is its own, else its first row in file order (the successor holds the old channel; the
//     other shares of a split unit are named in the plan); an old unit with no row (a
//     district) is merged into the new province; one whose every row is in another province
//     leaves the deployment (its channel is then purged from every node).
// Rows naming units this deployment never held (old Kiên Giang's) create their new units only.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/log/directory.h"
#include "core/log/store.h"

namespace hoso {

struct RedrawRow {
  size_t line = 0;  // in the file, for messages
  std::string old_province, old_code, old_name;
  std::string new_code, new_name, new_province;
  bool full = true;
};

// Parses the mapping file; a malformed line is refused with its number.
Result<std::vector<RedrawRow>> ParseRedrawCsv(std::string_view text);

struct RedrawPlan {
  std::vector<LocalWrite> writes;  // "$directory" events, in the order they should be written
  std::string old_root, new_root;
  std::vector<std::string> set;                                // new or renamed units
  std::vector<std::pair<std::string, std::string>> merged;     // old unit -> successor
  std::vector<std::pair<std::string, std::string>> dissolved;  // no row -> the new province
  std::vector<std::pair<std::string, std::string>> left;       // old unit -> "to@province"
  // Split units: the old unit, then its other successors (the first holds its channel).
  std::vector<std::vector<std::string>> split;
  size_t rows_not_held = 0;  // rows of units this deployment never held
};

// The plan for `dir` (the directory as it stands) taking effect at `at_ms`. Refuses a file that
// does not map the root authority, a unit named twice with two names, or a code that would
// have two owners.
Result<RedrawPlan> PlanRedraw(const std::vector<RedrawRow>& rows, const Directory& dir,
                              int64_t at_ms, const std::string& officer);

// The unit type a new unit's name starts with ("Phường Long Xuyên" -> "Phường"), or empty.
std::string UnitTypeFromName(std::string_view name);

}  // namespace hoso
