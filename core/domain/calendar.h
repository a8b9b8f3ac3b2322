// WorkingCalendar: working time in Vietnam's public offices, for deadlines (DOMAIN.md).
//
// Time is local (+07:00, no daylight saving). A working day has sessions (default 07:00-11:30
// and 13:30-17:00, configurable per unit); Saturdays and Sundays are off unless a year's table
// makes one a working day (a swapped day); public holidays are off. A procedure's processing
// time of N working days is N days' worth of working time (8 h by default), counted from the
// moment of reception, or from the next session when the case arrives outside hours; the due
// date is the instant that much working time has elapsed. N calendar days is N x 24 h; a due
// date falling outside working time moves to the end of the next working session. 0 working
// days is a same-day procedure ("trong ngày", e.g. a certified copy, Decree 23/2015 art. 7): due
// at the end of the day's work when received before 15:00, else at the end of the next working
// day.
// Time waiting for a supplement does not count: the due date moves by the working time spent.
//
// The holiday table is data, versioned by year and replicated in the "$calendar" system
// channel; BuiltInYears() is the table this version ships with (2025-2027), used for any
// year the channel does not define.
// Thread-safety: const methods may run concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace hoso {

struct WorkSession {
  int start_min = 0, end_min = 0;  // minutes after local midnight
};

struct CalendarYear {
  int year = 0;
  std::vector<std::string> holidays;      // "YYYY-MM-DD", days off
  std::vector<std::string> working_days;  // "YYYY-MM-DD", weekend days worked (swaps)
};

// "YYYY-MM-DD" -> days since 1970-01-01; error if malformed.
Result<int64_t> ParseDay(std::string_view date);
std::string FormatDay(int64_t day);
// Days since 1970-01-01 of a proleptic Gregorian date, and back.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
void CivilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d);
// "HH:MM" -> minutes, and back.
Result<int> ParseClock(std::string_view hhmm);
std::string FormatClock(int minutes);

class WorkingCalendar {
 public:
  static constexpr int64_t kOffsetMs = 7 * 3600 * 1000;  // Vietnam
  static constexpr int64_t kDayMs = 86400 * 1000;
  // The local day (days since 1970-01-01) holding the instant ms, and the instant it starts.
  static int64_t LocalDay(int64_t ms);
  static int64_t DayStartMs(int64_t day) { return day * kDayMs - kOffsetMs; }

  WorkingCalendar();  // default sessions, weekends off, no holidays
  Status SetSessions(std::vector<WorkSession> sessions);
  Status SetYear(const CalendarYear& year);  // replaces that year's holidays and swaps
  const std::vector<WorkSession>& sessions() const { return sessions_; }

  bool IsWorkingDay(int64_t day) const;  // day: days since 1970-01-01 (local)
  int64_t WorkingDayMs() const;          // working time of one full day
  int64_t WorkingMsBetween(int64_t from_ms, int64_t to_ms) const;
  // The instant at which `working_ms` of working time has elapsed after from_ms.
  int64_t AddWorkingMs(int64_t from_ms, int64_t working_ms) const;
  int64_t DueDate(int64_t received_ms, int days, bool working_days) const;

  static constexpr int kSameDayCutoffMin = 15 * 60;

 private:
  int64_t SameDayDue(int64_t received_ms) const;

  std::vector<WorkSession> sessions_;
  std::set<int64_t> holidays_, working_weekend_days_;
  std::map<int, CalendarYear> years_;
};

std::vector<CalendarYear> BuiltInYears();

}  // namespace hoso
