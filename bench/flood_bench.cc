// flood_bench: the floods of issue 16 against a real hoso-node, with the target's memory.
//
// A province (89), a district (883, the target) and a commune (30280, its legitimate child)
// run as hoso-node processes with real mutual TLS on loopback (tools/local_network.h). Each
// attack below runs for --seconds against the district from its own loopback addresses
// (127.0.N.x), with certificates of the deployment's CA made at run time (distinct identities
// are epochs of commune 30283). Per attack: the target's VmRSS before; its peak during (VmHWM
// after resetting it with clear_refs "5", and VmRSS sampled every 50 ms); its VmRSS 3 s after
// the attacker left; the peak over the before figure per attacker; a service probe (GET on
// the API every 100 ms, fresh connection each); whether a case received at the commune
// during the attack reaches the district (child_sync_ms); the bytes the node logged.
//
//   flood_bench [--seconds S] [--only NAME[,NAME...]] [--dir DIR]
//
// Prints JSON lines (bench/bench_util.h), then the table on stderr (docs/security.md, "Flood
// figures"). The "bounds" column names what a row breaks: "peak", over +64 MiB per attacker
// (issue 16); "cap", 10% over the documented global cap the attack meets; "kept", still 64 MiB
// up 3 s after; "probe", a probe failed or took over a second; "slow_after", the probe is
// still 10 times slower after; "child", the child's case did not arrive within 30 s.
#include "bench/flood_bench.h"

#include <signal.h>
#include <sys/resource.h>

#include <fstream>
#include <thread>

#include "bench/bench_network.h"
#include "bench/bench_util.h"
#include "core/log/directory.h"

using namespace hoso;
using namespace std::chrono_literals;
namespace fl = hoso::bench::flood;
using fl::Attack;
using fl::Env;
using fl::Target;
using hoso::bench::Emit;

namespace {

constexpr double kBoundMb = 64;  // issue 16: the peak over the before figure, per attacker

void Check(const Status& s, const std::string& what) {
  if (s.ok()) return;
  std::fprintf(stderr, "flood_bench: %s: %s\n", what.c_str(), s.message().c_str());
  std::exit(1);
}

// Lines of the node's log that say a defence acted, counted per attack.
constexpr std::pair<const char*, const char*> kLogMarks[] = {
    {"does_not_read", "does not read"},
    {"node_busy", "node busy"},
    {"too_many_streams", "announced more than"},
    {"replaced", "replaced by a new session"},
    {"refused_connection", "refused a connection"},
    {"made_room", "closed the oldest connection not yet in TLS"},
    {"no_tls", "no TLS within"},
    {"accept_failed", "accept failed"},
    {"login_busy", "POST /v1/login 503"}};

// Counts the lines of `path` from byte `from` on, and those holding each mark.
std::map<std::string, double> LogLines(const std::string& path, uint64_t from) {
  std::ifstream in(path);
  in.seekg(static_cast<std::streamoff>(from));
  std::map<std::string, double> n;
  std::string line;
  while (std::getline(in, line)) {
    ++n["log_lines"];
    for (const auto& [name, text] : kLogMarks) {
      if (line.find(text) != std::string::npos) ++n[std::string("log_") + name];
    }
  }
  return n;
}

uint16_t PortOf(const std::string& hostport) {
  return static_cast<uint16_t>(std::stoi(hostport.substr(hostport.rfind(':') + 1)));
}

struct Row {
  std::string name;
  int attackers = 0;
  double before = 0, peak = 0, after = 0, per_attacker = 0;
  double p50_before = 0, p50 = 0, p99 = 0, p50_after = 0, child_ms = -1;
  int probe_failures = 0;
  std::string probe, bounds;
};

// GET `path` from 127.0.0.1 every 100 ms on fresh connections, until stopped.
class Prober {
 public:
  Prober(const Target& t, const std::string& path)
      : request_(fl::HttpRequest("GET", path, t.api_port, path == "/healthz" ? "" : t.Bearer())),
        port_(t.api_port) {}
  std::vector<double> Run(int count) {
    std::vector<double> ms;
    for (int i = 0; i < count; ++i) ms.push_back(Once());
    return ms;
  }
  void Start() {
    failures_ = 0;  // the baseline's do not count
    thread_ = std::thread([this] {
      while (!stop_) {
        double ms = Once();
        std::lock_guard lock(mu_);
        ms_.push_back(ms);
        std::this_thread::sleep_for(100ms);
      }
    });
  }
  std::vector<double> Stop() {
    stop_ = true;
    thread_.join();
    return ms_;
  }
  int failures() const { return failures_; }

