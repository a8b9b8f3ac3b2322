#include "core/domain/report.h"

#include <catch2/catch.hpp>

#include "core/domain/calendar.h"
#include "core/domain/lifecycle.h"
#include "tests/testing/testing.h"

using namespace hoso;
using testing::Body;
using testing::Text;

namespace {

// "2026-01-05T08:00:00+07:00": Vietnam's local time (the offset is always +07:00 here).
int64_t T(const std::string& local) {
  int64_t day = ParseDay(local.substr(0, 10)).value();
  int minutes = ParseClock(local.substr(11, 5)).value();
  return day * WorkingCalendar::kDayMs - WorkingCalendar::kOffsetMs + minutes * 60000LL;
}

cbor::Value U(int64_t v) { return cbor::Value::Uint(static_cast<uint64_t>(v)); }

struct Office {
  testing::TempDir dir;
  std::unique_ptr<testing::TestNode> province = testing::OpenTestNode(dir.Sub("89"), "89");
  std::unique_ptr<testing::TestNode> commune = testing::OpenTestNode(dir.Sub("30280"), "30280");
  Office() {
    REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
    REQUIRE(testing::CopyAll(*province->store, *commune->store, [](const std::string& c) {
              return c == kDirectoryChannel;
            }).ok());
  }
  void Receive(const std::string& code, const char* at, const char* due, const char* channel,
               const char* procedure = "TEST-1002668", bool by_post = false) {
    commune->clock.Set(T(at));
    REQUIRE(commune->store
                ->Append({"30280", "30280-" + code, "case.received",
                          Body({{"status", Text("received")},
                                {"procedure", Text(procedure)},
                                {"channel", Text(channel)},
                                {"received_at", U(T(at))},
                                {"due_at", U(T(due))},
                                {"return_by_post", cbor::Value::Bool(by_post)}}),
                          "nv.lan"})
                .ok());
  }
  void Step(const std::string& code, const char* at, const char* status, int supplements = 0) {
    commune->clock.Set(T(at));
    cbor::Value body = Body({{"status", Text(status)}});
    if (IsFinishedStatus(status)) body.Set("finished_at", U(T(at)));
    if (supplements) body.Set("supplement_count", U(supplements));
    REQUIRE(commune->store->Append({"30280", "30280-" + code, "case.step", body, "cb.tam"}).ok());
  }
};

ReportFigures Total(const Store& store, const char* from, const char* to,
                    const char* scope = "89") {
  auto rows = BuildReport(store, {scope, ParseMonth(from).value(), ParseMonth(to).value()});
  REQUIRE(rows.ok());
  return rows->back().figures;
}

}  // namespace

