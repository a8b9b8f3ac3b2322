// Reference data: the procedure catalogue and the working calendar, written by the root
// authority as signed events in system channels that every node receives (like the
// directory), and folded here into what reception and deadlines need.
//
//   "$catalogue"  "procedure.set"  case = procedure code
//       body { "name": tstr, "agency": tstr, "days": uint, "working_days": bool,
//              "postal": bool, "fee": uint, "documents": [* tstr],
//              ? "competent": tstr, ? "retention_years": uint, ? "source": tstr }
//   "$calendar"   "calendar.year"  case = "year/YYYY"
//       body { "year": uint, "holidays": [* "YYYY-MM-DD"], "working_days": [* "YYYY-MM-DD"] }
//   "$calendar"   "calendar.hours" case = "hours/<unit>"
//       body { "sessions": [* ["HH:MM", "HH:MM"]] }
//
// For each key the latest event wins (by HLC, then origin, epoch, seq). A year the channel
// does not define uses the built-in table (BuiltInYears). Events with malformed bodies are
// skipped and counted.
// Thread-safety: ReferenceData is a plain value.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/domain/calendar.h"
#include "core/log/store.h"

namespace hoso {

constexpr std::string_view kCatalogueChannel = "$catalogue";
constexpr std::string_view kCalendarChannel = "$calendar";

struct Procedure {
  std::string code, name, agency;
  int days = 0;
  bool working_days = true;
  bool postal = true;
  uint64_t fee = 0;
  std::vector<std::string> documents;
  // Who processes a case of it (docs/routing.md): "" (the receiving unit), "residence" (the
  // citizen's commune of residence) or a unit code (a provincial department, the province).
  std::string competent;
  // Years a case's personal data are kept after the case ends (finished or delivered); then
  // the root erases them (RetentionErasures). 0: kept until an erasure decision.
  int retention_years = 0;
  // Where the entry comes from, for the clerk to trust it: the published record it copies
  // and its date ("CSDL quốc gia về TTHC, QĐ 1234/QĐ-BTP, bản ngày 2026-09-19"); "" when
  // the province wrote it itself.
  std::string source;
};

// CSV: code,name,agency,days,day_kind (working|calendar),postal (yes|no),fee,documents
// (separated by ';')[,competent[,retention_years[,source]]], with a header line; fields may
// be double-quoted. 0 working days is a same-day procedure (WorkingCalendar::DueDate).
Result<std::vector<Procedure>> ParseCatalogueCsv(std::string_view text);
std::string CatalogueCsv(const std::vector<Procedure>& procedures);
std::vector<LocalWrite> CatalogueWrites(const std::vector<Procedure>& procedures,
                                        const std::string& officer);
LocalWrite CalendarYearWrite(const CalendarYear& year, const std::string& officer);
LocalWrite CalendarHoursWrite(const std::string& unit, const std::vector<WorkSession>& sessions,
                              const std::string& officer);

struct ReferenceData {
  std::map<std::string, Procedure> procedures;
  std::map<int, CalendarYear> years;                         // from the channel
  std::map<std::string, std::vector<WorkSession>> sessions;  // per unit
  uint64_t skipped = 0;

  const Procedure* FindProcedure(std::string_view code) const;
  // Procedures whose code starts with, or whose name (without diacritics) contains, `query`;
  // then those whose name holds each of its words, in any order.
  std::vector<const Procedure*> Search(std::string_view query, size_t limit) const;
  // The calendar of a unit: its sessions (or the default), every year's table.
  WorkingCalendar CalendarFor(const std::string& unit) const;
};

Result<ReferenceData> LoadReferenceData(const Store& store);

// What the IT team must fix before it bites, as English sentences for the node's log and
// /v1/node: no catalogue loaded (any procedure code is accepted and no due date computed); no
// holiday table, built-in or in the channel, for the year `now_ms` is in or for the next year
// once it is `warn_days` or fewer away (due dates there would count only weekends off: the
// node keeps working, it never stops on a date). Empty when nothing needs doing.
std::vector<std::string> ReferenceWarnings(const ReferenceData& ref, int64_t now_ms,
                                           int warn_days = 90);

}  // namespace hoso
