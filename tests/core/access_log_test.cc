// The read log's cases and events (core/domain/access_log.h) and their schema
// (core/domain/event_schema.cc): codes, bodies split to their bounds and read back, and what a
// read log case may hold.
#include "core/domain/access_log.h"

#include <catch2/catch.hpp>

#include "core/domain/event_schema.h"
#include "tests/testing/testing.h"

using namespace hoso;

namespace {

Event AccessEvent(const std::string& code, cbor::Value body,
                  const std::string& type = "access.read") {
  Event e;
  e.stream = {"30280", "30280", 1};
  e.case_code = code;
  e.type = type;
  e.body = std::move(body);
  e.officer = "system";
  return e;
}

}  // namespace

TEST_CASE("access log: the day's case codes, and which codes are read log cases",
          "[core][access_log]") {
  const int64_t now = testing::kTestNow;  // 2025-11-24 23:00 in Vietnam
  CHECK(AccessCaseCode("30280", 1, now, 1) == "30280-access-20251124");
  CHECK(AccessCaseCode("30280", 3, now, 2) == "30280e3-access-20251124-2");
  CHECK(AccessCaseCode("30280", 1, now + 3600 * 1000, 1) == "30280-access-20251125");
  CHECK(CaseCodeBelongsTo(AccessCaseCode("30280", 3, now, 2), "30280"));
  CHECK(IsAccessCaseCode("30280-access-20251124"));
  CHECK(IsAccessCaseCode("30280e2-access-20251124-3"));
  CHECK_FALSE(IsAccessCaseCode("30280-251124-0001"));
  CHECK_FALSE(IsAccessCaseCode("-access-20251124"));
  CHECK_FALSE(IsAccessCaseCode("30280-251124-access-1"));
}

TEST_CASE("access log: reads split to the bounds of an event and read back", "[core][access_log]") {
  std::vector<std::string> many;
  for (int i = 0; i < 45; ++i) many.push_back("30280-251124-" + std::to_string(1000 + i));
  std::vector<AccessRead> reads;
  // A list of 45 cases is 3 reads (20, 20, 5); 40 more reads of one case fill a second event.
  reads.push_back({"nv.lan", many, "tra cứu", 1000, "list"});
  for (int i = 0; i < 40; ++i) reads.push_back({"cb.minh", {many[0]}, "", 2000 + i, "case"});
  // Text a schema would refuse is made safe: a control character, a bidi override, bad UTF-8.
  reads.push_back({"nv.\x1b[2Jlan",
                   {many[1]},
                   std::string("a\xe2\x80\xae"
                               "b\xff") +
                       std::string(300, 'x'),
                   3000,
                   ""});
  auto bodies = AccessReadBodies(reads);
  REQUIRE(bodies.size() == 1);
  std::vector<AccessRead> back;
  for (const auto& b : bodies) {
    CHECK(b.Find("reads")->size() <= kMaxReadsPerEvent);
    REQUIRE(CheckEventSchema(AccessEvent("30280-access-20251124", b)).ok());
    auto r = ParseAccessReadBody(b);
    REQUIRE(r.ok());
    back.insert(back.end(), r->begin(), r->end());
  }
  REQUIRE(back.size() == 3 + 40 + 1);
  CHECK(back[0].cases.size() == 20);
  CHECK(back[2].cases.size() == 5);
  CHECK(back[2].purpose == "tra cứu");
  CHECK(back[3].officer == "cb.minh");
  CHECK(back[3].at_ms == 2000);
  CHECK(back.back().officer == "nv. [2Jlan");
  CHECK(back.back().purpose.size() <= kMaxPurposeBytes);
  CHECK(back.back().purpose.starts_with("a b?x"));

  // Reads of the largest size the bounds allow fill bodies that are still events
  // (kMaxEventBytes), and many small reads go in few bodies.
  std::vector<AccessRead> big;
  for (size_t i = 0; i < 64; ++i) {
    std::vector<std::string> codes;
    for (size_t k = 0; k < kMaxCasesPerRead; ++k) codes.push_back(std::string(63, 'c') + "9");
    codes[0].replace(0, 5, "30280");
    big.push_back({std::string(kMaxReaderBytes, 'o'), codes, std::string(kMaxPurposeBytes, 'p'),
                   int64_t{1} << 46, "export"});
  }
  for (int i = 0; i < 3000; ++i) big.push_back({"nv.lan", {many[0]}, "", 5000 + i, "case"});
  auto full = AccessReadBodies(big);
  CHECK(full.size() >= 3);
  CHECK(full.size() <= 8);
  size_t total = 0;
  for (const auto& b : full) {
    CHECK(cbor::Encode(b).size() <= kMaxAccessBodyBytes);
    CHECK(b.Find("reads")->size() <= kMaxReadsPerEvent);
    CHECK(CheckEventSchema(AccessEvent("30280-access-20251124", b)).ok());
    total += b.Find("reads")->size();
  }
  CHECK(total == 64 + 3000);
  CHECK(kMaxAccessBodyBytes + 4096 <= kMaxEventBytes);
}

TEST_CASE("access log: a read log case holds access.read events of that body alone",
          "[core][access_log]") {
  auto body = AccessReadBodies({{"nv.lan", {"30280-251124-0001"}, "", 1000, "case"}}).at(0);
  CHECK(CheckEventSchema(AccessEvent("30280-access-20251124", body)).ok());
  // Not elsewhere, not another type there, no case field there.
  CHECK_THAT(CheckEventSchema(AccessEvent("30280-251124-0002", body)).message(),
             Catch::Contains("belongs in a read log case"));
  CHECK_THAT(
      CheckEventSchema(AccessEvent("30280-access-20251124", body, "case.received")).message(),
      Catch::Contains("access.read events only"));
  cbor::Value with_status = body;
  with_status.Set("status", cbor::Value::Text("received"));
  CHECK_FALSE(CheckEventSchema(AccessEvent("30280-access-20251124", with_status)).ok());
  // Another unit's code, an empty list, a view not known, a case that is no code.
  CHECK_FALSE(CheckEventSchema(AccessEvent("30281-access-20251124", body)).ok());
  cbor::Value empty = cbor::Value::Map();
  empty.Set("reads", cbor::Value::Array());
  CHECK_FALSE(CheckEventSchema(AccessEvent("30280-access-20251124", empty)).ok());
  auto bad_view = AccessReadBodies({{"nv.lan", {"30280-251124-0001"}, "", 1000, "photo"}}).at(0);
  CHECK_THAT(CheckEventSchema(AccessEvent("30280-access-20251124", bad_view)).message(),
             Catch::Contains("view must be one of"));
  cbor::Value read = cbor::Value::Map();
  cbor::Value cases = cbor::Value::Array();
  cases.Append(cbor::Value::Text("=cmd|x"));
  read.Set("officer", cbor::Value::Text("nv.lan"));
  read.Set("cases", std::move(cases));
  read.Set("at", cbor::Value::Uint(1));
  cbor::Value list = cbor::Value::Array();
  list.Append(std::move(read));
  cbor::Value formula = cbor::Value::Map();
  formula.Set("reads", std::move(list));
  CHECK_FALSE(CheckEventSchema(AccessEvent("30280-access-20251124", formula)).ok());
}
