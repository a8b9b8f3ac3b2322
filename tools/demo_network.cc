// hoso-demo: a small network of nodes on loopback with real TLS, until the node daemon (the
// node issue) replaces it with one process per node.
//
// Province 89, districts 883 and 884, communes 30280, 30283 (883) and 30316 (884), from the
// project's An Giang units. Every node gets a certificate from a CA made here. The communes
// receive about 200 cases while 30316 is offline; then it comes online. The program prints
// every node's cases by status and whether every shared channel's fingerprint agrees, and
// exits non-zero if the network has not converged within 60 s.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "core/certificate.h"
#include "core/store.h"
#include "sync/tls_node.h"
#include "tools/stream_builder.h"
#include "tools/workload.h"

using namespace hoso;

namespace {

constexpr int64_t kFrom = 1577836800, kTo = 2051222400;  // 2020 .. 2035

SigningKey NewKey() {
  auto k = SigningKey::Generate();
  if (!k.ok()) std::exit(1);
  return *k;
}

struct Node {
  std::string unit, parent;
  SigningKey key = NewKey();
  std::unique_ptr<Store> store;
  std::unique_ptr<sync::SyncNode> sync;
  uint16_t port = 0;
};

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "hoso-demo: %s\n", why.c_str());
  std::exit(1);
}

void Check(const Status& s) {
  if (!s.ok()) Die(s.ToString());
}

