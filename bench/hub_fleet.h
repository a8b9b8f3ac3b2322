// The commune side of hub_bench: an in-process fleet of commune nodes, each with its own
// RocksDB store, its own certificate and key (issued by the deployment's CA as `hoso ca issue`
// does), its own SyncNode speaking the real protocol over real mutual TLS to the hub, and its
// own HealthBook reporting upstream as a hoso-node does. One process holds them because 200
// hoso-node processes (an API server, workers, a self-check and a router each) would take the
// two cores the hub is measured on; the hub itself is a real hoso-node process.
// Also: what /proc says of another process (the hub's CPU, memory, descriptors, threads).
// Thread-safety: a Fleet is driven from one thread; each commune's SyncNode runs its own.
#pragma once

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/base/text.h"
#include "core/domain/case_log.h"
#include "core/format/certificate.h"
#include "node/daemon.h"
#include "sync/bundle.h"
#include "sync/health.h"
#include "sync/peer_state.h"
#include "sync/tls/node.h"
#include "tools/provision.h"
#include "tools/workload.h"

namespace hoso::bench {

// ------------------------------------------------------------------ another process, by /proc

// A "Vm...:" line of /proc/<pid>/status in MiB (0 when the process or the line is gone).
inline double ProcStatusMb(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0)
      return std::strtod(line.c_str() + field.size() + 1, nullptr) / 1024;
  }
  return 0;
}

inline int ProcThreads(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
  }
  return 0;
}

