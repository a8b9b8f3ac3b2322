// What flood_bench's driver (flood_bench.cc) and its attacks (flood_attacks.cc) share: the
// target node, an attack's description, and what an attack's threads share while it runs.
// Thread-safety: Target is read-only once made; Env's Add, Max and Sleep may be called from
// any attacker thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/flood_clients.h"
#include "tools/network/local_network.h"

namespace hoso::bench::flood {

// The district under attack, as its attackers and the driver reach it.
struct Target {
  tools::LocalNetwork* net = nullptr;
  std::string dir, ca;  // the network's directory and its CA
  pid_t pid = 0;
  uint16_t sync_port = 0, api_port = 0;
  std::string token, log, db;  // API token, node.log, the store's directory
  // A new certificate identity 30283#epoch (a commune of the district), as a node bundle.
  std::string Issue(uint64_t epoch) const;
  std::string Bearer() const { return "Authorization: Bearer " + token + "\r\n"; }
};

// What one attack's threads share with the driver while it runs.
struct Env {
  const Target& t;
  std::atomic<bool> stop{false};
  LiveSockets live;
  std::mutex mu;
  std::map<std::string, double> figures;  // attack-specific: key "metric unit"
  std::vector<std::thread> threads;
  void Add(const std::string& key, double v) {
    std::lock_guard lock(mu);
    figures[key] += v;
  }
  void Max(const std::string& key, double v) {
    std::lock_guard lock(mu);
    figures[key] = std::max(figures[key], v);
  }
  // Sleeps up to `ms`, less if the attack ends; false once it has.
  bool Sleep(int ms) {
    for (int i = 0; i < ms / 10 && !stop; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return !stop;
  }
  void Spawn(int n, const std::function<void(int)>& fn) {
    for (int i = 0; i < n; ++i) threads.emplace_back(fn, i);
  }
};

struct Attack {
  std::string name, about;
  int attackers = 1;
  std::string probe = "/healthz";     // GET, with the token unless /healthz
  double cap_mb = 0;                  // the documented global cap the attack meets (MiB)
  int seconds = 0;                    // how long it lasts; 0: --seconds
  std::function<void(Env&)> prepare;  // before the measure starts
  std::function<void(Env&)> run;      // spawns its threads into env.threads, returns
  std::function<void(Env&)> after;    // once its threads are joined
};

// The attacks of issue 16 (flood_attacks.cc). Identities are epochs of commune 30283, from
// `first_epoch` on: each attack takes its own.
Attack Pings(const Target& t, int n, uint64_t first_epoch);
Attack Bombs(const Target& t, int n, uint64_t first_epoch);
Attack Changes(const Target& t, int n, uint64_t first_epoch);
Attack Bundles(const Target& t, int n);
Attack Bodies(const Target& t);
Attack Idle(const Target& t, const std::string& port_name, bool exhausted);
Attack Logins(const Target& t, int n);
Attack SameCert(const Target& t, int n);

// The descriptor limit the node runs with (its systemd unit's LimitNOFILE), and the one
// idle_api_exhausted gives it for the attack.
constexpr uint64_t kNodeNofile = 65536;
constexpr uint64_t kExhaustedNofile = 4096;

}  // namespace hoso::bench::flood
