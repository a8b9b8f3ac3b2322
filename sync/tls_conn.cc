#include "sync/tls_node_internal.h"

namespace hoso::sync {

namespace {

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
        if (s.ok() && st.clock_ahead) {
          // Stable text, so the rate limit holds it back; the figures are in the status.
          Log("warn", "origin " + b.stream.origin + "#" + std::to_string(b.stream.epoch) +
                          " writes events with a clock ahead of ours, beyond the allowed drift");
        }
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

}  // namespace hoso::sync
