// hub_bench: one province node (the hub) with 200 commune peers on loopback (issue 22).
//
// The hub is a real hoso-node process (province 91 of the 2025 tree, its directory of 91's
// 102 communes and synthetic ones up to --communes), measured from outside through /proc.
// One commune is a real hoso-node process too, for receptions at a commune's counter; the
// others are an in-process fleet (bench/hub_fleet.h): each its own store, certificate, key,
// SyncNode over real mutual TLS and HealthBook. Every tenth reaches the hub through a fault
// proxy (50 ms one way, 4 Mbit/s). Phases, each a JSON line or more:
//   connect   every commune dials the hub at once: hub_connect_s until all sessions settled;
//   idle      hub_idle_cpu_pct over --idle-seconds (keepalives every 30 s, health every
//             60 s), hub_rss_per_session_mb (RSS with them minus before them, per session),
//             hub_fds, hub_threads;
//   day       the fleet goes offline, writes --cases cases each (a reception and a step:
//             a day at a commune), and all come back at once while the real commune receives
//             its own day over its API: hub_day_s until the hub holds everything (the
//             communes' view from the hub's ACKs, then every fingerprint checked at the hub),
//             reception_p99_ms at that commune and at the hub meanwhile;
//   restart   the hub stops, every commune writes 5 cases, the hub starts: hub_restart_converge_s
//             until all reconnected (backoff 200 ms .. 30 s with jitter) and converged;
//   100k      (not with --short) a commune node holding --big-cases cases of 6 events:
//             node_rss_mb_100k idle after its self-check, and during its sync to the hub;
//             the hub's RSS while it receives them (hub_rss_mb_100k_ingest).
//
//   hub_bench [--short] [--communes 200] [--cases 200] [--idle-seconds 60] [--big-cases 100000]
//             [--big-cache-mib 32]   (the 100k node's store_cache_mib)
//             [--big-writes-per-commit 1000]   (how it was filled: 1 is a counter's commits)
//             [--hub-cache-mib 32]   (the hub's store_cache_mib)
//
// --short: 12 communes, 20 cases, 3 s idle, no 100k phase; only convergence is checked
// (exit 1 when any phase does not converge in time, as in every mode). Prints JSON lines
// {"bench": "hub", "metric", "value", "unit"}.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "bench/bench_util.h"
#include "bench/hub_fleet.h"
#include "node/json.h"
#include "node/master_key.h"
#include "tests/testing/fault_proxy.h"
#include "tools/network/local_network.h"

using namespace hoso;
using namespace std::chrono_literals;
using bench::Emit;
using bench::Stopwatch;
namespace json = boost::json;

namespace {

const char* kBench = "hub";
const std::string kHub = "91";

// Kills the nodes this bench started (exit runs no destructor of main's locals).
std::function<void()> g_kill_nodes;

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "hub_bench: %s\n", why.c_str());
  if (g_kill_nodes) g_kill_nodes();
  std::exit(1);
}

void Check(const Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.message());
}

// Waits until `done`, checking every 50 ms; dies naming `what` after `limit` seconds.
void WaitFor(const std::function<bool()>& done, double limit, const std::string& what) {
  Stopwatch w;
  while (!done()) {
    if (w.Seconds() > limit) Die(what + " not within " + std::to_string(int(limit)) + " s");
    std::this_thread::sleep_for(50ms);
  }
}

// 91 and its 102 communes of 2025, then synthetic communes 39001.. up to `communes` (+1 for
// the 100k node).
std::vector<UnitRecord> Units(size_t communes) {
  auto csv = node::ReadTextFile(std::string(HOSO_DATA_DIR) + "/units-an-giang-2025.csv", "units");
  Check(csv.status(), "reading the units");
  auto parsed = ParseUnitsCsv(*csv);
  Check(parsed.status(), "parsing the units");
  std::vector<UnitRecord> units;
  for (const auto& u : *parsed) {
    if (u.code == kHub || (u.parent == kHub && units.size() <= communes)) units.push_back(u);
  }
  for (int i = 1; units.size() <= communes; ++i) {
    units.push_back({std::to_string(39000 + i), kHub, "Xã Thử Nghiệm " + std::to_string(i), "Xã"});
  }
  return units;
}

// A reception posted to a node's API, as the counter's web app posts it.
std::string ReceptionBody(const std::string& who, uint64_t n) {
  json::object applicant{{"name", "Nguyễn Văn An " + who + "-" + std::to_string(n)},
                         {"phone", "0912345678"}};
  json::object body{{"officer", "nv.lan"},
                    {"procedure", "TEST-1002668"},
                    {"channel", "counter"},
                    {"applicant", std::move(applicant)}};
  return json::serialize(body);
}

