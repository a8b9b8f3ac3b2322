// The TLS transport's internals, shared by its two implementation files: node.cc (the node:
// listening, dialling, holding, stopping) and connection.cc (one connection: handshake,
// identity, the session's reader, writer, watchdog and keepalive).
// Not part of the sync module's interface; include only from those two files.
// Thread-safety: as SyncNode (sync/tls/node.h): connections run on the io thread; Impl's
// members below `mu` are guarded by it.
#pragma once

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <condition_variable>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include "core/base/repeated_lines.h"
#include "core/base/worker_pool.h"
#include "core/format/certificate.h"
#include "sync/tls/node.h"

namespace hoso::sync {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::awaitable;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// The TLS context for this node's certificate and key, verifying peers against the CA and CRL.

struct Conn;

// The bytes of received batches a node holds, against TlsConfig::max_inflight_batch_bytes.
// Shared with every BatchHold, so a hold freed on a worker after its connection, or after the
// node, still has somewhere to give its bytes back.
struct BatchBudget {
  explicit BatchBudget(uint64_t max) : max(max) {}
  const uint64_t max;
  std::atomic<uint64_t> held{0};
  bool Reserve(uint64_t n) {
    uint64_t cur = held.load();
    do {
      if (cur + n > max) return false;
    } while (!held.compare_exchange_weak(cur, cur + n));
    return true;
  }
};

// `bytes` reserved in the node's budget and in one peer's share (BatchMsg::hold): given
// back when the last copy of the batch lets go of it, wherever that is.
class BatchHold {
 public:
  BatchHold(std::shared_ptr<BatchBudget> node, std::shared_ptr<std::atomic<uint64_t>> session,
            uint64_t bytes)
      : node_(std::move(node)), session_(std::move(session)), bytes_(bytes) {
    *session_ += bytes_;
  }
  ~BatchHold() {
    node_->held -= bytes_;
    *session_ -= bytes_;
  }
  BatchHold(const BatchHold&) = delete;
  BatchHold& operator=(const BatchHold&) = delete;

 private:
  std::shared_ptr<BatchBudget> node_;
  std::shared_ptr<std::atomic<uint64_t>> session_;
  uint64_t bytes_;
};

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
  std::shared_ptr<BatchBudget> batch_budget;  // set with the config
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
  // Accepted connections whose TLS handshake is not done, oldest first
  // (TlsConfig::max_pre_tls_conns).
  std::list<std::weak_ptr<Conn>> pre_tls;
  // Each peer identity's share of received batches (TlsConfig::max_session_batch_bytes), by
  // unit#epoch, kept alive by its connections and the batches they hold: a session that
  // replaces one of the same identity waits for that one's batches too, so reconnecting does
  // not buy a fresh share while the old one's are still being ingested.
  std::map<std::string, std::weak_ptr<std::atomic<uint64_t>>> shares;
  std::shared_ptr<std::atomic<uint64_t>> ShareOf(const std::string& identity) {
    std::lock_guard lock(mu);
    auto& weak = shares[identity];
    auto share = weak.lock();
    if (!share) {
      std::erase_if(shares, [](const auto& kv) { return kv.second.expired(); });
      share = std::make_shared<std::atomic<uint64_t>>(0);
      shares[identity] = share;
    }
    return share;
  }

  // Identical lines are written at most once per log_repeat_interval, with the count of those
  // held back.
  std::unique_ptr<RepeatedLines> repeats;  // set with the config
  int64_t crl_warned_ms = 0;               // guarded by mu