 private:
  double Once() {
    auto r = fl::HttpExchange("127.0.0.1", port_, request_, 5000);
    if (r.status != 200) ++failures_;
    return r.ms;
  }
  std::string request_;
  uint16_t port_;
  std::atomic<bool> stop_{false};
  std::atomic<int> failures_{0};
  std::mutex mu_;
  std::vector<double> ms_;
  std::thread thread_;
};

// A case received at the commune during the attack, and the time it takes to reach the
// district (-1 if it has not within 30 s).
double ChildSync(const Target& t) {
  auto client = tools::ApiClient::ForNode(t.net->NodeDir("30280"));
  if (!client.ok()) return -1;
  auto t0 = std::chrono::steady_clock::now();
  auto made = client->Call("POST", "/v1/cases",
                           R"({"officer":"nv.lan","procedure":"TEST-1002668","channel":"counter",
                               "applicant":{"name":"Lê Thị Hoa","phone":"0912345678"}})");
  if (!made.ok() || made->status != 201) return -1;
  auto body = node::ParseJson(made->body);
  if (!body.ok()) return -1;
  std::string get = fl::HttpRequest("GET", "/v1/cases/" + std::string(body->at("code").as_string()),
                                    t.api_port, t.Bearer());
  while (std::chrono::steady_clock::now() - t0 < 30s) {
    if (fl::HttpExchange("127.0.0.1", t.api_port, get, 2000).status == 200) {
      return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
          .count();
    }
    std::this_thread::sleep_for(100ms);
  }
  return -1;
}

Row Run(const Target& t, const Attack& a, int seconds) {
  Env env{t};
  if (a.prepare) a.prepare(env);
  Row row;
  row.name = a.name;
  row.attackers = a.attackers;
  row.probe = a.probe;
  Prober prober(t, a.probe);
  row.p50_before = bench::Percentile(prober.Run(10), 0.5);
  uint64_t log0 = fl::FileBytes(t.log), db0 = fl::TreeBytes(t.db);
  row.before = fl::ReadProcMemory(t.pid).rss_mb;
  if (!fl::ResetPeak(t.pid)) std::fprintf(stderr, "flood_bench: cannot reset VmHWM\n");
  std::atomic<bool> sampling{true};
  double sampled = 0;
  size_t fds = 0;
  std::thread sampler([&] {
    while (sampling) {
      sampled = std::max(sampled, fl::ReadProcMemory(t.pid).rss_mb);
      fds = std::max(fds, fl::CountFds(t.pid));
      std::this_thread::sleep_for(50ms);
    }
  });
  prober.Start();
  a.run(env);
  double child = -1;
  std::thread child_thread([&] {
    std::this_thread::sleep_for(2s);  // the attack is under way
    child = ChildSync(t);
  });
  std::this_thread::sleep_for(std::chrono::seconds(a.seconds ? a.seconds : seconds));
  env.stop = true;
  env.live.ShutdownAll();
  for (auto& th : env.threads) th.join();
  row.peak = std::max(fl::ReadProcMemory(t.pid).hwm_mb, sampled);
  auto during = prober.Stop();
  uint64_t log_bytes = fl::FileBytes(t.log) - log0;
  child_thread.join();
  if (a.after) a.after(env);
  sampling = false;
  sampler.join();
  std::this_thread::sleep_for(3s);
  row.after = fl::ReadProcMemory(t.pid).rss_mb;
  row.p50_after = bench::Percentile(prober.Run(10), 0.5);
  row.per_attacker = (row.peak - row.before) / a.attackers;
  row.p50 = bench::Percentile(during, 0.5);
  row.p99 = bench::Percentile(during, 0.99);
  row.probe_failures = prober.failures();
  row.child_ms = child;
  std::vector<std::string> broken;
  if (row.per_attacker > kBoundMb) broken.push_back("peak");
  // 10% over the cap for what the cap does not count (each connection's own buffers).
  if (a.cap_mb > 0 && row.peak - row.before > 1.1 * a.cap_mb) broken.push_back("cap");
  if (row.after - row.before > kBoundMb) broken.push_back("kept");
  // The node stopped serving (a probe failed or waited a second), or is still slow after.
  if (row.probe_failures > 0 || row.p99 > 1000) broken.push_back("probe");
  if (row.p50_after > std::max(10.0, 10 * row.p50_before)) broken.push_back("slow_after");
  if (row.child_ms < 0) broken.push_back("child");
  for (const auto& b : broken) row.bounds += (row.bounds.empty() ? "" : "+") + b;
  if (row.bounds.empty()) row.bounds = "ok";

  const std::string& n = a.name;
  Emit("flood", n + "_attackers", a.attackers, "count");
  Emit("flood", n + "_rss_before_mb", row.before, "MiB");
  Emit("flood", n + "_rss_peak_mb", row.peak, "MiB");
  Emit("flood", n + "_rss_after_mb", row.after, "MiB");
  Emit("flood", n + "_delta_peak_mb_per_attacker", row.per_attacker, "MiB");
  Emit("flood", n + "_probe_before_p50_ms", row.p50_before, "ms");
  Emit("flood", n + "_probe_p50_ms", row.p50, "ms");
  Emit("flood", n + "_probe_p99_ms", row.p99, "ms");
  Emit("flood", n + "_probe_after_p50_ms", row.p50_after, "ms");
  Emit("flood", n + "_probe_failures", row.probe_failures, "count");
  Emit("flood", n + "_child_sync_ms", row.child_ms, "ms");
  Emit("flood", n + "_log_bytes", static_cast<double>(log_bytes), "bytes");
  for (const auto& [k, v] : LogLines(t.log, log0)) Emit("flood", n + "_" + k, v, "count");
  Emit("flood", n + "_fds_peak", static_cast<double>(fds), "count");
  Emit("flood", n + "_db_growth_mb", (double(fl::TreeBytes(t.db)) - double(db0)) / 1e6, "MB");
  for (const auto& [k, v] : env.figures) {
    Emit("flood", n + "_" + k.substr(0, k.find(' ')), v, k.substr(k.find(' ') + 1));
  }
  Emit("flood", n + "_within_bounds", row.bounds == "ok", "bool");
  return row;
}