// User and system CPU seconds of the process so far, all its threads.
inline double ProcCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t end = stat.rfind(')');  // the command name may hold spaces
  if (end == std::string::npos) return 0;
  std::istringstream rest(stat.substr(end + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::strtod(field.c_str(), nullptr);  // utime, stime
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

inline int ProcFds(pid_t pid) {
  DIR* d = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (!d) return 0;
  int n = 0;
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

// Lines of a log file holding `part` (the hub's node.log: refusals, evictions).
inline int CountLines(const std::string& path, const std::string& part) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(part) != std::string::npos;
  return n;
}

// ------------------------------------------------------------------ the communes

struct Commune {
  std::string unit;
  uint16_t port = 0;  // the hub's, or a fault proxy's in front of it
  std::string ca_pem, cert_pem, key_pem, crl_pem;
  std::unique_ptr<Store> store;
  std::shared_ptr<sync::HealthBook> health;
  std::unique_ptr<sync::SyncNode> sync;
  CaseWorkload work;
  uint64_t written = 0;  // cases written so far (case i is the workload's case i)
  explicit Commune(std::string u) : unit(std::move(u)), work(7, {unit}) {}
};

class Fleet {
 public:
  // `ca_dir` is the deployment's CA (LocalNetwork's ca/); `system` the root's set-up bundle
  // (FetchSystemBundle), imported into every store before it syncs, as hoso-node does.
  Fleet(std::string dir, std::string ca_dir, std::string system, std::string hub_unit)
      : dir_(std::move(dir)),
        ca_dir_(std::move(ca_dir)),
        system_(std::move(system)),
        hub_(std::move(hub_unit)) {}
  ~Fleet() { Disconnect(); }

  // Issues the commune's certificate, opens its store and imports the set-up bundle.
  Status Add(const std::string& unit, uint16_t port) {
    auto c = std::make_unique<Commune>(unit);
    c->port = port;
    const std::string bundle = dir_ + "/bundles/" + unit;
    HOSO_RETURN_IF_ERROR(tools::CaIssue(ca_dir_, unit, 1, bundle, 3).status());
    HOSO_ASSIGN_OR_RETURN(c->ca_pem, node::ReadTextFile(bundle + "/ca.pem", "CA"));
    HOSO_ASSIGN_OR_RETURN(c->cert_pem, node::ReadTextFile(bundle + "/node.pem", "cert"));
    HOSO_ASSIGN_OR_RETURN(c->key_pem, node::ReadTextFile(bundle + "/node.key", "key"));
    HOSO_ASSIGN_OR_RETURN(c->crl_pem, node::ReadTextFile(bundle + "/crl.pem", "CRL"));
    HOSO_ASSIGN_OR_RETURN(SigningKey key, SigningKeyFromPem(c->key_pem));
    std::filesystem::create_directories(dir_ + "/communes");
    StoreOptions o;
    o.path = dir_ + "/communes/" + unit;
    o.root_unit = hub_;
    o.identity = Identity{unit, 1, key};
    // The load generator's stores: what the hub receives is the same either way, and 200
    // WAL fsyncs per round would compete with the hub for the disk it is measured on.
    o.sync_writes = false;
    o.block_cache_mb = 1;
    UseCaseLogRules(&o);
    HOSO_ASSIGN_OR_RETURN(c->store, Store::Open(o));
    const std::string ca = c->ca_pem, crl = c->crl_pem;
    HOSO_ASSIGN_OR_RETURN(
        auto imported, sync::ImportSystemBundle(*c->store, system_, [&](const sync::OriginMsg& m) {
          return sync::CheckOriginCertificate(m, ca, crl, time(nullptr));
        }));
    if (!imported.refused.empty()) return Status::Corruption(unit + ": " + imported.refused[0]);
    c->health = std::make_shared<sync::HealthBook>(c->store.get(), SystemClock::Default());
    // What a hoso-node reports of itself, in a report of the same size and shape.
    c->health->SetLocalSource([] {
      sync::LocalHealth h;
      h.version = "hub_bench";
      h.store_format = "1";
      h.self_check = "passed";
      return h;
    });
    communes_.push_back(std::move(c));
    return Status::Ok();
  }

  // Every commune dials the hub (pinned to its unit) with the node's default timers: keepalive
  // 30 s, backoff 200 ms to 30 s with jitter. Returns when every SyncNode was made.
  Status Connect() {
    for (auto& c : communes_) {
      if (c->sync) continue;
      sync::TlsConfig t;
      t.ca_pem = c->ca_pem;
      t.cert_pem = c->cert_pem;
      t.key_pem = c->key_pem;
      t.crl_pem = c->crl_pem;
      sync::SessionOptions so;
      so.health = c->health;
      HOSO_ASSIGN_OR_RETURN(c->sync,
                            sync::SyncNode::Create(c->store.get(), t, SystemClock::Default(), so));
      c->sync->ConnectTo("127.0.0.1", c->port, hub_);
    }
    return Status::Ok();
  }

  // Every commune goes offline (its sessions closed with close_notify), in parallel.
  void Disconnect() {
    std::vector<std::thread> stops;
    for (auto& c : communes_) {
      if (c->sync) stops.emplace_back([&c] { c->sync.reset(); });
    }
    for (auto& t : stops) t.join();
  }

  // `n` more cases at every commune, each a reception and its first step (a day's work).
  Status Write(uint64_t n) {
    for (auto& c : communes_) {
      std::vector<LocalWrite> writes;
      for (uint64_t i = c->written; i < c->written + n; ++i) {
        writes.push_back(c->work.Reception(i));
        writes.push_back(c->work.Update(i, 1));
      }
      HOSO_RETURN_IF_ERROR(c->store->Append(writes).status().Annotate(c->unit));
      c->written += n;
    }
    return Status::Ok();
  }

  // Communes whose sessions are up now.
  size_t Connected() const {
    size_t n = 0;
    for (const auto& c : communes_) {
      if (!c->sync) continue;
      auto peers = c->sync->Peers();
      n += !peers.empty() && peers.back().connected;
    }
    return n;
  }

  // Communes the hub holds everything of, as far as the hub's ACKs of durable commits said.
  size_t Converged() const {
    size_t n = 0;
    const std::string hub = sync::PeerKey(hub_, 1);
    for (const auto& c : communes_) {
      const std::string& unit = c->unit;
      VersionVector mine = c->store->Vector([&](const std::string& ch) { return ch == unit; });
      auto behind = sync::PeerState(c->store.get()).EventsBehind(hub, mine);
      n += behind.ok() && *behind == 0;
    }
    return n;
  }

  // Of the hub's /v1/scope fingerprints, how many communes' channels match their own.
  size_t Matching(const std::map<std::string, std::string>& at_hub) const {
    size_t n = 0;
    for (const auto& c : communes_) {
      auto it = at_hub.find(c->unit);
      n += it != at_hub.end() && it->second == Hex(AsView(c->store->ChannelFingerprint(c->unit)));
    }
    return n;
  }

  size_t size() const { return communes_.size(); }
  const std::vector<std::unique_ptr<Commune>>& communes() const { return communes_; }

 private:
  std::string dir_, ca_dir_, system_, hub_;
  std::vector<std::unique_ptr<Commune>> communes_;
};

}  // namespace hoso::bench
