// The counter's rules as pure functions: no store, no HTTP.
#include "core/domain/case_rules.h"

#include <catch2/catch.hpp>

#include "core/domain/lifecycle.h"
#include "tests/testing/testing.h"

using namespace hoso;
using testing::Text;

namespace {

constexpr int64_t kNow = testing::kTestNow;  // 2025-11-24, a Monday
constexpr int64_t kDay = 86'400'000;

ReferenceData Catalogue() {
  ReferenceData ref;
  ref.procedures["1.001"] = {"1.001", "Đăng ký khai sinh", "UBND xã", 3, true, true, 8000, {}};
  ref.procedures["2.002"] = {
      "2.002", "Cấp phiếu lý lịch tư pháp", "Sở Tư pháp", 10, true, false, 200000, {}};
  return ref;
}

ReceptionRequest Request(const std::string& procedure, const std::string& channel = "counter") {
  ReceptionRequest r;
  r.procedure = procedure;
  r.channel = channel;
  r.applicant = cbor::Value::Map();
  r.applicant.Set("name", Text("Nguyễn Văn An"));
  return r;
}

// A case as its events leave it: one event per body, each seeing the one before.
struct Case {
  CaseState state{"30280-251124-0001", "30280"};
  std::vector<Hash> last;
  uint64_t seq = 0;
  void Apply(const cbor::Value& body, int64_t at_ms) {
    Event e;
    e.stream = {"30280", "30280", 1};
    e.seq = ++seq;
    e.hlc = HlcPack(at_ms, 0);
    e.case_code = state.case_code();
    e.type = seq == 1 ? "case.received" : "case.step";
    e.deps = last;
    e.body = body;
    Hash id = Sha256(EncodeEvent(e));
    state.Apply(e, id);
    last = {id};
  }
};

uint64_t Uint(const cbor::Value& body, const char* field) {
  const cbor::Value* v = body.Find(field);
  REQUIRE(v);
  REQUIRE(v->is_uint());
  return v->uint();
}

}  // namespace

TEST_CASE("rules: a reception takes the catalogue's name, fee, time and due date", "[rules]") {
  ReferenceData ref = Catalogue();
  cbor::Value body;
  REQUIRE_FALSE(BuildReception(Request("1.001"), ref, "30280", kNow, &body));
  CHECK(body.Find("status")->str() == "received");
  CHECK(body.Find("procedure_name")->str() == "Đăng ký khai sinh");
  CHECK(body.Find("agency")->str() == "UBND xã");
  CHECK(Uint(body, "fee") == 8000);
  CHECK(Uint(body, "processing_days") == 3);
  CHECK(Uint(body, "received_at") == static_cast<uint64_t>(kNow));
  CHECK(Uint(body, "due_at") ==
        static_cast<uint64_t>(ref.CalendarFor("30280").DueDate(kNow, 3, true)));
  CHECK(Uint(body, "due_at") > static_cast<uint64_t>(kNow + 2 * kDay));

  // What the clerk gave wins over the catalogue.
  ReceptionRequest given = Request("1.001");
  given.fee = 0;
  given.due_at = kNow + 10 * kDay;
  given.procedure_name = "Khai sinh (lưu động)";
  REQUIRE_FALSE(BuildReception(given, ref, "30280", kNow, &body));
  CHECK(Uint(body, "fee") == 0);
  CHECK(Uint(body, "due_at") == static_cast<uint64_t>(kNow + 10 * kDay));
  CHECK(body.Find("procedure_name")->str() == "Khai sinh (lưu động)");

  // Without a catalogue loaded, any procedure code is taken, with no due date.
  REQUIRE_FALSE(BuildReception(Request("9.999"), ReferenceData{}, "30280", kNow, &body));
  CHECK(body.Find("due_at") == nullptr);
  CHECK(Uint(body, "fee") == 0);
}

