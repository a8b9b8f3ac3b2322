// doc_bench: the documents of issue 19 (docs/documents.md) measured on real hoso-node
// processes. Locally: files stored through the API (doc_store_mb_per_s) and receptions per
// second before and after the store holds --blob-gb of files. Over the fault proxy, shaped as
// a rural link (--rate-bps, --rtt-ms, a cut every --cut-s of link time):
//   doc_sync_20mb_vs_wire            --sync-mb of scans (0.3 to 3 MB each) from an offline
//                                    commune to its province, against the raw link time of
//                                    their bytes;
//   doc_resume_rebytes               bytes the cuts made the link carry twice (the same files
//                                    through an uncut, unshaped proxy, subtracted);
//   doc_case_latency_under_backlog_s a new case's events reaching the province while
//                                    --backlog-mb of files are queued behind them.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

#include "bench/bench_network.h"
#include "bench/bench_util.h"
#include "core/format/crypto.h"
#include "node/json.h"
#include "tests/testing/fault_proxy.h"
#include "tools/api_client.h"

using namespace hoso;
using bench::Emit;
using bench::Stopwatch;
using namespace std::chrono_literals;

namespace {

constexpr const char* kBench = "doc";

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "doc_bench: %s\n", why.c_str());
  std::exit(1);
}

void Check(const Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.ToString());
}

// Incompressible bytes, as a JPEG's or a scanned PDF's body is.
std::string Noise(size_t n, uint64_t seed) {
  std::string s(n, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ull ^ (seed * 0xBF58476D1CE4E5B9ull);
  for (size_t i = 0; i < n; i += 8) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    for (size_t k = 0; k < 8 && i + k < n; ++k) s[i + k] = static_cast<char>(x >> (8 * k));
  }
  return s;
}

struct Scan {
  std::string name, bytes;
};

// Scans adding up to about `total` bytes: camera JPEGs and scanner PDFs of 0.3 to 3 MB.
std::vector<Scan> Scans(uint64_t total, uint64_t seed) {
  static const size_t kSizes[] = {300'000, 850'000, 1'600'000, 3'000'000, 520'000, 2'200'000};
  std::vector<Scan> out;
  uint64_t sum = 0;
  for (size_t i = 0; sum < total; ++i) {
    const size_t n = std::min<uint64_t>(kSizes[i % 6], std::max<uint64_t>(total - sum, 300'000));
    const bool pdf = i % 2 == 1;
    std::string body = pdf ? "%PDF-1.5\n" : std::string("\xFF\xD8\xFF\xE0", 4);
    body += Noise(n - body.size(), seed * 1000 + i);
    out.push_back(
        {(pdf ? "scan-" : "anh-") + std::to_string(i) + (pdf ? ".pdf" : ".jpg"), std::move(body)});
    sum += n;
  }
  return out;
}

uint64_t BytesOf(const std::vector<Scan>& scans) {
  uint64_t n = 0;
  for (const Scan& s : scans) n += s.bytes.size();
  return n;
}

std::string NewCase(tools::ApiClient& api, const std::string& name) {
  auto r = api.Call("POST", "/v1/cases",
                    R"({"officer":"nv.lan","procedure":"TEST-1002668","channel":"counter",)"
                    R"("applicant":{"name":")" +
                        name + R"("},"documents":[{"name":"Tờ khai","kind":"original"}]})");
  Check(r.status(), "receiving a case");
  if (r->status != 201) Die("receiving a case: " + r->body);
  return std::string(node::ParseJson(r->body)->at("code").as_string());
}

// The scans attached to cases of at most 150 MB each (a case holds 200 MiB at most).
std::vector<std::string> Attach(tools::ApiClient& api, const std::vector<Scan>& scans,
                                const std::string& who) {
  std::vector<std::string> codes;
  uint64_t in_case = 0;
  for (const Scan& s : scans) {
    if (codes.empty() || in_case + s.bytes.size() > 150'000'000) {
      codes.push_back(NewCase(api, who + " " + std::to_string(codes.size())));
      in_case = 0;
    }
    auto r =
        api.Call("POST", "/v1/cases/" + codes.back() + "/documents?officer=nv.lan&name=" + s.name,
                 s.bytes, "application/octet-stream");
    Check(r.status(), "uploading " + s.name);
    if (r->status != 201) Die("uploading " + s.name + ": " + r->body);
    in_case += s.bytes.size();
  }
  return codes;
}

// Whether `unit` holds every file of `codes` (`files` in all) in full.
bool AllHere(tools::LocalNetwork& net, const std::string& unit,
             const std::vector<std::string>& codes, size_t files) {
  size_t here = 0;
  for (const std::string& code : codes) {
    auto r = net.Call(unit, "GET", "/v1/cases/" + code + "/documents");
    if (!r.ok()) return false;
    for (const auto& d : r->at("documents").as_array()) here += d.at("state").as_string() == "here";
  }
  return here == files;
}

