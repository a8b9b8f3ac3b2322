// The attacker's side of flood_bench: raw TCP connections from chosen loopback addresses,
// one-shot HTTP exchanges with a deadline, TLS peers holding a certificate of the deployment's
// CA, and what the bench reads of the target process in /proc.
//
// Every blocking call here has a deadline or can be woken: sockets an attack still holds are
// kept in a LiveSockets registry, and shutting them down at the end of the attack wakes any
// thread blocked on them, so an attack always ends on time whatever the node does.
// Thread-safety: LiveSockets is thread-safe; a TlsPeer is used by one thread; the rest are
// free functions.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>

#include "core/base/status.h"
#include "node/daemon.h"

namespace hoso::bench::flood {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using SslStream = ssl::stream<asio::ip::tcp::socket>;

// Sockets an attack holds; ShutdownAll wakes every thread blocked on one of them.
class LiveSockets {
 public:
  void Add(int fd) {
    std::lock_guard lock(mu_);
    fds_.insert(fd);
  }
  void Remove(int fd) {
    std::lock_guard lock(mu_);
    fds_.erase(fd);
  }
  void ShutdownAll() {
    std::lock_guard lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
  }

 private:
  std::mutex mu_;
  std::set<int> fds_;
};

// A TCP connection from `from` (any 127.x.y.z: the whole 127/8 is loopback on Linux) to
// 127.0.0.1:port, within timeout_ms. Returns the blocking descriptor, or -1.
inline int ConnectFrom(const std::string& from, uint16_t port, int timeout_ms) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  ::inet_pton(AF_INET, from.c_str(), &a.sin_addr);
  sockaddr_in b{};
  b.sin_family = AF_INET;
  b.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &b.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&b), sizeof b);
  if (rc != 0 && errno == EINPROGRESS) {
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (::poll(&p, 1, timeout_ms) == 1 && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 &&
        err == 0) {
      rc = 0;
    }
  }
  if (rc != 0) {
    ::close(fd);
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

// Whether the other side has closed `fd` (without waiting).
inline bool PeerClosed(int fd) {
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) return true;
  char c;
  return ::recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) == 0;
}

// Sends all of `data`; false if the connection failed first (SO_SNDTIMEO bounds each send).
inline bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// The status code of the HTTP response read from `fd` within timeout_ms (0 if none).
inline int ReadHttpStatus(int fd, int timeout_ms) {
  std::string got;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[4096];
  while (got.find("\r\n") == std::string::npos) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    until - std::chrono::steady_clock::now())
                                    .count());
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, left) != 1) return 0;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  if (got.rfind("HTTP/1.1 ", 0) != 0 || got.size() < 12) return 0;
  return std::atoi(got.substr(9, 3).c_str());
}

struct HttpResult {
  int status = 0;  // 0: no answer within the deadline
  double ms = 0;
};

// One request on a fresh connection from `from`, answered within timeout_ms.
inline HttpResult HttpExchange(const std::string& from, uint16_t port, const std::string& request,
                               int timeout_ms) {
  auto t0 = std::chrono::steady_clock::now();
  HttpResult r;
  int fd = ConnectFrom(from, port, timeout_ms);
  if (fd >= 0) {
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (SendAll(fd, request)) r.status = ReadHttpStatus(fd, timeout_ms);
    ::close(fd);
  }
  r.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

// An HTTP/1.1 request's text; `headers` are whole lines ending in \r\n.
inline std::string HttpRequest(const std::string& method, const std::string& target, uint16_t port,
                               const std::string& headers = "", const std::string& body = "") {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                  "\r\nConnection: close\r\n" + headers;
  if (!body.empty() || method == "POST")
    r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return r + "\r\n" + body;
}

// A peer holding one certificate of the deployment (a node bundle: ca.pem, node.pem,
// node.key), dialling the target's sync port with mutual TLS 1.3.
class TlsPeer {
 public:
  explicit TlsPeer(const std::string& bundle) : ctx_(ssl::context::tls_client) {
    auto read = [&](const char* name) {
      auto text = node::ReadTextFile(bundle + "/" + name, name);
      return text.ok() ? *text : std::string();
    };
    boost::system::error_code ec;
    ctx_.use_certificate_chain(asio::buffer(read("node.pem")), ec);
    ctx_.use_private_key(asio::buffer(read("node.key")), ssl::context::pem, ec);
    ctx_.add_certificate_authority(asio::buffer(read("ca.pem")), ec);
    ctx_.set_verify_mode(ssl::verify_peer);
  }
  // A session's stream from `from`, registered in `live` (the caller calls Drop with it);
  // null if the node refused or the attack ended.
  std::unique_ptr<SslStream> Connect(const std::string& from, uint16_t port, LiveSockets* live) {
    int fd = ConnectFrom(from, port, 2000);
    if (fd < 0) return nullptr;
    live->Add(fd);
    auto s = std::make_unique<SslStream>(io_, ctx_);
    boost::system::error_code ec;
    s->lowest_layer().assign(asio::ip::tcp::v4(), fd, ec);
    if (!ec) s->handshake(ssl::stream_base::client, ec);
    if (ec) {
      Drop(std::move(s), live, fd);
      return nullptr;
    }
    return s;
  }
  static void Drop(std::unique_ptr<SslStream> s, LiveSockets* live, int fd = -1) {
    if (fd < 0 && s) fd = s->lowest_layer().native_handle();
    if (fd >= 0) live->Remove(fd);
    // Closing without close_notify: a flooder does not say goodbye.
    boost::system::error_code ec;
    if (s) s->lowest_layer().close(ec);
  }

 private:
  asio::io_context io_;
  ssl::context ctx_;
};

// What /proc says of the target: resident and peak resident set (VmRSS, VmHWM), in MiB.
struct ProcMemory {
  double rss_mb = 0, hwm_mb = 0;
};

inline ProcMemory ReadProcMemory(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  ProcMemory m;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string key;
    double kb = 0;
    f >> key >> kb;
    if (key == "VmRSS:") m.rss_mb = kb / 1024;
    if (key == "VmHWM:") m.hwm_mb = kb / 1024;
  }
  return m;
}

// Resets VmHWM to the current RSS (proc(5), clear_refs "5"); false if the kernel refused.
inline bool ResetPeak(pid_t pid) {
  std::ofstream out("/proc/" + std::to_string(pid) + "/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

inline size_t CountFds(pid_t pid) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

inline uint64_t FileBytes(const std::string& path) {
  std::error_code ec;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : n;
}

inline uint64_t TreeBytes(const std::string& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) n += it->file_size(ec);
  }
  return n;
}

}  // namespace hoso::bench::flood
