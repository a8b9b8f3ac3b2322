#include "core/domain/calendar.h"

#include <catch2/catch.hpp>

#include "core/domain/lifecycle.h"
#include "core/domain/reference_data.h"

using namespace hoso;

namespace {

// "2026-02-13 15:30" in Vietnam's time -> ms since the epoch.
int64_t At(const std::string& local) {
  int64_t day = ParseDay(local.substr(0, 10)).value();
  int minutes = ParseClock(local.substr(11, 5)).value();
  return day * WorkingCalendar::kDayMs - WorkingCalendar::kOffsetMs + minutes * 60000LL;
}

std::string Local(int64_t ms) {
  int64_t local = ms + WorkingCalendar::kOffsetMs;
  int64_t day = local >= 0 ? local / WorkingCalendar::kDayMs : -1;
  int64_t minutes = (local - day * WorkingCalendar::kDayMs) / 60000;
  char buf[64];
  std::snprintf(buf, sizeof buf, " %02lld:%02lld", static_cast<long long>(minutes / 60),
                static_cast<long long>(minutes % 60));
  return FormatDay(day) + buf;
}

WorkingCalendar Vietnam() {
  WorkingCalendar c;
  for (const auto& y : BuiltInYears()) REQUIRE(c.SetYear(y).ok());
  return c;
}

}  // namespace

TEST_CASE("calendar: received on 2026-02-13 at 15:30 with 5 working days, across Tết",
          "[calendar]") {
  WorkingCalendar c = Vietnam();
  // Friday 15:30-17:00 (1.5 h), then the weekend and Tết (16-20 Feb), the weekend, Mon 23 to
  // Thu 26 (32 h), Fri 27: 4.5 h in the morning and 2 h after 13:30.
  CHECK(Local(c.DueDate(At("2026-02-13 15:30"), 5, true)) == "2026-02-27 15:30");
  // 5 calendar days: Wednesday 18 Feb is Tết; the due date moves to the end of the first
  // session worked after it.
  CHECK(Local(c.DueDate(At("2026-02-13 15:30"), 5, false)) == "2026-02-23 11:30");
}

TEST_CASE("calendar: a same-day procedure is due at the day's end, after 15:00 the next day's",
          "[calendar]") {
  WorkingCalendar c = Vietnam();
  CHECK(Local(c.DueDate(At("2026-03-09 08:00"), 0, true)) == "2026-03-09 17:00");
  CHECK(Local(c.DueDate(At("2026-03-09 14:59"), 0, true)) == "2026-03-09 17:00");
  CHECK(Local(c.DueDate(At("2026-03-09 15:00"), 0, true)) == "2026-03-10 17:00");
  CHECK(Local(c.DueDate(At("2026-03-09 18:30"), 0, true)) == "2026-03-10 17:00");  // evening
  CHECK(Local(c.DueDate(At("2026-03-06 15:30"), 0, true)) == "2026-03-09 17:00");  // Friday
  CHECK(Local(c.DueDate(At("2026-03-07 10:00"), 0, true)) == "2026-03-09 17:00");  // Saturday
  // Thursday 2026-02-12 after 15:00: Friday 13th is worked, then Tết.
  CHECK(Local(c.DueDate(At("2026-02-12 16:00"), 0, true)) == "2026-02-13 17:00");
  CHECK(Local(c.DueDate(At("2026-02-13 16:00"), 0, true)) == "2026-02-23 17:00");
  // A unit whose afternoon ends at 16:30 is due then.
  REQUIRE(c.SetSessions({{7 * 60, 11 * 60 + 30}, {13 * 60, 16 * 60 + 30}}).ok());
  CHECK(Local(c.DueDate(At("2026-03-09 08:00"), 0, true)) == "2026-03-09 16:30");
}

TEST_CASE("calendar: outside hours counts from the next session, weekends and swaps",
          "[calendar]") {
  WorkingCalendar c = Vietnam();
  CHECK(Local(c.DueDate(At("2026-03-07 10:00"), 1, true)) == "2026-03-09 17:00");  // Saturday
  CHECK(Local(c.DueDate(At("2026-03-09 18:00"), 1, true)) == "2026-03-10 17:00");  // after 17:00
  CHECK(Local(c.DueDate(At("2026-03-09 12:00"), 1, true)) == "2026-03-10 11:30");  // lunch
  CHECK(Local(c.DueDate(At("2026-03-09 07:00"), 1, true)) == "2026-03-09 17:00");
  CHECK(c.WorkingMsBetween(At("2026-03-06 16:00"), At("2026-03-09 08:00")) == 2 * 3600000);
  // Saturday 2025-04-26 was worked (the swap for Friday 2 May).
  CHECK(c.IsWorkingDay(ParseDay("2025-04-26").value()));
  CHECK_FALSE(c.IsWorkingDay(ParseDay("2025-05-02").value()));
  CHECK_FALSE(c.IsWorkingDay(ParseDay("2026-09-02").value()));
  CHECK(c.IsWorkingDay(ParseDay("2026-09-03").value()));
}