// Waits until the process has used less than 2% of a core for 3 s in a row (its flushes and
// compactions done), at most 300 s: a node measured in its steady state.
void WaitIdle(int pid) {
  auto cpu = [&] {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string field;
    double ticks = 0;
    for (int i = 1; i <= 15 && stat >> field; ++i) {
      if (i == 14 || i == 15) ticks += std::stod(field);
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  };
  Stopwatch t;
  double last = cpu();
  for (int quiet = 0; quiet < 3 && t.Seconds() < 300;) {
    std::this_thread::sleep_for(1s);
    const double now = cpu();
    quiet = now - last < 0.02 ? quiet + 1 : 0;
    last = now;
  }
}

// Receptions per second through the API, one clerk after another.
double ReceptionsPerSecond(tools::ApiClient& api, int n, const std::string& who) {
  Stopwatch t;
  for (int i = 0; i < n; ++i) NewCase(api, who + " " + std::to_string(i));
  return n / t.Seconds();
}

// A province and a commune, the commune offline.
std::unique_ptr<tools::LocalNetwork> Pair(const std::string& dir, const std::string& binary) {
  auto net = bench::StartNetwork(dir, {"89", "30280"}, binary);
  Check(net.status(), "starting the province and the commune");
  Check((*net)->Stop("30280").status(), "stopping the commune");
  Check((*net)->Start("30280", /*online=*/false), "starting the commune offline");
  return std::move(net).value();
}

uint16_t ProvincePort(tools::LocalNetwork& net) {
  auto p = node::ParseHostPort(net.node("89").listen());
  Check(p.status(), "the province's sync address");
  return p->port;
}

struct Transfer {
  double seconds = 0;
  uint64_t link_bytes = 0;
  int connections = 0;
};

// The scans received offline at the commune, then its link up through a proxy of `shape`:
// how long until the province holds them all, and what crossed the link.
Transfer SyncThrough(const std::string& dir, const std::string& binary,
                     const std::vector<Scan>& scans, testing::FaultProxy::Options shape,
                     std::chrono::seconds limit) {
  auto net = Pair(dir, binary);
  auto api = net->node("30280").Client();
  Check(api.status(), "the commune's API");
  auto codes = Attach(*api, scans, "Nguyễn Thị Hồng");
  Check(net->Stop("30280").status(), "stopping the commune");
  testing::FaultProxy proxy(ProvincePort(*net), std::move(shape));
  Stopwatch t;
  Check(net->Start("30280", true, {"--upstream", "89@127.0.0.1:" + std::to_string(proxy.port())}),
        "starting the commune online");
  if (!bench::WaitFor([&] { return AllHere(*net, "89", codes, scans.size()); },
                      static_cast<double>(limit.count()), 500ms)) {
    Die("the files did not all reach the province in " + std::to_string(limit.count()) + " s");
  }
  return {t.Seconds(), proxy.bytes(), proxy.connections()};
}

}  // namespace

