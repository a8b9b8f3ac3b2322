// The API port's connection caps and folded log lines (issue 16, "Bounded resources"), on
// the real server over loopback: 127.0.0.2, 127.0.0.3, ... are distinct addresses on Linux.
#include "node/api_limits.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/domain/case_log.h"
#include "node/api_server.h"
#include "tests/testing/raw_socket.h"

using namespace hoso;
using namespace hoso::node;
using testing::ClosedWithin;
using testing::RawConnect;

namespace {

constexpr const char* kToken = "0123456789abcdef0123456789abcdef";

// A server on 127.0.0.1 over an empty store, its log in a file.
struct Server {
  std::string dir;
  std::unique_ptr<Store> store;
  std::unique_ptr<LocalApi> api;
  FILE* log_file = std::tmpfile();
  Logger log{log_file};
  std::unique_ptr<ApiServer> server;
  uint16_t port = 0;

  explicit Server(ApiServerOptions options) {
    char tmpl[] = "/tmp/hoso-api-limits-XXXXXX";
    dir = ::mkdtemp(tmpl);
    StoreOptions so;
    so.path = dir + "/db";
    so.root_unit = "89";
    UseCaseLogRules(&so);
    auto opened = Store::Open(so);
    REQUIRE(opened.ok());
    store = std::move(opened).value();
    NodeView view;
    view.officers_file = dir + "/officers.json";
    api = std::make_unique<LocalApi>(store.get(), SystemClock::Default(), kToken, view);
    server = std::make_unique<ApiServer>(api.get(), &log, options);
    auto bound = server->Start("127.0.0.1", 0, 2);
    REQUIRE(bound.ok());
    port = *bound;
  }
  ~Server() {
    server->Stop();
    server.reset();
    api.reset();
    store.reset();
    std::fclose(log_file);
    std::filesystem::remove_all(dir);
  }
  // Lines of the log that contain `part`.
  std::vector<std::string> Lines(const std::string& part) {
    std::fflush(log_file);
    std::rewind(log_file);
    std::vector<std::string> out;
    char buf[4096];
    while (std::fgets(buf, sizeof buf, log_file)) {
      if (std::string(buf).find(part) != std::string::npos) out.emplace_back(buf);
    }
    std::fseek(log_file, 0, SEEK_END);
    return out;
  }
};

// Reads one response from `fd` and returns its status; 0 if none came within 3 s.
int ReadStatus(int fd) {
  std::string got;
  size_t end = std::string::npos, want = 0;
  while (end == std::string::npos || got.size() < end + want) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 3000) <= 0) return 0;
    char c[4096];
    ssize_t n = ::recv(fd, c, sizeof c, 0);
    if (n <= 0) return 0;
    got.append(c, n);
    if (end == std::string::npos && (end = got.find("\r\n\r\n")) != std::string::npos) {
      end += 4;  // the body (Content-Length) is read too, so the next request starts clean
      size_t cl = got.find("Content-Length: ");
      want = cl == std::string::npos ? 0 : std::stoul(got.substr(cl + 16));
    }
  }
  return got.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(got.substr(9, 3)) : 0;
}

