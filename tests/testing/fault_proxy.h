// A fault-injecting TCP proxy for tests and benches: forwards loopback connections to a target,
// adding one-way delay, throttling to a bit rate, and cutting connection k after cuts[k] bytes.
// Thread-safety: runs on its own io thread; construct, use port(), destroy.
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace hoso::testing {

class FaultProxy {
 public:
  struct Options {
    std::chrono::milliseconds delay{0};  // one way
    uint64_t rate_bps = 0;               // 0: unlimited
    std::vector<uint64_t> cuts;          // bytes (both ways) after which connection k is cut
  };

  FaultProxy(uint16_t target_port, Options options)
      : target_(target_port), options_(std::move(options)), acceptor_(io_) {
    namespace ip = boost::asio::ip;
    ip::tcp::endpoint ep(ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    boost::asio::co_spawn(io_, Accept(), boost::asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~FaultProxy() {
    io_.stop();
    thread_.join();
  }
  uint16_t port() const { return port_; }
  int connections() const { return connections_; }
  uint64_t bytes() const { return bytes_; }

 private:
  using tcp = boost::asio::ip::tcp;
  struct Link {
    tcp::socket a, b;
    uint64_t limit;
    uint64_t moved = 0;
    bool cut = false;
    Link(boost::asio::io_context& io, tcp::socket s, uint64_t l)
        : a(std::move(s)), b(io), limit(l) {}
    void Cut() {
      cut = true;
      boost::system::error_code ec;
      a.close(ec);
      b.close(ec);
    }
  };

  boost::asio::awaitable<void> Accept() {
    constexpr auto tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    while (true) {
      auto [ec, s] = co_await acceptor_.async_accept(tuple);
      if (ec) co_return;
      size_t k = connections_++;
      uint64_t limit = k < options_.cuts.size() ? options_.cuts[k] : UINT64_MAX;
      auto link = std::make_shared<Link>(io_, std::move(s), limit);
      auto [cec] = co_await link->b.async_connect(
          {boost::asio::ip::make_address("127.0.0.1"), target_}, tuple);
      if (cec) continue;
      boost::asio::co_spawn(io_, Pump(link, true), boost::asio::detached);
      boost::asio::co_spawn(io_, Pump(link, false), boost::asio::detached);
    }
  }

  // One direction as a delay line: the reader stamps each chunk with when it may leave
  // (arrival + delay, after the previous chunk's transmission at rate_bps); the writer sends
  // chunks at their time. Latency is pipelined, as on a real link.
  struct Line {
    std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> chunks;
    bool eof = false;
    std::chrono::steady_clock::time_point free_at{};
  };

  boost::asio::awaitable<void> Pump(std::shared_ptr<Link> link, bool forward) {
    constexpr auto tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    tcp::socket& from = forward ? link->a : link->b;
    auto line = std::make_shared<Line>();
    auto wake = std::make_shared<boost::asio::steady_timer>(io_);
    boost::asio::co_spawn(io_, Deliver(link, forward, line, wake), boost::asio::detached);
    std::vector<char> buf(4096);
    while (!link->cut) {
      auto [ec, n] = co_await from.async_read_some(boost::asio::buffer(buf), tuple);
      if (ec) break;
      auto now = std::chrono::steady_clock::now();
      auto leave = std::max(now, line->free_at);
      if (options_.rate_bps) {
        leave += std::chrono::microseconds(n * 8 * 1'000'000 / options_.rate_bps);
      }
      line->free_at = leave;
      line->chunks.emplace_back(leave + options_.delay, std::string(buf.data(), n));
      wake->cancel();
    }
    line->eof = true;
    wake->cancel();
  }

  boost::asio::awaitable<void> Deliver(std::shared_ptr<Link> link, bool forward,
                                       std::shared_ptr<Line> line,
                                       std::shared_ptr<boost::asio::steady_timer> wake) {
    constexpr auto tuple = boost::asio::as_tuple(boost::asio::use_awaitable);
    tcp::socket& to = forward ? link->b : link->a;
    while (!link->cut) {
      if (line->chunks.empty()) {
        if (line->eof) break;
        wake->expires_at(std::chrono::steady_clock::time_point::max());
        co_await wake->async_wait(tuple);
        continue;
      }
      boost::asio::steady_timer timer(io_);
      timer.expires_at(line->chunks.front().first);
      co_await timer.async_wait(tuple);
      std::string chunk = std::move(line->chunks.front().second);
      line->chunks.pop_front();
      size_t allowed = chunk.size();
      if (link->moved + allowed > link->limit) allowed = link->limit - link->moved;
      link->moved += allowed;
      bytes_ += allowed;
      if (allowed) {
        auto [ec, w] = co_await boost::asio::async_write(
            to, boost::asio::buffer(chunk.data(), allowed), tuple);
        if (ec) break;
      }
      if (allowed < chunk.size()) break;
    }
    link->Cut();
  }

  uint16_t target_;
  Options options_;
  boost::asio::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<int> connections_{0};
  std::atomic<uint64_t> bytes_{0};
};

}  // namespace hoso::testing
