// GET /v1/network and the per-office lines of /metrics (node/api/network.cc): the province
// lists every office of its scope with the latest report its book holds.
#include <catch2/catch.hpp>

#include "node/json.h"
#include "node/local_api.h"
#include "sync/health.h"
#include "tests/testing/testing.h"

using namespace hoso;
using namespace hoso::node;
using testing::TempDir;

namespace {

constexpr const char* kToken = "0123456789abcdef0123456789abcdef";
constexpr int64_t k300Days = int64_t{300} * 86'400'000;

sync::SignedReport Report(const std::string& unit, int64_t skew_ms, const std::string& check) {
  sync::HealthReport r;
  r.unit = unit;
  r.epoch = 1;
  r.seq = 1;
  r.made_at_ms = testing::kTestNow + skew_ms;
  r.version = "hoso protocol 2, store format 1";
  r.protocol = 2;
  r.store_format = "1";
  r.clock_skew_ms = skew_ms;
  r.last_sync_ms = testing::kTestNow + skew_ms - 30'000;
  r.events_waiting = 3;
  r.self_check = check;
  r.disk_free_bytes = uint64_t{5} << 30;
  std::string body = sync::EncodeHealthReport(r);
  return {body, sync::SignHealthReport(body, testing::KeyFor(std::stoi(unit))).value()};
}

std::string S(const json::value& v) { return v.is_string() ? std::string(v.as_string()) : "?"; }
int64_t N(const json::value& v) { return v.is_number() ? v.to_number<int64_t>() : -1; }

json::object Body(const HttpResponse& r) {
  auto v = ParseJson(r.body);
  REQUIRE(v.ok());
  REQUIRE(v->is_object());
  return v->as_object();
}

}  // namespace

TEST_CASE("network API: the province lists every office of its scope with its latest report",
          "[network]") {
  TempDir dir;
  auto province = testing::OpenTestNode(dir.Sub("89"), "89");
  REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  for (const char* u : {"883", "30280"}) {
    REQUIRE(
        province->store->TrustOrigin(u, 1, testing::KeyFor(std::stoi(u)).public_key(), "").ok());
  }
  auto book = std::make_shared<sync::HealthBook>(province->store.get(), &province->clock);
  // The district relays its commune's report (300 days ahead, store damaged) and its own.
  REQUIRE(book->Accept("883", {Report("30280", k300Days, "damaged"), Report("883", 40, "passed")})
              .ok());
  NodeView view;
  view.health = [book] { return book->Held(); };
  view.local_health = [] {
    sync::LocalHealth h;
    h.version = "hoso protocol 2, store format 1";
    h.self_check = "passed";
    h.disk_free_bytes = 1 << 30;
    return h;
  };
  LocalApi api(province->store.get(), &province->clock, kToken, view);
  province->clock.Set(testing::kTestNow + 60'000);

  auto r = api.Handle({"GET", "/v1/network", std::string("Bearer ") + kToken, ""});
  REQUIRE(r.status == 200);
  json::object body = Body(r);
  CHECK(S(body["unit"]) == "89");
  CHECK(N(body["offices_total"]) == 6);  // the province, two districts, three communes
  CHECK(N(body["offices_reporting"]) == 3);
  std::map<std::string, json::object> by_unit;
  for (const auto& o : body["offices"].as_array()) {
    by_unit[std::string(o.as_object().at("unit").as_string())] = o.as_object();
  }
  REQUIRE(by_unit.size() == 6);
  json::object& far = by_unit["30280"];
  CHECK(S(far["name"]) == "Phường Mỹ Bình");
  CHECK(S(far["parent"]) == "883");
  CHECK(S(far["relayed_by"]) == "883");
  CHECK(S(far["received_at"]) == FormatTime(testing::kTestNow));
  json::object& rep = far["report"].as_object();
  CHECK(N(rep["clock_skew_ms"]) == k300Days);
  CHECK(S(rep["self_check"]) == "damaged");
  CHECK(N(rep["events_waiting"]) == 3);
  CHECK(S(rep["made_at"]) == FormatTime(testing::kTestNow + k300Days));
  CHECK(by_unit["30283"]["report"].is_null());  // never heard from
  CHECK(by_unit["89"]["self"].as_bool());
  CHECK(N(by_unit["89"]["report"].as_object()["disk_free_bytes"]) == (1 << 30));

  auto metrics = api.Handle({"GET", "/metrics", std::string("Bearer ") + kToken, ""});
  REQUIRE(metrics.status == 200);
  CHECK_THAT(metrics.body, Catch::Contains("hoso_office_clock_skew_ms{unit=\"30280\"} " +
                                           std::to_string(k300Days) + "\n"));
  CHECK_THAT(metrics.body, Catch::Contains("hoso_office_self_check_ok{unit=\"30280\"} 0\n"));
  CHECK_THAT(metrics.body, Catch::Contains("hoso_office_self_check_ok{unit=\"883\"} 1\n"));
  CHECK_THAT(metrics.body, Catch::Contains("hoso_office_events_waiting{unit=\"30280\"} 3\n"));
  CHECK_THAT(metrics.body, Catch::Contains("hoso_office_report_age_seconds{unit=\"30280\"} 60\n"));
  // Made 30 s after its last sync, received 60 s ago.
  CHECK_THAT(metrics.body,
             Catch::Contains("hoso_office_last_sync_age_seconds{unit=\"30280\"} 90\n"));
  CHECK(metrics.body.find("hoso_office_disk_free_bytes{unit=\"30283\"}") == std::string::npos);
}
