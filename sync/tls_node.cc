#include "sync/tls_node.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "core/certificate.h"
#include "core/worker_pool.h"

namespace hoso::sync {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::awaitable;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

Result<std::shared_ptr<ssl::context>> MakeContext(const TlsConfig& c, const std::string& crl) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls);
  SSL_CTX* native = ctx->native_handle();
  // TLS 1.3 only, mutual authentication.
  SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION);
  boost::system::error_code ec;
  ctx->use_certificate_chain(asio::buffer(c.cert_pem), ec);
  if (ec) return Status::InvalidArgument("node certificate: " + ec.message());
  ctx->use_private_key(asio::buffer(c.key_pem), ssl::context::pem, ec);
  if (ec) return Status::InvalidArgument("node key: " + ec.message());
  ctx->add_certificate_authority(asio::buffer(c.ca_pem), ec);
  if (ec) return Status::InvalidArgument("CA certificate: " + ec.message());
  X509_STORE* store = SSL_CTX_get_cert_store(native);
  BIO* bio = BIO_new_mem_buf(c.ca_pem.data(), static_cast<int>(c.ca_pem.size()));
  X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!ca) return Status::InvalidArgument("CA certificate is not PEM");
  X509_STORE_add_cert(store, ca);
  X509_free(ca);
  if (!crl.empty()) {
    bio = BIO_new_mem_buf(crl.data(), static_cast<int>(crl.size()));
    X509_CRL* x = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!x) return Status::InvalidArgument("CRL is not PEM");
    X509_STORE_add_crl(store, x);
    X509_CRL_free(x);
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  }
  // A CRL past its nextUpdate (or before its lastUpdate) still revokes what it lists but
  // refuses no one else: an unrenewed CRL must not stop the network (CrlExpiryWarning warns).
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     [](int ok, X509_STORE_CTX* x) -> int {
                       if (!ok && IsCrlTimeError(X509_STORE_CTX_get_error(x))) {
                         X509_STORE_CTX_set_error(x, X509_V_OK);
                         return 1;
                       }
                       return ok;
                     });
  return ctx;
}

std::string PeerCertificatePem(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  X509_free(cert);
  return pem;
}

std::string VerifyFailure(SSL* ssl) {
  long r = SSL_get_verify_result(ssl);
  if (r == X509_V_OK) return "";
  return std::string(" (certificate: ") + X509_verify_cert_error_string(r) + ")";
}

}  // namespace

struct Conn;

struct SyncNode::Impl {
  Store* store;
  TlsConfig config;
  const Clock* clock;
  SessionOptions options;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  // Destroyed before io (members go in reverse order): its jobs post back to io.
  std::unique_ptr<WorkerPool> ingest = std::make_unique<WorkerPool>(2);
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> inflight_batch_bytes{0};  // TlsConfig::max_inflight_batch_bytes
  // Reserves `n` bytes of the global budget of received batches.
  bool ReserveBatch(uint64_t n) {
    uint64_t cur = inflight_batch_bytes.load();
    do {
      if (cur + n > config.max_inflight_batch_bytes) return false;
    } while (!inflight_batch_bytes.compare_exchange_weak(cur, cur + n));
    return true;
  }
  std::optional<tcp::acceptor> acceptor;

  mutable std::mutex mu;  // guards everything below
  std::shared_ptr<ssl::context> ctx;
  std::string crl_pem;
  std::vector<std::shared_ptr<PeerStatus>> peers;
  std::set<std::shared_ptr<Conn>> conns;
  std::set<asio::steady_timer*> backoff_timers;
  uint64_t revocation_listener = 0;
  // Closes the live sessions of every identity the root has revoked (on the io thread).
  void CloseRevoked();
  std::string held;  // why sync is held; "" when it runs
  bool accept_pending = false;
  struct PendingUpstream {
    std::string host;
    uint16_t port;
    std::string expected_unit;
    std::shared_ptr<PeerStatus> status;
  };
  std::vector<PendingUpstream> upstreams_pending;
  // Accepted connections alive (handshakes included), per remote address and in total.
  std::map<std::string, size_t> accepted_by_address;
  size_t accepted_total = 0;

