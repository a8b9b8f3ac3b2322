#include "sync/tls/context.h"
#include "sync/tls/node_internal.h"

namespace hoso::sync {

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
    std::shared_ptr<Conn> evicted;
    {
      std::lock_guard lock(mu);
      auto from = accepted_by_address.find(host);
      if (from != accepted_by_address.end() && from->second >= config.max_conns_per_address) {
        refused = true;
      } else {
        // Connections that never start TLS must not keep a certified peer out: the oldest of
        // them makes room (each has had the longest to start).
        while ((accepted_total >= config.max_conns || pre_tls.size() >= config.max_pre_tls_conns) &&
               !pre_tls.empty() && !evicted) {
          evicted = pre_tls.front().lock();
          pre_tls.pop_front();
          if (evicted) {
            evicted->pre_tls_pos.reset();
            evicted->UncountLocked();
          }
        }
        if (accepted_total >= config.max_conns) {
          refused = true;
        } else {
          ++accepted_by_address[host];
          ++accepted_total;
        }
      }
    }
    if (evicted) {
      evicted->evicted = true;
      evicted->Close();
      // One stable line for all of them: a line each would be the flood itself.
      Log("warn", "closed the oldest connection not yet in TLS to make room: over " +
                      std::to_string(config.max_pre_tls_conns) + " not in TLS or " +
                      std::to_string(config.max_conns) + " in total");
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
    c->counted_total = true;
    c->log_address = host;  // the port changes with every connection: lines would not fold
    {
      std::lock_guard lock(mu);
      c->pre_tls_pos = pre_tls.insert(pre_tls.end(), c);
    }
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
        // The message by value: clang 14 cannot capture a structured binding (C++20, P1091).
        Update(status,
               [msg = cec.message()](PeerStatus& p) { p.last_error = "connect failed: " + msg; });
      }
    } else {
      Update(status,
             [msg = rec.message()](PeerStatus& p) { p.last_error = "resolve failed: " + msg; });
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

Result<std::unique_ptr<SyncNode>> SyncNode::Create(Store* store, TlsConfig config,
                                                   const Clock* clock, SessionOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->store = store;
  impl->config = std::move(config);
  impl->clock = clock;
  impl->options = options;
  // Frames are cut to what the peer reads, taken to be no less than what this node reads.
  impl->options.max_frame = std::min(options.max_frame, impl->config.max_frame);
  impl->crl_pem = impl->config.crl_pem;
  auto ctx = MakeContext(impl->config, impl->crl_pem);
  if (!ctx.ok()) return ctx.status().Annotate("sync TLS");
  impl->ctx = std::move(ctx).value();
  impl->batch_budget = std::make_shared<BatchBudget>(impl->config.max_inflight_batch_bytes);
  impl->repeats = std::make_unique<RepeatedLines>(impl->config.log_repeat_interval);
  return std::unique_ptr<SyncNode>(new SyncNode(std::move(impl)));
}

SyncNode::SyncNode(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  Store* store = impl_->store;
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

uint64_t SyncNode::HeldBatchBytes() const { return impl_->batch_budget->held.load(); }

std::vector<PeerStatus> SyncNode::Peers() const {
  std::lock_guard lock(impl_->mu);
  std::vector<PeerStatus> out;
  for (const auto& p : impl_->peers) out.push_back(*p);
  return out;
}

}  // namespace hoso::sync
