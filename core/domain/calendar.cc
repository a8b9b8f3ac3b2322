#include "core/domain/calendar.h"

#include <algorithm>
#include <charconv>

namespace hoso {
namespace {

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

bool Number(std::string_view s, int* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

// Howard Hinnant's algorithms.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

Result<int64_t> ParseDay(std::string_view s) {
  int y, m, d;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !Number(s.substr(0, 4), &y) ||
      !Number(s.substr(5, 2), &m) || !Number(s.substr(8, 2), &d) || m < 1 || m > 12 || d < 1 ||
      d > 31) {
    return Status::InvalidArgument("'" + std::string(s) + "' is not a date YYYY-MM-DD");
  }
  int64_t day = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  if (FormatDay(day) != s) {
    return Status::InvalidArgument("'" + std::string(s) + "' is not a date of the calendar");
  }
  return day;
}

std::string FormatDay(int64_t day) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(day, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

Result<int> ParseClock(std::string_view s) {
  int h, m;
  if (s.size() != 5 || s[2] != ':' || !Number(s.substr(0, 2), &h) || !Number(s.substr(3, 2), &m) ||
      h > 24 || m > 59 || (h == 24 && m != 0)) {
    return Status::InvalidArgument("'" + std::string(s) + "' is not a time of day HH:MM");
  }
  return h * 60 + m;
}

std::string FormatClock(int minutes) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d", (minutes / 60) % 100, minutes % 60);
  return buf;
}

WorkingCalendar::WorkingCalendar() : sessions_{{7 * 60, 11 * 60 + 30}, {13 * 60 + 30, 17 * 60}} {}

Status WorkingCalendar::SetSessions(std::vector<WorkSession> sessions) {
  if (sessions.empty()) return Status::InvalidArgument("a working day needs at least one session");
  std::sort(sessions.begin(), sessions.end(),
            [](const auto& a, const auto& b) { return a.start_min < b.start_min; });
  int last = 0;
  for (const auto& s : sessions) {
    if (s.start_min < last || s.end_min <= s.start_min || s.end_min > 24 * 60) {
      return Status::InvalidArgument("working sessions must be ordered, non-empty and apart");
    }
    last = s.end_min;
  }
  sessions_ = std::move(sessions);
  return Status::Ok();
}

Status WorkingCalendar::SetYear(const CalendarYear& year) {
  std::vector<int64_t> off, on;
  for (const auto& h : year.holidays) {
    HOSO_ASSIGN_OR_RETURN(int64_t d, ParseDay(h));
    if (h.substr(0, 4) != std::to_string(year.year)) {
      return Status::InvalidArgument("holiday " + h + " is not in " + std::to_string(year.year));
    }
    off.push_back(d);
  }
  for (const auto& w : year.working_days) {
    HOSO_ASSIGN_OR_RETURN(int64_t d, ParseDay(w));
    if (w.substr(0, 4) != std::to_string(year.year)) {
      return Status::InvalidArgument("working day " + w + " is not in " +
                                     std::to_string(year.year));
    }
    on.push_back(d);
  }
  // Replace the year's previous table.
  int64_t first = DaysFromCivil(year.year, 1, 1), next = DaysFromCivil(year.year + 1, 1, 1);
  holidays_.erase(holidays_.lower_bound(first), holidays_.lower_bound(next));
  working_weekend_days_.erase(working_weekend_days_.lower_bound(first),
                              working_weekend_days_.lower_bound(next));
  holidays_.insert(off.begin(), off.end());
  working_weekend_days_.insert(on.begin(), on.end());
  years_[year.year] = year;
  return Status::Ok();
}

bool WorkingCalendar::IsWorkingDay(int64_t day) const {
  if (holidays_.count(day)) return false;
  int64_t weekday = ((day % 7) + 7 + 3) % 7;  // 0 = Monday (1970-01-01 was a Thursday)
  if (weekday >= 5) return working_weekend_days_.count(day) > 0;
  return true;
}

int64_t WorkingCalendar::LocalDay(int64_t ms) { return FloorDiv(ms + kOffsetMs, kDayMs); }

int64_t WorkingCalendar::WorkingDayMs() const {
  int64_t total = 0;
  for (const auto& s : sessions_) total += (s.end_min - s.start_min) * int64_t{60000};
  return total;
}

int64_t WorkingCalendar::WorkingMsBetween(int64_t from_ms, int64_t to_ms) const {
  if (to_ms <= from_ms) return 0;
  int64_t total = 0;
  int64_t first = LocalDay(from_ms), last = LocalDay(to_ms);
  for (int64_t day = first; day <= last; ++day) {
    if (!IsWorkingDay(day)) continue;
    int64_t base = DayStartMs(day);
    for (const auto& s : sessions_) {
      int64_t a = std::max(from_ms, base + s.start_min * int64_t{60000});
      int64_t b = std::min(to_ms, base + s.end_min * int64_t{60000});
      if (b > a) total += b - a;
    }
  }
  return total;
}

int64_t WorkingCalendar::AddWorkingMs(int64_t from_ms, int64_t working_ms) const {
  int64_t left = std::max<int64_t>(working_ms, 0);
  int64_t day = LocalDay(from_ms);
  // A full day consumes WorkingDayMs; skip whole days quickly once past the first.
  for (int guard = 0; guard < 100000; ++guard, ++day) {
    if (!IsWorkingDay(day)) continue;
    int64_t base = DayStartMs(day);
    for (const auto& s : sessions_) {
      int64_t a = std::max(from_ms, base + s.start_min * int64_t{60000});
      int64_t b = base + s.end_min * int64_t{60000};
      if (b <= a) continue;
      if (left <= b - a) return a + left;
      left -= b - a;
    }
  }
  return from_ms;  // unreachable with a sane calendar (a working day within 100000 days)
}

int64_t WorkingCalendar::SameDayDue(int64_t received_ms) const {
  int64_t start = AddWorkingMs(received_ms, 1) - 1;  // the first working instant from then
  int64_t day = LocalDay(start);
  if (start - DayStartMs(day) >= kSameDayCutoffMin * int64_t{60000}) {
    for (int guard = 0; guard < 100000 && !IsWorkingDay(++day); ++guard) {
    }
  }
  int end_min = 0;
  for (const auto& s : sessions_) end_min = std::max(end_min, s.end_min);
  return DayStartMs(day) + end_min * int64_t{60000};
}

int64_t WorkingCalendar::DueDate(int64_t received_ms, int days, bool working_days) const {
  if (working_days && days == 0) return SameDayDue(received_ms);
  if (working_days) return AddWorkingMs(received_ms, days * WorkingDayMs());
  int64_t due = received_ms + days * kDayMs;
  // Outside working time: the end of the next session that is worked.
  if (WorkingMsBetween(due - 1, due) > 0) return due;
  int64_t before = AddWorkingMs(due, 1) - 1;  // the start of the next working instant
  int64_t day = LocalDay(before);
  int64_t base = DayStartMs(day);
  for (const auto& s : sessions_) {
    if (base + s.end_min * int64_t{60000} > before) return base + s.end_min * int64_t{60000};
  }
  return before;
}

std::vector<CalendarYear> BuiltInYears() {
  // Public holidays of the Labour Code 2019 art. 112 as announced or, for later years,
  // expected; Tết as the five working days around lunar new year. The province edits them
  // (hoso calendar set) when the government announces each year's swaps.
  return {
      {2025,
       {"2025-01-01", "2025-01-27", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31",
        "2025-04-07", "2025-04-30", "2025-05-01", "2025-05-02", "2025-09-01", "2025-09-02"},
       {"2025-04-26"}},
      {2026,
       {"2026-01-01", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
        "2026-04-27", "2026-04-30", "2026-05-01", "2026-09-01", "2026-09-02", "2026-11-24"},
       {}},
      {2027,
       {"2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11",
        "2027-04-16", "2027-04-30", "2027-05-03", "2027-09-02", "2027-09-03", "2027-11-24"},
       {}},
  };
}

}  // namespace hoso
