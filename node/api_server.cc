#include "node/api_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace hoso::node {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxBody = 1 << 20;
constexpr size_t kMaxBundle = size_t{1} << 30;
constexpr auto kIdle = std::chrono::seconds(30);
constexpr auto kDrain = std::chrono::seconds(10);

// On every response (docs/web-app.md, "Security headers"): scripts, styles, images and
// fetches from this node only, never inline script or style, no plugins, no <base>, never
// framed, forms post here only; no MIME sniffing; no Referer (a case's URL names its code).
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

void SetSecurityHeaders(http::response<http::string_body>& res) {
  res.set("Content-Security-Policy", kContentSecurityPolicy);
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set(http::field::x_frame_options, "DENY");
}

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits a Host header into host and port ("" when none); "[::1]:80" keeps its brackets.
std::pair<std::string, std::string> SplitHost(std::string_view host) {
  std::string h = LowerAscii(host);
  size_t bracket = h.rfind(']');
  size_t colon = h.rfind(':');
  if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket) ||
      (bracket == std::string::npos && h.find(':') != colon)) {
    return {h, ""};
  }
  return {h.substr(0, colon), h.substr(colon + 1)};
}

HttpResponse Misdirected(std::string_view host) {
  std::string shown(host.substr(0, 200));
  for (char& c : shown) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr(".:-_[]", c)) c = '?';
  }
  HttpResponse r;
  r.status = 421;
  r.body =
      "{\"error\":\"misdirected\",\"field\":\"Host\",\"reason\":\"this node does not "
      "answer to the name in the request's Host header (" +
      shown +
      "); if it is this node's, add it to the api_names option\",\"message\":\"Địa chỉ "
      "truy cập không phải của máy chủ này: hãy dùng địa chỉ do bộ phận công nghệ thông "
      "tin cung cấp.\"}\n";
  return r;
}
}  // namespace

HttpResponse Busy(std::string_view reason) {
  HttpResponse r;
  r.status = 503;
  r.body = "{\"error\":\"busy\",\"reason\":\"" + std::string(reason) +
           ": try again shortly\",\"message\":\"Máy chủ đang bận, vui lòng thử lại sau ít "
           "phút.\"}\n";
  return r;
}

HttpResponse LengthRequired() {
  HttpResponse r;
  r.status = 411;
  r.body =
      "{\"error\":\"length_required\",\"field\":\"Content-Length\",\"reason\":\"a bundle "
      "must be sent with a Content-Length\",\"message\":\"Thiếu độ dài dữ liệu gửi "
      "lên.\"}\n";
  return r;
}

struct ApiServer::Impl {
  LocalApi* api;
  Logger* log;
  ApiServerOptions options;
  std::atomic<size_t> buffered{0};  // body bytes reserved by requests being read or handled
  std::atomic<bool> bundle_busy{false};
  asio::thread_pool login_pool{1};  // password checks, off the io threads
  std::atomic<int> logins{0};       // waiting or running on login_pool
  std::string port;                 // the bound port, as text
  std::set<std::string> hostports;  // accepted host:port
  std::set<std::string> portless;   // accepted without a port (loopback and the bound address)

