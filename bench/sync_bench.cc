// Sync bench: two processes on loopback over TLS 1.3, the "cases" workload (6 events a case).
//
//   sync_bench [--events 1000000] [--dir /tmp] [--data DIR]
//
// A district (883) holding the workload's commune streams serves them from a child process; a
// province (89) starting empty pulls them (sync_cold_*, with each side's CPU seconds); before
// that, copies of both stores encrypted (format 2, as nodes' stores are) do the same
// (sync_cold_encrypted_eps, and its ratio to the plaintext run). Then: an
// idle round, 1% of cases getting one more event, resumption through a proxy that cuts the
// connection at random points, and a commune's day of work through a 1 Mbit/s, 300 ms round-trip
// link. SYNC_BENCH_LOG=1 prints both sides' sync logs (a stalled run says why).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "bench/bench_util.h"
#include "bench/workload_batches.h"
#include "core/domain/case_log.h"
#include "core/format/certificate.h"
#include "core/log/store_migrate.h"
#include "sync/tls/node.h"
#include "tests/testing/fault_proxy.h"

using namespace hoso;
using bench::Emit;
using bench::Stopwatch;
using bench::WaitFor;
using sync::SyncNode;
using sync::TlsConfig;

namespace {

const char* kBench = "sync";
constexpr int64_t kFrom = 1577836800, kTo = 2051222400;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "sync_bench: %s\n", what.c_str());
  std::exit(1);
}