  // Identical lines are written at most once per log_repeat_interval, with the count of those
  // held back.
  struct Repeat {
    SteadyClock::time_point last;
    uint64_t held = 0;
  };
  mutable std::mutex log_mu;
  mutable std::map<std::string, Repeat, std::less<>> repeats;
  int64_t crl_warned_ms = 0;  // guarded by mu

  void Log(std::string_view level, const std::string& message) const {
    if (!config.log) return;
    std::string line = message;
    {
      std::lock_guard lock(log_mu);
      auto now = SteadyClock::now();
      auto it = repeats.find(message);
      if (it != repeats.end() && now - it->second.last < config.log_repeat_interval) {
        ++it->second.held;
        return;
      }
      if (it != repeats.end() && it->second.held) {
        line += " (repeated " + std::to_string(it->second.held) + " times)";
      }
      if (it == repeats.end()) {
        if (repeats.size() >= 4096) {
          // Bounded: forget lines not seen for an interval, else all.
          std::erase_if(repeats, [&](const auto& r) {
            return now - r.second.last >= config.log_repeat_interval;
          });
          if (repeats.size() >= 4096) repeats.clear();
        }
        it = repeats.emplace(message, Repeat{}).first;
      }
      it->second.last = now;
      it->second.held = 0;
    }
    config.log(level, line);
  }
  // Warns, at most once an hour, while the CRL expires within 30 days or has expired.
  void WarnCrl(const std::string& crl) {
    int64_t now_ms = clock->NowMs();
    {
      std::lock_guard lock(mu);
      if (crl_warned_ms && now_ms - crl_warned_ms < 3600 * 1000) return;
    }
    std::string w = CrlExpiryWarning(crl, now_ms / 1000);
    if (w.empty()) return;
    {
      std::lock_guard lock(mu);
      crl_warned_ms = now_ms;
    }
    Log("warn", w);
  }
  std::shared_ptr<ssl::context> Context() {
    std::lock_guard lock(mu);
    return ctx;
  }
  void Update(const std::shared_ptr<PeerStatus>& p, const std::function<void(PeerStatus&)>& fn) {
    std::lock_guard lock(mu);
    fn(*p);
  }
  Status CheckOrigin(const OriginMsg& o) const;
  awaitable<void> Accept();
  awaitable<void> Upstream(std::string host, uint16_t port, std::string expected_unit,
                           std::shared_ptr<PeerStatus> status);
  awaitable<bool> Run(std::shared_ptr<Conn> c, bool server, std::string expected_unit = "");
};

// One TLS connection and the session on it. Lives on the io thread.
struct Conn : std::enable_shared_from_this<Conn> {
  Conn(SyncNode::Impl* impl, tcp::socket socket, std::shared_ptr<ssl::context> context,
       std::shared_ptr<PeerStatus> peer)
      : impl(impl),
        ctx(std::move(context)),
        stream(std::move(socket), *ctx),
        watchdog(stream.get_executor()),
        wake(stream.get_executor()),
        pinger(stream.get_executor()),
        status(std::move(peer)),
        reader(impl->config.max_frame) {}

  SyncNode::Impl* impl;
  std::shared_ptr<ssl::context> ctx;
  ssl::stream<tcp::socket> stream;
  asio::steady_timer watchdog, wake, pinger;
  SteadyClock::time_point deadline = SteadyClock::now();
  std::string deadline_reason;  // what passing `deadline` means ("" : "timed out")
  // While a write is blocked: when it times out.
  SteadyClock::time_point write_deadline = SteadyClock::time_point::max();
  struct Out {
    std::string frame;
    bool batch = false;
  };
  std::deque<Out> outbox;
  size_t queued_bytes = 0, queued_frames = 0;  // of non-BATCH frames in outbox
  bool closed = false;
  bool close_after_flush = false;
  bool settled_once = false;
  std::unique_ptr<SyncSession> session;
  std::shared_ptr<PeerStatus> status;
  FrameReader reader;
  uint64_t listener = 0;
  bool server = false;          // accepted from a peer (not an upstream)
  std::string refused;          // set by the ingest sink when a batch is over the global budget
  std::string counted_address;  // set while it counts against the accept caps

