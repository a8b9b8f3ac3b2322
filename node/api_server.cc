#include "node/api_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "core/base/repeated_lines.h"
#include "core/base/sync_point.h"
#include "node/api/responses.h"
#include "sync/bundle.h"

namespace hoso::node {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxBody = 1 << 20;
constexpr size_t kMaxBundle = sync::kMaxBundleBytes;
constexpr auto kIdle = std::chrono::seconds(30);
constexpr auto kHandshake = std::chrono::seconds(10);
constexpr auto kDrain = std::chrono::seconds(10);
// A request's headers (what a client not yet authenticated gets read at the most).
constexpr uint32_t kMaxHeader = 8 * 1024;
// A failing accept (EMFILE: descriptors exhausted) waits this long, doubling up to the max.
constexpr auto kAcceptBackoffMin = std::chrono::milliseconds(100);
constexpr auto kAcceptBackoffMax = std::chrono::milliseconds(5000);

// On every response (docs/web-app.md, "Security headers"): scripts, styles, images and
// fetches from this node only, never inline script or style, no plugins, no <base>, never
// framed, forms post here only; no MIME sniffing; no Referer (a case's URL names its code).
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

// A case's file (a PDF or an image): nothing it names loads, no page may frame it but ours;
// the browser's own viewer may show it (an image document's <img>, the PDF viewer's embed).
constexpr const char* kFilePolicy =
    "default-src 'none'; img-src 'self'; object-src 'self'; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'";

void SetSecurityHeaders(http::response<http::string_body>& res) {
  res.set("Content-Security-Policy", kContentSecurityPolicy);
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  res.set(http::field::x_frame_options, "DENY");
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The TCP stream under a connection, plain or TLS.
beast::tcp_stream& Tcp(beast::tcp_stream& s) { return s; }
beast::tcp_stream& Tcp(TlsStream& s) { return s.next_layer(); }

// The end of a connection: a TLS one says close_notify (bounded), then TCP sends FIN.
asio::awaitable<void> Finish(beast::tcp_stream& s) {
  beast::error_code ignored;
  s.socket().shutdown(tcp::socket::shutdown_send, ignored);
  co_return;
}
asio::awaitable<void> Finish(TlsStream& s) {
  s.next_layer().expires_after(std::chrono::seconds(2));
  co_await s.async_shutdown(asio::as_tuple(asio::use_awaitable));
  co_await Finish(s.next_layer());
}

// After an answer that ends the connection: FIN, then what the client already sent (at most
// `limit` bytes, 2 s) is read into a small sink and dropped, so it sees the answer instead of
// a reset.
asio::awaitable<void> LingerClose(beast::tcp_stream& stream, size_t limit) {
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(std::chrono::seconds(2));
  std::vector<char> sink(16 * 1024);
  for (size_t drained = 0; drained < limit;) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
    if (ec) break;
    drained += n;
  }
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
  return api::Error(421, "misdirected", "Host",
                    "this node does not answer to the name in the request's Host header (" + shown +
                        "); if it is this node's, add it to the api_names option",
                    "Địa chỉ truy cập không phải của máy chủ này: hãy dùng địa chỉ do bộ phận "
                    "công nghệ thông tin cung cấp.");
}

// A handler that threw (it should not: errors are Status) answers 500, and the exception
// goes no further than the request.
HttpResponse Internal() {
  return api::Error(500, "internal", "", "the request failed inside the node (see its log)",
                    "Lỗi hệ thống, vui lòng báo bộ phận công nghệ thông tin.");
}

HttpResponse Busy(std::string_view reason) {
  return api::Error(503, "busy", "", std::string(reason) + ": try again shortly",
                    "Máy chủ đang bận, vui lòng thử lại sau ít phút.");
}

HttpResponse LengthRequired() {
  return api::Error(411, "length_required", "Content-Length",
                    "a bundle must be sent with a Content-Length", "Thiếu độ dài dữ liệu gửi lên.");
}
}  // namespace