void Check(const Status& s) {
  if (!s.ok()) Die(s.ToString());
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

struct Pki {
  SigningKey key = bench::KeyFor("ca");
  std::string pem = MakeCaCertificate(key, "89", kFrom, kTo).value();
  uint64_t serial = 10;
  std::string Cert(const std::string& unit) {
    return IssueNodeCertificate(key, pem, unit, 1, bench::KeyFor(unit).public_key(), ++serial,
                                kFrom, kTo)
        .value();
  }
  TlsConfig For(const std::string& unit) {
    TlsConfig c;
    c.ca_pem = pem;
    c.cert_pem = Cert(unit);
    c.key_pem = PrivateKeyPem(bench::KeyFor(unit)).value();
    c.backoff_min = std::chrono::milliseconds(20);
    c.backoff_max = std::chrono::milliseconds(200);
    return c;
  }
};

std::unique_ptr<Store> OpenStore(const std::string& path, const std::string& unit,
                                 const std::string& master_key = "") {
  StoreOptions o;
  o.path = path;
  o.master_key = master_key;
  o.root_unit = "89";
  o.identity = Identity{unit, 1, bench::KeyFor(unit)};
  UseCaseLogRules(&o);
  auto s = Store::Open(o);
  if (!s.ok()) Die(s.status().ToString());
  return std::move(s).value();
}

uint64_t TotalEvents(const Store& s) {
  uint64_t n = 0;
  for (const auto& [stream, head] :
       s.Vector([](const std::string& c) { return !IsSystemChannel(c); })) {
    n += head.seq;
  }
  return n;
}

// A node made by SyncNode::Create; the bench dies when its TLS context cannot be made.
std::unique_ptr<SyncNode> Started(Store* store, TlsConfig config, const Clock* clock) {
  if (std::getenv("SYNC_BENCH_LOG")) {
    config.log = [](std::string_view level, std::string_view m) {
      std::fprintf(stderr, "%.*s %.*s\n", (int)level.size(), level.data(), (int)m.size(), m.data());
    };
  }
  auto node = SyncNode::Create(store, std::move(config), clock);
  if (!node.ok()) Die(node.status().ToString());
  return std::move(node).value();
}

sync::PeerStatus Peer(const SyncNode& n) {
  auto peers = n.Peers();
  return peers.empty() ? sync::PeerStatus{} : peers.back();
}

// ---------------------------------------------------------------- the sender process

int SenderMain(const std::string& dir, bool encrypted) {
  auto store = OpenStore(dir + "/sender", "883", encrypted ? bench::kBenchMasterKey : "");
  TlsConfig c;
  c.ca_pem = ReadFile(dir + "/ca.pem");
  c.cert_pem = ReadFile(dir + "/883.pem");
  c.key_pem = PrivateKeyPem(bench::KeyFor("883")).value();
  auto node_node = Started(store.get(), c, SystemClock::Default());
  SyncNode& node = *node_node;
  auto port = node.Listen("127.0.0.1", 0);
  if (!port.ok()) Die(port.status().ToString());
  std::printf("PORT %u\n", *port);
  std::fflush(stdout);
  CaseWorkload workload;
  for (std::string line; std::getline(std::cin, line);) {
    if (line.rfind("INC ", 0) == 0) {
      // 1% of cases (every 100th) get a sixth update, written here by the district.
      uint64_t cases = std::stoull(line.substr(4));
      std::vector<LocalWrite> writes;
      for (uint64_t i = 0; i < cases; i += 100) {
        writes.push_back(workload.Update(i, 6));
        if (writes.size() == 500) {
          Check(store->Append(writes).status());
          writes.clear();
        }
      }
      if (!writes.empty()) Check(store->Append(writes).status());
      std::printf("OK\n");
    } else if (line == "RSS") {
      std::printf("RSS %.1f\n", bench::PeakRssMb());
    } else if (line == "CPU") {
      std::printf("CPU %.3f\n", bench::ProcessCpuSeconds());
    } else if (line == "QUIT") {
      break;
    }
    std::fflush(stdout);
  }
  node.Stop();
  return 0;
}

// ---------------------------------------------------------------- helpers of the parent

struct Child {
  pid_t pid = -1;
  FILE* in = nullptr;   // its stdin
  FILE* out = nullptr;  // its stdout
  void Tell(const std::string& command) {
    std::fprintf(in, "%s\n", command.c_str());
    std::fflush(in);
  }
  std::string Ask(const std::string& command) {
    std::fprintf(in, "%s\n", command.c_str());
    std::fflush(in);
    char buf[256];
    if (!std::fgets(buf, sizeof buf, out)) Die("sender process ended");
    return buf;
  }
};

Child StartSender(const std::string& dir, bool encrypted = false) {
  int to_child[2], from_child[2];
  if (pipe(to_child) || pipe(from_child)) Die("pipe");
  Child c;
  c.pid = fork();
  if (c.pid == 0) {
    dup2(to_child[0], 0);
    dup2(from_child[1], 1);
    close(to_child[1]);
    close(from_child[0]);
    execl("/proc/self/exe", "sync_bench", "sender", dir.c_str(), encrypted ? "encrypted" : "plain",
          nullptr);
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  c.in = fdopen(to_child[1], "w");
  c.out = fdopen(from_child[0], "r");
  return c;
}

double SenderCpuSeconds(Child& sender) {
  double cpu = 0;
  if (std::sscanf(sender.Ask("CPU").c_str(), "CPU %lf", &cpu) != 1) Die("sender: no CPU figure");
  return cpu;
}

// A store for `unit` holding the directory and trusting the workload's offices.
std::unique_ptr<Store> Prepare(const std::string& path, const std::string& unit, Store& root,
                               Pki& pki, const CaseWorkload& w) {
  auto store = OpenStore(path, unit);
  for (const auto& [stream, head] :
       root.Vector([](const std::string& c) { return IsSystemChannel(c); })) {
    auto batch = root.ReadBatch(stream, 1, 100000);
    Check(batch.status());
    Check(store->TrustOrigin("89", 1, bench::KeyFor("89").public_key(), pki.Cert("89")));
    Check(store->Ingest(*batch));
  }
  for (const auto& office : w.offices()) {
    Check(store->TrustOrigin(office, 1, bench::KeyFor(office).public_key(), pki.Cert(office)));
  }
  return store;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "sender") {
    return SenderMain(argv[2], std::string(argv[3]) == "encrypted");
  }
  if (argc == 4 && std::string(argv[1]) == "fill") {
    auto sender = OpenStore(std::string(argv[2]) + "/sender", "883");
    CaseWorkload workload;
    bench::BatchSource source(workload, std::stoull(argv[3]), 1000);
    Batch b;
    while (source.Next(&b)) Check(sender->Ingest(b));
    // A serving node's store is at rest; without this, the fill's leftover compactions ran
    // in the sender during the cold sync and took about a quarter of its CPU.
    Check(sender->Settle(std::chrono::minutes(10)));
    return 0;
  }
  signal(SIGPIPE, SIG_IGN);
  const bench::Flags flags(argc, argv, "sync_bench [--events 1000000] [--dir /tmp] [--data DIR]",
                           {{"events", "1000000"}, {"dir", "/tmp"}, {"data", HOSO_DATA_DIR}});
  const uint64_t events = flags.Number("events");
  const std::string base = flags.Text("dir");
  const std::string data = flags.Text("data");
  const uint64_t cases = events / (1 + CaseWorkload::kUpdates);
  bench::ScratchDir scratch(base);
  const std::string dir = scratch.path();
  CaseWorkload workload;
  Pki pki;
  WriteFile(dir + "/ca.pem", pki.pem);
  WriteFile(dir + "/883.pem", pki.Cert("883"));

  // The province (receiver, empty but for the directory) and the district (sender).
  auto receiver = bench::OpenRoot(dir + "/receiver", bench::Units(data), workload);
  Check(receiver->TrustOrigin("89", 1, bench::KeyFor("89").public_key(), pki.Cert("89")));
  // The encrypted province (format 2, as a node's store) starts as the same store, encrypted.
  std::filesystem::create_directories(dir + "/encrypted");
  Check(receiver->Checkpoint(dir + "/encrypted/receiver"));
  Check(RewriteStore(dir + "/encrypted/receiver", "", bench::kBenchMasterKey).status());
  // The sender's store is prepared here but filled in a process of its own, so neither
  // side's peak memory includes the filling.
  Prepare(dir + "/sender", "883", *receiver, pki, workload).reset();
  pid_t filler = fork();
  if (filler == 0) {
    std::string n = std::to_string(cases);
    execl("/proc/self/exe", "sync_bench", "fill", dir.c_str(), n.c_str(), nullptr);
    _exit(127);
  }
  int filled = 0;
  waitpid(filler, &filled, 0);
  if (!WIFEXITED(filled) || WEXITSTATUS(filled) != 0) Die("filling the sender store failed");
  // And the same district, encrypted, with its certificates: the encrypted run's own pair.
  std::filesystem::copy(dir + "/sender", dir + "/encrypted/sender",
                        std::filesystem::copy_options::recursive);
  Check(RewriteStore(dir + "/encrypted/sender", "", bench::kBenchMasterKey).status());
  std::filesystem::copy_file(dir + "/ca.pem", dir + "/encrypted/ca.pem");
  std::filesystem::copy_file(dir + "/883.pem", dir + "/encrypted/883.pem");
  const uint64_t total = cases * (1 + CaseWorkload::kUpdates);
  Child child = StartSender(dir);
  unsigned port = 0;
  {
    char buf[64];
    if (!std::fgets(buf, sizeof buf, child.out) || std::sscanf(buf, "PORT %u", &port) != 1) {
      Die("sender did not start");
    }
  }

  // The same cold sync between copies of both stores, encrypted (format 2, as nodes' stores
  // are), first, so that a warmer page cache favours the plaintext run: what encryption at
  // rest costs a sync.
  double cold_encrypted_s;
  {
    Child sender = StartSender(dir + "/encrypted", /*encrypted=*/true);
    unsigned encrypted_port = 0;
    char buf[64];
    if (!std::fgets(buf, sizeof buf, sender.out) ||
        std::sscanf(buf, "PORT %u", &encrypted_port) != 1) {
      Die("encrypted sender did not start");
    }
    auto encrypted = OpenStore(dir + "/encrypted/receiver", "89", bench::kBenchMasterKey);
    auto node_node = Started(encrypted.get(), pki.For("89"), SystemClock::Default());
    Stopwatch t;
    node_node->ConnectTo("127.0.0.1", static_cast<uint16_t>(encrypted_port));
    if (!WaitFor([&] { return TotalEvents(*encrypted) == total; }, 600)) {
      Die("cold sync into the encrypted store stalled");
    }
    cold_encrypted_s = t.Seconds();
    node_node->Stop();
    sender.Tell("QUIT");
    waitpid(sender.pid, nullptr, 0);
  }

  // Cold sync: every event into the empty province, with the CPU each side spends on it.
  double cold_s;
  sync::PeerStatus cold;
  const double sender_cpu_before = SenderCpuSeconds(child);
  const double receiver_cpu_before = bench::ProcessCpuSeconds();
  {
    auto node_node = Started(receiver.get(), pki.For("89"), SystemClock::Default());
    SyncNode& node = *node_node;
    Stopwatch t;
    node.ConnectTo("127.0.0.1", static_cast<uint16_t>(port));
    if (!WaitFor([&] { return TotalEvents(*receiver) == total; }, 600)) Die("cold sync stalled");
    cold_s = t.Seconds();
    // Let the last ACKs leave before closing, so the next round starts from settled knowledge.
    int64_t done_ms = SystemClock::Default()->NowMs();
    WaitFor([&] { return Peer(node).last_success_ms >= done_ms; }, 10);
    cold = Peer(node);
    node.Stop();
  }
  const double receiver_cpu_s = bench::ProcessCpuSeconds() - receiver_cpu_before;
  const double sender_cpu_s = SenderCpuSeconds(child) - sender_cpu_before;

  Emit(kBench, "events", static_cast<double>(total), "events");
  Emit(kBench, "sync_cold_eps", total / cold_s, "events/s");
  Emit(kBench, "sync_cold_cases_per_s", cases / cold_s, "cases/s");
  Emit(kBench, "sync_cold_encrypted_eps", total / cold_encrypted_s, "events/s");
  Emit(kBench, "sync_cold_encrypted_vs_plain", cold_s / cold_encrypted_s, "ratio");
  Emit(kBench, "sync_cold_receiver_cpu_s", receiver_cpu_s, "s");
  Emit(kBench, "sync_cold_sender_cpu_s", sender_cpu_s, "s");
  Emit(kBench, "sync_wire_bytes_per_case",
       static_cast<double>(cold.wire_sent + cold.wire_received) / cases, "bytes");
  if (receiver->CaseCount() != cases) Die("case count differs after the cold sync");

  // An idle round: a new connection finds nothing to do.
  {
    auto node_node = Started(receiver.get(), pki.For("89"), SystemClock::Default());
    SyncNode& node = *node_node;
    Stopwatch t;
    node.ConnectTo("127.0.0.1", static_cast<uint16_t>(port));
    if (!WaitFor([&] { return Peer(node).last_success_ms > 0; }, 30)) Die("idle round stalled");
    double ms = t.Seconds() * 1000;
    auto p = Peer(node);
    Emit(kBench, "sync_idle_round_bytes",
         static_cast<double>(std::max(p.bytes_sent, p.bytes_received)), "bytes");
    Emit(kBench, "sync_idle_round_ms", ms, "ms");

    // Incremental: 1% of cases get one new event at the sender, pushed on the open session.
    Stopwatch inc;
    child.Ask("INC " + std::to_string(cases));
    uint64_t extra = (cases + 99) / 100;
    if (!WaitFor([&] { return TotalEvents(*receiver) == total + extra; }, 120)) {
      Die("incremental sync stalled");
    }
    Emit(kBench, "sync_incremental_s", inc.Seconds(), "s");
    node.Stop();
  }
  double child_rss = 0;
  std::sscanf(child.Ask("RSS").c_str(), "RSS %lf", &child_rss);
  Emit(kBench, "sync_sender_peak_rss_mb", child_rss, "MB");
  Emit(kBench, "sync_receiver_peak_rss_mb", bench::PeakRssMb(), "MB");
  Emit(kBench, "sync_peak_rss_mb", std::max(child_rss, bench::PeakRssMb()), "MB");
  child.Tell("QUIT");
  waitpid(child.pid, nullptr, 0);

  // Resumption: 30,000 events through a proxy that cuts the first connections at random
  // points; what the receiver got twice is what was re-sent.
  {
    auto sender = Prepare(dir + "/resume-sender", "883", *receiver, pki, workload);
    bench::BatchSource source(workload, 5000, 1000);
    Batch b;
    while (source.Next(&b)) Check(sender->Ingest(b));
    auto fresh = Prepare(dir + "/resume-receiver", "89", *receiver, pki, workload);
    auto from_node = Started(sender.get(), pki.For("883"), SystemClock::Default());
    SyncNode& from = *from_node;
    auto p = from.Listen("127.0.0.1", 0);
    Check(p.status());
    std::mt19937_64 rng(7);
    std::vector<uint64_t> cuts;
    for (int i = 0; i < 5; ++i) cuts.push_back(50'000 + rng() % 2'000'000);
    testing::FaultProxy proxy(*p, {std::chrono::milliseconds(0), 0, cuts});
    auto to_node = Started(fresh.get(), pki.For("89"), SystemClock::Default());
    SyncNode& to = *to_node;
    to.ConnectTo("127.0.0.1", proxy.port());
    if (!WaitFor([&] { return TotalEvents(*fresh) == 30000; }, 120)) Die("resume stalled");
    auto peer = Peer(to);
    Emit(kBench, "sync_resume_cuts", static_cast<double>(proxy.connections() - 1), "cuts");
    Emit(kBench, "sync_resume_resent_events", static_cast<double>(peer.duplicates_received),
         "events");
    to.Stop();
    from.Stop();
  }

  // A commune's day: 200 cases x 6 events through 1 Mbit/s and 300 ms round trip.
  {
    auto commune = Prepare(dir + "/day-commune", "30280", *receiver, pki, workload);
    CaseWorkload day(99, {"30280"});
    for (int k = 0; k <= CaseWorkload::kUpdates; ++k) {
      for (uint64_t i = 0; i < 200; ++i) {
        Check(commune->Append(k == 0 ? day.Reception(i) : day.Update(i, k)).status());
      }
    }
    auto district = Prepare(dir + "/day-district", "883", *receiver, pki, workload);
    auto to_node = Started(district.get(), pki.For("883"), SystemClock::Default());
    SyncNode& to = *to_node;
    auto p = to.Listen("127.0.0.1", 0);
    Check(p.status());
    testing::FaultProxy proxy(*p, {std::chrono::milliseconds(150), 1'000'000, {}});
    auto from_node = Started(commune.get(), pki.For("30280"), SystemClock::Default());
    SyncNode& from = *from_node;
    Stopwatch t;
    from.ConnectTo("127.0.0.1", proxy.port());
    if (!WaitFor([&] { return TotalEvents(*district) == 1200; }, 120)) Die("commune day stalled");
    double s = t.Seconds();
    double wire_s = proxy.bytes() * 8.0 / 1'000'000;
    Emit(kBench, "sync_commune_day_s", s, "s");
    Emit(kBench, "sync_commune_day_wire_s", wire_s, "s");
    Emit(kBench, "sync_commune_day_vs_wire", s / wire_s, "ratio");
    from.Stop();
    to.Stop();
  }
  return 0;
}