  ~Conn() {
    // Also when the io context is torn down with this connection's coroutines unfinished.
    if (listener) impl->store->RemoveCommitListener(listener);
  }
  // Gives back its place under the accept caps (once).
  void Uncount() {
    if (counted_address.empty()) return;
    std::lock_guard lock(impl->mu);
    auto it = impl->accepted_by_address.find(counted_address);
    if (it != impl->accepted_by_address.end() && --it->second == 0) {
      impl->accepted_by_address.erase(it);
    }
    --impl->accepted_total;
    counted_address.clear();
  }

  void Send(std::vector<Message>& messages) {
    if (closed) {
      messages.clear();
      return;
    }
    for (const auto& m : messages) {
      bool batch = std::holds_alternative<BatchMsg>(m);
      outbox.push_back({Frame(EncodeMessage(m)), batch});
      if (!batch) {
        queued_bytes += outbox.back().frame.size();
        ++queued_frames;
      }
    }
    messages.clear();
    const TlsConfig& config = impl->config;
    if (queued_bytes > config.max_queued_bytes || queued_frames > config.max_queued_frames) {
      Fail("does not read: outgoing queue over " + std::to_string(config.max_queued_frames) +
           " frames or " + std::to_string(config.max_queued_bytes) + " bytes, disconnected");
      Close();
      return;
    }
    wake.cancel();
  }
  void Close() {
    if (closed) return;
    closed = true;
    // The queued frames go now, not when the last coroutine lets go of the connection.
    std::deque<Out>().swap(outbox);
    queued_bytes = queued_frames = 0;
    boost::system::error_code ec;
    watchdog.cancel();
    wake.cancel();
    pinger.cancel();
    stream.lowest_layer().close(ec);
  }
  // Adds the TLS records moved since the last call to the peer's wire counters.
  void CountWire() {
    SSL* ssl = stream.native_handle();
    uint64_t out = BIO_number_written(SSL_get_wbio(ssl));
    uint64_t in = BIO_number_read(SSL_get_rbio(ssl));
    impl->Update(status, [&](PeerStatus& p) {
      p.wire_sent += out - wire_out;
      p.wire_received += in - wire_in;
    });
    wire_out = out;
    wire_in = in;
  }
  uint64_t wire_out = 0, wire_in = 0;
  SessionStats last_stats;

  // Publishes the session's progress to the peer status.
  void Report() {
    const SessionStats& st = session->stats();
    bool settled = session->Settled();
    impl->Update(status, [&](PeerStatus& p) {
      p.events_received += st.events_received - last_stats.events_received;
      p.duplicates_received += st.duplicates_received - last_stats.duplicates_received;
      p.events_sent += st.events_sent - last_stats.events_sent;
      p.clock_skew_ms = st.clock_skew_ms;
      if (settled) p.last_success_ms = impl->clock->NowMs();
    });
    last_stats = st;
    if (settled) settled_once = true;
  }

  void Fail(const std::string& why) {
    impl->Log("warn", "peer " + Name() + ": " + why);
    impl->Update(status, [&](PeerStatus& p) { p.last_error = why; });
  }
  std::string Name() const {
    std::string unit = session ? status->unit : "";
    return unit.empty() ? status->address : unit + " (" + status->address + ")";
  }
};

void SyncNode::Impl::CloseRevoked() {
  auto revoked = store->RevocationsSnapshot();
  std::vector<std::shared_ptr<Conn>> gone;
  {
    std::lock_guard lock(mu);
    for (const auto& c : conns) {
      if (!c->closed && c->session && revoked->Find(c->status->unit, c->status->epoch)) {
        gone.push_back(c);
      }
    }
  }
  for (const auto& c : gone) {
    c->Fail("certificate identity revoked by the root: session closed");
    c->Close();
  }
}