struct ApiServer::Impl {
  LocalApi* api;
  Logger* log;
  ApiServerOptions options;
  // Before io: connections destroyed with it give their places back here.
  std::unique_ptr<ConnectionLimiter> limiter;
  std::unique_ptr<RepeatedLines> repeats;

  // A line that a flood would repeat: identical ones within log_repeat_interval are counted.
  void LogFolded(LogLevel level, const std::string& key, std::string_view detail = "") {
    if (auto held = repeats->Admit(key)) {
      log->Log(level, "api", key + std::string(detail) + RepeatedLines::Suffix(*held));
    }
  }
  std::atomic<size_t> buffered{0};  // body bytes reserved by requests being read or handled
  std::atomic<bool> bundle_busy{false};
  asio::thread_pool login_pool{1};             // password checks, off the io threads
  std::atomic<int> logins{0};                  // waiting or running on login_pool
  std::unique_ptr<asio::thread_pool> workers;  // the other requests, off the io threads
  std::atomic<int> jobs{0};                    // waiting or running on workers
  std::string port;                            // the bound port, as text
  std::set<std::string> hostports;             // accepted host:port
  std::set<std::string> portless;  // accepted without a port (loopback and the bound address)
  std::mutex tls_mu;
  std::shared_ptr<ssl::context> tls_context;  // null: plain HTTP
  std::atomic<int64_t> tls_not_after{0};      // of the certificate served, for HSTS

