// A province, two districts and four communes, each a real store with a SyncNode on loopback
// TLS. Every node writes while offline; links come up in random orders; all converge.
#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <set>
#include <thread>

#include "core/format/certificate.h"
#include "sync/health.h"
#include "sync/tls/node.h"
#include "tests/testing/testing.h"

using namespace hoso;
using namespace hoso::sync;

namespace {

constexpr int64_t kFrom = 1577836800, kTo = 2051222400;

std::vector<UnitRecord> Tree7() {
  auto units = testing::SmallTree();
  units.push_back({"30319", "884", "Phường Châu Phú A", "Phường"});
  return units;
}

struct Member {
  std::string unit, parent;
  std::unique_ptr<testing::TestNode> node;
  std::unique_ptr<SyncNode> sync;
  uint16_t port = 0;
};

struct Network {
  testing::TempDir dir;
  SigningKey ca_key = testing::KeyFor(9000);
  std::string ca_pem = MakeCaCertificate(ca_key, "89", kFrom, kTo).value();
  std::map<std::string, Member> m;
  uint64_t serial = 100;
  // Office health: a node with a book reads and sends HEALTH (sync/health.h).
  std::map<std::string, std::shared_ptr<HealthBook>> health;
  std::chrono::milliseconds keepalive{30000};

  Network() {
    for (const auto& u : Tree7()) {
      Member& x = m[u.code];
      x.unit = u.code;
      x.parent = u.parent;
      x.node = testing::OpenTestNode(dir.Sub(u.code), u.code);
    }
    // Provisioning: every node starts with the directory (as `hoso init` will give it).
    Store& root = *m["89"].node->store;
    REQUIRE(root.Append(DirectoryWrites(Tree7(), 0, "it")).ok());
    REQUIRE(
        root.TrustOrigin("89", 1, testing::KeyFor(89).public_key(), Config("89").cert_pem).ok());
    for (auto& [unit, x] : m) {
      if (unit == "89") continue;
      REQUIRE(testing::CopyAll(root, *x.node->store, [](const std::string& c) {
                return IsSystemChannel(c);
              }).ok());
      REQUIRE(x.node->store
                  ->TrustOrigin("89", 1, testing::KeyFor(89).public_key(),
                                root.OriginCertificate("89", 1))
                  .ok());
    }
  }
  TlsConfig Config(const std::string& unit) {
    SigningKey key = testing::KeyFor(std::stoi(unit));
    TlsConfig c;
    c.ca_pem = ca_pem;
    c.cert_pem =
        IssueNodeCertificate(ca_key, ca_pem, unit, 1, key.public_key(), ++serial, kFrom, kTo)
            .value();
    c.key_pem = PrivateKeyPem(key).value();
    c.backoff_min = std::chrono::milliseconds(20);
    c.backoff_max = std::chrono::milliseconds(200);
    c.shutdown_timeout = std::chrono::milliseconds(300);
    c.keepalive = keepalive;
    return c;
  }
  std::set<std::string> offline;  // nodes not started
  void SetClocks(int64_t ms) {
    for (auto& [unit, x] : m) x.node->clock.Set(ms);
  }
  // Starts every node's SyncNode, listeners first, links in a random order.
  void Start(std::mt19937_64& rng) {
    for (auto& [unit, x] : m) {
      if (offline.count(unit)) continue;
      SessionOptions options;
      if (health.count(unit)) options.health = health[unit];
      auto made = SyncNode::Create(x.node->store.get(), Config(unit), &x.node->clock, options);
      REQUIRE(made.ok());
      x.sync = std::move(made).value();
      if (unit.size() <= 3) {
        auto port = x.sync->Listen("127.0.0.1", 0);
        REQUIRE(port.ok());
        x.port = *port;
      }
    }
    std::vector<std::string> children;
    for (auto& [unit, x] : m) {
      if (!x.parent.empty() && !offline.count(unit)) children.push_back(unit);
    }
    std::shuffle(children.begin(), children.end(), rng);
    for (const auto& c : children) {
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 50));
      m[c].sync->ConnectTo("127.0.0.1", m[m[c].parent].port);
    }
  }
  void Stop() {
    for (auto& [unit, x] : m) x.sync.reset();
  }
  Hash Fp(const std::string& unit, const std::string& channel) {
    return m[unit].node->store->ScopeFingerprint(
        [&](const std::string& c) { return c == channel; });
  }
  // Every channel agrees on its unit, every ancestor of it, and nowhere else holds it.
  bool Converged() {
    for (auto& [channel, owner] : m) {
      Hash fp = Fp(channel, channel);
      for (std::string up = owner.parent; !up.empty(); up = m[up].parent) {
        if (Fp(up, channel) != fp) return false;
      }
    }
    return true;
  }
};