namespace {

awaitable<void> Watchdog(std::shared_ptr<Conn> c) {
  while (!c->closed) {
    c->watchdog.expires_at(std::min(c->deadline, c->write_deadline));
    co_await c->watchdog.async_wait(kTuple);
    if (c->closed) co_return;
    auto now = SteadyClock::now();
    if (now >= c->write_deadline) {
      c->Fail("does not read: write timed out after " +
              std::to_string(c->impl->config.write_timeout.count()) + " ms, disconnected");
      c->Close();
      co_return;
    }
    if (now >= c->deadline) {
      // While shutting down, the deadline only bounds the wait for close_notify.
      if (!c->close_after_flush) {
        c->Fail(c->deadline_reason.empty() ? "timed out" : c->deadline_reason);
      }
      c->Close();
      co_return;
    }
  }
}

awaitable<void> Writer(std::shared_ptr<Conn> c) {
  while (!c->closed) {
    if (c->outbox.empty()) {
      if (c->close_after_flush) {
        // close_notify, bounded by the watchdog.
        c->deadline = SteadyClock::now() + c->impl->config.shutdown_timeout;
        co_await c->stream.async_shutdown(kTuple);
        c->Close();
        co_return;
      }
      c->wake.expires_at(SteadyClock::time_point::max());
      co_await c->wake.async_wait(kTuple);
      continue;
    }
    std::string frame = std::move(c->outbox.front().frame);
    if (!c->outbox.front().batch) {
      c->queued_bytes -= frame.size();
      --c->queued_frames;
    }
    c->outbox.pop_front();
    c->write_deadline = SteadyClock::now() + c->impl->config.write_timeout;
    c->watchdog.cancel();  // it now waits for the earlier of the two deadlines
    auto [ec, n] = co_await asio::async_write(c->stream, asio::buffer(frame), kTuple);
    c->write_deadline = SteadyClock::time_point::max();
    if (ec) {
      if (!c->closed) c->Fail("write failed: " + ec.message());
      c->Close();
      co_return;
    }
    c->impl->Update(c->status, [n = n](PeerStatus& p) { p.bytes_sent += n; });
    c->CountWire();
  }
}

awaitable<void> Keepalive(std::shared_ptr<Conn> c) {
  while (!c->closed) {
    c->pinger.expires_after(c->impl->config.keepalive);
    co_await c->pinger.async_wait(kTuple);
    if (c->closed || c->close_after_flush) co_return;
    std::vector<Message> ping{Ping{c->impl->clock->NowMs()}};
    c->Send(ping);
  }
}

}  // namespace

Status SyncNode::Impl::CheckOrigin(const OriginMsg& o) const {
  // An origin is trusted when its certificate chains to our CA, is not revoked, and names
  // that unit, epoch and key.
  std::string crl;
  {
    std::lock_guard lock(mu);
    crl = crl_pem;
  }
  return CheckOriginCertificate(o, config.ca_pem, crl, clock->NowMs() / 1000);
}

