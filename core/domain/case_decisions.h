// Case decisions: what an office's head records beside the lifecycle's steps, as pure
// functions of the case state, the request and the time (the API commits what they build).
//
//   resolution  a conflict settled: the chosen candidate's value written again over every
//               live write of the field ("case.resolved": the field, resolved_field,
//               resolution_note), so the fold holds one value again
//   delay       a late case's apology and new appointment (Form 04, "case.delayed":
//               appointment_at, delay_reason, delay_count); the legal due date (due_at) and
//               so the on-time indicator are unchanged
//   assignment  the officer a case is given to ("case.assigned": assigned_to)
//
// and the flags of the work lists: due within one working day, overdue (case_rules.h).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/domain/calendar.h"
#include "core/domain/case_rules.h"
#include "core/format/crypto.h"
#include "core/log/case_state.h"

namespace hoso {

// Settles the conflict of `field` with the live write of event `chosen`.
std::optional<Refusal> BuildResolution(const CaseState& state, const std::string& field,
                                       const Hash& chosen, const std::string& note,
                                       cbor::Value* body);

// Moves the appointment of a case not yet finished to `appointment_ms`, for `reason`.
std::optional<Refusal> BuildDelay(const CaseState& state, int64_t appointment_ms,
                                  const std::string& reason, int64_t now_ms, cbor::Value* body);

// Gives the case to `officer` (a login the caller checked).
std::optional<Refusal> BuildAssignment(const CaseState& state, const std::string& officer,
                                       cbor::Value* body);

// Not yet finished, not overdue, and due within one working day of `now_ms` (the clerk is
// warned a working day ahead: a Friday-afternoon warning for a Monday-morning due date).
bool IsDueSoon(const CaseState& state, const WorkingCalendar& calendar, int64_t now_ms);

}  // namespace hoso