bool WaitFor(const std::function<bool()>& done, int ms = 30000) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

}  // namespace

TEST_CASE("tree: seven nodes write offline, links come up in random order, all converge",
          "[tree]") {
  Network net;
  uint64_t seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  // Offline work: every node receives cases in its own channel.
  for (auto& [unit, x] : net.m) {
    for (int i = 0; i < 25; ++i) {
      std::string code = unit + "-" + std::to_string(i);
      REQUIRE(x.node->store->Append(testing::ReceiveWrite(unit, code, "Lê Văn Tám", i)).ok());
    }
  }
  net.Start(rng);
  REQUIRE(WaitFor([&] { return net.Converged(); }));
  // Each commune holds only its own channel (and the system channels).
  for (std::string commune : {"30280", "30283", "30316", "30319"}) {
    auto held = net.m[commune].node->store->Vector(
        [&](const std::string& c) { return !IsSystemChannel(c) && c != commune; });
    CHECK(held.empty());
    CHECK(net.m[commune].node->store->CaseCount() == 25);
  }
  CHECK(net.m["883"].node->store->CaseCount() == 75);
  CHECK(net.m["89"].node->store->CaseCount() == 7 * 25);
  // Online now: districts and communes step the same cases concurrently; it converges again.
  for (std::string commune : {"30280", "30316"}) {
    const std::string& district = net.m[commune].parent;
    for (int i = 0; i < 5; ++i) {
      std::string code = commune + "-" + std::to_string(i);
      REQUIRE(net.m[district]
                  .node->store->Append(testing::StepWrite(commune, code, "processing"))
                  .ok());
      REQUIRE(
          net.m[commune].node->store->Append(testing::StepWrite(commune, code, "forwarded")).ok());
    }
  }
  REQUIRE(WaitFor([&] { return net.Converged(); }));
  auto st = net.m["30280"].node->store->GetCaseState("30280-3");
  REQUIRE(st.ok());
  CHECK(st->events().size() == 3);
  CHECK(net.m["89"].node->store->VerifyStream({"30280", "883", 1}).ok());
  net.Stop();
}