awaitable<bool> SyncNode::Impl::Run(std::shared_ptr<Conn> c, bool server,
                                    std::string expected_unit) {
  {
    std::lock_guard lock(mu);
    conns.insert(c);
  }
  c->server = server;
  auto ex = c->stream.get_executor();
  c->deadline = SteadyClock::now() + config.handshake_timeout;
  asio::co_spawn(ex, Watchdog(c), asio::detached);
  auto [hs] = co_await c->stream.async_handshake(
      server ? ssl::stream_base::server : ssl::stream_base::client, kTuple);
  std::string peer_pem = hs ? "" : PeerCertificatePem(c->stream.native_handle());
  Result<CertificateInfo> peer = Status::PermissionDenied("no peer certificate");
  if (!hs) {
    std::string crl;
    {
      std::lock_guard lock(mu);
      crl = crl_pem;
    }
    peer = VerifyNodeCertificate(peer_pem, config.ca_pem, crl, clock->NowMs() / 1000);
    WarnCrl(crl);
    if (peer.ok() && store->RevocationsSnapshot()->Find(peer->unit, peer->epoch)) {
      peer = Status::PermissionDenied("certificate identity " + peer->unit + "#" +
                                      std::to_string(peer->epoch) + " was revoked by the root");
    }
    if (peer.ok() && !expected_unit.empty() && peer->unit != expected_unit) {
      peer = Status::PermissionDenied("the upstream's certificate names unit " + peer->unit +
                                      ", not the parent " + expected_unit);
    }
  }
  if (hs || !peer.ok()) {
    c->Fail(hs ? "TLS handshake failed: " + hs.message() + VerifyFailure(c->stream.native_handle())
               : peer.status().message());
    c->Close();
  } else {
    Update(c->status, [&](PeerStatus& p) {
      p.unit = peer->unit;
      p.epoch = peer->epoch;
      p.connected = true;
      p.since_ms = clock->NowMs();
      p.last_error.clear();
    });
    Log("info", "peer " + peer->unit + "#" + std::to_string(peer->epoch) + " connected");
    if (server) {
      // One session per peer identity: this one replaces any older one accepted from it.
      std::vector<std::shared_ptr<Conn>> old;
      {
        std::lock_guard lock(mu);
        for (const auto& o : conns) {
          if (o != c && o->server && o->session && !o->closed && o->status->unit == peer->unit &&
              o->status->epoch == peer->epoch) {
            old.push_back(o);
          }
        }
      }
      for (const auto& o : old) {
        o->Fail("replaced by a new session from the same certificate identity");
        o->Close();
      }
    }
    c->session = std::make_unique<SyncSession>(
        store, peer->unit, peer->epoch, [this](const OriginMsg& o) { return CheckOrigin(o); },
        clock, options);
    c->session->SetPeerIdentity(peer->public_key, peer_pem);
    std::weak_ptr<Conn> weak = c;
    c->session->SetIngestSink([this, weak, ex](Batch batch) {
      uint64_t bytes = 0;
      for (const auto& e : batch.events) bytes += e.size();
      if (!ReserveBatch(bytes)) {
        if (auto conn = weak.lock()) {
          conn->refused = "node busy: received batches over " +
                          std::to_string(config.max_inflight_batch_bytes) +
                          " bytes across sessions, try again later";
        }
        return;
      }
      std::string key = batch.stream.Encode();
      ingest->Submit(std::move(key), [this, weak, ex, bytes, b = std::move(batch)]() mutable {
        IngestStats st;
        Status s = store->Ingest(b, &st);
        inflight_batch_bytes -= bytes;
        asio::post(ex, [weak, b = std::move(b), s, st] {
          auto conn = weak.lock();
          if (!conn || conn->closed || !conn->session) return;
          std::vector<Message> out;
          Status r = conn->session->OnIngested(b, s, st, &out);
          conn->Send(out);
          if (!r.ok()) {
            conn->Fail(r.message());
            conn->close_after_flush = true;
            conn->wake.cancel();
            boost::system::error_code ec;
            conn->stream.lowest_layer().cancel(ec);
          }
          conn->Report();
        });
      });
    });
    std::vector<Message> out = c->session->Start();
    c->Send(out);
    c->listener = store->AddCommitListener([weak, ex](const std::vector<StreamKey>&) {
      if (weak.expired()) return;  // the connection (and maybe its io context) is gone
      asio::post(ex, [weak] {
        auto conn = weak.lock();
        if (!conn || conn->closed || !conn->session) return;
        std::vector<Message> pushed;
        conn->session->OnCommit(&pushed);
        conn->Send(pushed);
      });
    });
    asio::co_spawn(ex, Writer(c), asio::detached);
    asio::co_spawn(ex, Keepalive(c), asio::detached);
    std::vector<char> buf(64 * 1024);
    // While a frame is partly received: since when, and how many bytes came since.
    std::optional<SteadyClock::time_point> partial_since;
    uint64_t partial_bytes = 0;
    auto slow_due = [&] {
      // The time by which partial_bytes would fall under the minimum average rate.
      auto need =
          std::chrono::milliseconds(partial_bytes * 1000 / std::max<size_t>(1, config.min_rate));
      return *partial_since + std::max(config.min_rate_window, need);
    };
    auto too_slow = [&] {
      return "too slow: under " + std::to_string(config.min_rate) + " bytes/s over " +
             std::to_string(config.min_rate_window.count()) +
             " ms while a frame is partly received, cut";
    };
    while (!c->closed && !c->close_after_flush) {
      c->deadline = SteadyClock::now() + config.idle_timeout;
      c->deadline_reason.clear();
      if (partial_since && slow_due() < c->deadline) {
        c->deadline = slow_due();
        c->deadline_reason = too_slow();
      }
      auto [ec, n] = co_await c->stream.async_read_some(asio::buffer(buf), kTuple);
      if (ec) {
        if (!c->closed && !c->close_after_flush && ec != asio::error::eof &&
            ec != ssl::error::stream_truncated) {
          c->Fail("read failed: " + ec.message());
        }
        break;
      }
      Update(c->status, [n = n](PeerStatus& p) { p.bytes_received += n; });
      c->CountWire();
      Status s = c->reader.Append(std::string_view(buf.data(), n));
      std::vector<Message> out;
      while (s.ok()) {
        auto next = c->reader.Next();
        if (!next.ok()) {
          s = next.status();
          break;
        }
        if (!*next) break;
        auto m = DecodeMessage(**next, config.max_frame);
        if (!m.ok()) {
          s = m.status();
          break;
        }
        s = c->session->Handle(*m, &out);
        if (s.ok() && !c->refused.empty()) s = Status::FailedPrecondition(c->refused);
        if (!s.ok()) break;  // the session appended its ERROR to out
      }
      if (!s.ok() && (out.empty() || !std::holds_alternative<ErrorMsg>(out.back()))) {
        out.push_back(ErrorMsg{CodeName(s.code()), s.message()});
      }
      c->Send(out);
      if (!s.ok()) {
        c->Fail(s.message());
        c->close_after_flush = true;
        c->wake.cancel();
        break;
      }
      c->Report();
      if (c->reader.buffered() == 0) {
        partial_since.reset();
      } else if (!partial_since) {
        partial_since = SteadyClock::now();
        partial_bytes = c->reader.buffered();
      } else {
        partial_bytes += n;
        if (SteadyClock::now() >= slow_due()) {
          c->Fail(too_slow());
          c->Close();
          break;
        }
      }
    }
    store->RemoveCommitListener(c->listener);
    c->listener = 0;
    if (!c->close_after_flush) c->Close();
  }
  Update(c->status, [&](PeerStatus& p) {
    p.connected = false;
    p.since_ms = clock->NowMs();
  });
  {
    std::lock_guard lock(mu);
    conns.erase(c);
  }
  c->Uncount();
  co_return c->settled_once;
}

