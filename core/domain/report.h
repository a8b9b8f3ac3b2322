// Reports: the periodic figures of DOMAIN.md for any scope, maintained at ingest.
//
// Every case falls in one bucket, a pure function of its state (ReportBucketKey):
//
//   bucket = 'R' office 0x00 procedure 0x00 received_month(u16be) due_month(u16be)
//            finished_month(u16be) channel(1) post(1) outcome(1) [role(1) [supplement(1)]]
//   month   = months since 2000-01 in Vietnam's time; 0xFFFF: no due date / not finished
//   channel = 'o' online | 'c' in person (counter) | 'p' postal | '?'
//   post    = '1' received or returned through the postal service, else '0'
//   outcome = 'E' early (finished a day or more before the due date) | 'O' on time |
//             'L' late (after the due date, or more than one supplement request) |
//             'U' not judged (refused, withdrawn) | '-' not finished
//   role    = 'S' source of a routed case | 'P' the case it was routed to | '-' (omitted when
//             neither it nor a supplement byte follows)
//   supplement = 'B' a supplement was requested at least once (omitted when not)
//
// The store keeps a counter per bucket in its index family (ReportProjection: a RocksDB merge
// of +1/-1 when a commit moves a case from one bucket to another), so a report reads counters,
// never cases: its cost grows with the number of buckets, not of cases. The finish of a case is its
// "finished_at" field, else the time of the event that set its final status.
//
// For a period of months [from, to]: received (online, in person, postal), carried over
// (received before, not finished before), resolved (early, on time, late, not judged), in
// progress at the end of the period (on time, late: due within or before the period), and the
// postal share (received or returned by post, over received), and what Decision 766/QĐ-TTg
// rates besides: the online share and the supplement rate (resolved after a supplement
// request, over resolved). Unfinished cases are judged at min(now, end of the period): a
// period reaching into the future judges them now, so a case not yet due is never late.
// The bucket's due date is a month; for cases due this month the judgement reads their due
// dates (the 'd' index), one month's worth at most.
// Thread-safety: pure functions; BuildReport reads the store.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/log/case_state.h"
#include "core/log/projection.h"
#include "core/log/store.h"

namespace hoso {

std::optional<std::string> ReportBucketKey(const CaseState& state);
// The bucket counters as a projection of case states (registered by core/domain/case_log.h).
const Projection& ReportProjection();
int MonthOf(int64_t ms);           // months since 2000-01, Vietnam's time
std::string MonthName(int month);  // "2026-02"
// "YYYY-MM" or "MM/YYYY".
Result<int> ParseMonth(std::string_view text);

struct ReportFigures {
  uint64_t received = 0, received_online = 0, received_in_person = 0, received_postal = 0;
  uint64_t carried_over = 0;
  uint64_t resolved = 0, early = 0, on_time = 0, late = 0, not_judged = 0;
  uint64_t in_progress = 0, in_progress_on_time = 0, in_progress_late = 0;
  uint64_t postal = 0;        // received in the period and received or returned by post
  uint64_t supplemented = 0;  // resolved in the period after at least one supplement request
};

struct ReportRow {
  std::string unit, procedure, month;  // empty: all
  ReportFigures figures;
};

struct ReportQuery {
  std::string scope;  // a unit: its scope's channels
  int from_month = 0, to_month = 0;
  bool by_unit = false, by_procedure = false, by_month = false;
  int64_t now_ms = 0;  // the time of the judgement of unfinished cases; 0: the system clock
};

// Rows for each group present, then one row of totals over the whole period.
Result<std::vector<ReportRow>> BuildReport(const Store& store, const ReportQuery& query);
// The report as CSV for Excel: a UTF-8 BOM, Vietnamese headers, CRLF lines, a unit's code and
// name (`unit_name`; null: the code), rates as fractions, empty where there is no data.
std::string ReportCsv(const std::vector<ReportRow>& rows,
                      const std::function<std::string(const std::string&)>& unit_name = nullptr);

}  // namespace hoso
