// Data-subject requests (core/domain/subject_requests.h) and their schema
// (core/domain/event_schema.cc): codes, ID numbers, the 2-working-day due day, what a request
// case may hold, and a request written to a real store, its ID number sealed and read back.
#include "core/domain/subject_requests.h"

#include <catch2/catch.hpp>

#include "core/domain/event_schema.h"
#include "core/log/erasure.h"
#include "tests/testing/testing.h"

using namespace hoso;
using testing::TempDir;

namespace {

Event SubjectEvent(const std::string& code, std::string_view type, cbor::Value body) {
  Event e;
  e.stream = {"89", "89", 1};
  e.case_code = code;
  e.type = std::string(type);
  e.body = std::move(body);
  e.officer = "dpo.hoa";
  return e;
}

int64_t Day(const char* d) { return *ParseDay(d); }

}  // namespace

TEST_CASE("subject requests: codes, and which codes are request cases", "[core][subject]") {
  const int64_t now = testing::kTestNow;  // 2025-11-24 23:00 in Vietnam
  CHECK(SubjectCaseCode("89", 1, now, 1) == "89-subject-20251124-1");
  CHECK(SubjectCaseCode("30280", 3, now, 12) == "30280e3-subject-20251124-12");
  CHECK(SubjectCaseCode("89", 1, now + 3600 * 1000, 2) == "89-subject-20251125-2");
  CHECK(CaseCodeBelongsTo(SubjectCaseCode("30280", 3, now, 2), "30280"));
  CHECK(IsSubjectCaseCode("89-subject-20251124-1"));
  CHECK_FALSE(IsSubjectCaseCode("89-access-20251124"));
  CHECK_FALSE(IsSubjectCaseCode("89-251124-0001"));
  CHECK_FALSE(IsSubjectCaseCode("-subject-20251124-1"));
  CHECK_FALSE(IsSubjectCaseCode("89-251124-subject-1"));
}

TEST_CASE("subject requests: an ID number is 9 or 12 digits", "[core][subject]") {
  CHECK(IsIdNumber("079123456789"));
  CHECK(IsIdNumber("123456789"));
  CHECK_FALSE(IsIdNumber("12345"));
  CHECK_FALSE(IsIdNumber("0791234567890"));
  CHECK_FALSE(IsIdNumber("07912345678a"));
  CHECK_FALSE(IsIdNumber("07912345678 "));
  CHECK_FALSE(IsIdNumber(""));
}

TEST_CASE("subject requests: the answer is due on the second working day after reception",
          "[core][subject]") {
  WorkingCalendar cal;  // weekends off
  // Monday 2025-11-24: Wednesday. Friday 2025-11-21 and Saturday 2025-11-22: Tuesday.
  CHECK(FormatDay(SubjectAnswerDueDay(cal, Day("2025-11-24"))) == "2025-11-26");
  CHECK(FormatDay(SubjectAnswerDueDay(cal, Day("2025-11-21"))) == "2025-11-25");
  CHECK(FormatDay(SubjectAnswerDueDay(cal, Day("2025-11-22"))) == "2025-11-25");
  // A holiday on Tuesday moves it to Thursday; a worked Saturday counts.
  REQUIRE(cal.SetYear({2025, {"2025-11-25"}, {"2025-11-29"}}).ok());
  CHECK(FormatDay(SubjectAnswerDueDay(cal, Day("2025-11-24"))) == "2025-11-27");
  CHECK(FormatDay(SubjectAnswerDueDay(cal, Day("2025-11-27"))) == "2025-11-29");
  CHECK(FormatDay(SubjectAnswerDueDay(cal, Day("2025-11-28"))) == "2025-12-01");
  // In time up to the end of the due day (Vietnam's), late from the next.
  const int64_t due_end = WorkingCalendar::DayStartMs(Day("2025-11-27") + 1);
  CHECK(SubjectAnsweredInTime(cal, Day("2025-11-24"), due_end - 1));
  CHECK_FALSE(SubjectAnsweredInTime(cal, Day("2025-11-24"), due_end));
  CHECK(SubjectAnsweredInTime(cal, Day("2025-11-24"),
                              WorkingCalendar::DayStartMs(Day("2025-11-24"))));
}