TEST_CASE("rules: a reception is refused naming the field", "[rules]") {
  ReferenceData ref = Catalogue();
  cbor::Value body;
  auto refused = [&](const ReceptionRequest& r) {
    auto why = BuildReception(r, ref, "30280", kNow, &body);
    REQUIRE(why);
    CHECK(why->kind == Refusal::Kind::kInvalid);
    CHECK_FALSE(why->message_vi.empty());
    return why->field;
  };
  CHECK(refused(Request("1.001", "fax")) == "channel");
  CHECK(refused(Request("7.777")) == "procedure");
  // Not postal-eligible: neither received nor returned by post.
  CHECK(refused(Request("2.002", "postal")) == "channel");
  ReceptionRequest by_post = Request("2.002");
  by_post.return_by_post = true;
  by_post.return_address = "Số 1, Mỹ Bình";
  CHECK(refused(by_post) == "return_by_post");
  ReceptionRequest past = Request("1.001");
  past.due_at = kNow;
  CHECK(refused(past) == "due_at");
  REQUIRE_FALSE(BuildReception(Request("2.002"), ref, "30280", kNow, &body));  // at the counter
}

TEST_CASE("rules: steps follow the lifecycle, the post needs a tracking number", "[rules]") {
  ReferenceData ref = Catalogue();
  Case c;
  cbor::Value body;
  REQUIRE_FALSE(BuildReception(Request("1.001"), ref, "30280", kNow, &body));
  c.Apply(body, kNow);

  auto why = BuildStep(c.state, "dispatched", "", "EV123", ref, kNow, &body);
  REQUIRE(why);
  CHECK(why->kind == Refusal::Kind::kInvalidStep);
  CHECK(why->allowed == AllowedNextSteps("received"));
  why = BuildStep(c.state, "nonsense", "", "", ref, kNow, &body);
  REQUIRE(why);
  CHECK(why->field == "status");
  CHECK(CheckStepStatus("submitted"));  // only a reception writes it
  CHECK_FALSE(CheckStepStatus("processing"));

  REQUIRE_FALSE(BuildStep(c.state, "processing", "giao chuyên viên", "", ref, kNow, &body));
  CHECK(body.Find("note")->str() == "giao chuyên viên");
  CHECK(body.Find("finished_at") == nullptr);
  c.Apply(body, kNow + 1000);
  REQUIRE_FALSE(BuildStep(c.state, "result_ready", "", "", ref, kNow + 2000, &body));
  CHECK(Uint(body, "finished_at") == static_cast<uint64_t>(kNow + 2000));
  c.Apply(body, kNow + 2000);
  why = BuildStep(c.state, "dispatched", "", "", ref, kNow + 3000, &body);
  REQUIRE(why);
  CHECK(why->kind == Refusal::Kind::kMissing);
  CHECK(why->field == "tracking");
  REQUIRE_FALSE(BuildStep(c.state, "dispatched", "", "EV123456789VN", ref, kNow + 3000, &body));
  CHECK(body.Find("tracking")->str() == "EV123456789VN");
  CHECK(body.Find("finished_at") == nullptr);  // the first finish stays the finish
}

TEST_CASE("rules: a non-postal procedure's result cannot be dispatched by post", "[rules]") {
  ReferenceData ref = Catalogue();
  Case c;
  cbor::Value body;
  REQUIRE_FALSE(BuildReception(Request("2.002"), ref, "30280", kNow, &body));
  c.Apply(body, kNow);
  auto why = BuildStep(c.state, "posted_to_agency", "", "", ref, kNow, &body);
  REQUIRE(why);
  CHECK(why->field == "status");
  CHECK_THAT(why->reason, Catch::Contains("postal-eligible"));
}

