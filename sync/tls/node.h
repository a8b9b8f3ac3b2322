// SyncNode: the TLS 1.3 transport under SyncSession, on Boost.Asio C++20 coroutines.
//
// It listens for peers and keeps connections to configured upstreams, each with exponential
// backoff and jitter. Every connection is mutual TLS 1.3 with certificates from the
// deployment's CA (a CRL honoured); the peer's identity is the hoso://node URI of its
// certificate, and the session refuses a HELLO that claims anything else. One coroutine per
// connection reads (with an idle deadline), a second writes from a queue, a third sends
// keepalives; store commits wake the session so new events are pushed at once. Shutdown waits
// for close_notify at most `shutdown_timeout`.
// Thread-safety: public methods may be called from any thread; connections run on one
// internal io thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/log/store.h"
#include "sync/session.h"

namespace hoso::sync {

struct TlsConfig {
  std::string ca_pem;
  std::string cert_pem;  // this node's certificate
  std::string key_pem;   // this node's private key (the head-signing key)
  std::string crl_pem;   // may be empty
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds idle_timeout{90000};
  std::chrono::milliseconds keepalive{30000};
  std::chrono::milliseconds shutdown_timeout{2000};
  // A write the peer does not drain within this ends the connection.
  std::chrono::milliseconds write_timeout{30000};
  // The outgoing queue of a connection, BATCH frames aside (the window bounds those): a peer
  // that lets more pile up does not read, and is disconnected.
  size_t max_queued_bytes = 8 << 20;
  size_t max_queued_frames = 65536;
  std::chrono::milliseconds backoff_min{200};
  std::chrono::milliseconds backoff_max{30000};
  size_t max_frame = kDefaultMaxFrame;
  // While a frame is partly received, the peer must deliver at least min_rate bytes/s averaged
  // since the frame began, checked once min_rate_window has passed; slower (slowloris) is cut.
  size_t min_rate = 1024;
  // Received batches held by the node (decompressed, queued or being ingested, counted at the
  // size their zstd frame declares, reserved before they are decompressed and given back when
  // their events are freed), across all sessions. A batch that would take the total past this
  // ends its session with ERROR (`node busy: ...`); its peer reconnects with backoff.
  size_t max_inflight_batch_bytes = size_t{256} << 20;
  // One peer identity's share of them (its sessions together: a new one replacing an old
  // one inherits what the old one still holds): a batch that would take it past this waits,
  // the peer unread, until its earlier batches are ingested, so one peer cannot hold the
  // node's whole budget. At least kMaxBatchPlainBytes, or batches past it are refused.
  size_t max_session_batch_bytes = kMaxBatchPlainBytes;
  std::chrono::milliseconds min_rate_window{60000};
  // Accepted connections, handshakes in progress included: in total, and per remote address
  // until the peer's certificate identity is verified (then one session per identity bounds
  // it: communes behind one NAT share an address). One past either cap is closed at once,
  // before any TLS.
  size_t max_conns_per_address = 8;
  size_t max_conns = 256;
  // Of those, connections whose TLS handshake is not done (raw TCP, a ClientHello trickled):
  // one accepted past this, or past max_conns, closes the oldest of them to make room, so
  // connections that never start TLS cannot keep a certified peer out. Each must send its
  // first byte within tls_start_timeout, and finish within handshake_timeout.
  size_t max_pre_tls_conns = 64;
  std::chrono::milliseconds tls_start_timeout{3000};
  // A failing accept (EMFILE: descriptors exhausted) waits this long, doubling up to the max.
  std::chrono::milliseconds accept_backoff_min{100};
  std::chrono::milliseconds accept_backoff_max{5000};
  // Identical log lines within this are counted, not written: the next one after it says
  // "(repeated N times)".
  std::chrono::milliseconds log_repeat_interval{10000};
  // Structured log sink: level ("info", "warn", "error") and a message without personal data.
  std::function<void(std::string_view level, std::string_view message)> log;
};

struct PeerStatus {
  std::string address;  // host:port for upstreams, the remote endpoint for accepted peers
  std::string unit;     // from the certificate, once known
  uint64_t epoch = 0;
  bool connected = false;
  bool upstream = false;
  int64_t last_success_ms = 0;                  // last time a session with it was settled
  int64_t since_ms = 0;                         // connected or disconnected since
  uint64_t bytes_sent = 0, bytes_received = 0;  // protocol payload (frames), all sessions
  uint64_t wire_sent = 0, wire_received = 0;    // TLS records on the TCP connection
  uint64_t events_received = 0, duplicates_received = 0, events_sent = 0;
  int64_t clock_skew_ms = 0;
  std::string last_error;
};

struct Conn;

class SyncNode {
 public:
  // Makes the TLS context from `config` (certificate, key matching it, CA, CRL) and starts the
  // io thread; fails, naming what is wrong, when the context cannot be made. `store` and
  // `clock` must outlive the node.
  static Result<std::unique_ptr<SyncNode>> Create(Store* store, TlsConfig config,
                                                  const Clock* clock, SessionOptions options = {});
  ~SyncNode();
  SyncNode(const SyncNode&) = delete;
  SyncNode& operator=(const SyncNode&) = delete;

  // Binds and starts accepting; returns the bound port (pass 0 for any free port).
  Result<uint16_t> Listen(const std::string& address, uint16_t port);
  // Keeps a connection to an upstream (reconnecting with backoff) until Stop. When
  // `expected_unit` is given, a peer whose certificate names another unit is refused: the
  // daemon passes the unit of a pinned `upstream` entry (UNIT@host:port, node/config.h).
  void ConnectTo(const std::string& host, uint16_t port, const std::string& expected_unit = "");
  // Until Release, a listener binds but accepts no connection (peers wait in the backlog, then
  // back off) and no upstream is dialled: sync is held, e.g. while the store checks itself.
  // Call before Listen and ConnectTo.
  void Hold(std::string reason);
  void Release();
  // Why sync is held ("" when it is not).
  std::string HeldBecause() const;
  // Replaces the CRL used for new connections.
  Status ReloadCrl(const std::string& crl_pem);
  void Stop();
  std::vector<PeerStatus> Peers() const;
  // Bytes of received batches held now (TlsConfig::max_inflight_batch_bytes).
  uint64_t HeldBatchBytes() const;

 private:
  friend struct Conn;
  struct Impl;
  // Starts the node Create configured.
  explicit SyncNode(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hoso::sync
