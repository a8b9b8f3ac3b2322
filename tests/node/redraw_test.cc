// The 2025 re-draw applied through the root's API to a running deployment on the 2019 tree,
// with the real files: on real RocksDB stores and a fake clock.
#include <catch2/catch.hpp>

#include "core/log/directory.h"
#include "node/json.h"
#include "node/local_api.h"
#include "node/log.h"
#include "node/scope_watch.h"
#include "tests/node/test_officers.h"
#include "tests/testing/testing.h"

using namespace hoso;
using namespace hoso::node;
using testing::TempDir;

namespace {

constexpr const char* kToken = "0123456789abcdef0123456789abcdef";
constexpr int64_t kHour = 3600000;

std::string ReadData(const std::string& name) {
  return testing::ReadWholeFile(std::string(HOSO_DATA_DIR) + "/" + name);
}

struct Office {
  std::unique_ptr<testing::TestNode> node;
  std::unique_ptr<LocalApi> api;
  Office(TempDir& dir, const std::string& unit) {
    node = testing::OpenTestNode(dir.Sub(unit), unit);
    NodeView view;
    view.officers_file = testing::WriteTestOfficers(dir.Sub(unit + "-officers.json"));
    api = std::make_unique<LocalApi>(node->store.get(), &node->clock, kToken, view);
  }
  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "") {
    return api->Handle({method, target, "Bearer " + std::string(kToken), body});
  }
};

json::object Body(const HttpResponse& r) {
  auto v = ParseJson(r.body);
  REQUIRE(v.ok());
  REQUIRE(v->is_object());
  return v->as_object();
}

std::string Reception() {
  json::object req{
      {"officer", "nv.lan"},
      {"procedure", "TEST-1002668"},
      {"applicant", json::object{{"name", "Lê Thị Hoa"}, {"id_no", "089123456789"}}},
      {"channel", "counter"},
      {"due_at", "2025-12-01T17:00:00+07:00"},
      {"documents", json::array{json::object{{"name", "Tờ khai"}, {"kind", "original"}}}}};
  return json::serialize(req);
}

std::string RedrawTarget(int64_t at_ms, bool dry_run) {
  return "/v1/directory/redraw?officer=system&at=" + FormatTime(at_ms) +
         (dry_run ? "&dry_run=1" : "");
}

}  // namespace