TEST_CASE("report: received, carried over, resolved and in progress per DOMAIN.md rules",
          "[report]") {
  Office o;
  // January 2026.
  o.Receive("A", "2026-01-05T08:00:00+07:00", "2026-01-20T17:00:00+07:00", "online");
  o.Receive("B", "2026-01-06T08:00:00+07:00", "2026-01-10T17:00:00+07:00", "counter");
  o.Receive("C", "2026-01-07T08:00:00+07:00", "2026-01-28T17:00:00+07:00", "postal");
  o.Receive("D", "2026-01-08T08:00:00+07:00", "2026-02-15T17:00:00+07:00", "counter", "TEST-2000908",
            /*by_post=*/true);
  o.Receive("E", "2026-01-09T08:00:00+07:00", "2026-01-30T17:00:00+07:00", "counter");
  o.Step("A", "2026-01-12T10:00:00+07:00", "result_ready");     // early
  o.Step("B", "2026-01-12T10:00:00+07:00", "result_ready");     // late
  o.Step("E", "2026-01-20T10:00:00+07:00", "result_ready", 2);  // late: two supplements
  // C stays open past its due date; D is due in February.
  // February: C finishes late, a new case F arrives and is refused.
  o.Receive("F", "2026-02-02T08:00:00+07:00", "2026-02-20T17:00:00+07:00", "online");
  o.Step("C", "2026-02-03T10:00:00+07:00", "result_ready");
  o.Step("F", "2026-02-04T10:00:00+07:00", "refused");
  Store& s = *o.commune->store;

  ReportFigures jan = Total(s, "2026-01", "2026-01");
  CHECK(jan.received == 5);
  CHECK(jan.received_online == 1);
  CHECK(jan.received_in_person == 3);
  CHECK(jan.received_postal == 1);
  CHECK(jan.postal == 2);  // C received by post, D returned by post
  CHECK(jan.carried_over == 0);
  CHECK(jan.resolved == 3);
  CHECK(jan.early == 1);
  CHECK(jan.on_time == 0);
  CHECK(jan.late == 2);
  CHECK(jan.in_progress == 2);
  CHECK(jan.in_progress_late == 1);     // C: due 28 January, open at the end of January
  CHECK(jan.in_progress_on_time == 1);  // D: due in February

  ReportFigures feb = Total(s, "2026-02", "2026-02");
  CHECK(feb.received == 1);
  CHECK(feb.carried_over == 2);  // C and D
  CHECK(feb.resolved == 2);
  CHECK(feb.late == 1);
  CHECK(feb.not_judged == 1);  // F refused
  CHECK(feb.in_progress == 1);
  CHECK(feb.in_progress_late == 1);  // D, due 15 February

  ReportFigures both = Total(s, "2026-01", "2026-02");
  CHECK(both.received == 6);
  CHECK(both.resolved == 5);
  CHECK(both.in_progress == 1);

  // By month and procedure.
  auto rows = BuildReport(
      s, {"30280", ParseMonth("2026-01").value(), ParseMonth("2026-02").value(), true, true, true});
  REQUIRE(rows.ok());
  bool seen_d = false;
  for (const auto& r : *rows) {
    if (r.procedure == "TEST-2000908" && r.month == "2026-01") {
      seen_d = true;
      CHECK(r.unit == "30280");
      CHECK(r.figures.received == 1);
      CHECK(r.figures.postal == 1);
    }
  }
  CHECK(seen_d);
  std::string csv = ReportCsv(*rows);
  CHECK_THAT(csv, Catch::StartsWith("\xEF\xBB\xBFMã đơn vị,Đơn vị,Thủ tục,Tháng,Tiếp nhận,"));
  CHECK_THAT(csv, Catch::Contains("\r\n,Tổng cộng,,,6,"));
}

TEST_CASE("report: counters follow sync, rebuilds and purges", "[report]") {
  Office o;
  for (int i = 0; i < 20; ++i) {
    o.Receive("X" + std::to_string(i), "2026-03-02T08:00:00+07:00", "2026-03-10T17:00:00+07:00",
              i % 2 ? "postal" : "online");
    if (i % 3 == 0) o.Step("X" + std::to_string(i), "2026-03-05T08:00:00+07:00", "result_ready");
  }
  Store& commune = *o.commune->store;
  ReportFigures before = Total(commune, "2026-03", "2026-03");
  CHECK(before.received == 20);
  CHECK(before.resolved == 7);
  REQUIRE(testing::CopyAll(commune, *o.province->store, [](const std::string& c) {
            return c == "30280";
          }).ok());
  ReportFigures at_province = Total(*o.province->store, "2026-03", "2026-03");
  CHECK(at_province.received == before.received);
  CHECK(at_province.early + at_province.on_time == before.early + before.on_time);
  CHECK(Total(*o.province->store, "2026-03", "2026-03", "30283").received == 0);  // other scope
  REQUIRE(commune.RebuildStates().ok());
  ReportFigures rebuilt = Total(commune, "2026-03", "2026-03");
  CHECK(rebuilt.received == before.received);
  CHECK(rebuilt.resolved == before.resolved);
  CHECK(rebuilt.in_progress == before.in_progress);
  CHECK_FALSE(BuildReport(commune, {"89", 10, 5}).ok());
  CHECK_FALSE(ParseMonth("2026-13").ok());
}