TEST_CASE("calendar: waiting for a supplement pauses the clock", "[calendar]") {
  WorkingCalendar c = Vietnam();
  int64_t due = c.DueDate(At("2026-03-02 08:00"), 3, true);
  CHECK(Local(due) == "2026-03-05 08:00");
  // Waiting from Tue 10:00 to Thu 10:00: two working days of waiting move the due date by two.
  int64_t paused = c.WorkingMsBetween(At("2026-03-03 10:00"), At("2026-03-05 10:00"));
  CHECK(paused == 2 * c.WorkingDayMs());
  CHECK(Local(c.AddWorkingMs(due, paused)) == "2026-03-09 08:00");
}

TEST_CASE("calendar: the table is data: years replaced, sessions per unit, bad input named",
          "[calendar]") {
  WorkingCalendar c = Vietnam();
  CHECK_FALSE(c.IsWorkingDay(ParseDay("2026-11-24").value()));
  REQUIRE(c.SetYear({2026, {"2026-01-01"}, {}}).ok());  // the province edits 2026
  CHECK(c.IsWorkingDay(ParseDay("2026-11-24").value()));
  CHECK(c.IsWorkingDay(ParseDay("2026-02-17").value()));
  CHECK_FALSE(c.IsWorkingDay(ParseDay("2027-02-08").value()));  // 2027 untouched
  CHECK(c.SetYear({2026, {"2026-02-30"}, {}}).code() == Code::kInvalidArgument);
  CHECK(c.SetYear({2026, {"2027-01-01"}, {}}).code() == Code::kInvalidArgument);
  CHECK_FALSE(ParseDay("2026-2-1").ok());
  CHECK_FALSE(ParseClock("25:00").ok());
  // A unit working 07:30-11:30 and 13:00-17:00 (8 h).
  REQUIRE(c.SetSessions({{450, 690}, {780, 1020}}).ok());
  CHECK(Local(c.DueDate(At("2026-03-09 12:00"), 1, true)) == "2026-03-10 11:30");
  CHECK(c.SetSessions({{600, 500}}).code() == Code::kInvalidArgument);
  CHECK(c.SetSessions({}).code() == Code::kInvalidArgument);
}

TEST_CASE("lifecycle: allowed steps, portal codes, and a refusal that names what is allowed",
          "[lifecycle]") {
  CHECK(CheckStep("received", "forwarded").ok());
  CHECK(CheckStep("result_ready", "dispatched").ok());
  CHECK(CheckStep("dispatched", "undeliverable").ok());
  CHECK(CheckStep("undeliverable", "dispatched").ok());
  Status s = CheckStep("received", "delivered");
  CHECK(s.code() == Code::kFailedPrecondition);
  CHECK_THAT(s.message(), Catch::Contains("allowed next: forwarded, posted_to_agency"));
  CHECK_THAT(CheckStep("closed", "processing").message(), Catch::Contains("none"));
  CHECK(PortalStatusCode("supplement_requested") == 5);
  CHECK(PortalStatusCode("delivered") == 10);
  CHECK(PortalStatusCode("nonsense") == 0);
  CHECK(IsFinishedStatus("result_ready"));
  CHECK_FALSE(IsFinishedStatus("processing"));
  // Every status but closed has a way forward, and every step leads to a known status.
  for (const char* st :
       {"submitted", "received", "refused", "posted_to_agency", "agency_received", "forwarded",
        "processing", "supplement_requested", "fees_due", "withdrawn", "stopped", "result_ready",
        "dispatched", "undeliverable", "delivered", "returned"}) {
    INFO(st);
    CHECK(IsKnownStatus(st));
    CHECK_FALSE(AllowedNextSteps(st).empty());
    for (const auto& next : AllowedNextSteps(st)) CHECK(IsKnownStatus(next));
  }
}

TEST_CASE("calendar: the node is warned ahead of a year without holidays, and of no catalogue",
          "[calendar]") {
  ReferenceData ref;
  ref.procedures["TEST-1000001"] = Procedure{};
  // Mid-2027: the built-in table covers the year, the next is far.
  CHECK(ReferenceWarnings(ref, At("2027-06-01 09:00")).empty());
  // 2028 starts in 61 days and no table names it: warned, the node still works.
  auto warnings = ReferenceWarnings(ref, At("2027-11-01 09:00"));
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("no holidays for 2028 (starts in 61 days)"));
  // Loaded through the channel: no warning.
  ref.years[2028] = CalendarYear{2028, {"2028-01-01"}, {}};
  CHECK(ReferenceWarnings(ref, At("2027-11-01 09:00")).empty());
  // Past every table: this year and (in December) the next.
  warnings = ReferenceWarnings(ref, At("2029-12-15 09:00"));
  REQUIRE(warnings.size() == 2);
  CHECK_THAT(warnings[0], Catch::Contains("no holidays for 2029 (this year)"));
  CHECK_THAT(warnings[1], Catch::Contains("no holidays for 2030 (starts in 17 days)"));
  // A deadline is still computed there: weekends off only, never an error.
  WorkingCalendar cal = ref.CalendarFor("30280");
  CHECK(cal.DueDate(At("2029-12-17 09:00"), 1, true) > At("2029-12-17 09:00"));
  // No catalogue: said first.
  ref.procedures.clear();
  warnings = ReferenceWarnings(ref, At("2027-06-01 09:00"));
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("no catalogue is loaded"));
}
