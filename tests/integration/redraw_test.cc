// The real 2025-07-01 re-draw applied to a running deployment of the 2019 tree: hoso-node
// processes over TLS on loopback, the real units and mapping files, no office reset.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <thread>

#include "node/json.h"
#include "sync/bundle.h"
#include "tests/testing/process_testing.h"
#include "tools/network/local_network.h"

using namespace hoso;
using namespace std::chrono_literals;

namespace {

std::string Data(const std::string& name) {
  return testing::ReadWholeFile(std::string(HOSO_DATA_DIR) + "/" + name);
}

std::string CaseRequest(const std::string& name) {
  node::json::object req{{"officer", "nv.lan"},
                         {"procedure", "TEST-1002668"},
                         {"applicant", node::json::object{{"name", name}}},
                         {"channel", "counter"}};
  return node::json::serialize(req);
}

std::vector<std::string> Purged(tools::LocalNetwork& net, const std::string& unit) {
  std::vector<std::string> out;
  auto scope = net.Call(unit, "GET", "/v1/scope");
  if (!scope.ok()) return out;
  for (const auto& p : scope->at("purged").as_array()) {
    out.emplace_back(p.at("channel").as_string());
  }
  return out;
}

}  // namespace

TEST_CASE("redraw: a running 2019 deployment applies the real 2025 re-draw, no office reset",
          "[integration][redraw]") {
  testing::TempDir dir;
  auto units = ParseUnitsCsv(Data("units-an-giang.csv"));
  REQUIRE(units.ok());
  // Long Xuyên's district with two of its wards (30280 merges into 30307, which keeps its
  // code as the new Phường Long Xuyên), and Châu Thành's district with the commune that
  // leaves for Đồng Tháp.
  auto running =
      testing::RunningNetwork(dir.path(), {"89", "883", "892", "30280", "30307", "30622"}, *units);
  auto& net = *running;
  std::map<std::string, std::string> codes;
  for (const char* unit : {"30280", "30307", "30622"}) {
    auto c = net.Call(unit, "POST", "/v1/cases", CaseRequest("Lê Văn Tám"));
    REQUIRE(c.ok());
    codes[unit] = std::string(c->at("code").as_string());
  }
  REQUIRE(net.WaitConverged(30s).ok());

  // The province writes the re-draw a few seconds ahead; every office learns it first.
  auto at = std::chrono::system_clock::now() + 6s;
  int64_t at_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
  auto written =
      net.Call("89", "POST", "/v1/directory/redraw?officer=system&at=" + node::FormatTime(at_ms),
               Data("redraw-2025-07-01.csv"));
  INFO((written.ok() ? "" : written.status().message()));
  REQUIRE(written.ok());
  CHECK(std::string(written->at("new_root").as_string()) == "91");
  REQUIRE(net.WaitForEveryNode(
                 [&](const std::string& unit) {
                   auto s = net.Call(unit, "GET", "/v1/node");
                   return s.ok() && s->at("directory_units").to_number<int64_t>() > 167;
                 },
                 "the re-draw", 30s)
              .ok());
  // Before the instant, the province exports the leaving commune's records for its new
  // province: a bundle verified exactly as sync (docs/bundle-format.md).
  std::string bundle = dir.path() + "/30622.bundle";
  std::string export_cmd = std::string(HOSO_BIN_DIR) + "/hoso export --data " + net.NodeDir("89") +
                           " --scope 30622 --out " + bundle + " > " + dir.path() +
                           "/export.txt 2>&1";
  int exported = std::system(export_cmd.c_str());
  INFO(testing::ReadWholeFile(dir.path() + "/export.txt"));
  CHECK(exported == 0);
  sync::BundleSummary summary;
  auto problems = sync::VerifyBundle(
      testing::ReadWholeFile(bundle), [](const sync::OriginMsg&) { return Status::Ok(); },
      &summary);
  REQUIRE(problems.ok());
  CHECK(problems->empty());
  CHECK(summary.scope == "30622");
  CHECK(summary.events > 1);  // the directory's and the commune's
  std::this_thread::sleep_until(at + 1500ms);

  // At the instant: what left each node's scope is purged and recorded, nothing else.
  REQUIRE(testing::WaitFor([&] { return !Purged(net, "89").empty(); }, 15s));
  CHECK(Purged(net, "89") == std::vector<std::string>{"30622"});
  REQUIRE(testing::WaitFor([&] { return Purged(net, "883").size() == 2; }, 15s));
  CHECK(Purged(net, "883") == std::vector<std::string>{"30280", "30307"});
  CHECK(net.Call("89", "GET", "/v1/cases/" + codes["30280"]).ok());
  CHECK_FALSE(net.Call("89", "GET", "/v1/cases/" + codes["30622"]).ok());
  CHECK(net.Call("30622", "GET", "/v1/cases/" + codes["30622"]).ok());  // kept to hand over
  auto tree = net.Call("89", "GET", "/v1/directory");
  REQUIRE(tree.ok());
  CHECK(std::string(tree->at("root").as_string()) == "91");

  // The former root still acts as the root: it writes reference data.
  CHECK(net.Call("89", "POST", "/v1/catalogue?officer=system",
                 "code,name,agency,days,day_kind,postal,fee,documents\n"
                 "TEST-1002668,Đăng ký khai sinh,UBND xã,3,working,yes,0,Tờ khai\n")
            .ok());

  // The merged wards' offices sync with the province from now on (a config change, no
  // reset): 30307 holds 30280's cases as its successor, and every fingerprint agrees.
  auto province = "89@" + net.node("89").listen();
  for (const char* unit : {"30280", "30307"}) {
    REQUIRE(net.Stop(unit).ok());
    REQUIRE(net.Start(unit, true, {"--upstream", province}).ok());
  }
  REQUIRE(testing::WaitFor(
      [&] { return net.Call("30307", "GET", "/v1/cases/" + codes["30280"]).ok(); }, 30s));
  auto agree = [&](const std::string& channel) {
    auto a = net.Fingerprints("89"), b = net.Fingerprints("30307");
    return a.ok() && b.ok() && (*a)[channel] == (*b)[channel] && !(*a)[channel].empty();
  };
  CHECK(testing::WaitFor([&] { return agree("30280") && agree("30307"); }, 30s));

  // Every old event stays valid under the tree of its time: the auditor passes everywhere.
  for (const auto& unit : net.members()) {
    std::string cmd = std::string(HOSO_BIN_DIR) + "/hoso audit verify --data " + net.NodeDir(unit) +
                      " > " + dir.path() + "/audit-" + unit + ".txt 2>&1";
    int rc = std::system(cmd.c_str());
    INFO(unit << ": " << testing::ReadWholeFile(dir.path() + "/audit-" + unit + ".txt"));
    CHECK(rc == 0);
  }
}