awaitable<void> SyncNode::Impl::Accept() {
  auto backoff = config.accept_backoff_min;
  asio::steady_timer timer(io);
  {
    std::lock_guard lock(mu);
    backoff_timers.insert(&timer);
  }
  while (!stopping) {
    auto [ec, socket] = co_await acceptor->async_accept(kTuple);
    if (ec) {
      if (stopping) break;
      // EMFILE, ENFILE, ENOBUFS...: retrying at once would spin; wait, doubling.
      Log("warn", "accept failed: " + ec.message() + "; retrying in " +
                      std::to_string(backoff.count()) + " ms");
      timer.expires_after(backoff);
      co_await timer.async_wait(kTuple);
      backoff = std::min(backoff * 2, config.accept_backoff_max);
      continue;
    }
    backoff = config.accept_backoff_min;
    boost::system::error_code rec;
    auto remote = socket.remote_endpoint(rec);
    std::string host = rec ? "?" : remote.address().to_string();
    bool refused = false;
    {
      std::lock_guard lock(mu);
      size_t& from = accepted_by_address[host];
      if (from >= config.max_conns_per_address || accepted_total >= config.max_conns) {
        refused = true;
        if (from == 0) accepted_by_address.erase(host);
      } else {
        ++from;
        ++accepted_total;
      }
    }
    if (refused) {
      // Closed before any TLS: no descriptor, memory or handshake is spent on it.
      boost::system::error_code cec;
      socket.close(cec);
      Log("warn", "refused a connection from " + host + ": over " +
                      std::to_string(config.max_conns_per_address) + " from that address or " +
                      std::to_string(config.max_conns) + " in total");
      continue;
    }
    auto status = std::make_shared<PeerStatus>();
    status->address = rec ? "?" : host + ":" + std::to_string(remote.port());
    {
      std::lock_guard lock(mu);
      // Accepted peers get an entry per connection; the oldest closed ones go beyond 64.
      while (peers.size() >= 64) {
        auto closed = std::find_if(peers.begin(), peers.end(),
                                   [](const auto& p) { return !p->upstream && !p->connected; });
        if (closed == peers.end()) break;
        peers.erase(closed);
      }
      peers.push_back(status);
    }
    auto c = std::make_shared<Conn>(this, std::move(socket), Context(), status);
    c->counted_address = host;
    asio::co_spawn(
        io, [this, c]() -> awaitable<void> { co_await Run(c, true); }, asio::detached);
  }
  std::lock_guard lock(mu);
  backoff_timers.erase(&timer);
}