TEST_CASE("report: unfinished cases are judged at min(now, end of period), never before due",
          "[report]") {
  Office o;
  // Now is 2026-03-12 10:00: one case was due on the 10th, one is due on the 20th, one in April,
  // one finished late in February, one had two supplement requests.
  o.Receive("A", "2026-03-02T08:00:00+07:00", "2026-03-10T17:00:00+07:00", "counter");
  o.Receive("B", "2026-03-03T08:00:00+07:00", "2026-03-20T17:00:00+07:00", "online");
  o.Receive("C", "2026-03-04T08:00:00+07:00", "2026-04-02T17:00:00+07:00", "postal");
  o.Receive("D", "2026-02-02T08:00:00+07:00", "2026-02-10T17:00:00+07:00", "counter");
  o.Step("D", "2026-02-12T08:00:00+07:00", "result_ready");
  o.Receive("E", "2026-02-03T08:00:00+07:00", "2026-02-25T17:00:00+07:00", "counter");
  o.Step("E", "2026-02-05T08:00:00+07:00", "supplement_requested", 1);
  o.Step("E", "2026-02-09T08:00:00+07:00", "result_ready", 1);
  auto report = [&](const char* from, const char* to, const char* now, bool by_month = false) {
    ReportQuery q{"89", ParseMonth(from).value(), ParseMonth(to).value()};
    q.now_ms = T(now);
    q.by_month = by_month;
    auto rows = BuildReport(*o.commune->store, q);
    REQUIRE(rows.ok());
    return *rows;
  };
  // The whole year (its end in the future): judged now, so only A is late; B is not yet due.
  ReportFigures year = report("2026-01", "2026-12", "2026-03-12T10:00").back().figures;
  CHECK(year.in_progress == 3);
  CHECK(year.in_progress_late == 1);
  CHECK(year.in_progress_on_time == 2);
  // The same period judged after B's due date: A and B late.
  ReportFigures later = report("2026-01", "2026-12", "2026-03-21T08:00").back().figures;
  CHECK(later.in_progress_late == 2);
  // March alone, by month, now in March: the same judgement on its row.
  auto months = report("2026-03", "2026-03", "2026-03-12T10:00", true);
  REQUIRE(months.size() == 2);
  CHECK(months[0].month == "2026-03");
  CHECK(months[0].figures.in_progress_late == 1);
  // A period that has ended is judged at its end: February's end, A not yet received.
  ReportFigures february = report("2026-02", "2026-02", "2026-03-12T10:00").back().figures;
  CHECK(february.resolved == 2);
  CHECK(february.late == 1);  // D finished after its due date
  CHECK(february.supplemented == 1);
  CHECK(february.in_progress == 0);
  // Months before now stay judged at their end: the whole of March judged in April has A, B late
  // and C (due 2 April) on time.
  ReportFigures march = report("2026-03", "2026-03", "2026-04-05T08:00").back().figures;
  CHECK(march.in_progress_late == 2);
  CHECK(march.in_progress_on_time == 1);
}

TEST_CASE("report: months are YYYY-MM or MM/YYYY, the CSV is Excel's", "[report]") {
  CHECK(ParseMonth("03/2026").value() == ParseMonth("2026-03").value());
  CHECK_FALSE(ParseMonth("13/2026").ok());
  CHECK_FALSE(ParseMonth("2026/03").ok());
  ReportRow unit{"30280", "", "2026-03", {}};
  unit.figures.received = 2;
  unit.figures.received_online = 1;
  ReportRow total{"", "", "", unit.figures};
  std::string csv = ReportCsv({unit, total}, [](const std::string& u) {
    return u == "30280" ? std::string("Phường Mỹ Bình") : u;
  });
  CHECK(csv.rfind("\xEF\xBB\xBFMã đơn vị,Đơn vị,", 0) == 0);
  CHECK_THAT(csv, Catch::Contains("\r\n30280,Phường Mỹ Bình,,2026-03,2,1,"));
  // Nothing judged: the on-time rate is empty, not 0.
  CHECK_THAT(csv, Catch::EndsWith(",0.0000,0.5000,,\r\n"));
}