TEST_CASE("tree: a re-draw while offline moves a commune and merges two, without a reset",
          "[tree]") {
  Network net;
  std::mt19937_64 rng(std::random_device{}());
  for (auto& [unit, x] : net.m) {
    for (int i = 0; i < 10; ++i) {
      REQUIRE(
          x.node->store
              ->Append(testing::ReceiveWrite(unit, unit + "-" + std::to_string(i), "Võ Thị Sáu", i))
              .ok());
    }
  }
  net.Start(rng);
  REQUIRE(WaitFor([&] { return net.Converged(); }));
  // The district processes a case of the commune that is about to move.
  REQUIRE(
      net.m["883"].node->store->Append(testing::StepWrite("30283", "30283-1", "processing")).ok());
  REQUIRE(WaitFor([&] { return net.Converged(); }));
  net.Stop();

  // Offline, a minute later: the province moves 30283 from 883 to 884 and merges 30319 into
  // 30316 (whose node is retired); the moved commune keeps receiving cases.
  const int64_t redraw = testing::kTestNow + 60'000;
  net.SetClocks(testing::kTestNow + 120'000);
  Store& root = *net.m["89"].node->store;
  REQUIRE(root.Append({std::string(kDirectoryChannel), "30283", "unit.set",
                       UnitSetBody({"30283", "884", "Phường Mỹ Long", "Phường"}, redraw), "it"})
              .ok());
  REQUIRE(root.Append({std::string(kDirectoryChannel), "30319", "unit.merge",
                       UnitMergeBody("30316", redraw), "it"})
              .ok());
  for (int i = 10; i < 15; ++i) {
    REQUIRE(net.m["30283"]
                .node->store
                ->Append(testing::ReceiveWrite("30283", "30283-" + std::to_string(i), "An", i))
                .ok());
  }
  net.m["30283"].parent = "884";
  net.m["30319"].parent = "30316";
  net.offline.insert("30319");
  net.Start(rng);
  REQUIRE(WaitFor([&] { return net.Converged(); }));
  // The new parent holds the moved channel; the old one purged it and logged the purge.
  CHECK(net.Fp("884", "30283") == net.Fp("30283", "30283"));
  Store& old_parent = *net.m["883"].node->store;
  REQUIRE(WaitFor([&] {
    return old_parent.Vector([](const std::string& c) { return c == "30283"; }).empty();
  }));
  auto purges = old_parent.Purges();
  REQUIRE(purges.ok());
  REQUIRE(purges->size() == 1);
  CHECK((*purges)[0].channel == "30283");
  CHECK((*purges)[0].cases == 10);
  CHECK_FALSE(old_parent.GetCaseState("30283-1").ok());
  // The province's history is intact, including what 883 wrote before the re-draw.
  CHECK(root.VerifyStream({"30283", "883", 1}).ok());
  CHECK(root.GetCaseState("30283-1")->events().size() == 2);
  CHECK(root.CaseCount() == 7 * 10 + 5);
  // The merged channel now lives with 30316 too.
  CHECK(net.Fp("30316", "30319") == net.Fp("89", "30319"));
  CHECK(net.m["30316"].node->store->CaseCount() == 20);
  // The moved commune goes on working.
  REQUIRE(net.m["30283"]
              .node->store->Append(testing::StepWrite("30283", "30283-12", "forwarded"))
              .ok());
  REQUIRE(WaitFor([&] {
    auto st = root.GetCaseState("30283-12");
    return st.ok() && st->TextOr("status", "") == "forwarded";
  }));
  net.Stop();
}

TEST_CASE("tree: a commune's clock far ahead is named at the province, two hops up", "[tree]") {
  Network net;
  std::mt19937_64 rng(std::random_device{}());
  const uint64_t province_clock = net.m["89"].node->store->ClockHighWater();
  net.m["30280"].node->clock.Set(testing::kTestNow + 86'400'000);  // set a day ahead
  for (auto& [unit, x] : net.m) {
    REQUIRE(x.node->store->Append(testing::ReceiveWrite(unit, unit + "-1", "Lê Văn Tám", 1)).ok());
  }
  net.Start(rng);
  REQUIRE(WaitFor([&] { return net.Converged(); }));
  for (std::string holder : {"883", "89"}) {
    INFO(holder);
    auto ahead = net.m[holder].node->store->OriginsAhead();
    REQUIRE(ahead.ok());
    REQUIRE(ahead->size() == 1);  // no other office, and not the relay that carried it
    CHECK((*ahead)[0].unit == "30280");
    CHECK((*ahead)[0].max_ahead_ms > 86'000'000);
  }
  // Its clock did not drag the province's into the future.
  CHECK(HlcMillis(net.m["89"].node->store->ClockHighWater()) < testing::kTestNow + 3'600'000);
  CHECK(net.m["89"].node->store->ClockHighWater() >= province_clock);
  net.Stop();
}

TEST_CASE("tree: a commune's health report reaches the province through its district, with skew",
          "[tree]") {
  Network net;
  std::mt19937_64 rng(std::random_device{}());
  net.keepalive = std::chrono::milliseconds(100);  // paces the relaying of reports
  for (auto& [unit, x] : net.m) {
    net.health[unit] = std::make_shared<HealthBook>(x.node->store.get(), &x.node->clock,
                                                    HealthOptions{std::chrono::milliseconds(200)});
    net.health[unit]->SetLocalSource([] {
      LocalHealth h;
      h.version = "hoso protocol 2, store format 1";
      h.store_format = "1";
      h.self_check = "passed";
      h.disk_free_bytes = uint64_t{7} << 30;
      return h;
    });
  }
  constexpr int64_t k300Days = int64_t{300} * 86'400'000;
  net.m["30280"].node->clock.Set(testing::kTestNow + k300Days);
  net.Start(rng);
  auto report_at = [&](const std::string& holder, const std::string& unit) {
    for (const HeldHealth& h : net.health[holder]->Held()) {
      if (h.report.unit == unit) return std::optional<HeldHealth>(h);
    }
    return std::optional<HeldHealth>();
  };
  // Every office of the province reports there, the communes through their districts.
  REQUIRE(WaitFor([&] {
    for (const char* u : {"883", "884", "30280", "30283", "30316", "30319"}) {
      if (!report_at("89", u)) return false;
    }
    return true;
  }));
  auto far = report_at("89", "30280");
  CHECK(far->relayed_by == "883");
  CHECK(far->report.clock_skew_ms > k300Days - 60'000);
  CHECK(far->report.made_at_ms >= testing::kTestNow + k300Days);
  CHECK(far->report.self_check == "passed");
  CHECK(far->report.disk_free_bytes == uint64_t{7} << 30);
  CHECK(report_at("883", "30280")->relayed_by == "30280");
  CHECK(report_at("89", "883")->relayed_by == "883");
  CHECK(std::abs(report_at("89", "30283")->report.clock_skew_ms) < 60'000);
  // A district holds only its own subtree's reports; a commune holds none.
  CHECK_FALSE(report_at("883", "30316"));
  CHECK(net.health["30280"]->Held().empty());
  net.Stop();
}