// Posts receptions one after another until `stop` is raised and at least `min` were posted,
// or `max` were; the latency of each 201 in ms goes to `ms`, other answers count as failed.
struct Receptions {
  std::vector<double> ms;
  int failed = 0;
  std::thread thread;
  void Start(tools::ApiClient client, std::string who, size_t min, size_t max,
             const std::atomic<bool>* stop) {
    thread = std::thread([this, client, who, min, max, stop] {
      for (size_t n = 0; n < max && (n < min || !stop->load()); ++n) {
        Stopwatch w;
        auto r = client.Call("POST", "/v1/cases", ReceptionBody(who, n));
        if (r.ok() && r->status == 201) {
          ms.push_back(w.Seconds() * 1000);
        } else {
          ++failed;
        }
      }
    });
  }
  void Join() {
    if (thread.joinable()) thread.join();
  }
};

// The upstream session of a hoso-node: connected and holding nothing the hub lacks.
bool NodeConverged(tools::LocalNetwork& net, const std::string& unit) {
  auto s = net.Call(unit, "GET", "/v1/sync/status");
  if (!s.ok()) return false;
  for (const auto& p : s->at("peers").as_array()) {
    if (p.at("direction").as_string() == "upstream") {
      return p.at("connected").as_bool() && p.at("events_behind").to_number<uint64_t>() == 0;
    }
  }
  return false;
}