int main(int argc, char** argv) {
  bench::Flags flags(argc, argv, "doc_bench [--blob-gb N] [--sync-mb N] [--backlog-mb N] ...",
                     {{"blob-gb", "10"},
                      {"sync-mb", "20"},
                      {"backlog-mb", "50"},
                      {"rate-bps", "256000"},
                      {"rtt-ms", "600"},
                      {"cut-s", "30"},
                      {"samples", "5"},
                      {"node", tools::ExecutableDir() + "/hoso-node"},
                      {"dir", "/tmp"}});
  signal(SIGPIPE, SIG_IGN);
  const std::string binary = flags.Text("node");
  const uint64_t rate = flags.Number("rate-bps");
  const auto delay = std::chrono::milliseconds(flags.Number("rtt-ms") / 2);
  // A cut every cut-s of link time: after that many bytes (both ways) of a connection.
  const uint64_t cut_bytes = rate / 8 * flags.Number("cut-s");
  bench::ScratchDir scratch(flags.Text("dir"));

  // Locally: files stored, and receptions before and after the store holds blob-gb of them.
  {
    auto net = bench::StartNetwork(scratch.path() + "/local", {"89"}, binary);
    Check(net.status(), "starting a node");
    auto api = (*net)->node("89").Client();
    Check(api.status(), "the node's API");
    WaitIdle((*net)->node("89").pid());
    const double empty = ReceptionsPerSecond(*api, 2000, "Trần Văn Bình");
    // The control: the same again on the store that now holds those 2000 cases, no blobs.
    WaitIdle((*net)->node("89").pid());
    const double before = ReceptionsPerSecond(*api, 2000, "Trần Văn Bình lần hai");
    const uint64_t target = flags.Number("blob-gb") << 30;
    uint64_t stored = 0;
    double upload_s = 0;
    for (uint64_t seed = 1; stored < target; ++seed) {
      auto scans = Scans(std::min<uint64_t>(target - stored, 1ull << 30), seed);
      Stopwatch t;
      Attach(*api, scans, "Lê Thị Thu " + std::to_string(seed));
      upload_s += t.Seconds();
      stored += BytesOf(scans);
    }
    Stopwatch settle;
    WaitIdle((*net)->node("89").pid());
    Emit(kBench, "doc_blobs_settle_s", settle.Seconds(), "s");
    const double after = ReceptionsPerSecond(*api, 2000, "Trần Văn Bình sau");
    Emit(kBench, "doc_store_mb_per_s", stored / 1e6 / upload_s, "MB/s");
    Emit(kBench, "doc_blobs_held_gb", stored / double(1ull << 30), "GiB");
    Emit(kBench, "doc_receptions_per_s_empty", empty, "receptions/s");
    Emit(kBench, "doc_receptions_per_s_no_blobs", before, "receptions/s");
    Emit(kBench, "doc_receptions_per_s_with_blobs", after, "receptions/s");
    Emit(kBench, "doc_receptions_with_blobs_vs_no_blobs", after / before, "ratio");
  }

  // 20 MB of scans over the rural link, and the same through a clean one.
  const auto scans = Scans(flags.Number("sync-mb") * 1'000'000, 7);
  const uint64_t file_bytes = BytesOf(scans);
  const double wire_s = file_bytes * 8.0 / static_cast<double>(rate);
  const Transfer clean = SyncThrough(scratch.path() + "/clean", binary, scans, {}, 600s);
  const Transfer rural = SyncThrough(scratch.path() + "/rural", binary, scans,
                                     {delay, rate, std::vector<uint64_t>(100000, cut_bytes)},
                                     std::chrono::seconds(static_cast<int64_t>(wire_s * 4) + 120));
  Emit(kBench, "doc_sync_files", static_cast<double>(scans.size()), "files");
  Emit(kBench, "doc_sync_file_mb", file_bytes / 1e6, "MB");
  Emit(kBench, "doc_sync_20mb_s", rural.seconds, "s");
  Emit(kBench, "doc_sync_20mb_wire_s", wire_s, "s");
  Emit(kBench, "doc_sync_20mb_vs_wire", rural.seconds / wire_s, "ratio");
  Emit(kBench, "doc_sync_link_bytes", static_cast<double>(rural.link_bytes), "bytes");
  Emit(kBench, "doc_sync_link_vs_file_bytes", rural.link_bytes / double(file_bytes), "ratio");
  Emit(kBench, "doc_sync_cuts", rural.connections - 1, "cuts");
  Emit(kBench, "doc_sync_clean_s", clean.seconds, "s");
  Emit(kBench, "doc_sync_clean_link_bytes", static_cast<double>(clean.link_bytes), "bytes");
  Emit(kBench, "doc_resume_rebytes",
       static_cast<double>(rural.link_bytes) - static_cast<double>(clean.link_bytes), "bytes");
  Emit(kBench, "doc_resume_rebytes_per_cut",
       (static_cast<double>(rural.link_bytes) - static_cast<double>(clean.link_bytes)) /
           std::max(1, rural.connections - 1),
       "bytes");

  // A new case while backlog-mb of files wait behind it on the rural link.
  {
    auto net = Pair(scratch.path() + "/backlog", binary);
    auto api = net->node("30280").Client();
    Check(api.status(), "the commune's API");
    Attach(*api, Scans(flags.Number("backlog-mb") * 1'000'000, 9), "Phan Văn Lộc");
    Check(net->Stop("30280").status(), "stopping the commune");
    testing::FaultProxy proxy(ProvincePort(*net),
                              {delay, rate, std::vector<uint64_t>(100000, cut_bytes)});
    Check(net->Start("30280", true, {"--upstream", "89@127.0.0.1:" + std::to_string(proxy.port())}),
          "starting the commune online");
    api = net->node("30280").Client();
    Check(api.status(), "the commune's API");
    std::this_thread::sleep_for(20s);  // the backlog flowing
    std::vector<double> latency;
    for (uint64_t i = 0; i < flags.Number("samples"); ++i) {
      const std::string code = NewCase(*api, "Võ Thị Sáu " + std::to_string(i));
      Stopwatch t;
      if (!bench::WaitFor([&] { return net->Call("89", "GET", "/v1/cases/" + code).ok(); }, 300,
                          50ms)) {
        Die("a new case did not reach the province behind the backlog");
      }
      latency.push_back(t.Seconds());
      std::this_thread::sleep_for(std::chrono::seconds(7 + 5 * i));  // at different phases
    }
    Emit(kBench, "doc_case_latency_under_backlog_s",
         *std::max_element(latency.begin(), latency.end()), "s");
    Emit(kBench, "doc_case_latency_under_backlog_p50_s", bench::Percentile(latency, 0.5), "s");
    Emit(kBench, "doc_backlog_mb", static_cast<double>(flags.Number("backlog-mb")), "MB");
  }
  return 0;
}