TEST_CASE("subject requests: the schema holds a request case to its two events",
          "[core][subject]") {
  const std::string code = "89-subject-20251124-1";
  CHECK(CheckEventSchema(SubjectEvent(code, kSubjectRequestType,
                                      SubjectRequestBody(Day("2025-11-21"), "079123456789")))
            .ok());
  CHECK(CheckEventSchema(
            SubjectEvent(code, kSubjectAnsweredType, SubjectAnsweredBody(testing::kTestNow, 2)))
            .ok());
  CHECK(CheckEventSchema(SubjectEvent(code, "key.destroyed", cbor::Value::Map())).ok());
  // A status (which queues and reports read), another type, a bad number or date, extra
  // fields: refused.
  CHECK_FALSE(CheckEventSchema(SubjectEvent(code, "case.received",
                                            testing::Body({{"status", testing::Text("received")}})))
                  .ok());
  CHECK_FALSE(CheckEventSchema(SubjectEvent(code, kSubjectRequestType,
                                            SubjectRequestBody(Day("2025-11-21"), "12345")))
                  .ok());
  CHECK_FALSE(
      CheckEventSchema(SubjectEvent(code, kSubjectRequestType,
                                    testing::Body({{"received", testing::Text("21/11/2025")},
                                                   {"id_number", testing::Text("079123456789")}})))
          .ok());
  cbor::Value extra = SubjectAnsweredBody(testing::kTestNow, 2);
  extra.Set("status", testing::Text("received"));
  CHECK_FALSE(CheckEventSchema(SubjectEvent(code, kSubjectAnsweredType, extra)).ok());
  // The events belong in a request case only; the code in the unit's own channel.
  CHECK_FALSE(CheckEventSchema(SubjectEvent("89-251124-0001", kSubjectAnsweredType,
                                            SubjectAnsweredBody(testing::kTestNow, 2)))
                  .ok());
  CHECK_FALSE(CheckEventSchema(SubjectEvent("30280-subject-20251124-1", kSubjectAnsweredType,
                                            SubjectAnsweredBody(testing::kTestNow, 2)))
                  .ok());
}

TEST_CASE("subject requests: written to a store, the ID number is sealed and read back",
          "[core][subject]") {
  TempDir dir;
  auto node = testing::OpenTestNode(dir.Sub("89"), "89");
  Store& store = *node->store;
  REQUIRE(store.Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  const std::string code = SubjectCaseCode("89", 1, testing::kTestNow, 1);
  auto appended = store.Append(
      std::vector<LocalWrite>{{"89", code, std::string(kSubjectRequestType),
                               SubjectRequestBody(Day("2025-11-21"), "079123456789"), "dpo.hoa"},
                              {"89", code, std::string(kSubjectAnsweredType),
                               SubjectAnsweredBody(testing::kTestNow, 2), "dpo.hoa"}});
  INFO(appended.status().ToString());
  REQUIRE(appended.ok());
  auto view = store.GetCase(code);
  REQUIRE(view.ok());
  REQUIRE(view->history.size() == 2);
  const cbor::Value* sealed = view->history[0].event.body.Find("id_number");
  REQUIRE(sealed != nullptr);
  CHECK(sealed->is_bytes());  // signed and stored sealed, never in clear
  CHECK(cbor::Encode(view->history[0].event.body).find("079123456789") == std::string::npos);

  auto requests = SubjectRequests(store);
  REQUIRE(requests.ok());
  REQUIRE(requests->size() == 1);
  const SubjectRequest& r = requests->front();
  CHECK(r.code == code);
  CHECK(r.unit == "89");
  CHECK(r.officer == "dpo.hoa");
  CHECK(FormatDay(r.received_day) == "2025-11-21");
  CHECK(r.id_number == "079123456789");
  CHECK(r.id_hidden == ShownField::Hidden::kNone);
  REQUIRE(r.answered_at_ms.has_value());
  CHECK(*r.answered_at_ms == testing::kTestNow);
  CHECK(r.cases == 2);
  // Received Friday, answered Monday: in time (due Tuesday).
  CHECK(SubjectAnsweredInTime(WorkingCalendar(), r.received_day, *r.answered_at_ms));

  // A fold without the key shows the dates but not the number.
  std::vector<Event> events;
  for (const auto& h : view->history) events.push_back(h.event);
  auto blind = FoldSubjectCase(code, events, nullptr);
  REQUIRE(blind.ok());
  CHECK(blind->id_number.empty());
  CHECK(blind->id_hidden == ShownField::Hidden::kNoKey);
  CHECK(blind->cases == 2);
  CHECK_FALSE(FoldSubjectCase(code, {events[1]}, nullptr).ok());

  // The root erases the request's case: the holder confirms with key.destroyed (which the
  // schema lets a request case hold), the number can no longer be opened, the dates stay.
  REQUIRE(store
              .Append(LocalWrite{std::string(kErasureChannel), code, std::string(kEraseType),
                                 ErasureBody("QĐ 7/QĐ-UBND", "hết thời hạn lưu trữ"), "it"})
              .ok());
  auto confirmed = ConfirmErasures(store, testing::kTestNow);
  INFO(confirmed.status().ToString());
  REQUIRE(confirmed.ok());
  CHECK(*confirmed == 1);
  auto after = SubjectRequests(store);
  REQUIRE(after.ok());
  REQUIRE(after->size() == 1);
  CHECK(after->front().id_number.empty());
  CHECK(after->front().id_hidden == ShownField::Hidden::kErased);
  CHECK(FormatDay(after->front().received_day) == "2025-11-21");
  CHECK(after->front().answered_at_ms == testing::kTestNow);
}
