// api_bench: receptions over the local API of a real hoso-node, under concurrent clients.
//
// One node (the province 89, the An Giang directory loaded, no upstream: sync stays out of the
// figures) runs as a hoso-node process on loopback, as an office runs it: its API on plain
// HTTP on 127.0.0.1, its store WAL-synced. For each C of --clients, C clients each hold one
// keep-alive HTTP/1.1 connection and post receptions (POST /v1/cases, the code minted by the
// node) back to back for --seconds. Per C: receptions/s (201s only), the p50 and p99 of a
// reception's latency as the client sees it (request written to response read), and the
// requests answered otherwise. The same node serves every C in turn, so later runs mint among
// more of the day's codes (cases_held says how many).
//
//   api_bench [--seconds S] [--clients 1,8,32] [--node PATH] [--dir DIR] [--reads S]
//
// --reads S: then, per C, C clients read case pages (GET /v1/cases/{code}) of the cases
// received for S seconds: reads/s, p50, p99, and what the node's read log recorded and dropped.
// --node runs another hoso-node binary (a build of an earlier commit, to compare before and
// after a change with the same bench). Prints JSON lines (bench/bench_util.h).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <functional>
#include <thread>

#include "bench/bench_network.h"
#include "bench/bench_util.h"
#include "core/base/text.h"
#include "node/config.h"
#include "node/daemon.h"
#include "tools/network/local_network.h"

using namespace hoso;
using hoso::bench::Emit;

namespace {

void Check(const Status& s, const std::string& what) {
  if (s.ok()) return;
  std::fprintf(stderr, "api_bench: %s: %s\n", what.c_str(), s.message().c_str());
  std::exit(1);
}

// One keep-alive HTTP/1.1 connection to 127.0.0.1:port, blocking, for one client thread.
class Connection {
 public:
  explicit Connection(uint16_t port) : port_(port) {}
  ~Connection() { Close(); }

  // Sends `request` and reads the response; returns its status, or -1 when the connection
  // failed (it is reopened on the next call).
  int Exchange(const std::string& request) {
    if (fd_ < 0 && !Open()) return -1;
    if (!WriteAll(request)) return Fail();
    // The head, then the body by its Content-Length (the node always sends one).
    size_t head_end;
    while ((head_end = in_.find("\r\n\r\n")) == std::string::npos) {
      if (!ReadSome()) return Fail();
    }
    int status = 0;
    if (in_.size() < 12 || std::sscanf(in_.c_str() + 9, "%3d", &status) != 1) return Fail();
    size_t length = 0;
    std::string head = in_.substr(0, head_end);
    for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (size_t at = head.find("\r\ncontent-length:"); at != std::string::npos) {
      length = std::strtoull(head.c_str() + at + 17, nullptr, 10);
    }
    while (in_.size() < head_end + 4 + length) {
      if (!ReadSome()) return Fail();
    }
    in_.erase(0, head_end + 4 + length);
    if (head.find("\r\nconnection: close") != std::string::npos) Close();
    return status;
  }

 private:
  bool Open() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval timeout{30, 0};  // a node that stops answering ends the run, not the bench
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      Close();
      return false;
    }
    in_.clear();
    return true;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int Fail() {
    Close();
    return -1;
  }
  bool WriteAll(const std::string& s) {
    for (size_t done = 0; done < s.size();) {
      ssize_t n = ::send(fd_, s.data() + done, s.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }
  bool ReadSome() {
    char buf[16384];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in_.append(buf, static_cast<size_t>(n));
    return true;
  }

  uint16_t port_;
  int fd_ = -1;
  std::string in_;
};

std::string Reception(int client, uint64_t n, uint16_t port, const std::string& token) {
  std::string body =
      R"({"officer":"nv.lan","procedure":"TEST-1002668","channel":"counter",)"
      R"("applicant":{"name":"Nguyễn Văn An )" +
      std::to_string(client) + "-" + std::to_string(n) +
      R"(","phone":"0912345678"},"documents":[{"name":"Tờ khai","kind":"original"}]})";
  return "POST /v1/cases HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nAuthorization: Bearer " + token +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

struct Run {
  uint64_t ok = 0, failed = 0;
  double seconds = 0;
  std::vector<double> ms;  // latency of each 201
};

// A case's page as a clerk reads it (GET /v1/cases/{code}), which the node records in its
// read log (docs/privacy.md, "The read log (built)").
std::string CaseRead(const std::string& code, uint16_t port, const std::string& token) {
  return "GET /v1/cases/" + code +
         "?officer=nv.lan&purpose=bench HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nAuthorization: Bearer " + token + "\r\n\r\n";
}