  std::shared_ptr<ssl::context> TlsContext() {
    std::lock_guard lock(tls_mu);
    return tls_context;
  }

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
    auto backoff = kAcceptBackoffMin;
    asio::steady_timer timer(io);
    for (;;) {
      // Each connection on a strand: its stream's timer and its own operations never run at
      // once (the io_context has several threads).
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(io), kTuple);
      if (ec) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
        // EMFILE, ENFILE, ENOBUFS: the connection stays queued, so trying again at once fails
        // again at once, a log line each time (1.2 million lines in 8 s, and the API out of
        // reach meanwhile: bench/flood_bench.cc idle_api_exhausted). Wait, doubling.
        log->Log(LogLevel::kWarn, "api",
                 "accept failed: " + ec.message() + "; retrying in " +
                     std::to_string(backoff.count()) + " ms");
        timer.expires_after(backoff);
        co_await timer.async_wait(kTuple);
        backoff = std::min(backoff * 2, kAcceptBackoffMax);
        continue;
      }
      backoff = kAcceptBackoffMin;
      auto ex = socket.get_executor();
      beast::error_code rec;
      auto ep = socket.remote_endpoint(rec);
      auto place = AdmitConnection(limiter.get(), rec ? "?" : ep.address().to_string(), ex,
                                   [this](const std::string& l) { LogFolded(LogLevel::kWarn, l); });
      if (!place) {
        socket.close(rec);  // before anything is read: no buffer, no TLS handshake spent on it
        continue;
      }
      asio::co_spawn(ex, Connection(beast::tcp_stream(std::move(socket)), std::move(place)),
                     asio::detached);
    }
  }

  // A connection: its first byte within options.first_byte, then HTTPS or plain HTTP.
  asio::awaitable<void> Connection(beast::tcp_stream stream, std::shared_ptr<ConnPlace> place) {
    place->tcp = &stream;
    beast::flat_buffer buffer;
    stream.expires_after(options.first_byte);
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kMaxHeader), kTuple);
    if (ec) {
      if (ec == beast::error::timeout) {
        LogFolded(LogLevel::kInfo, "closed a connection from " + place->remote +
                                       ": nothing received within " +
                                       std::to_string(options.first_byte.count()) + " ms");
      }
      co_return;
    }
    buffer.commit(n);
    if (TlsContext()) {
      co_await ServeTls(std::move(stream), std::move(buffer), *place);
    } else {
      co_await Serve(stream, std::move(buffer), false, *place);
    }
    place->tcp = nullptr;
  }

  // HTTPS: a TLS handshake within kHandshake, else (a plain HTTP request) a redirect.
  asio::awaitable<void> ServeTls(beast::tcp_stream tcp_stream, beast::flat_buffer buffer,
                                 ConnPlace& place) {
    place.tcp = &tcp_stream;
    std::shared_ptr<ssl::context> context = TlsContext();  // held for the connection's life
    if (options.tls_state) options.tls_state->WarnIfDue(NowSeconds());
    tcp_stream.expires_after(kHandshake);
    auto [dec, is_tls] = co_await beast::async_detect_ssl(tcp_stream, buffer, kTuple);
    if (dec) co_return;
    if (!is_tls) {
      co_await RedirectPlain(tcp_stream, buffer);
      co_return;
    }
    TlsStream stream(std::move(tcp_stream), *context);
    place.tcp = &stream.next_layer();
    auto [hec, used] =
        co_await stream.async_handshake(ssl::stream_base::server, buffer.data(), kTuple);
    if (hec) {
      log->Log(LogLevel::kDebug, "api", "TLS handshake failed: " + hec.message());
      co_return;
    }
    buffer.consume(used);
    co_await Serve(stream, std::move(buffer), true, place);
    place.tcp = nullptr;
  }

  // Plain HTTP on the HTTPS port (a clerk typed http://, an old bookmark): a GET or HEAD to
  // one of this node's names is sent to the same URL over https://; anything else gets 400.
  // Nothing of the API is answered over plain HTTP.
  asio::awaitable<void> RedirectPlain(beast::tcp_stream& stream, beast::flat_buffer& buffer) {
    http::request_parser<http::empty_body> parser;
    parser.header_limit(kMaxHeader);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kTuple);
    if (ec) co_return;
    const auto& req = parser.get();
    std::string host(req[http::field::host]);
    HttpResponse out;
    std::string location;
    if (!HostAllowed(host)) {
      out = Misdirected(host);
    } else if (req.method() == http::verb::get || req.method() == http::verb::head) {
      out.status = 301;
      // A Host without a port (not a browser's, for this port) gets the port it reached.
      location = "https://" + host + (SplitHost(host).second.empty() ? ":" + port : "") +
                 std::string(req.target());
      out.body = "{\"error\":\"https_required\",\"location\":\"" + location + "\"}\n";
    } else {
      out = api::Error(400, "https_required", "", "this node's API speaks HTTPS only: use https://",
                       "Máy chủ chỉ nhận kết nối an toàn: hãy dùng địa chỉ bắt đầu bằng https://.");
    }
    log->Log(LogLevel::kDebug, "api",
             "plain HTTP on the HTTPS port: " + std::to_string(out.status));
    auto res = ToBeast(std::move(out), false, false);
    if (!location.empty()) res.set(http::field::location, location);
    stream.expires_after(std::chrono::seconds(5));
    co_await http::async_write(stream, res, kTuple);
    co_await LingerClose(stream, 1u << 20);
  }

  // LocalApi's answer; an exception (none is expected) is logged and answered 500, so none
  // escapes the io, login or worker threads.
  HttpResponse Answer(const HttpRequest& in) {
    try {
      return api->Handle(in);
    } catch (const std::exception& e) {
      log->Log(LogLevel::kError, "api",
               in.method + " " + in.target.substr(0, in.target.find('?')) + " threw: " + e.what());
    } catch (...) {
      log->Log(LogLevel::kError, "api",
               in.method + " " + in.target.substr(0, in.target.find('?')) + " threw");
    }
    return Internal();
  }

  http::response<http::string_body> ToBeast(HttpResponse out, bool keep_alive, bool tls) {
    http::response<http::string_body> res{static_cast<http::status>(out.status), 11};
    res.set(http::field::content_type, out.content_type);
    res.set(http::field::cache_control, "no-store");
    SetSecurityHeaders(res);
    if (out.file) {
      // A case's file: never run as a page, shown only by this node's own pages.
      res.set("Content-Security-Policy", kFilePolicy);
      res.set(http::field::x_frame_options, "SAMEORIGIN");
      res.set("Cross-Origin-Resource-Policy", "same-origin");
      res.set(http::field::content_disposition, out.content_disposition);
    }
    if (tls) {
      // Browsers then refuse plain HTTP to this host, for no longer than the certificate
      // lasts (HstsValue). A cookie set over HTTPS is never sent over plain HTTP.
      res.set(http::field::strict_transport_security, HstsValue(tls_not_after, NowSeconds()));
      if (!out.set_cookie.empty()) out.set_cookie += "; Secure";
    }
    if (!out.set_cookie.empty()) res.set(http::field::set_cookie, out.set_cookie);
    if (!out.retry_after.empty()) res.set(http::field::retry_after, out.retry_after);
    res.body() = std::move(out.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    return res;
  }

  // Answers before the body is read (a refused Host, no authentication), then closes: the
  // body, if any, is never buffered (what the client already sent, at most 1 MiB, is
  // dropped: on TLS, as records, without reading them).
  template <class Stream>
  asio::awaitable<void> RefuseEarly(Stream& stream, HttpResponse out, std::string_view what,
                                    bool tls) {
    log->Log(LogLevel::kDebug, "api", std::string(what) + " " + std::to_string(out.status));
    auto res = ToBeast(std::move(out), false, tls);
    Tcp(stream).expires_after(std::chrono::seconds(5));
    co_await http::async_write(stream, res, kTuple);
    co_await LingerClose(Tcp(stream), 1u << 20);
  }

  // 413, then a lingering close (what the client is still sending, up to 16 MiB).
  template <class Stream>
  asio::awaitable<void> RefuseTooLarge(Stream& stream, size_t limit, bool tls) {
    auto res = ToBeast(
        api::Error(413, "too_large", "", "the body is over " + std::to_string(limit >> 20) + " MiB",
                   "Dữ liệu gửi lên quá lớn."),
        false, tls);
    co_await http::async_write(stream, res, kTuple);
    co_await LingerClose(Tcp(stream), 16u << 20);
  }

  template <class Stream>
  asio::awaitable<void> Serve(Stream& stream, beast::flat_buffer buffer, bool tls,
                              ConnPlace& place) {
    const std::string& remote = place.remote;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(kMaxHeader);
      parser.body_limit(kMaxBundle);  // the header decides the route's own limit below
      Tcp(stream).expires_after(kIdle);
      place.slot->SetWaiting(true);  // not yet authenticated, it may be cut meanwhile
      auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kTuple);
      place.slot->SetWaiting(false);
      if (hec) break;
      if (!HostAllowed(parser.get()[http::field::host])) {
        co_await RefuseEarly(stream, Misdirected(parser.get()[http::field::host]), "bad Host", tls);
        co_return;
      }
      // Authentication from the headers alone: nobody makes the node read a body unasked.
      {
        const auto& h = parser.get();
        HttpRequest head{std::string(h.method_string()), std::string(h.target()),
                         std::string(h[http::field::authorization]), "",
                         std::string(h[http::field::cookie])};
        if (auto refused = api->Admit(head)) {
          co_await RefuseEarly(stream, std::move(*refused), "unauthenticated", tls);
          co_return;
        }
        if (!LocalApi::IsPublic(head)) place.slot->Authenticated();
      }
      // Bundles (a scope's streams from a USB stick) may be large; nothing else is.
      bool bundle = parser.get().method() == http::verb::post &&
                    parser.get().target().starts_with("/v1/bundle");
      const bool upload = LocalApi::IsDocumentUpload(std::string(parser.get().method_string()),
                                                     std::string(parser.get().target()));
      size_t limit = bundle ? kMaxBundle : upload ? options.max_document_bytes : kMaxBody;
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
          co_await RefuseEarly(stream, LengthRequired(), "bundle without length", tls);
          co_return;
        }
        if (*length <= limit && bundle_busy.exchange(true)) {
          co_await RefuseEarly(stream, Busy("another bundle is being imported"), "bundle busy",
                               tls);
          co_return;
        }
        reservation.bundle = *length <= limit;
      } else if (!parser.is_done()) {
        size_t want = length ? std::min<size_t>(*length, limit + 1) : limit;
        size_t before = buffered.fetch_add(want);
        reservation.bytes = want;
        if (before + want > options.max_buffered_bytes) {
          co_await RefuseEarly(stream, Busy("too many request bodies are being received"),
                               "buffer budget", tls);
          co_return;
        }
      }
      // Its bytes are reserved (or it has none to read): a test may now fill the budget.
      HOSO_SYNC_POINT("ApiServer::BodyAdmitted");
      beast::error_code ec;
      if (length && *length > limit) {
        ec = http::error::body_limit;
      } else {
        parser.body_limit(limit);
        std::tie(ec, std::ignore) = co_await http::async_read(stream, buffer, parser, kTuple);
      }
      if (ec == http::error::body_limit) {
        co_await RefuseTooLarge(stream, limit, tls);
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
      // The handler runs elsewhere and the coroutine resumes on its connection's strand
      // (co_spawn's completion is dispatched to the awaiting coroutine's executor).
      auto handle = [this, &in]() -> asio::awaitable<HttpResponse> { co_return Answer(in); };
      if (in.method == "POST" && in.target.substr(0, in.target.find('?')) == "/v1/login") {
        if (logins.fetch_add(1) >= options.login_queue) {
          out = Busy("too many logins are being checked");
        } else {
          HOSO_SYNC_POINT("ApiServer::LoginQueued");
          out = co_await asio::co_spawn(login_pool, handle, asio::use_awaitable);
        }
        --logins;
      } else if (LocalApi::AnswersFromMemory(in)) {
        out = Answer(in);
      } else {
        if (jobs.fetch_add(1) >= options.worker_queue) {
          out = Busy("too many requests are waiting for the store");
        } else {
          HOSO_SYNC_POINT("ApiServer::JobQueued");
          out = co_await asio::co_spawn(*workers, handle, asio::use_awaitable);
        }
        --jobs;
      }
      {
        std::lock_guard lock(mu);
        if (--active == 0) idle.notify_all();
      }
      double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      std::string line = in.method + " " + in.target.substr(0, in.target.find('?')) + " " +
                         std::to_string(out.status);
      char took[32];
      std::snprintf(took, sizeof took, " %.2f ms", ms);
      if (out.status >= 500) {
        LogFolded(LogLevel::kError, line, took);  // a flood of 503s: a line per interval
      } else {
        log->Log(LogLevel::kDebug, "api", line + took);
      }
      auto res = ToBeast(std::move(out), keep_alive, tls);
      Tcp(stream).expires_after(kIdle);
      auto [wec, wn] = co_await http::async_write(stream, res, kTuple);
      if (wec || !keep_alive) break;
    }
    co_await Finish(stream);
  }
};

