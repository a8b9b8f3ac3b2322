// The read log on real nodes (docs/privacy.md "The read log"): a clerk's reads at a commune's
// node are written there, sync to the province, and `hoso audit reads` at the province lists
// them by case and by person.
#include <catch2/catch.hpp>
#include <string>

#include "tests/testing/process_testing.h"
#include "tests/tools/hoso_cli.h"

using namespace hoso;
using namespace std::chrono_literals;

using testing::Hoso;
using testing::Json;

TEST_CASE("hoso audit reads: a clerk's reads at a commune are listed at the province",
          "[tools][read_log]") {
  testing::TempDir tmp;
  auto net = testing::RunningNetwork(tmp.Sub("net"), {"89", "30280"});
  const std::string commune = net->NodeDir("30280"), province = net->NodeDir("89");
  auto made =
      Hoso(tmp, {"case", "new", "--dir", commune, "--officer", "nv.lan", "--procedure", "TEST-2000908",
                 "--name", "Đặng Thị Thu", "--id-no", "079123456789", "--json"});
  INFO(made.out << made.err);
  REQUIRE(made.rc == 0);
  const std::string code(Json(made).at("code").as_string());
  const int64_t before = SystemClock::Default()->NowMs();

  // The clerk reads the case (hoso case show, through the API), then searches by name (the
  // API token names the officer).
  auto shown = Hoso(tmp, {"case", "show", "--dir", commune, "--officer", "nv.lan", "--purpose",
                          "giải quyết", code});
  REQUIRE(shown.rc == 0);
  CHECK_THAT(shown.out, Catch::Contains("Đặng Thị Thu"));
  auto found = net->Call("30280", "GET", "/v1/cases?applicant=dang%20thi&officer=nv.lan");
  REQUIRE(found.ok());
  REQUIRE(found->at("count").as_int64() == 1);

  // An officer of the province reads it there too, once it has arrived: recorded in the
  // province's own channel.
  REQUIRE(net->WaitConverged(20s).ok());
  REQUIRE(
      net->Call("89", "GET", "/v1/cases/" + code + "?officer=cb.minh&purpose=ki%E1%BB%83m%20tra")
          .ok());

  // Written within the flush period, then synced up like any case of the commune.
  auto reads = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"audit", "reads", "--data", province});
    args.push_back("--json");
    return Hoso(tmp, args);
  };
  boost::json::array listed;
  REQUIRE(testing::WaitFor(
      [&] {
        auto r = reads({"--case", code});
        if (r.rc != 0) return false;
        listed = Json(r).at("reads").as_array();
        return listed.size() >= 3;
      },
      30s));
  REQUIRE(listed.size() == 3);
  const auto& page = listed[0].as_object();
  CHECK(page.at("officer").as_string() == "api-token:nv.lan");
  CHECK(page.at("unit").as_string() == "30280");
  CHECK(page.at("case").as_string() == code);
  CHECK(page.at("purpose").as_string() == "giải quyết");
  CHECK(page.at("view").as_string() == "case");
  auto at = node::ParseTime(std::string(page.at("at").as_string()));
  REQUIRE(at.ok());
  CHECK(*at >= before - 1000);
  CHECK(*at <= SystemClock::Default()->NowMs());
  CHECK(listed[1].at("view").as_string() == "list");
  CHECK_THAT(std::string(page.at("log_case").as_string()), Catch::StartsWith("30280-access-"));
  CHECK(listed[2].at("officer").as_string() == "api-token:cb.minh");
  CHECK(listed[2].at("unit").as_string() == "89");
  CHECK(listed[2].at("purpose").as_string() == "kiểm tra");
  CHECK_THAT(std::string(listed[2].at("log_case").as_string()), Catch::StartsWith("89-access-"));

  // By the person's ID number: the same reads, from the case states the province holds.
  auto by_person = reads({"--person", "079123456789"});
  REQUIRE(by_person.rc == 0);
  CHECK(Json(by_person).at("cases").as_array().size() == 1);
  CHECK(Json(by_person).at("reads").as_array().size() == 3);

  // For people: a table with the officer, the unit and the purpose; no name is printed.
  auto table = Hoso(tmp, {"audit", "reads", "--dir", province, "--case", code});
  REQUIRE(table.rc == 0);
  CHECK_THAT(table.out, Catch::Contains("Cán bộ"));
  CHECK_THAT(table.out, Catch::Contains("api-token:nv.lan"));
  CHECK_THAT(table.out, Catch::Contains("30280"));
  CHECK_THAT(table.out, Catch::Contains("giải quyết"));
  CHECK_THAT(table.out, Catch::Contains("3 lượt xem."));
  CHECK(table.out.find("Đặng Thị Thu") == std::string::npos);
  auto usage = Hoso(tmp, {"audit", "reads", "--data", province});
  CHECK(usage.rc == 2);

  // The read log's events are signed events of each unit: the tree converges on them and the
  // auditor verifies them like any other.
  REQUIRE(net->WaitConverged(20s).ok());
  auto verified = Hoso(tmp, {"audit", "verify", "--data", province});
  INFO(verified.out << verified.err);
  CHECK(verified.rc == 0);
}