TEST_CASE("redraw API: the real file at the root, planned, written once, refused elsewhere",
          "[node][redraw]") {
  TempDir dir;
  Office province(dir, "89"), commune(dir, "30622");
  auto units = ParseUnitsCsv(ReadData("units-an-giang.csv"));
  REQUIRE(units.ok());
  REQUIRE(province.node->store->Append(DirectoryWrites(*units, 0, "it")).ok());
  auto directory_only = [](const std::string& c) { return c == kDirectoryChannel; };
  REQUIRE(testing::CopyAll(*province.node->store, *commune.node->store, directory_only).ok());
  const std::string csv = ReadData("redraw-2025-07-01.csv");
  const int64_t at = testing::kTestNow + kHour;

  // The plan first, and nothing written.
  auto dry = province.Call("POST", RedrawTarget(at, true), csv);
  INFO(dry.body);
  REQUIRE(dry.status == 200);
  auto plan = Body(dry);
  CHECK_FALSE(plan.at("written").as_bool());
  CHECK(plan.at("new_root").as_string() == "91");
  CHECK(plan.at("dissolved").as_array().size() == 11);
  REQUIRE(plan.at("left").as_array().size() == 1);
  CHECK(plan.at("left").as_array()[0].at("to").as_string() == "30259");
  CHECK(plan.at("left").as_array()[0].at("province").as_string() == "82");
  CHECK_FALSE(province.node->store->DirectorySnapshot()->NextChangeAfter(testing::kTestNow));

  // Bad requests change nothing and say why.
  auto past = province.Call("POST", RedrawTarget(testing::kTestNow - kHour, false), csv);
  CHECK(past.status == 400);
  CHECK(Body(past).at("field").as_string() == "at");
  CHECK(province.Call("POST", "/v1/directory/redraw?officer=system", csv).status == 400);
  auto bad = province.Call("POST", RedrawTarget(at, false), "old_code,new_code\n1,2\n");
  CHECK(bad.status == 400);
  CHECK_THAT(std::string(Body(bad).at("reason").as_string()), Catch::Contains("header"));
  CHECK(commune.Call("POST", RedrawTarget(at, false), csv).status == 403);

  // Written once; a second re-draw waits until the first has taken effect.
  auto written = province.Call("POST", RedrawTarget(at, false), csv);
  INFO(written.body);
  REQUIRE(written.status == 201);
  CHECK(Body(written).at("written").as_bool());
  CHECK(province.Call("POST", RedrawTarget(at + kHour, false), csv).status == 409);

  // The commune that leaves receives a case before the instant; the province holds it.
  auto received = commune.Call("POST", "/v1/cases", Reception());
  INFO(received.body);
  REQUIRE(received.status == 201);
  REQUIRE(testing::CopyAll(*province.node->store, *commune.node->store, directory_only).ok());
  REQUIRE(testing::CopyAll(*commune.node->store, *province.node->store, [](const std::string& c) {
            return c == "30622";
          }).ok());

  // At the instant: the province is 91, the channel that left is purged from it (recorded),
  // and the office that left keeps its own records to hand over.
  Logger log(stderr);
  province.node->clock.Advance(2 * kHour);
  commune.node->clock.Advance(2 * kHour);
  { ScopeWatch watch(province.node->store.get(), &province.node->clock, &log); }
  auto scope = Body(province.Call("GET", "/v1/scope"));
  REQUIRE(scope.at("purged").as_array().size() == 1);
  CHECK(scope.at("purged").as_array()[0].at("channel").as_string() == "30622");
  CHECK(scope.at("purged").as_array()[0].at("cases").to_number<int64_t>() == 1);
  CHECK(province.node->store->CasesOfChannel("30622", 10).value().empty());
  { ScopeWatch watch(commune.node->store.get(), &commune.node->clock, &log); }
  CHECK(commune.node->store->CasesOfChannel("30622", 10).value().size() == 1);

  auto tree = Body(province.Call("GET", "/v1/directory"));
  CHECK(tree.at("root").as_string() == "91");
  bool long_xuyen = false, left_seen = false;
  for (const auto& u : tree.at("units").as_array()) {
    const auto& o = u.as_object();
    if (o.at("code") == "30307") long_xuyen = o.at("name") == "Phường Long Xuyên";
    if (o.at("code") == "30622") left_seen = true;
    if (o.at("code") == "30280") CHECK(o.at("parent").as_string() == "30307");
  }
  CHECK(long_xuyen);
  CHECK_FALSE(left_seen);
  // The former root still writes reference data as the root it became.
  CHECK(
      province.Call("POST", RedrawTarget(province.node->clock.NowMs() + kHour, true), csv).status !=
      403);
}

TEST_CASE("redraw API: a relay node receives no case", "[node][redraw]") {
  TempDir dir;
  Office relay(dir, "883");
  auto province = testing::OpenTestNode(dir.Sub("89"), "89");
  REQUIRE(province->store
              ->Append(DirectoryWrites({{"89", "", "Tỉnh An Giang", "Tỉnh"},
                                        {"883", "89", "Trạm chuyển tiếp", std::string(kRelayType)},
                                        {"30280", "883", "Phường Mỹ Bình", "Phường"}},
                                       0, "it"))
              .ok());
  REQUIRE(testing::CopyAll(*province->store, *relay.node->store, [](const std::string& c) {
            return c == kDirectoryChannel;
          }).ok());
  auto r = relay.Call("POST", "/v1/cases", Reception());
  CHECK(r.status == 409);
  CHECK(Body(r).at("error").as_string() == "relay");
  CHECK(relay.node->store->CaseCount() == 0);
}
