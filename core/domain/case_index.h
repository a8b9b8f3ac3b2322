// CaseIndex: the case log's search index, a projection of case states into the store's
// index family, and the searches over it.
//
//   's' status 0x00 case            ; by status
//   'd' due_ms(8, big-endian) case  ; by due date (field "due_at", ms since the epoch)
//   'n' folded_name 0x00 case       ; by applicant name without diacritics ("applicant"."name")
//   'a' officer 0x00 case           ; by the officer a case is assigned to ("assigned_to")
//
// (The store keeps 'o' channel 0x00 case itself: the cases of a channel, Store::CasesOfChannel.)
// Each field is its own projection whose summary is the raw CBOR of the field's winner, so a
// commit decodes only the fields it changed. Thread-safety: pure functions; the searches read the
// store.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/log/projection.h"
#include "core/log/store.h"

namespace hoso {

// The index as four projections, one per field (status, due date, applicant, assignee).
const std::vector<const Projection*>& CaseIndexProjections();

// Case codes by index, at most `limit`, in index order.
Result<std::vector<std::string>> CasesByStatus(const Store& store, std::string_view status,
                                               size_t limit);
// Due in [from_ms, to_ms), earliest first.
Result<std::vector<std::string>> CasesDueBetween(const Store& store, int64_t from_ms, int64_t to_ms,
                                                 size_t limit);
// Applicant names starting with `name`, compared without diacritics or case.
Result<std::vector<std::string>> CasesByApplicant(const Store& store, std::string_view name,
                                                  size_t limit);

// Cases assigned to `officer` (a login), in code order.
Result<std::vector<std::string>> CasesAssignedTo(const Store& store, std::string_view officer,
                                                 size_t limit);

// The key prefix of each index (for tests and tools that read the family directly).
std::string StatusIndexPrefix(std::string_view status);
std::string DueIndexKey(int64_t due_ms);  // a bound: 'd' and the date, no case
std::string ApplicantIndexPrefix(std::string_view name);
std::string AssignedIndexPrefix(std::string_view officer);

}  // namespace hoso