// --- The attacks -------------------------------------------------------------------------

}  // namespace

int main(int argc, char** argv) {
  bench::Flags flags(argc, argv, "flood_bench [--seconds S] [--only NAME[,NAME...]] [--dir DIR]",
                     {{"seconds", "8"}, {"only", "all"}, {"dir", "/tmp"}});
  int seconds = static_cast<int>(flags.Number("seconds"));
  std::string only = "," + flags.Text("only") + ",";
  signal(SIGPIPE, SIG_IGN);
  // 20,000 connections at once, and the node inherits the limit its systemd unit gives it.
  rlimit want{fl::kNodeNofile, fl::kNodeNofile};
  if (::setrlimit(RLIMIT_NOFILE, &want) != 0) {
    rlimit have{};
    ::getrlimit(RLIMIT_NOFILE, &have);
    have.rlim_cur = have.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &have);
    std::fprintf(stderr, "flood_bench: descriptors capped at %llu (wanted %llu)\n",
                 static_cast<unsigned long long>(have.rlim_cur),
                 static_cast<unsigned long long>(fl::kNodeNofile));
    Emit("flood", "nofile_capped", static_cast<double>(have.rlim_cur), "count");
  }

  bench::ScratchDir scratch(flags.Text("dir"));
  const std::vector<std::string> members = {"89", "883", "30280"};
  auto made = bench::StartNetwork(scratch.path(), members, tools::ExecutableDir() + "/hoso-node");
  Check(made.status(), "starting the network");
  tools::LocalNetwork& net = **made;

  Target t;
  t.net = &net;
  t.dir = scratch.path();
  t.ca = scratch.path() + "/ca";
  auto& node = net.node("883");
  t.pid = node.pid();
  t.sync_port = PortOf(node.listen());
  t.api_port = PortOf(node.api());
  t.token = node.Client().value().token();
  t.log = net.NodeDir("883") + "/node.log";
  t.db = net.NodeDir("883") + "/db";
  Check(net.WaitConverged(30s), "the first sync");

  std::vector<std::function<Attack()>> attacks = {
      [&] { return fl::Pings(t, 1, 1); }, [&] { return fl::Pings(t, 8, 11); },
      [&] { return fl::Bombs(t, 1, 100); }, [&] { return fl::Bombs(t, 32, 101); },
      [&] { return fl::Changes(t, 4, 201); }, [&] { return fl::Bundles(t, 3); },
      [&] { return fl::Bundles(t, 32); }, [&] { return fl::Bodies(t); },
      [&] { return fl::Idle(t, "sync", false); }, [&] { return fl::Idle(t, "api", false); },
      [&] { return fl::Logins(t, 24); }, [&] { return fl::SameCert(t, 20); },
      // Last: with its descriptors exhausted the node may not come back whole.
      [&] { return fl::Idle(t, "api", true); }};
  std::vector<Row> rows;
  for (const auto& make : attacks) {
    Attack a = make();
    if (only != ",all," && only.find("," + a.name + ",") == std::string::npos) continue;
    std::fprintf(stderr, "flood_bench: %s (%s, %d attacker%s)\n", a.name.c_str(), a.about.c_str(),
                 a.attackers, a.attackers == 1 ? "" : "s");
    rows.push_back(Run(t, a, seconds));
  }

  rlimit nofile{};
  ::getrlimit(RLIMIT_NOFILE, &nofile);
  std::fprintf(stderr,
               "\nnode descriptors: %llu; RSS in MiB; probe latencies in ms\n\n"
               "| attack | attackers | RSS before | peak | after | peak/attacker | probe | "
               "p50 before | p50 | p99 | p50 after | failed | child sync ms | bounds |\n"
               "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n",
               static_cast<unsigned long long>(nofile.rlim_cur));
  for (const auto& r : rows) {
    std::fprintf(stderr,
                 "| %s | %d | %.1f | %.1f | %.1f | %+.1f | %s | %.1f | %.1f | %.1f | %.1f | %d | "
                 "%.0f | %s |\n",
                 r.name.c_str(), r.attackers, r.before, r.peak, r.after, r.per_attacker,
                 r.probe.c_str(), r.p50_before, r.p50, r.p99, r.p50_after, r.probe_failures,
                 r.child_ms, r.bounds.c_str());
  }
  for (auto it = members.rbegin(); it != members.rend(); ++it) (void)net.Stop(*it);
  return 0;
}