// Pads UTF-8 text to a width in characters (printf counts bytes).
std::string Pad(const std::string& s, size_t width) {
  size_t chars = 0;
  for (unsigned char c : s) chars += (c & 0xC0) != 0x80;
  return s + std::string(width > chars ? width - chars : 0, ' ');
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = argc > 1 ? argv[1] : HOSO_DATA_DIR;
  std::ifstream csv(data + "/units-an-giang.csv");
  std::stringstream text;
  text << csv.rdbuf();
  auto units = ParseUnitsCsv(text.str());
  if (!units.ok()) Die(units.status().ToString());
  std::map<std::string, UnitRecord> by_code;
  for (const auto& u : *units) by_code[u.code] = u;

  std::string dir = (std::filesystem::temp_directory_path() / "hoso-demo-XXXXXX").string();
  if (!mkdtemp(dir.data())) Die("cannot create a temporary directory");
  SigningKey ca_key = *SigningKey::Generate();
  std::string ca = *MakeCaCertificate(ca_key, "89", kFrom, kTo);
  std::map<std::string, Node> nodes;
  uint64_t serial = 1;
  for (std::string unit : {"89", "883", "884", "30280", "30283", "30316"}) {
    Node& n = nodes[unit];
    n.unit = unit;
    n.parent = by_code[unit].parent;
    StoreOptions o;
    o.path = dir + "/" + unit;
    o.root_unit = "89";
    o.identity = Identity{unit, 1, n.key};
    auto s = Store::Open(o);
    if (!s.ok()) Die(s.status().ToString());
    n.store = std::move(s).value();
  }
  // Provisioning: the province loads the units into "$directory"; every node starts with it.
  Store& root = *nodes["89"].store;
  Check(root.Append(DirectoryWrites(*units, 0, "it")).status());
  auto tls = [&](Node& n) {
    sync::TlsConfig c;
    c.ca_pem = ca;
    c.cert_pem =
        *IssueNodeCertificate(ca_key, ca, n.unit, 1, n.key.public_key(), ++serial, kFrom, kTo);
    c.key_pem = *PrivateKeyPem(n.key);
    c.backoff_min = std::chrono::milliseconds(50);
    c.backoff_max = std::chrono::milliseconds(1000);
    return c;
  };
  std::map<std::string, sync::TlsConfig> configs;
  for (auto& [unit, n] : nodes) configs[unit] = tls(n);
  Check(root.TrustOrigin("89", 1, nodes["89"].key.public_key(), configs["89"].cert_pem));
  for (auto& [unit, n] : nodes) {
    if (unit == "89") continue;
    auto head = root.Head({std::string(kDirectoryChannel), "89", 1});
    auto batch = root.ReadBatch({std::string(kDirectoryChannel), "89", 1}, 1, head->seq);
    Check(batch.status());
    Check(n.store->TrustOrigin("89", 1, nodes["89"].key.public_key(), configs["89"].cert_pem));
    Check(n.store->Ingest(*batch));
  }
  // Start the nodes; the commune 30316 stays offline for now.
  auto start = [&](Node& n) {
    n.sync =
        std::make_unique<sync::SyncNode>(n.store.get(), configs[n.unit], SystemClock::Default());
    if (n.unit.size() <= 3) {
      auto port = n.sync->Listen("127.0.0.1", 0);
      if (!port.ok()) Die(port.status().ToString());
      n.port = *port;
    }
  };
  for (std::string unit : {"89", "883", "884", "30280", "30283"}) start(nodes[unit]);
  for (std::string unit : {"883", "884", "30280", "30283"}) {
    nodes[unit].sync->ConnectTo("127.0.0.1", nodes[nodes[unit].parent].port);
  }
  std::printf("hoso demo: 6 nodes in %s, TLS on loopback; 30316 offline\n", dir.c_str());

  // About 200 cases received at the communes, with their first steps.
  CaseWorkload work(7, {"30280", "30283", "30316"});
  int received = 0;
  for (uint64_t i = 0; i < 200; ++i) {
    LocalWrite w = work.Reception(i);
    Check(nodes[w.channel].store->Append(w).status());
    if (i % 3 == 0) Check(nodes[w.channel].store->Append(work.Update(i, 1)).status());
    ++received;
  }
  std::printf("received %d cases at the communes; bringing 30316 online\n", received);
  start(nodes["30316"]);
  nodes["30316"].sync->ConnectTo("127.0.0.1", nodes["884"].port);

  auto fp = [&](const std::string& unit, const std::string& channel) {
    return nodes[unit].store->ScopeFingerprint([&](const std::string& c) { return c == channel; });
  };
  auto converged = [&] {
    for (std::string commune : {"30280", "30283", "30316"}) {
      Hash mine = fp(commune, commune);
      for (std::string up = nodes[commune].parent; !up.empty(); up = nodes[up].parent) {
        if (fp(up, commune) != mine) return false;
      }
    }
    return true;
  };
  auto t0 = std::chrono::steady_clock::now();
  bool ok = false;
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60)) {
    if ((ok = converged())) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::printf("\n%-7s %-28s %7s %9s %10s\n", "node", "unit", "cases", "received", "forwarded");
  for (auto& [unit, n] : nodes) {
    std::printf("%-7s %s %7llu %9zu %10zu\n", unit.c_str(), Pad(by_code[unit].name, 28).c_str(),
                static_cast<unsigned long long>(n.store->CaseCount()),
                n.store->CasesByStatus("received", 1000000).size(),
                n.store->CasesByStatus("forwarded", 1000000).size());
  }
  std::printf("\nfingerprints per channel (commune, its district, the province):\n");
  for (std::string commune : {"30280", "30283", "30316"}) {
    std::string parent = nodes[commune].parent;
    bool same =
        fp(commune, commune) == fp(parent, commune) && fp(parent, commune) == fp("89", commune);
    std::printf("  %s  %s  %s\n", commune.c_str(), Hex(fp(commune, commune)).substr(0, 16).c_str(),
                same ? "agree" : "DIFFER");
  }
  for (auto& [unit, n] : nodes) n.sync.reset();
  std::filesystem::remove_all(dir);
  if (!ok) {
    std::printf("\nnot converged within 60 s\n");
    return 1;
  }
  std::printf("\nconverged in %.2f s after 30316 came online\n", secs);
  return 0;
}