bool Send(int fd, const std::string& bytes) {
  return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

// Sends one GET (with the API token or none) and returns its status; 0 for none.
int Request(int fd, const std::string& target, bool token) {
  std::string auth = token ? std::string("Authorization: Bearer ") + kToken + "\r\n" : "";
  if (!Send(fd, "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + "\r\n")) return 0;
  return ReadStatus(fd);
}

struct Fds {
  std::vector<int> fds;
  ~Fds() {
    for (int fd : fds) ::close(fd);
  }
  int Open(const char* from, uint16_t port) {
    int fd = RawConnect(from, port);
    REQUIRE(fd >= 0);
    fds.push_back(fd);
    return fd;
  }
};

}  // namespace

TEST_CASE("API server: connections are capped per address and in total, the oldest idle cut",
          "[node][api][bounds]") {
  ApiServerOptions options;
  options.connections = {6, 3, 4};  // total, per address, not yet authenticated
  options.first_byte = std::chrono::milliseconds(8000);  // the idle ones hold their places
  options.log_repeat_interval = std::chrono::milliseconds(300);
  Server s(options);
  Fds c;
  // Three idle connections from one address hold; a fourth from it cuts the oldest of them.
  std::vector<int> idle;
  for (int i = 0; i < 3; ++i) idle.push_back(c.Open("127.0.0.2", s.port));
  for (int fd : idle) CHECK_FALSE(ClosedWithin(fd, 100));
  int fourth = c.Open("127.0.0.2", s.port);
  CHECK(ClosedWithin(idle[0], 1000));
  CHECK_FALSE(ClosedWithin(fourth, 100));
  CHECK(Request(fourth, "/healthz", false) == 200);  // the fresh one is served
  CHECK(s.Lines("closed the oldest connection not yet authenticated to make room: over 3 from "
                "127.0.0.2")
            .size() == 1);
  // Another address is served meanwhile.
  CHECK(Request(c.Open("127.0.0.3", s.port), "/healthz", false) == 200);

  // Authenticated connections are never cut: three from 127.0.0.4, and a fourth from there
  // is refused at once, nothing of it read.
  std::vector<int> mine;
  for (int i = 0; i < 3; ++i) {
    mine.push_back(c.Open("127.0.0.4", s.port));
    REQUIRE(Request(mine.back(), "/v1/cases", true) == 200);
  }
  CHECK(ClosedWithin(c.Open("127.0.0.4", s.port), 1000));
  CHECK(s.Lines("refused a connection from 127.0.0.4: over 3 from that address").size() == 1);

  // In total: three more authenticated from 127.0.0.5 fill the six places, cutting the idle
  // ones; after that a connection from anywhere is refused, the six are served.
  for (int i = 0; i < 3; ++i) {
    mine.push_back(c.Open("127.0.0.5", s.port));
    REQUIRE(Request(mine.back(), "/v1/cases", true) == 200);
  }
  for (int fd : idle) CHECK(ClosedWithin(fd, 1000));
  CHECK(ClosedWithin(fourth, 1000));
  int refused = c.Open("127.0.0.6", s.port);
  CHECK(ClosedWithin(refused, 1000));
  CHECK(s.Lines("refused a connection from 127.0.0.6: over 6 in total").size() == 1);
  for (int fd : mine) CHECK(Request(fd, "/v1/cases", true) == 200);
  // A closed connection gives its place back.
  ::close(mine[0]);
  c.fds.erase(std::find(c.fds.begin(), c.fds.end(), mine[0]));
  bool admitted = false;
  for (int i = 0; i < 50 && !admitted; ++i) {
    int fd = c.Open("127.0.0.6", s.port);
    admitted = Request(fd, "/healthz", false) == 200;
    if (!admitted) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(admitted);
}

TEST_CASE("API server: a flood of idle connections from many addresses leaves room for a client",
          "[node][api][bounds]") {
  ApiServerOptions options;
  options.connections = {20, 4, 8};
  options.first_byte = std::chrono::milliseconds(8000);
  Server s(options);
  Fds c;
  // 60 idle connections from 15 addresses: at most 8 of them are held at once.
  std::vector<int> idle;
  for (int i = 0; i < 60; ++i) {
    idle.push_back(c.Open(("127.0.1." + std::to_string(i % 15 + 1)).c_str(), s.port));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int open = 0;
  for (int fd : idle) open += ClosedWithin(fd, 20) ? 0 : 1;
  CHECK(open <= 8);
  CHECK(open >= 1);
  // A fresh client from one of those addresses, and one from loopback, are served.
  CHECK(Request(c.Open("127.0.1.1", s.port), "/v1/cases", true) == 200);
  CHECK(Request(c.Open("127.0.0.1", s.port), "/healthz", false) == 200);
}

TEST_CASE("API server: a connection that sends nothing within the first-byte deadline is closed",
          "[node][api][bounds]") {
  ApiServerOptions options;
  options.first_byte = std::chrono::milliseconds(300);
  Server s(options);
  Fds c;
  auto t0 = std::chrono::steady_clock::now();
  int silent = c.Open("127.0.0.2", s.port);
  CHECK(ClosedWithin(silent, 3000));
  CHECK(std::chrono::steady_clock::now() - t0 >= std::chrono::milliseconds(250));
  // The line is written once the read has ended, just after the close.
  const std::string line = "closed a connection from 127.0.0.2: nothing received within 300 ms";
  for (int i = 0; i < 50 && s.Lines(line).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(s.Lines(line).size() == 1);
  // One that starts in time may take longer over its headers.
  int slow = c.Open("127.0.0.2", s.port);
  REQUIRE(Send(slow, "GET /hea"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  REQUIRE(Send(slow, "lthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  CHECK(ReadStatus(slow) == 200);
}

TEST_CASE("API server: a flood of 503s writes a bounded number of lines, with a count",
          "[node][api][bounds]") {
  ApiServerOptions options;
  options.worker_queue = 0;  // every request for the store gets 503 busy
  options.log_repeat_interval = std::chrono::milliseconds(500);
  Server s(options);
  Fds c;
  int fd = c.Open("127.0.0.1", s.port);
  auto t0 = std::chrono::steady_clock::now();
  int busy = 0;
  for (int i = 0; i < 300; ++i) busy += Request(fd, "/v1/cases", true) == 503 ? 1 : 0;
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(busy == 300);
  // A line per interval at the most, the first one at once.
  auto lines = s.Lines("GET /v1/cases 503");
  CHECK(lines.size() >= 1);
  CHECK(lines.size() <= 1 + static_cast<size_t>(took / std::chrono::milliseconds(500)));
  // The next one after the interval says how many were held back.
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  CHECK(Request(fd, "/v1/cases", true) == 503);
  lines = s.Lines("GET /v1/cases 503");
  REQUIRE(!lines.empty());
  CHECK_THAT(lines.back(), Catch::Contains("times)"));
  size_t held = 0;
  for (const auto& l : lines) {
    auto at = l.find("(repeated ");
    if (at != std::string::npos) held += std::stoul(l.substr(at + 10));
  }
  CHECK(held + lines.size() == 301);
}