// `clients` keep-alive connections sending what `request(client, n)` makes for `seconds`;
// answers of status `expect` count and are timed.
Run Drive(uint16_t port, int clients, int seconds, int expect,
          const std::function<std::string(int, uint64_t)>& request) {
  std::vector<Run> per(static_cast<size_t>(clients));
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  bench::Stopwatch wall;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Connection conn(port);
      Run& r = per[static_cast<size_t>(c)];
      for (uint64_t n = 0; !stop; ++n) {
        std::string sent = request(c, n);
        auto t0 = std::chrono::steady_clock::now();
        int status = conn.Exchange(sent);
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                        .count();
        if (status == expect) {
          ++r.ok;
          r.ms.push_back(ms);
        } else {
          ++r.failed;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  Run all;
  all.seconds = wall.Seconds();
  for (auto& r : per) {
    all.ok += r.ok;
    all.failed += r.failed;
    all.ms.insert(all.ms.end(), r.ms.begin(), r.ms.end());
  }
  return all;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Flags flags(argc, argv,
                     "api_bench [--seconds S] [--clients 1,8,32] [--node PATH] [--dir DIR] "
                     "[--reads S]",
                     {{"seconds", "10"},
                      {"reads", "0"},
                      {"clients", "1,8,32"},
                      {"node", tools::ExecutableDir() + "/hoso-node"},
                      {"dir", "/tmp"}});
  int seconds = static_cast<int>(flags.Number("seconds"));
  std::vector<int> clients;
  for (std::string_view c : SplitList(flags.Text("clients"))) {
    uint64_t n = 0;
    if (!bench::ParseWholeNumber(c, &n) || n == 0 || n > 1024) {
      flags.Fail("--clients takes numbers from 1 to 1024, comma-separated");
    }
    clients.push_back(static_cast<int>(n));
  }
  signal(SIGPIPE, SIG_IGN);

  bench::ScratchDir scratch(flags.Text("dir"));
  auto made = bench::StartNetwork(scratch.path(), {"89"}, flags.Text("node"));
  Check(made.status(), "starting the node");
  tools::LocalNetwork& net = **made;
  auto& node = net.node("89");
  auto api = node::ParseHostPort(node.api());
  Check(api.status(), "the node's API address");
  auto client = node.Client();
  Check(client.status(), "the node's API client");
  const std::string token = client->token();

  for (int c : clients) {
    Run r = Drive(api->port, c, seconds, 201,
                  [&](int client, uint64_t n) { return Reception(client, n, api->port, token); });
    const std::string m = "reception_c" + std::to_string(c);
    Emit("api", m + "_per_s", static_cast<double>(r.ok) / r.seconds, "receptions/s");
    Emit("api", m + "_p50_ms", bench::Percentile(r.ms, 0.5), "ms");
    Emit("api", m + "_p99_ms", bench::Percentile(r.ms, 0.99), "ms");
    Emit("api", m + "_failed", static_cast<double>(r.failed), "count");
    auto held = net.Call("89", "GET", "/v1/node");
    if (held.ok()) {
      Emit("api", m + "_cases_held", held->at("cases").to_number<double>(), "count");
    }
  }
  if (flags.Number("reads") > 0) {
    // Case pages of the cases just received, every one recorded in the read log.
    auto listed = net.Call("89", "GET", "/v1/cases?limit=1000&status=received");
    Check(listed.status(), "listing the cases");
    std::vector<std::string> codes;
    for (const auto& c : listed->at("cases").as_array()) {
      codes.emplace_back(c.at("code").as_string());
    }
    if (codes.empty()) Check(Status::NotFound("no case"), "listing the cases");
    for (int c : clients) {
      Run r = Drive(api->port, c, static_cast<int>(flags.Number("reads")), 200,
                    [&](int client, uint64_t n) {
                      return CaseRead(codes[(n * 31 + client) % codes.size()], api->port, token);
                    });
      const std::string m = "case_read_c" + std::to_string(c);
      Emit("api", m + "_per_s", static_cast<double>(r.ok) / r.seconds, "reads/s");
      Emit("api", m + "_p50_ms", bench::Percentile(r.ms, 0.5), "ms");
      Emit("api", m + "_p99_ms", bench::Percentile(r.ms, 0.99), "ms");
      Emit("api", m + "_failed", static_cast<double>(r.failed), "count");
    }
    std::this_thread::sleep_for(std::chrono::seconds(3));  // the read log's last flush
    auto metrics = client->Call("GET", "/metrics");
    Check(metrics.status(), "reading /metrics");
    for (const char* name : {"hoso_read_log_recorded_total", "hoso_read_log_dropped_total"}) {
      size_t at = metrics->body.find(std::string("\n") + name + " ");
      if (at == std::string::npos) continue;  // a node without the read log
      Emit("api", name, std::strtod(metrics->body.c_str() + at + std::strlen(name) + 2, nullptr),
           "count");
    }
  }
  (void)net.Stop("89");
  return 0;
}
