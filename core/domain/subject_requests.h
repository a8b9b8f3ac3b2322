// Data-subject requests (issue 20, docs/privacy.md "Data-subject requests (built)"): a person
// asks what the node holds about them; the node answers with an export and records the request
// and its answer as signed events of its own unit, so the 2-working-day acknowledgement that
// Decree 356/2025 asks for is visible in a report.
//
// Each request is a case of the answering unit's channel:
//
//   code = unit-part "-subject-" yyyymmdd "-" n              ; n = 1, 2, ... in the day
//   unit-part = <unit> [ "e" <epoch> ]
//   "subject.request"  body = {"received": "YYYY-MM-DD", "id_number": tstr (sealed)}
//   "subject.answered" body = {"answered_at": uint (ms), "cases": uint}
//
// The date is Vietnam's day of the recording (as case codes'); "received" is the day the
// request reached the office (a letter may come in days before it is typed in). The ID number
// is personal data: "id_number" is one of the case log's sealed fields (core/domain/case_log.cc),
// so the store seals it under the request case's own key, as an applicant; an erasure of that
// case makes it unreadable like any other, and the dates stay. The schema holds subject cases
// to these two types (and "key.destroyed"), so they never carry a status or an applicant and
// stay out of queues, searches, reports and the case list. The word "subject" cannot be a
// minted case's date, so the codes never meet those of real cases or of the read log.
// Thread-safety: pure functions; SubjectRequests reads the store.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/domain/calendar.h"
#include "core/domain/personal_data.h"
#include "core/format/cbor.h"
#include "core/log/store.h"

namespace hoso {

inline constexpr std::string_view kSubjectRequestType = "subject.request";
inline constexpr std::string_view kSubjectAnsweredType = "subject.answered";
// The acknowledgement is due within this many working days after the day of reception.
inline constexpr int kSubjectAnswerWorkingDays = 2;
// A request's "cases" count at most (the schema's bound).
inline constexpr uint64_t kMaxSubjectCases = 1'000'000;

// The code of `unit`'s n-th (1, 2, ...) request recorded on the day of `now_ms` (Vietnam's).
std::string SubjectCaseCode(std::string_view unit, uint64_t epoch, int64_t now_ms, unsigned n);
// Whether a case code is a subject request's (its unit part followed by "-subject-").
bool IsSubjectCaseCode(std::string_view code);
// An ID number as citizens hold them: 9 digits (the old identity card) or 12 (the citizen
// identity card, the personal identification number).
bool IsIdNumber(std::string_view s);

// The bodies of the two events (received_day: days since 1970-01-01, local).
cbor::Value SubjectRequestBody(int64_t received_day, std::string_view id_number);
cbor::Value SubjectAnsweredBody(int64_t answered_at_ms, uint64_t cases);

// The last day the answer is in time: the kSubjectAnswerWorkingDays-th working day after
// `received_day` (a request received on a day off counts from the next working day).
int64_t SubjectAnswerDueDay(const WorkingCalendar& calendar, int64_t received_day);
// Whether an answer at `answered_at_ms` is on or before that day.
bool SubjectAnsweredInTime(const WorkingCalendar& calendar, int64_t received_day,
                           int64_t answered_at_ms);

// One request as the log holds it.
struct SubjectRequest {
  std::string code;            // its case
  std::string unit;            // the unit that recorded it (the request event's origin)
  std::string officer;         // who recorded it
  int64_t received_day = 0;    // days since 1970-01-01 (local)
  int64_t recorded_at_ms = 0;  // the request event's time
  std::string id_number;       // opened; empty when it cannot be (then id_hidden says why)
  ShownField::Hidden id_hidden = ShownField::Hidden::kNone;
  std::optional<int64_t> answered_at_ms;  // the first answer's time, if any
  uint64_t cases = 0;                     // the cases that answer exported
};

// Folds the events of one subject case (in history order) into a request; InvalidArgument
// when it holds no well-formed "subject.request". `open_id` opens the sealed ID number (may
// be empty: the number is then left empty and kNoKey).
using OpenIdNumber = std::function<ShownField(const cbor::Value& raw)>;
Result<SubjectRequest> FoldSubjectCase(std::string_view code, const std::vector<Event>& events,
                                       const OpenIdNumber& open_id);

// Every subject request `store` holds (its own unit's and, at a province, those synced up
// from its units), by reception day then code.
Result<std::vector<SubjectRequest>> SubjectRequests(const Store& store);

}  // namespace hoso