TEST_CASE("rules: the supplement clock pauses the due date by the working time waited", "[rules]") {
  ReferenceData ref = Catalogue();
  Case c;
  cbor::Value body;
  REQUIRE_FALSE(BuildReception(Request("1.001"), ref, "30280", kNow, &body));
  const uint64_t due = Uint(body, "due_at");
  c.Apply(body, kNow);
  const int64_t asked = kNow + 3600'000;
  REQUIRE_FALSE(BuildStep(c.state, "supplement_requested", "", "", ref, asked, &body));
  CHECK(Uint(body, "supplement_since") == static_cast<uint64_t>(asked));
  CHECK(Uint(body, "supplement_count") == 1);
  c.Apply(body, asked);
  CHECK(IsOverdue(c.state, static_cast<int64_t>(due) + 1));
  const int64_t back = asked + 2 * kDay;  // the citizen comes back two days later
  REQUIRE_FALSE(BuildStep(c.state, "processing", "", "", ref, back, &body));
  const WorkingCalendar cal = ref.CalendarFor("30280");
  const int64_t paused = cal.WorkingMsBetween(asked, back);
  CHECK(paused > 0);
  CHECK(Uint(body, "paused_ms") == static_cast<uint64_t>(paused));
  CHECK(Uint(body, "due_at") ==
        static_cast<uint64_t>(cal.AddWorkingMs(static_cast<int64_t>(due), paused)));
  c.Apply(body, back);
  CHECK_FALSE(IsOverdue(c.state, static_cast<int64_t>(due) + 1));  // the due date moved
  REQUIRE_FALSE(BuildStep(c.state, "supplement_requested", "", "", ref, back + 1, &body));
  CHECK(Uint(body, "supplement_count") == 2);  // the second request counts (late by the rule)
}

TEST_CASE("rules: case codes carry the unit, the epoch and Vietnam's date", "[rules]") {
  // 2025-11-23 18:00 UTC is already 2025-11-24 in Vietnam.
  const int64_t evening_utc = 1763920800000;
  CHECK(CaseCodePrefix("30280", 1, evening_utc) == "30280-251124-");
  CHECK(CaseCodePrefix("30280", 2, evening_utc) == "30280e2-251124-");
}

TEST_CASE("rules: minting follows the day's highest number and never returns a held code",
          "[rules]") {
  const std::string prefix = "30280-251124-";
  auto free_all = [](const std::string&) -> Result<bool> { return true; };
  CHECK(NextCaseCode(prefix, 0, free_all).value() == "30280-251124-0001");
  // Numbers past 10^8 (an ancestor may write any code) and other shapes are ignored.
  std::vector<std::string> held = {prefix + "0001", prefix + "0003", prefix + "999999999",
                                   prefix + "12x", "30283-251124-0042"};
  CHECK(HighestCaseNumber(prefix, held) == 3);
  CHECK(HighestCaseNumber(prefix, {}) == 0);
  CHECK(CaseCodeNumber(prefix, prefix + "0042") == 42u);
  CHECK(CaseCodeNumber(prefix, prefix + "12345") == 12345u);
  CHECK(CaseCodeNumber(prefix, prefix + "99999999") == 99'999'999u);
  for (const std::string& other :
       std::vector<std::string>{prefix + "100000000", prefix + "18446744073709551616",
                                prefix + "12x", prefix + "-1", prefix, "30283-251124-0042"}) {
    INFO(other);
    CHECK_FALSE(CaseCodeNumber(prefix, other).has_value());
  }
  const uint64_t last = HighestCaseNumber(prefix, held);
  CHECK(NextCaseCode(prefix, last, free_all).value() == "30280-251124-0004");
  // A code the scan (or the caller's mark) missed is skipped.
  auto taken = [&](const std::string& code) -> Result<bool> { return code != prefix + "0004"; };
  CHECK(NextCaseCode(prefix, last, taken).value() == "30280-251124-0005");
  // A failed read is passed on, never taken as free.
  auto broken = [](const std::string&) -> Result<bool> { return Status::IOError("disk"); };
  CHECK(NextCaseCode(prefix, last, broken).status().code() == Code::kIOError);
  // At most 64 numbers are asked, and never one past the day's numbers (no wrap around).
  int asked = 0;
  auto none = [&](const std::string&) -> Result<bool> {
    ++asked;
    return false;
  };
  CHECK(NextCaseCode(prefix, last, none).status().code() == Code::kAlreadyExists);
  CHECK(asked == 64);
  asked = 0;
  CHECK(NextCaseCode(prefix, 99'999'990, none).status().code() == Code::kAlreadyExists);
  CHECK(asked == 9);
  CHECK(NextCaseCode(prefix, 99'999'998, free_all).value() == prefix + "99999999");
}
