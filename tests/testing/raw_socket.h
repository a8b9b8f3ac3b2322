// Raw TCP connections from a chosen loopback address (127.0.0.2, 127.0.0.3, ... are distinct
// remote addresses on Linux), for tests of the ports' connection caps.
// Thread-safety: plain functions.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>

namespace hoso::testing {

// A raw TCP connection from `from` (a loopback address) to 127.0.0.1:port; -1 on failure.
inline int RawConnect(const char* from, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  ::inet_pton(AF_INET, from, &a.sin_addr);
  sockaddr_in b{};
  b.sin_family = AF_INET;
  b.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &b.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&b), sizeof b) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Whether the other side closed `fd` within `ms` (what it sent before is read and dropped).
inline bool ClosedWithin(int fd, int ms) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char c[4096];
    if (::recv(fd, c, sizeof c, MSG_DONTWAIT) <= 0) return true;
  }
}

}  // namespace hoso::testing
