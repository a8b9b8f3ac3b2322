// kill -9 of hoso-node processes in the middle of work: nothing acknowledged is lost, nothing
// is duplicated, and the network converges after the restart.
#include <atomic>
#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <thread>

#include "node/config.h"
#include "node/json.h"
#include "tests/testing/fault_proxy.h"
#include "tests/testing/process_testing.h"
#include "tools/network/local_network.h"

using namespace hoso;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

std::string CaseRequest(int i) {
  return json::serialize(json::object{
      {"officer", "nv.lan"},
      {"procedure", "TEST-1002668"},
      {"channel", "postal"},
      {"return_by_post", true},
      {"return_address", "Ấp Bình Đức, phường Mỹ Bình, Long Xuyên"},
      {"note", "Hồ sơ số " + std::to_string(i)},
      {"applicant", json::object{{"name", "Võ Minh Tâm " + std::to_string(i)},
                                 {"address", "Ấp Bình Đức, phường Mỹ Bình, Long Xuyên"}}}});
}

size_t CasesOf(tools::LocalNetwork& net, const std::string& unit, const std::string& channel) {
  auto scope = net.Call(unit, "GET", "/v1/scope");
  if (!scope.ok()) return 0;
  for (const auto& c : scope->at("channels").as_array()) {
    if (c.at("channel").as_string() == channel) return c.at("cases").to_number<size_t>();
  }
  return 0;
}

}  // namespace

TEST_CASE("kill -9 while receiving cases through the API loses nothing acknowledged",
          "[integration]") {
  testing::TempDir dir;
  auto net = testing::RunningNetwork(dir.path(), {"89", "30280"});
  std::mt19937 rng(Catch::rngSeed());
  std::vector<std::string> acknowledged;
  for (int round = 0; round < 3; ++round) {
    auto client = net->node("30280").Client();
    REQUIRE(client.ok());
    std::atomic<bool> failed{false};
    std::vector<std::string> acked;
    std::thread clerk([&] {
      for (int i = 0; !failed; ++i) {
        auto r = client->Call("POST", "/v1/cases", CaseRequest(round * 100000 + i));
        if (!r.ok()) {
          failed = true;  // the node is gone
        } else if (r->status == 201) {
          acked.emplace_back(node::ParseJson(r->body)->at("code").as_string());
        }
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 400));
    net->Kill("30280");
    clerk.join();
    INFO("round " << round << ": " << acked.size() << " cases acknowledged before the kill");
    REQUIRE(acked.size() > 0);
    REQUIRE(net->Start("30280").ok());
    for (const auto& code : acked) {
      auto c = net->Call("30280", "GET", "/v1/cases/" + code);
      REQUIRE(c.ok());
    }
    acknowledged.insert(acknowledged.end(), acked.begin(), acked.end());
  }
  REQUIRE(net->WaitConverged(30s).ok());
  for (const auto& code : acknowledged) CHECK(net->Call("89", "GET", "/v1/cases/" + code).ok());
  // No code was minted twice across the crashes.
  std::set<std::string> unique(acknowledged.begin(), acknowledged.end());
  CHECK(unique.size() == acknowledged.size());
  CHECK(CasesOf(*net, "89", "30280") >= acknowledged.size());
  CHECK(CasesOf(*net, "89", "30280") == CasesOf(*net, "30280", "30280"));
}

TEST_CASE("kill -9 of the receiver and then the sender in the middle of a sync", "[integration]") {
  testing::TempDir dir;
  auto net = testing::RunningNetwork(dir.path(), {"89", "883", "30280"});
  // The commune works offline for a while.
  REQUIRE(net->Stop("30280").ok());
  REQUIRE(net->Start("30280", /*online=*/false).ok());
  constexpr size_t kCases = 1500;
  auto client = net->node("30280").Client();
  REQUIRE(client.ok());
  for (size_t i = 0; i < kCases; ++i) {
    auto r = client->Call("POST", "/v1/cases", CaseRequest(static_cast<int>(i)));
    REQUIRE(r.ok());
    REQUIRE(r->status == 201);
  }
  REQUIRE(net->Stop("30280").ok());

  // A rural link (256 kbit/s, 300 ms round trip), so the kills land in the middle of the
  // transfer.
  auto district = node::ParseHostPort(net->node("883").listen());
  REQUIRE(district.ok());
  testing::FaultProxy proxy(district->port, {.delay = 150ms, .rate_bps = 256000, .cuts = {}});
  std::vector<std::string> via_proxy = {"--upstream",
                                        "883@127.0.0.1:" + std::to_string(proxy.port())};
  REQUIRE(net->Start("30280", true, via_proxy).ok());
  auto kill_midway = [&](const std::string& victim) {
    size_t seen = 0;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      seen = CasesOf(*net, "883", "30280");
      if (seen > 0) break;
      std::this_thread::sleep_for(20ms);
    }
    std::this_thread::sleep_for(300ms);
    net->Kill(victim);
    return seen;
  };
  size_t before_first = kill_midway("883");
  size_t held = 0;
  REQUIRE(net->Start("883").ok());
  held = CasesOf(*net, "883", "30280");
  INFO("the district held " << held << " of " << kCases << " cases after its crash");
  CHECK(held > 0);
  CHECK(held >= before_first);
  CHECK(held < kCases);  // the kill did land in the middle
  size_t second = kill_midway("30280");
  CHECK(second < kCases);
  REQUIRE(net->Start("30280", true, via_proxy).ok());
  REQUIRE(net->WaitConverged(90s).ok());
  CHECK(CasesOf(*net, "883", "30280") == kCases);
  CHECK(CasesOf(*net, "89", "30280") == kCases);
  auto status = net->Call("883", "GET", "/v1/node");
  REQUIRE(status.ok());
  CHECK(status->at("forks").to_number<int>() == 0);
}
