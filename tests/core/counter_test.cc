// The counter's rules on a real store: the tracking register's lines (a property of the log),
// and the head's decisions (core/domain/case_decisions.h) as pure functions.
#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "core/domain/calendar.h"
#include "core/domain/case_decisions.h"
#include "core/domain/register.h"
#include "tests/testing/testing.h"

using namespace hoso;
using testing::Body;
using testing::Text;

namespace {

// 09:00 local time on a day of 2025 or 2026.
int64_t At(int year, unsigned month, unsigned day) {
  return WorkingCalendar::DayStartMs(DaysFromCivil(year, month, day)) + 9 * 3600 * 1000;
}

Status Receive(Store& store, const std::string& code, int64_t at) {
  return store
      .Append({"30280", code, "case.received",
               Body({{"status", Text("received")},
                     {"procedure", Text("TEST-1002668")},
                     {"received_at", cbor::Value::Uint(static_cast<uint64_t>(at))}}),
               "nv.lan"})
      .status();
}

// The commune 30280's node, with the directory the province wrote (the write rule's).
std::unique_ptr<testing::TestNode> CommuneNode(testing::TempDir& dir) {
  auto province = testing::OpenTestNode(dir.Sub("89"), "89");
  auto node = testing::OpenTestNode(dir.Sub("30280"), "30280");
  REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  REQUIRE(testing::CopyAll(*province->store, *node->store, [](const std::string& c) {
            return c == kDirectoryChannel;
          }).ok());
  return node;
}

}  // namespace

TEST_CASE("register: lines are the office's receptions in stream order, 1..n per year",
          "[register]") {
  testing::TempDir dir;
  auto node = CommuneNode(dir);
  Store& store = *node->store;
  std::mt19937 rng(7);
  std::vector<std::string> y2025, y2026;
  for (int i = 0; i < 60; ++i) {
    // Receptions of both years interleaved, and steps between them: only receptions count.
    bool next_year = rng() % 3 == 0;
    std::string code = "30280-" + std::string(next_year ? "2601" : "2512") + "0" +
                       std::to_string(10 + i / 10) + "-" + std::to_string(1000 + i);
    Status received = Receive(store, code, next_year ? At(2026, 1, 5) : At(2025, 12, 1 + i % 28));
    INFO(received.ToString());
    REQUIRE(received.ok());
    (next_year ? y2026 : y2025).push_back(code);
    if (i % 4 == 0) REQUIRE(store.Append(testing::StepWrite("30280", code, "processing")).ok());
  }
  for (auto [year, codes] : {std::pair{2025, &y2025}, {2026, &y2026}}) {
    auto volume = RegisterVolume(store, "30280", year, 10000);
    REQUIRE(volume.ok());
    REQUIRE(volume->size() == codes->size());
    for (size_t i = 0; i < codes->size(); ++i) {
      CHECK((*volume)[i].line == i + 1);        // never repeated, never skipped
      CHECK((*volume)[i].code == (*codes)[i]);  // in the order the office received them
      auto line = RegisterLineOf(store, (*codes)[i]);
      REQUIRE(line.ok());
      CHECK(line->year == year);
      CHECK(line->line == i + 1);
    }
  }
  CHECK(RegisterVolume(store, "30283", 2025, 10).value().empty());
  // A line does not move when later cases are received, nor when the store is rebuilt.
  REQUIRE(store.RebuildStates().ok());
  CHECK(RegisterLineOf(store, y2025.front()).value().line == 1);
  CHECK(RegisterLineOf(store, y2025.back()).value().line == y2025.size());
  CHECK(RegisterLineOf(store, "30280-nope").status().code() == Code::kNotFound);
}