awaitable<void> SyncNode::Impl::Upstream(std::string host, uint16_t port, std::string expected_unit,
                                         std::shared_ptr<PeerStatus> status) {
  std::mt19937_64 rng(std::random_device{}());
  auto backoff = config.backoff_min;
  asio::steady_timer timer(io);
  {
    std::lock_guard lock(mu);
    backoff_timers.insert(&timer);
  }
  while (!stopping) {
    tcp::resolver resolver(io);
    auto [rec, endpoints] = co_await resolver.async_resolve(host, std::to_string(port), kTuple);
    bool settled = false;
    if (!rec) {
      tcp::socket socket(io);
      auto [cec, ep] = co_await asio::async_connect(socket, endpoints, kTuple);
      if (!cec) {
        auto c = std::make_shared<Conn>(this, std::move(socket), Context(), status);
        settled = co_await Run(c, false, expected_unit);
      } else {
        Update(status, [&](PeerStatus& p) { p.last_error = "connect failed: " + cec.message(); });
      }
    } else {
      Update(status, [&](PeerStatus& p) { p.last_error = "resolve failed: " + rec.message(); });
    }
    if (stopping) break;
    if (settled) backoff = config.backoff_min;
    // Exponential backoff with jitter in [0.5, 1.5).
    double jitter = 0.5 + std::uniform_real_distribution<double>(0, 1)(rng);
    timer.expires_after(std::chrono::duration_cast<std::chrono::milliseconds>(backoff * jitter));
    co_await timer.async_wait(kTuple);
    backoff = std::min(backoff * 2, config.backoff_max);
  }
  std::lock_guard lock(mu);
  backoff_timers.erase(&timer);
}

SyncNode::SyncNode(Store* store, TlsConfig config, const Clock* clock, SessionOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->store = store;
  impl_->config = std::move(config);
  impl_->clock = clock;
  impl_->options = options;
  impl_->crl_pem = impl_->config.crl_pem;
  impl_->WarnCrl(impl_->crl_pem);
  // A revocation takes effect on live sessions as soon as it is stored.
  impl_->revocation_listener =
      store->AddCommitListener([impl = impl_.get()](const std::vector<StreamKey>& moved) {
        for (const StreamKey& s : moved) {
          if (s.channel == kRevocationsChannel) {
            asio::post(impl->io, [impl] { impl->CloseRevoked(); });
            return;
          }
        }
      });
  auto ctx = MakeContext(impl_->config, impl_->crl_pem);
  if (ctx.ok()) impl_->ctx = *ctx;
  // Our own certificate travels with our streams (ORIGIN), so record it with our key.
  auto own = ParseCertificate(impl_->config.cert_pem);
  const auto& id = store->options().identity;
  if (own.ok() && id && own->unit == id->unit && own->epoch == id->epoch &&
      own->public_key == id->key.public_key()) {
    Status s = store->TrustOrigin(id->unit, id->epoch, own->public_key, impl_->config.cert_pem);
    if (!s.ok()) impl_->Log("error", "recording own certificate: " + s.message());
  } else {
    impl_->Log("error", "the node certificate does not match the store's identity and key");
  }
  impl_->work.emplace(impl_->io.get_executor());
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

SyncNode::~SyncNode() { Stop(); }

Result<uint16_t> SyncNode::Listen(const std::string& address, uint16_t port) {
  if (!impl_->Context()) {
    auto ctx = MakeContext(impl_->config, impl_->crl_pem);
    if (!ctx.ok()) return ctx.status();
  }
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(address, ec);
  if (ec) return Status::InvalidArgument("listen address '" + address + "': " + ec.message());
  tcp::acceptor acceptor(impl_->io);
  tcp::endpoint ep(addr, port);
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("cannot listen on " + address + ":" + std::to_string(port) + ": " +
                           ec.message());
  }
  uint16_t bound = acceptor.local_endpoint().port();
  impl_->acceptor.emplace(std::move(acceptor));
  {
    std::lock_guard lock(impl_->mu);
    impl_->accept_pending = !impl_->held.empty();
  }
  if (!impl_->accept_pending) asio::co_spawn(impl_->io, impl_->Accept(), asio::detached);
  impl_->Log("info", "listening for peers on " + address + ":" + std::to_string(bound));
  return bound;
}

