#include <dlfcn.h>
#include <malloc.h>

#include "sync/tls/context.h"
#include "sync/tls/node_internal.h"

namespace hoso::sync {

namespace {

// Gives the pages of large freed blocks back to the system. jemalloc (the allocator RocksDB
// brings into the node) keeps freed extents resident for its decay time and does not reuse
// the large ones a batch of 64 KiB events leaves for the next batch's: under a flood of bombs
// the node held more than twice what its budgets count (bomb_1: +80 MiB for a 32 MiB share).
void ReleaseFreedMemory() {
  using Mallctl = int (*)(const char*, void*, size_t*, void*, size_t);
  static const auto mallctl = reinterpret_cast<Mallctl>(dlsym(RTLD_DEFAULT, "mallctl"));
  if (mallctl) {
    mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0);  // 4096: every arena
    return;
  }
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

}  // namespace

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
    if (c->outbox.empty() && c->chunk_outbox.empty()) {
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
    auto& box = c->outbox.empty() ? c->chunk_outbox : c->outbox;
    std::string frame = std::move(box.front().frame);
    if (!box.front().batch) {
      c->queued_bytes -= frame.size();
      --c->queued_frames;
    }
    box.pop_front();
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

// Reserves a received BATCH's bytes at the size its zstd frame declares, then decompresses
// it: nothing is allocated for the events before both reservations hold. First its peer's
// share: past it the reader waits, the peer unread, for that identity's earlier batches to be
// ingested. Then the node's budget: past it the session ends ("node busy").
awaitable<Status> AdmitBatch(std::shared_ptr<Conn> c, BatchMsg* b) {
  const TlsConfig& config = c->impl->config;
  const uint64_t n = b->plain_bytes;
  if (c->closed || c->close_after_flush) co_return Status::FailedPrecondition("connection closing");
  if (n > config.max_session_batch_bytes) {
    co_return Status::OutOfRange("BATCH of " + std::to_string(n) +
                                 " bytes decompressed exceeds a session's share of " +
                                 std::to_string(config.max_session_batch_bytes));
  }
  if (c->batch_bytes->load() + n > config.max_session_batch_bytes) {
    // Waiting on our own workers, not on the peer: no deadline of the peer's runs meanwhile.
    c->deadline = SteadyClock::time_point::max();
    while (!c->closed && !c->close_after_flush &&
           c->batch_bytes->load() + n > config.max_session_batch_bytes) {
      // Woken by the completion of each of its batches; the period is a safety net.
      c->share_wait.expires_after(std::chrono::milliseconds(100));
      co_await c->share_wait.async_wait(kTuple);
    }
    if (c->closed || c->close_after_flush) {
      co_return Status::FailedPrecondition("connection closing");
    }
    c->deadline = SteadyClock::now() + config.idle_timeout;
    c->deadline_reason.clear();
    c->watchdog.cancel();  // it now waits for that deadline
  }
  if (!c->impl->batch_budget->Reserve(n)) {
    co_return Status::FailedPrecondition("node busy: received batches over " +
                                         std::to_string(config.max_inflight_batch_bytes) +
                                         " bytes across sessions, try again later");
  }
  b->hold = std::make_shared<BatchHold>(c->impl->batch_budget, c->batch_bytes, n);
  // The pages of the batches freed before this one go back first: otherwise they stay
  // resident beside this one's (the budgets count what is held, not what the allocator keeps).
  if (n >= (1 << 20)) ReleaseFreedMemory();
  co_return InflateBatch(b);
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
  const auto handshake_deadline = SteadyClock::now() + config.handshake_timeout;
  c->deadline = handshake_deadline;
  if (server) {
    // A connection that opens and says nothing holds one of the few places before TLS: its
    // ClientHello must start soon.
    c->deadline = std::min(handshake_deadline, SteadyClock::now() + config.tls_start_timeout);
    c->deadline_reason = "no TLS within " + std::to_string(config.tls_start_timeout.count()) +
                         " ms of connecting, closed";
  }
  asio::co_spawn(ex, Watchdog(c), asio::detached);
  if (server) {
    co_await c->stream.next_layer().async_wait(tcp::socket::wait_read, kTuple);
    c->deadline = handshake_deadline;  // the watchdog, woken at the first, sees the later one
    c->deadline_reason.clear();
  }
  auto [hs] = co_await c->stream.async_handshake(
      server ? ssl::stream_base::server : ssl::stream_base::client, kTuple);
  c->LeavePreTls();
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
    // A pin on the province's old code (89) accepts its successor (91): one root authority.
    auto same_root = [&] {
      auto dir = store->DirectorySnapshot();
      int64_t now = clock->NowMs();
      return dir->IsRootAuthority(expected_unit, now) && dir->IsRootAuthority(peer->unit, now);
    };
    if (peer.ok() && !expected_unit.empty() && peer->unit != expected_unit && !same_root()) {
      peer = Status::PermissionDenied("the upstream's certificate names unit " + peer->unit +
                                      ", not the parent " + expected_unit);
    }
  }
  if (c->evicted) {
    // Accept said so once for all of them (a line each would be the flood it makes room in).
    Update(c->status, [](PeerStatus& p) { p.last_error = "closed before TLS to make room"; });
    c->Close();
  } else if (c->closed) {
    // The watchdog closed it at a deadline and said which.
  } else if (hs || !peer.ok()) {
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
    c->Authenticated();
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
    c->batch_bytes = ShareOf(peer->unit + "#" + std::to_string(peer->epoch));
    c->session = std::make_unique<SyncSession>(
        store, peer->unit, peer->epoch, [this](const OriginMsg& o) { return CheckOrigin(o); },
        clock, options);
    c->session->SetPeerIdentity(peer->public_key, peer_pem);
    std::weak_ptr<Conn> weak = c;
    // Batches come here reserved and decompressed (AdmitBatch), and are moved, never copied.
    c->session->SetIngestSink([this, weak, ex](BatchMsg batch) {
      std::string key = batch.batch.stream.Encode();
      ingest->Submit(std::move(key), [this, weak, ex, m = std::move(batch)]() mutable {
        IngestStats st;
        Status s = store->Ingest(m.batch, &st, std::move(m.keys));
        // The events go now, their pages with them, then their bytes back to the budgets: the
        // completion needs only the stream and head, and may wait behind other frames on the
        // io thread.
        Batch b{m.batch.stream, {}, m.batch.head};
        std::vector<std::string>().swap(m.batch.events);
        if (m.plain_bytes >= (1 << 20)) ReleaseFreedMemory();
        m = BatchMsg{};
        if (s.ok() && st.clock_ahead) {
          // Stable text, so the rate limit holds it back; the figures are in the status.
          Log("warn", "origin " + b.stream.origin + "#" + std::to_string(b.stream.epoch) +
                          " writes events with a clock ahead of ours, beyond the allowed drift");
        }
        asio::post(ex, [weak, b = std::move(b), s, st] {
          auto conn = weak.lock();
          if (!conn || conn->closed || !conn->session) return;
          conn->share_wait.cancel();  // a reader waiting for its share looks again
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
    std::vector<Message> out;
    Status started = c->session->Start(&out);
    c->Send(out);  // on failure it ends with the ERROR, flushed before the connection closes
    if (!started.ok()) {
      c->Fail(started.message());
      c->close_after_flush = true;
    }
    c->listener = store->AddCommitListener([weak, ex](const std::vector<StreamKey>& moved) {
      if (weak.expired()) return;  // the connection (and maybe its io context) is gone
      asio::post(ex, [weak, moved] {
        auto conn = weak.lock();
        if (!conn || conn->closed || !conn->session) return;
        std::vector<Message> pushed;
        conn->session->OnCommit(moved, &pushed);  // only what moved: see session.h
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
      // Ended while the read was completing (an ingest refused): the rest is not looked at.
      if (c->closed || c->close_after_flush) break;
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
        auto m = DecodeMessage(**next, config.max_frame, BatchEvents::kDeferred);
        if (!m.ok()) {
          s = m.status();
          break;
        }
        if (auto* b = std::get_if<BatchMsg>(&*m)) {
          auto waited_from = SteadyClock::now();
          s = co_await AdmitBatch(c, b);
          // Time spent waiting on our own workers is not the peer's to make up.
          if (partial_since) *partial_since += SteadyClock::now() - waited_from;
          if (!s.ok()) break;
        }
        s = c->session->Handle(std::move(*m), &out);
        if (!s.ok()) break;  // the session appended its ERROR to out
      }
      // Ended by someone else while a batch waited for its share: they said why, to the peer
      // and in the log.
      const bool ended_meanwhile = !s.ok() && (c->closed || c->close_after_flush);
      if (!s.ok() && !ended_meanwhile &&
          (out.empty() || !std::holds_alternative<ErrorMsg>(out.back()))) {
        out.push_back(ErrorMsg{CodeName(s.code()), s.message()});
      }
      c->Send(out);
      if (!s.ok()) {
        if (!ended_meanwhile) c->Fail(s.message());
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

}  // namespace hoso::sync