  // DNS rebinding: a page of evil.example whose name now points at this node sends
  // Host: evil.example. Only this node's own names are answered.
  bool HostAllowed(std::string_view header) const {
    auto [host, p] = SplitHost(header);
    if (host.empty()) return false;
    // HTTP clients that omit the port (the hoso CLI) name a loopback literal or the bound
    // address; a browser omits it only for port 80.
    if (p.empty()) return portless.count(host) || hostports.count(host + ":80");
    return hostports.count(host + ":" + p) > 0;
  }
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;
  std::mutex mu;
  std::condition_variable idle;
  int active = 0;  // requests being handled
  bool stopping = false;

  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        log->Log(LogLevel::kWarn, "api", "accept failed: " + ec.message());
        continue;
      }
      asio::co_spawn(io, Serve(beast::tcp_stream(std::move(socket))), asio::detached);
    }
  }

  static http::response<http::string_body> ToBeast(HttpResponse out, bool keep_alive) {
    http::response<http::string_body> res{static_cast<http::status>(out.status), 11};
    res.set(http::field::content_type, out.content_type);
    res.set(http::field::cache_control, "no-store");
    SetSecurityHeaders(res);
    if (!out.set_cookie.empty()) res.set(http::field::set_cookie, out.set_cookie);
    if (!out.retry_after.empty()) res.set(http::field::retry_after, out.retry_after);
    res.body() = std::move(out.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    return res;
  }

  // Answers before the body is read (a refused Host, no authentication), then closes: the
  // body, if any, is never buffered.
  asio::awaitable<void> RefuseEarly(beast::tcp_stream& stream, HttpResponse out,
                                    std::string_view what) {
    log->Log(LogLevel::kDebug, "api", std::string(what) + " " + std::to_string(out.status));
    auto res = ToBeast(std::move(out), false);
    stream.expires_after(std::chrono::seconds(5));
    co_await http::async_write(stream, res, kTuple);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    // A short lingering close: what the client already sent (at most 1 MiB, 2 s) is read
    // into a small sink and dropped, so it sees the answer instead of a reset.
    stream.expires_after(std::chrono::seconds(2));
    char sink[16 * 1024];
    for (size_t drained = 0; drained < (1u << 20);) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
      if (ec) break;
      drained += n;
    }
  }

  // 413, then a lingering close: read and drop what the client is still sending (bounded),
  // so it sees the answer instead of a reset.
  static asio::awaitable<void> RefuseTooLarge(beast::tcp_stream& stream, size_t limit) {
    http::response<http::string_body> res{http::status::payload_too_large, 11};
    res.set(http::field::content_type, "application/json; charset=utf-8");
    SetSecurityHeaders(res);
    res.body() = "{\"error\":\"too_large\",\"reason\":\"the body is over " +
                 std::to_string(limit >> 20) + " MiB\",\"message\":\"Dữ liệu gửi lên quá lớn.\"}\n";
    res.prepare_payload();
    res.keep_alive(false);
    co_await http::async_write(stream, res, kTuple);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.expires_after(std::chrono::seconds(2));
    std::vector<char> sink(64 * 1024);
    for (size_t drained = 0; drained < (16u << 20);) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
      if (ec) break;
      drained += n;
    }
  }

  asio::awaitable<void> Serve(beast::tcp_stream stream) {
    beast::flat_buffer buffer;
    std::string remote;
    {
      beast::error_code rec;
      auto ep = stream.socket().remote_endpoint(rec);
      if (!rec) remote = ep.address().to_string();
    }
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(kMaxBundle);  // the header decides the route's own limit below
      stream.expires_after(kIdle);
      auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kTuple);
      if (hec) break;
      if (!HostAllowed(parser.get()[http::field::host])) {
        co_await RefuseEarly(stream, Misdirected(parser.get()[http::field::host]), "bad Host");
        co_return;
      }
      // Authentication from the headers alone: nobody makes the node read a body unasked.
      {
        const auto& h = parser.get();
        HttpRequest head{std::string(h.method_string()), std::string(h.target()),
                         std::string(h[http::field::authorization]), "",
                         std::string(h[http::field::cookie])};
        if (auto refused = api->Admit(head)) {
          co_await RefuseEarly(stream, std::move(*refused), "unauthenticated");
          co_return;
        }
      }
      // Bundles (a scope's streams from a USB stick) may be large; nothing else is.
      bool bundle = parser.get().method() == http::verb::post &&
                    parser.get().target().starts_with("/v1/bundle");
      size_t limit = bundle ? kMaxBundle : kMaxBody;
      auto length = parser.content_length();
      // The body's bytes are reserved before any is read, and freed once it is handled.
      struct Reservation {
        Impl* self;
        size_t bytes = 0;
        bool bundle = false;
        ~Reservation() {
          if (bytes) self->buffered -= bytes;
          if (bundle) self->bundle_busy = false;
        }
      } reservation{this};
      if (bundle) {
        if (!length) {
          co_await RefuseEarly(stream, LengthRequired(), "bundle without length");
          co_return;
        }
        if (*length <= limit && bundle_busy.exchange(true)) {
          co_await RefuseEarly(stream, Busy("another bundle is being imported"), "bundle busy");
          co_return;
        }
        reservation.bundle = *length <= limit;
      } else if (!parser.is_done()) {
        size_t want = length ? std::min<size_t>(*length, limit + 1) : limit;
        size_t before = buffered.fetch_add(want);
        reservation.bytes = want;
        if (before + want > options.max_buffered_bytes) {
          co_await RefuseEarly(stream, Busy("too many request bodies are being received"),
                               "buffer budget");
          co_return;
        }
      }
      beast::error_code ec;
      if (length && *length > limit) {
        ec = http::error::body_limit;
      } else {
        parser.body_limit(limit);
        std::tie(ec, std::ignore) = co_await http::async_read(stream, buffer, parser, kTuple);
      }
      if (ec == http::error::body_limit) {
        co_await RefuseTooLarge(stream, limit);
        co_return;
      }
      if (ec) {
        log->Log(LogLevel::kDebug, "api", "connection ended: " + ec.message());
        break;  // closed, timed out or malformed: nothing was handled
      }
      auto& req = parser.get();
      bool keep_alive = req.keep_alive();
      HttpResponse out;
      {
        std::unique_lock lock(mu);
        if (stopping) break;
        ++active;
      }
      auto t0 = std::chrono::steady_clock::now();
      HttpRequest in{std::string(req.method_string()),
                     std::string(req.target()),
                     std::string(req[http::field::authorization]),
                     std::move(req.body()),
                     std::string(req[http::field::cookie]),
                     std::string(req[http::field::content_type]),
                     std::string(req[http::field::origin]),
                     std::string(req[http::field::host]),
                     remote};
      if (in.method == "POST" && in.target.substr(0, in.target.find('?')) == "/v1/login") {
        if (logins.fetch_add(1) >= options.login_queue) {
          out = Busy("too many logins are being checked");
        } else {
          LocalApi* handler = api;
          out = co_await asio::co_spawn(
              login_pool,
              [handler, &in]() -> asio::awaitable<HttpResponse> { co_return handler->Handle(in); },
              asio::use_awaitable);
        }
        --logins;
      } else {
        out = api->Handle(in);
      }
      {
        std::lock_guard lock(mu);
        if (--active == 0) idle.notify_all();
      }
      double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      std::string path = in.target.substr(0, in.target.find('?'));
      char took[32];
      std::snprintf(took, sizeof took, "%.2f", ms);
      log->Log(out.status >= 500 ? LogLevel::kError : LogLevel::kDebug, "api",
               in.method + " " + path + " " + std::to_string(out.status) + " " + took + " ms");
      auto res = ToBeast(std::move(out), keep_alive);
      stream.expires_after(kIdle);
      auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
      if (wec || !keep_alive) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }
};

