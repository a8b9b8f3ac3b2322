// Lifecycle: the statuses a case goes through, the steps allowed from each, and their codes
// on the national public service portal (DOMAIN.md).
//
//   status                portal  meaning
//   submitted                1    submitted online, not yet accepted
//   received                 2    accepted at a counter or by the post office
//   refused                  3    not accepted
//   posted_to_agency         4    handed to the post for transport to the agency
//   agency_received          4    the agency received it from the post
//   forwarded                4    handed by the one-stop unit to the processing agency
//   processing               4
//   supplement_requested     5    waiting for the citizen: the deadline clock pauses
//   fees_due                 6
//   withdrawn                7    withdrawn by the citizen
//   stopped                  8    processing stopped
//   result_ready             9    processing finished
//   dispatched               9    result handed to the post (a tracking number is required)
//   undeliverable            9    the post could not deliver; it may be dispatched again
//   delivered               10    the post delivered the result
//   returned                10    the result was handed over at the counter
//   closed                  10    filed
//
// One table in lifecycle.cc holds every status's portal code, rank, finish and next steps.
// A step is allowed when the case's current status lists it.
// Concurrent steps at two offices are not refused (neither saw the other): the fold shows the
// conflict and a later step settles it.
// Thread-safety: pure functions over constant tables.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/log/projection.h"

namespace hoso {

bool IsKnownStatus(std::string_view status);
int PortalStatusCode(std::string_view status);  // 0 when unknown
// What a clerk reads for `status` ("Đang giải quyết"); `previous` tells a refusal at the
// counter ("Từ chối tiếp nhận") from one after the agency took the case ("Từ chối giải
// quyết"). An unknown status is returned as it is.
std::string StatusNameVi(std::string_view status, std::string_view previous = "");
// The statuses a case may move to from `current` ("" for a new case: received or submitted).
const std::vector<std::string>& AllowedNextSteps(std::string_view current);
// OK, or FailedPrecondition naming the allowed next steps.
Status CheckStep(std::string_view current, std::string_view next);
// Processing has ended (the first such status is the case's finish for the on-time rule).
bool IsFinishedStatus(std::string_view status);
// Ended without a judgement of timeliness (refused, withdrawn).
bool IsUnjudgedStatus(std::string_view status);
// Rank along the lifecycle, for the winner of concurrent status changes: a case further
// along wins. Unknown names rank 0.
int StatusRank(std::string_view status);
// Every status, in lifecycle order (by rank, then name).
const std::vector<std::string>& AllStatuses();
// The case log's conflict policy: concurrent "status" writes ranked by StatusRank.
const ConflictPolicy& LifecycleConflictPolicy();

}  // namespace hoso
