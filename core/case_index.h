// CaseIndex: the secondary index keys of a case state (column family "index").
//
//   's' status 0x00 case        ; by status
//   'o' office 0x00 case        ; by receiving office (the case's channel)
//   'd' due_ms(8, big-endian) case  ; by due date (field "due_at", ms since the epoch)
//   'n' folded_name 0x00 case   ; by applicant name without diacritics ("applicant"."name")
//
// IndexedFields captures the winning values of the indexed fields as raw CBOR; comparing
// them between a case's old and new state gives the index changes of a commit without
// decoding anything that did not change. Thread-safety: pure functions on values.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/case_state.h"

namespace hoso {

struct IndexedFields {
  std::string status, due, applicant;  // raw CBOR of the winners; empty when absent
};

IndexedFields Indexed(const CaseState& st);

// One index change: the key, and whether it is put (else deleted).
using IndexOp = std::pair<std::string, bool>;

// The index changes for a case whose indexed fields were `before` (nullptr: a new case) and
// now are those of `after` (case code and channel never change).
void IndexDelta(const IndexedFields* before, const CaseState& after, std::vector<IndexOp>* ops);

// The key prefix of each index, and the case code at the end of an index key.
std::string StatusIndexPrefix(std::string_view status);
std::string OfficeIndexPrefix(std::string_view office);
std::string DueIndexKey(int64_t due_ms);  // a bound: 'd' and the date, no case
std::string ApplicantIndexPrefix(std::string_view name);
std::string_view CaseOfIndexKey(std::string_view key);

}  // namespace hoso