ApiServer::ApiServer(LocalApi* api, Logger* log, ApiServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->api = api;
  impl_->log = log;
  impl_->options = std::move(options);
}

ApiServer::~ApiServer() { Stop(); }

Result<uint16_t> ApiServer::Start(const std::string& host, uint16_t port, int threads) {
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return Status::InvalidArgument("API address '" + host + "': " + ec.message());
  tcp::endpoint ep(address, port);
  auto& a = impl_->acceptor;
  if (a.open(ep.protocol(), ec); ec) return Status::IOError("API socket: " + ec.message());
  a.set_option(asio::socket_base::reuse_address(true), ec);
  if (a.bind(ep, ec); ec) {
    return Status::IOError("cannot bind the API to " + host + ":" + std::to_string(port) + ": " +
                           ec.message());
  }
  if (a.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return Status::IOError("API listen: " + ec.message());
  }
  uint16_t bound = a.local_endpoint().port();
  // The Host names answered: the bound address (unless a wildcard), loopback, api_names.
  auto& im = *impl_;
  im.port = std::to_string(bound);
  auto literal = [](const asio::ip::address& addr) {
    return addr.is_v6() ? "[" + addr.to_string() + "]" : addr.to_string();
  };
  std::vector<std::string> own = {"localhost", "127.0.0.1", "[::1]"};
  if (!address.is_unspecified()) own.push_back(LowerAscii(literal(address)));
  for (const auto& h : own) {
    im.portless.insert(h);
    im.hostports.insert(h + ":" + im.port);
  }
  for (const auto& name : im.options.names) {
    auto [h, p] = SplitHost(name);
    if (h.empty()) continue;
    im.hostports.insert(h + ":" + (p.empty() ? im.port : p));
  }
  asio::co_spawn(impl_->io, impl_->Accept(), asio::detached);
  for (int i = 0; i < threads; ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
  return bound;
}

void ApiServer::Stop() {
  if (impl_->threads.empty()) return;
  asio::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  {
    std::unique_lock lock(impl_->mu);
    impl_->stopping = true;
    impl_->idle.wait_for(lock, kDrain, [this] { return impl_->active == 0; });
  }
  impl_->io.stop();
  impl_->login_pool.join();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace hoso::node