ApiServer::ApiServer(LocalApi* api, Logger* log, ApiServerOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->api = api;
  impl_->log = log;
  impl_->options = std::move(options);
  impl_->limiter = std::make_unique<ConnectionLimiter>(impl_->options.connections);
  impl_->repeats = std::make_unique<RepeatedLines>(impl_->options.log_repeat_interval);
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
  if (impl_->options.tls) {
    HOSO_RETURN_IF_ERROR(ReloadTls(*impl_->options.tls));
  } else if (impl_->options.tls_state) {
    impl_->options.tls_state->Set(nullptr, NowSeconds());
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
  impl_->workers =
      std::make_unique<asio::thread_pool>(static_cast<size_t>(std::max(1, im.options.workers)));
  asio::co_spawn(impl_->io, impl_->Accept(), asio::detached);
  for (int i = 0; i < threads; ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
  return bound;
}

Status ApiServer::ReloadTls(const ApiTls& tls) {
  if (!impl_->options.tls) {
    return Status::FailedPrecondition("the API serves plain HTTP (loopback): no certificate");
  }
  HOSO_ASSIGN_OR_RETURN(auto context, MakeApiTlsContext(tls));
  {
    std::lock_guard lock(impl_->tls_mu);
    impl_->tls_context = std::move(context);
  }
  impl_->tls_not_after = tls.info.not_after;
  if (impl_->options.tls_state) impl_->options.tls_state->Set(&tls, NowSeconds());
  return Status::Ok();
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
  impl_->workers->join();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace hoso::node