TEST_CASE("register: a period's page starts at its first line wherever it lies in the volume",
          "[register]") {
  testing::TempDir dir;
  auto node = CommuneNode(dir);
  Store& store = *node->store;
  // Five receptions a day from Monday 2026-03-02 to Friday 2026-03-13, steps between them.
  std::vector<std::string> codes;
  for (unsigned day = 2; day <= 13; ++day) {
    for (int k = 0; k < 5; ++k) {
      std::string code = "30280-2603" + std::to_string(day + 10) + "-000" + std::to_string(k);
      REQUIRE(Receive(store, code, At(2026, 3, day) + k * 60000).ok());
      if (k == 2) REQUIRE(store.Append(testing::StepWrite("30280", code, "processing")).ok());
      codes.push_back(code);
    }
  }
  auto day = [](unsigned d) { return WorkingCalendar::DayStartMs(DaysFromCivil(2026, 3, d)); };
  // 5 to 7 March: lines 16 to 30 of 60.
  auto whole = RegisterPeriod(store, "30280", 2026, day(5), day(8), 1, 1000);
  REQUIRE(whole.ok());
  CHECK(whole->volume_lines == codes.size());
  REQUIRE(whole->lines.size() == 15);
  for (size_t i = 0; i < 15; ++i) {
    CHECK(whole->lines[i].line == 16 + i);
    CHECK(whole->lines[i].code == codes[15 + i]);
  }
  CHECK(whole->next_line == 0);
  // The same lines in pages of four, each naming where the next starts.
  std::vector<uint64_t> paged;
  for (uint64_t next = 1; next != 0;) {
    auto page = RegisterPeriod(store, "30280", 2026, day(5), day(8), next, 4);
    REQUIRE(page.ok());
    REQUIRE(page->lines.size() <= 4);
    for (const auto& l : page->lines) paged.push_back(l.line);
    next = page->next_line;
    REQUIRE(paged.size() <= 15);
  }
  CHECK(paged == std::vector<uint64_t>{16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30});
  auto later = RegisterPeriod(store, "30280", 2026, day(5), day(8), 28, 1000);
  REQUIRE(later.ok());
  REQUIRE(later->lines.size() == 3);
  CHECK(later->lines.front().line == 28);
  CHECK(RegisterPeriod(store, "30280", 2026, day(14), day(20), 1, 10)->lines.empty());
  CHECK(RegisterPeriod(store, "30280", 2026, day(1), day(3), 1, 10)->lines.front().line == 1);
}

TEST_CASE("decisions: a conflict is settled with one of its values and a reason", "[decisions]") {
  CaseState st("30280-251201-0001", "30280");
  auto event = [&](uint64_t seq, const std::string& origin, const char* status,
                   std::vector<Hash> deps) {
    Event e;
    e.stream = {"30280", origin, 1};
    e.seq = seq;
    e.hlc = seq << 16;
    e.case_code = st.case_code();
    e.type = "case.step";
    e.deps = std::move(deps);
    e.body = Body({{"status", Text(status)}});
    Hash id = Sha256(EncodeEvent(e));
    st.Apply(e, id);
    return id;
  };
  Hash first = event(1, "30280", "received", {});
  cbor::Value body;
  auto none = BuildResolution(st, "status", first, "x", &body);
  REQUIRE(none);
  CHECK(none->field == "field");  // no conflict yet
  Hash withdrawn = event(2, "30280", "withdrawn", {first});
  Hash processing = event(1, "883", "processing", {first});
  REQUIRE(st.Field("status")->live.size() == 2);
  auto no_note = BuildResolution(st, "status", processing, "", &body);
  REQUIRE(no_note);
  CHECK(no_note->field == "note");
  auto stranger = BuildResolution(st, "status", first, "lý do", &body);
  REQUIRE(stranger);
  CHECK(stranger->field == "choose");
  REQUIRE_FALSE(BuildResolution(st, "status", processing, "Công dân đồng ý", &body));
  CHECK(body.Find("status")->str() == "processing");
  CHECK(body.Find("resolved_field")->str() == "status");
  CHECK(body.Find("resolution_note")->str() == "Công dân đồng ý");
  (void)withdrawn;
}

TEST_CASE("decisions: a new appointment moves forward only, before the result", "[decisions]") {
  const int64_t now = At(2025, 12, 3), due = At(2025, 12, 4);
  CaseState st("30280-251201-0002", "30280");
  Event e;
  e.stream = {"30280", "30280", 1};
  e.seq = 1;
  e.hlc = 1 << 16;
  e.case_code = st.case_code();
  e.type = "case.received";
  e.body = Body({{"status", Text("processing")}, {"due_at", cbor::Value::Uint(due)}});
  st.Apply(e, Sha256(EncodeEvent(e)));
  cbor::Value body;
  CHECK(BuildDelay(st, due + 86400000, "", now, &body)->field == "reason");
  CHECK(BuildDelay(st, now - 1, "chờ ý kiến", now, &body)->field == "appointment_at");
  CHECK(BuildDelay(st, due - 1, "chờ ý kiến", now, &body)->field == "appointment_at");
  REQUIRE_FALSE(BuildDelay(st, due + 86400000, "Chờ ý kiến của Sở", now, &body));
  CHECK(body.Find("appointment_at")->uint() == static_cast<uint64_t>(due + 86400000));
  CHECK(body.Find("delay_count")->uint() == 1);
  CHECK(body.Find("due_at") == nullptr);  // the legal due date stays: the case is late
  // Due soon: within one working day of now, not before; never once it has its result.
  WorkingCalendar cal;
  CHECK(IsDueSoon(st, cal, now));
  CHECK_FALSE(IsDueSoon(st, cal, At(2025, 12, 1)));
  CHECK_FALSE(IsDueSoon(st, cal, due + 1));  // overdue, not "soon"
  REQUIRE_FALSE(BuildAssignment(st, "nv.lan", &body));
  CHECK(body.Find("assigned_to")->str() == "nv.lan");
  CHECK(BuildAssignment(st, "", &body)->field == "officer");
}