// Every commune's channel at the hub has the commune's own fingerprint; dies otherwise.
void CheckFingerprints(tools::LocalNetwork& net, bench::Fleet& fleet, const std::string& real,
                       const std::string& phase) {
  auto at_hub = net.Fingerprints(kHub);
  Check(at_hub.status(), phase + ": the hub's fingerprints");
  auto at_real = net.Fingerprints(real);
  Check(at_real.status(), phase + ": " + real + "'s fingerprints");
  size_t matching = fleet.Matching(*at_hub) + ((*at_hub)[real] == (*at_real)[real]);
  if (matching != fleet.size() + 1) {
    Die(phase + ": " + std::to_string(matching) + " of " + std::to_string(fleet.size() + 1) +
        " communes have the same fingerprint at the hub");
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool short_mode = false;
  std::vector<char*> args{argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--short") {
      short_mode = true;
    } else {
      args.push_back(argv[i]);
    }
  }
  bench::Flags flags(static_cast<int>(args.size()), args.data(),
                     "hub_bench [--short] [--communes N] [--cases N] [--idle-seconds S] "
                     "[--big-cases N] [--big-cache-mib M] [--big-writes-per-commit W] "
                     "[--hub-cache-mib M] [--dir DIR]",
                     {{"communes", short_mode ? "12" : "200"},
                      {"cases", short_mode ? "20" : "200"},
                      {"idle-seconds", short_mode ? "3" : "60"},
                      {"big-cases", "100000"},
                      {"big-cache-mib", "32"},
                      {"big-writes-per-commit", "1000"},
                      {"hub-cache-mib", "32"},
                      {"dir", "/tmp"}});
  const size_t communes = flags.Number("communes");
  const uint64_t cases = flags.Number("cases");
  const double idle_s = static_cast<double>(flags.Number("idle-seconds"));
  if (communes < 2) flags.Fail("--communes needs at least 2");
  const double limit = short_mode ? 60 : 600;  // seconds a phase may take before it fails
  // This process holds a store and a connection per commune: a descriptor limit of 1024
  // would not do for 200.
  rlimit fds{};
  if (getrlimit(RLIMIT_NOFILE, &fds) == 0 && fds.rlim_cur < fds.rlim_max) {
    fds.rlim_cur = fds.rlim_max;
    setrlimit(RLIMIT_NOFILE, &fds);
  }

  bench::ScratchDir dir(flags.Text("dir"));
  const std::vector<UnitRecord> units = Units(communes + 1);  // the last: the 100k node
  const std::string real = units[1].code;  // the commune run as a hoso-node process
  const std::string big = units.back().code;
  tools::NetworkOptions o;
  o.dir = dir.path();
  o.units = units;
  o.members = {kHub, real};
  if (!short_mode) o.members.push_back(big);
  o.node_binary = tools::ExecutableDir() + "/hoso-node";
  auto made = tools::LocalNetwork::Create(o);
  Check(made.status(), "making the network");
  tools::LocalNetwork& net = **made;
  std::set<std::string> started;  // the members with a NodeProcess, for g_kill_nodes
  g_kill_nodes = [&] {
    for (const auto& unit : started) net.Kill(unit);
    std::error_code ec;
    std::filesystem::remove_all(dir.path(), ec);
  };
  const std::vector<std::string> hub_flags{"--store_cache_mib", flags.Text("hub-cache-mib")};
  Check(net.Start(kHub, true, hub_flags), "starting the hub");
  started.insert(kHub);
  Check(net.LoadDirectory(120s), "loading the directory");
  const pid_t hub = net.node(kHub).pid();
  auto hub_port = node::ParseHostPort(net.node(kHub).listen());
  Check(hub_port.status(), "the hub's address");
  testing::FaultProxy proxy(hub_port->port, {50ms, 4'000'000, {}});
  std::this_thread::sleep_for(2s);
  const double rss_before = bench::ProcStatusMb(hub, "VmRSS");
  const int fds_before = bench::ProcFds(hub);

  // ---------------------------------------------------------------- connect
  auto system = tools::FetchSystemBundle(dir.path() + "/ca", net.NodeDir(kHub));
  Check(system.status(), "the hub's set-up bundle");
  bench::Fleet fleet(dir.path(), dir.path() + "/ca", system->bytes, kHub);
  for (size_t i = 2; i <= communes; ++i) {
    Check(fleet.Add(units[i].code, i % 10 == 0 ? proxy.port() : hub_port->port),
          "commune " + units[i].code);
  }
  // The real commune keeps the node's own backoff defaults, like the fleet.
  const std::vector<std::string> defaults{"--backoff_min_ms", "200", "--backoff_max_ms", "30000"};
  if (!short_mode) {
    // The 100k node first starts offline, with the root's set-up bundle (its directory).
    Check(net.Start(big, false, defaults), "starting " + big);
    started.insert(big);
    Check(net.Stop(big).status(), "stopping " + big);
  }
  Stopwatch connect;
  Check(net.Start(real, true, defaults), "starting " + real);
  started.insert(real);
  Check(fleet.Connect(), "connecting the fleet");
  WaitFor([&] { return fleet.Connected() == fleet.size() && NodeConverged(net, real); }, limit,
          "every commune connected");
  Emit(kBench, "communes", static_cast<double>(communes), "peers");
  Emit(kBench, "communes_through_fault_proxy", static_cast<double>(communes / 10), "peers");
  Emit(kBench, "hub_connect_s", connect.Seconds(), "s");

  // ---------------------------------------------------------------- idle
  std::this_thread::sleep_for(short_mode ? 1s : 5s);
  const double cpu0 = bench::ProcCpuSeconds(hub);
  Stopwatch idle;
  std::this_thread::sleep_for(std::chrono::duration<double>(idle_s));
  const double idle_cpu = bench::ProcCpuSeconds(hub) - cpu0;
  const double idle_wall = idle.Seconds();
  if (fleet.Connected() != fleet.size()) Die("a session dropped while idle");
  const double rss_with = bench::ProcStatusMb(hub, "VmRSS");
  Emit(kBench, "hub_idle_cpu_pct", 100 * idle_cpu / idle_wall, "% of a core");
  Emit(kBench, "hub_idle_window_s", idle_wall, "s");
  Emit(kBench, "hub_rss_idle_mb", rss_with, "MB");
  Emit(kBench, "hub_rss_per_session_mb", (rss_with - rss_before) / communes, "MB");
  Emit(kBench, "hub_fds", bench::ProcFds(hub), "fds");
  Emit(kBench, "hub_fds_per_session", double(bench::ProcFds(hub) - fds_before) / communes, "fds");
  Emit(kBench, "hub_threads", bench::ProcThreads(hub), "threads");

  // ---------------------------------------------------------------- day
  fleet.Disconnect();
  Check(fleet.Write(cases), "writing the day");
  auto real_api = net.node(real).Client();
  auto hub_api = net.node(kHub).Client();
  Check(real_api.status(), "the commune's API");
  Check(hub_api.status(), "the hub's API");
  std::atomic<bool> converged{false};
  Receptions at_commune, at_hub;
  const double hub_cpu_day0 = bench::ProcCpuSeconds(hub);
  Stopwatch day;
  Check(fleet.Connect(), "reconnecting the fleet");
  at_commune.Start(*real_api, real, cases, cases, &converged);
  at_hub.Start(*hub_api, kHub, 50, 100000, &converged);
  at_commune.Join();  // the real commune's day is its receptions, made meanwhile
  WaitFor([&] { return fleet.Converged() == fleet.size() && NodeConverged(net, real); }, limit,
          "the day at the hub");
  const double day_s = day.Seconds();
  converged = true;
  at_hub.Join();
  CheckFingerprints(net, fleet, real, "the day");
  Emit(kBench, "hub_day_cases", static_cast<double>(cases * communes), "cases");
  Emit(kBench, "hub_day_events", static_cast<double>(2 * cases * communes), "events");
  Emit(kBench, "hub_day_s", day_s, "s");
  Emit(kBench, "hub_day_cpu_s", bench::ProcCpuSeconds(hub) - hub_cpu_day0, "s");
  Emit(kBench, "hub_rss_after_day_mb", bench::ProcStatusMb(hub, "VmRSS"), "MB");
  Emit(kBench, "hub_rss_peak_mb", bench::ProcStatusMb(hub, "VmHWM"), "MB");
  Emit(kBench, "reception_p50_ms_commune", bench::Percentile(at_commune.ms, 0.5), "ms");
  Emit(kBench, "reception_p99_ms_commune", bench::Percentile(at_commune.ms, 0.99), "ms");
  Emit(kBench, "reception_p50_ms_hub", bench::Percentile(at_hub.ms, 0.5), "ms");
  Emit(kBench, "reception_p99_ms_hub", bench::Percentile(at_hub.ms, 0.99), "ms");
  Emit(kBench, "receptions_at_hub", static_cast<double>(at_hub.ms.size()), "receptions");
  if (at_commune.failed + at_hub.failed) {
    Die(std::to_string(at_commune.failed + at_hub.failed) + " receptions failed during the day");
  }

  // ---------------------------------------------------------------- restart
  const std::string hub_log = net.NodeDir(kHub) + "/node.log";
  const int evicted0 = bench::CountLines(hub_log, "closed the oldest connection not yet in TLS");
  const int refused0 = bench::CountLines(hub_log, "refused a connection");
  Stopwatch down;
  Check(net.Stop(kHub).status(), "stopping the hub");
  Emit(kBench, "hub_stop_s", down.Seconds(), "s");
  Check(fleet.Write(5), "writing while the hub is down");
  Receptions offline;
  offline.Start(*real_api, real + "-offline", 5, 5, &converged);
  offline.Join();
  Stopwatch restart;
  Check(net.Start(kHub, true, hub_flags), "restarting the hub");
  Emit(kBench, "hub_start_s", restart.Seconds(), "s");
  WaitFor(
      [&] {
        return fleet.Connected() == fleet.size() && fleet.Converged() == fleet.size() &&
               NodeConverged(net, real);
      },
      limit, "every commune back at the restarted hub");
  Emit(kBench, "hub_restart_converge_s", restart.Seconds(), "s");
  CheckFingerprints(net, fleet, real, "the restart");
  Emit(kBench, "hub_restart_evicted_log_lines",
       bench::CountLines(hub_log, "closed the oldest connection not yet in TLS") - evicted0,
       "lines");
  Emit(kBench, "hub_restart_refused_log_lines",
       bench::CountLines(hub_log, "refused a connection") - refused0, "lines");

  if (!short_mode) {
    // ---------------------------------------------------------------- a commune with 100k
    fleet.Disconnect();  // the hub's work is this node's alone from here
    const uint64_t n = flags.Number("big-cases");
    // Each commit signs the stream's new head: a counter's clerks commit one write at a time,
    // a signed head per event, which the self-check reads per stream.
    const size_t per_commit =
        std::clamp<size_t>(flags.Number("big-writes-per-commit"), 1, kMaxAppendWrites);
    Emit(kBench, "node_100k_writes_per_commit", static_cast<double>(per_commit), "writes");
    {
      auto key_pem = node::ReadTextFile(net.NodeDir(big) + "/tls/node.key", "key");
      Check(key_pem.status(), "the 100k node's key");
      auto key = SigningKeyFromPem(*key_pem);
      Check(key.status(), "the 100k node's key");
      StoreOptions so;
      so.path = net.NodeDir(big) + "/db";
      so.root_unit = kHub;
      so.identity = Identity{big, 1, *key};
      so.sync_writes = false;  // filling it is not measured; Flush makes it durable
      // Its first start encrypted the store under the node's master key (node/master_key.h).
      auto master_key = node::ReadMasterKeyFile(net.NodeDir(big) + "/master.key");
      Check(master_key.status(), "the 100k node's master key");
      so.master_key = *master_key;
      UseCaseLogRules(&so);
      auto store = Store::Open(so);
      Check(store.status(), "opening the 100k node's store");
      Check(UpgradeCaseIndex(store->get()).status(), "marking the 100k node's index");
      CaseWorkload w(11, {big});
      Stopwatch fill;
      std::vector<LocalWrite> writes;
      auto add = [&](LocalWrite write) {
        writes.push_back(std::move(write));
        if (writes.size() < per_commit) return;
        Check((*store)->Append(std::move(writes)).status(), "filling the 100k node");
        writes.clear();
      };
      for (uint64_t i = 0; i < n; ++i) {
        add(w.Reception(i));
        for (int k = 1; k <= CaseWorkload::kUpdates; ++k) add(w.Update(i, k));
      }
      if (!writes.empty()) Check((*store)->Append(writes).status(), "filling the 100k node");
      Check((*store)->Flush(), "flushing the 100k node");
      Emit(kBench, "node_100k_fill_s", fill.Seconds(), "s");
    }
    double self_check_s = 0;  // the node's own figure for its last check
    auto self_checked = [&] {
      auto s = net.Call(big, "GET", "/v1/sync/status");
      if (!s.ok() || s->at("self_check").at("state").as_string() != "passed") return false;
      self_check_s = s->at("self_check").at("seconds").to_number<double>();
      return true;
    };
    const std::vector<std::string> cache{"--store_cache_mib", flags.Text("big-cache-mib")};
    Emit(kBench, "node_100k_store_cache_mib", static_cast<double>(flags.Number("big-cache-mib")),
         "MiB");
    Check(net.Start(big, false, cache), "starting the 100k node offline");
    pid_t bp = net.node(big).pid();
    WaitFor(self_checked, 300, "the 100k node's self-check");
    Emit(kBench, "node_100k_self_check_s", self_check_s, "s");
    // What the self-check held is given back over some seconds, not always at once (5 s after
    // it, one run read 68 MB and the next 255): idle is read 30 s after it.
    std::this_thread::sleep_for(5s);
    Emit(kBench, "node_100k_cases", static_cast<double>(n), "cases");
    Emit(kBench, "node_rss_mb_100k_after_5s", bench::ProcStatusMb(bp, "VmRSS"), "MB");
    std::this_thread::sleep_for(25s);
    Emit(kBench, "node_rss_mb_100k", bench::ProcStatusMb(bp, "VmRSS"), "MB");
    Emit(kBench, "node_rss_mb_100k_start_peak", bench::ProcStatusMb(bp, "VmHWM"), "MB");
    Check(net.Stop(big).status(), "stopping the 100k node");
    Check(net.Start(big, true, cache), "starting the 100k node online");
    bp = net.node(big).pid();
    WaitFor(self_checked, 300, "the 100k node's self-check");
    Emit(kBench, "node_100k_self_check_online_s", self_check_s, "s");
    const double hwm_at_start = bench::ProcStatusMb(bp, "VmHWM");
    // The hub receives the 600,000 events meanwhile: what a node receiving a whole commune
    // (one restored from upstream) holds, memtables and ingest pipeline included.
    const pid_t hub_now = net.node(kHub).pid();
    const double hub_before = bench::ProcStatusMb(hub_now, "VmRSS");
    Stopwatch sync;
    double peak = 0, hub_peak = 0;
    WaitFor(
        [&] {
          peak = std::max(peak, bench::ProcStatusMb(bp, "VmRSS"));
          hub_peak = std::max(hub_peak, bench::ProcStatusMb(hub_now, "VmRSS"));
          return NodeConverged(net, big);
        },
        600, "the 100k node's sync");
    Emit(kBench, "node_100k_sync_s", sync.Seconds(), "s");
    Emit(kBench, "node_rss_mb_100k_sync", peak, "MB");
    Emit(kBench, "hub_rss_mb_before_100k", hub_before, "MB");
    Emit(kBench, "hub_rss_mb_100k_ingest", hub_peak, "MB");
    Emit(kBench, "node_rss_mb_100k_sync_hwm", bench::ProcStatusMb(bp, "VmHWM"), "MB");
    Emit(kBench, "node_rss_mb_100k_start_hwm", hwm_at_start, "MB");
  }
  fleet.Disconnect();
  for (const auto& unit : o.members) {
    if (net.node(unit).running()) (void)net.Stop(unit);
  }
  return 0;
}
