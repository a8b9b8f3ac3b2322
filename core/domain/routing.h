// Routing: a case received at one unit and processed by another (docs/routing.md).
//
// Since 2025 any counter of a province receives a file for any procedure of the province;
// the catalogue names the competent unit (the receiving one, the citizen's commune of
// residence, or a fixed unit such as a provincial department). The receiving unit B writes the
// source case X in its own channel with "route_to": A. The router, the lowest common ancestor
// of B and A that is not a relay (the province in a two-tier tree), holds both channels; it
// writes the linked case X' into A's channel ("case.linked", code LinkedCaseCode(A, X), a copy
// of what A needs to process it, "source": X) and moves X to "forwarded" with "linked": X'.
// A processes X' with the normal steps; the router mirrors A's progress onto X (processing,
// supplement, fees, result ready, stopped, refused) and B's return and withdrawal onto X'.
// Nothing else changes: scopes stay channel-based, so a unit holds a case only when it
// received it, it was routed to it, or it is an ancestor of one of those.
// Thread-safety: pure functions over their arguments.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain/case_rules.h"
#include "core/domain/reference_data.h"
#include "core/log/case_state.h"
#include "core/log/directory.h"
#include "core/log/projection.h"
#include "core/log/store.h"

namespace hoso {

inline constexpr std::string_view kLinkedCaseType = "case.linked";
// The officer the router's events name: no person acted.
inline constexpr std::string_view kRouterOfficer = "system";

// The unit competent for a case of `proc` received at `receiving` from a citizen living in
// `residence` (a commune code, may be empty), judged at `now`; or why it cannot be chosen.
// A residence that was merged resolves to its successor.
std::optional<Refusal> ChooseCompetentUnit(const Procedure* proc, std::string_view residence,
                                           std::string_view receiving, const Directory& dir,
                                           int64_t now, std::string* competent);

// The code of the linked case in `to`'s channel for source case `source_code`.
std::string LinkedCaseCode(std::string_view to, std::string_view source_code);

// The unit that routes between `from` and `to` at t: their lowest common ancestor that is
// not a relay; nothing when they share none.
std::optional<std::string> RouterOf(const Directory& dir, std::string_view from,
                                    std::string_view to, int64_t t);

// What the router writes for the source case `source` (its state) given the linked case it
// holds (nullptr: none yet). Empty when nothing is due. Judged at `now` with `ref`'s calendar.
std::vector<LocalWrite> RoutingWrites(const CaseState& source, const CaseState* linked,
                                      const ReferenceData& ref, int64_t now);

// Index entries 'l' <case code> for every source or linked case not yet closed: the router's
// work list.
const Projection& RoutingProjection();
// The source case codes of the routed cases `store` holds (linked cases give their source).
Result<std::vector<std::string>> RoutedSources(const Store& store);

// One pass of the router at `store`'s node: for every routed case it holds whose router it is
// (or acts as, a former root), writes what RoutingWrites says. Returns the events written.
Result<size_t> RoutingPass(Store& store, const ReferenceData& ref, int64_t now);

}  // namespace hoso