  void Log(std::string_view level, const std::string& message) const {
    if (!config.log) return;
    if (auto line = repeats->Fold(message)) config.log(level, *line);
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
        share_wait(stream.get_executor()),
        status(std::move(peer)),
        log_address(status->address),
        reader(impl->config.max_frame) {}

  SyncNode::Impl* impl;
  std::shared_ptr<ssl::context> ctx;
  ssl::stream<tcp::socket> stream;
  // share_wait: the reader waiting for the session's share of received batches to drain.
  asio::steady_timer watchdog, wake, pinger, share_wait;
  SteadyClock::time_point deadline = SteadyClock::now();
  std::string deadline_reason;  // what passing `deadline` means ("" : "timed out")
  // While a write is blocked: when it times out.
  SteadyClock::time_point write_deadline = SteadyClock::time_point::max();
  struct Out {
    std::string frame;
    bool batch = false;
  };
  std::deque<Out> outbox;
  // CHUNK frames wait behind every other frame: a case's events never queue behind file bytes
  // (those already written are bounded by the peer's window, sync/session.h).
  std::deque<Out> chunk_outbox;
  size_t queued_bytes = 0, queued_frames = 0;  // of non-BATCH frames in both
  bool closed = false;
  bool close_after_flush = false;
  bool settled_once = false;
  std::unique_ptr<SyncSession> session;
  std::shared_ptr<PeerStatus> status;
  // How log lines name the peer: an accepted one by its address without the port, which
  // changes with every connection and would keep identical lines from folding.
  std::string log_address;
  FrameReader reader;
  uint64_t listener = 0;
  bool server = false;  // accepted from a peer (not an upstream)
  // Set while it counts against its address's cap, which bounds connections not yet
  // authenticated: an authenticated peer gives its place there back (Authenticated).
  std::string counted_address;
  bool counted_total = false;  // while it counts against max_conns
  // Bytes of received batches its peer identity holds (Impl::shares), once authenticated.
  std::shared_ptr<std::atomic<uint64_t>> batch_bytes = std::make_shared<std::atomic<uint64_t>>(0);
  // Its place in Impl::pre_tls while its TLS handshake is not done.
  std::optional<std::list<std::weak_ptr<Conn>>::iterator> pre_tls_pos;
  bool evicted = false;  // closed before TLS to make room for a newer connection

  ~Conn() {
    // Also when the io context is torn down with this connection's coroutines unfinished.
    if (listener) impl->store->RemoveCommitListener(listener);
  }
  // Gives back its place under the accept caps (once).
  void Uncount() {
    std::lock_guard lock(impl->mu);
    UncountLocked();
  }
  void UncountLocked() {  // with impl->mu held
    LeavePreTlsLocked();
    UncountAddressLocked();
    if (!counted_total) return;
    --impl->accepted_total;
    counted_total = false;
  }
  // Its certificate identity is verified: it leaves its address's cap (still counting in
  // total). Peers behind one NAT, or a hub's 200 communes through one VPN concentrator, share
  // an address; one session per identity bounds them, the address cap bounds strangers.
  void Authenticated() {
    std::lock_guard lock(impl->mu);
    UncountAddressLocked();
  }
  void UncountAddressLocked() {
    if (counted_address.empty()) return;
    auto it = impl->accepted_by_address.find(counted_address);
    if (it != impl->accepted_by_address.end() && --it->second == 0) {
      impl->accepted_by_address.erase(it);
    }
    counted_address.clear();
  }
  // Its TLS handshake is over (done or failed): no longer among those that make room.
  void LeavePreTls() {
    std::lock_guard lock(impl->mu);
    LeavePreTlsLocked();
  }
  void LeavePreTlsLocked() {
    if (!pre_tls_pos) return;
    impl->pre_tls.erase(*pre_tls_pos);
    pre_tls_pos.reset();
  }

  void Send(std::vector<Message>& messages) {
    if (closed) {
      messages.clear();
      return;
    }
    for (const auto& m : messages) {
      bool batch = std::holds_alternative<BatchMsg>(m);
      auto& box = std::holds_alternative<ChunkMsg>(m) ? chunk_outbox : outbox;
      box.push_back({Frame(EncodeMessage(m)), batch});
      if (!batch) {
        queued_bytes += box.back().frame.size();
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
    std::deque<Out>().swap(chunk_outbox);
    queued_bytes = queued_frames = 0;
    boost::system::error_code ec;
    watchdog.cancel();
    wake.cancel();
    pinger.cancel();
    share_wait.cancel();
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
    return unit.empty() ? log_address : unit + " (" + log_address + ")";
  }
};

}  // namespace hoso::sync