void SyncNode::ConnectTo(const std::string& host, uint16_t port, const std::string& expected_unit) {
  auto status = std::make_shared<PeerStatus>();
  status->address = host + ":" + std::to_string(port);
  status->upstream = true;
  status->since_ms = impl_->clock->NowMs();
  {
    std::lock_guard lock(impl_->mu);
    impl_->peers.push_back(status);
    if (!impl_->held.empty()) {
      status->last_error = "sync held: " + impl_->held;
      impl_->upstreams_pending.push_back({host, port, expected_unit, status});
      return;
    }
  }
  asio::co_spawn(impl_->io, impl_->Upstream(host, port, expected_unit, status), asio::detached);
}

void SyncNode::Hold(std::string reason) {
  std::lock_guard lock(impl_->mu);
  impl_->held = reason.empty() ? "held" : std::move(reason);
}

void SyncNode::Release() {
  bool accept = false;
  decltype(impl_->upstreams_pending) upstreams;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->held.empty()) return;
    impl_->held.clear();
    accept = std::exchange(impl_->accept_pending, false);
    upstreams.swap(impl_->upstreams_pending);
    for (auto& u : upstreams) u.status->last_error.clear();
  }
  if (accept) asio::co_spawn(impl_->io, impl_->Accept(), asio::detached);
  for (auto& u : upstreams) {
    asio::co_spawn(impl_->io, impl_->Upstream(u.host, u.port, u.expected_unit, u.status),
                   asio::detached);
  }
  impl_->Log("info", "sync released");
}

std::string SyncNode::HeldBecause() const {
  std::lock_guard lock(impl_->mu);
  return impl_->held;
}

Status SyncNode::ReloadCrl(const std::string& crl_pem) {
  HOSO_ASSIGN_OR_RETURN(auto ctx, MakeContext(impl_->config, crl_pem));
  {
    std::lock_guard lock(impl_->mu);
    impl_->ctx = std::move(ctx);
    impl_->crl_pem = crl_pem;
    impl_->crl_warned_ms = 0;
  }
  impl_->WarnCrl(crl_pem);
  return Status::Ok();
}

void SyncNode::Stop() {
  if (impl_->revocation_listener) {
    impl_->store->RemoveCommitListener(impl_->revocation_listener);
    impl_->revocation_listener = 0;
  }
  if (!impl_->thread.joinable()) return;
  impl_->stopping = true;
  asio::post(impl_->io, [impl = impl_.get()] {
    boost::system::error_code ec;
    if (impl->acceptor) impl->acceptor->close(ec);
    std::lock_guard lock(impl->mu);
    for (auto* t : impl->backoff_timers) t->cancel();
    for (const auto& c : impl->conns) {
      // Let a session flush and send close_notify, within the shutdown bound.
      c->close_after_flush = true;
      c->deadline = SteadyClock::now() + impl->config.shutdown_timeout;
      c->wake.cancel();
      boost::system::error_code e;
      c->stream.lowest_layer().cancel(e);
    }
  });
  impl_->work.reset();
  // Everything ends within the shutdown bound; a stuck peer cannot hold the process.
  auto limit = SteadyClock::now() + impl_->config.shutdown_timeout + std::chrono::seconds(1);
  while (!impl_->io.stopped() && SteadyClock::now() < limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  impl_->io.stop();
  impl_->thread.join();
}

std::vector<PeerStatus> SyncNode::Peers() const {
  std::lock_guard lock(impl_->mu);
  std::vector<PeerStatus> out;
  for (const auto& p : impl_->peers) out.push_back(*p);
  return out;
}

}  // namespace hoso::sync
