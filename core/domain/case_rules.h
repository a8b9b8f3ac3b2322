// Case rules: what the counter's writes must satisfy and what they add, as pure functions of
// the request, the case state, the reference data and the time. The API parses a request,
// calls the rule, commits what it built and answers; the rules know nothing of HTTP.
//
//   reception  channel, due date after now, procedure in the catalogue, postal eligibility
//              (neither received nor returned by post when the procedure forbids it); fills
//              in the catalogue's name, agency, processing time and fee, and the due date by
//              the unit's working calendar
//   step       a lifecycle status the case may move to (core/domain/lifecycle.h), postal
//              eligibility of dispatched/posted_to_agency, a tracking number for dispatched;
//              the supplement clock (the due date moves by the working time spent waiting)
//              and the finish time
//   case code  <unit>[e<epoch>]-<yymmdd>-<nnnn> in Vietnam's date, the next number after the
//              day's highest (or a mark of it), never one held
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/domain/reference_data.h"
#include "core/format/cbor.h"
#include "core/log/case_state.h"

namespace hoso {

// A rule's refusal: the request field it concerns, why (English: logs, the API's "reason"),
// and what the clerk reads (Vietnamese). A refused step also lists the steps allowed.
struct Refusal {
  enum class Kind { kInvalid, kMissing, kInvalidStep };
  Kind kind = Kind::kInvalid;
  std::string field, reason, message_vi;
  std::vector<std::string> allowed;
};

// A reception as the counter asks for it, parsed but not yet checked against the rules.
struct ReceptionRequest {
  std::string procedure, procedure_name, channel, return_address, note;
  cbor::Value applicant = cbor::Value::Null();  // a map (name, id, ...)
  cbor::Value documents = cbor::Value::Array();
  bool return_by_post = false;
  std::optional<uint64_t> fee;    // absent: the catalogue's
  std::optional<int64_t> due_at;  // absent: computed from the catalogue
};

// The body of the case.received event, or why the reception is refused.
std::optional<Refusal> BuildReception(const ReceptionRequest& request, const ReferenceData& ref,
                                      const std::string& unit, int64_t now_ms, cbor::Value* body);

// Why `next` can never be a step (not a lifecycle status, or one only a reception writes).
std::optional<Refusal> CheckStepStatus(const std::string& next);
// The body of a case.step event moving `state` to `next`, or why the step is refused.
std::optional<Refusal> BuildStep(const CaseState& state, const std::string& next,
                                 const std::string& note, const std::string& tracking,
                                 const ReferenceData& ref, int64_t now_ms, cbor::Value* body);

// Past its due date and not yet out of processing (no result yet).
bool IsOverdue(const CaseState& state, int64_t now_ms);

// "<unit>[e<epoch>]-<yymmdd>-": the prefix of the codes a node mints on the day of `now_ms`.
std::string CaseCodePrefix(const std::string& unit, uint64_t epoch, int64_t now_ms);
// The number of `code` as minted under `prefix`, or nothing: a code of another prefix or
// shape, or a number of 10^8 or more (an ancestor may write any code in this channel; such a
// number must not make the sequence wrap around to codes already held).
std::optional<uint64_t> CaseCodeNumber(const std::string& prefix, std::string_view code);
// The highest number of `held` (codes of any prefix or shape; 0: none of this prefix).
uint64_t HighestCaseNumber(const std::string& prefix, const std::vector<std::string>& held);
// The first code numbered after `last` for which `is_free` answers true, asking it of at most
// 64 numbers (AlreadyExists beyond). `last` may be a mark the caller keeps rather than the
// store's highest: `is_free` is asked before a code is returned, so a code some scan or mark
// missed is never minted twice, and its error is passed on, never taken as free.
Result<std::string> NextCaseCode(const std::string& prefix, uint64_t last,
                                 const std::function<Result<bool>(const std::string&)>& is_free);

}  // namespace hoso
