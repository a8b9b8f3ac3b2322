// The attacks of flood_bench (bench/flood_bench.h): each as issue 16 describes it, driven
// from its own loopback addresses (127.0.N.x, N per attack) so that the per-address caps see
// distinct attackers, with certificates of the deployment's CA where the attack needs one.
#include <sys/resource.h>

#include <random>

#include "bench/flood_bench.h"
#include "core/base/clock.h"
#include "sync/messages.h"
#include "tools/provision.h"

namespace hoso::bench::flood {

using namespace std::chrono_literals;

std::string Target::Issue(uint64_t epoch) const {
  std::string out = dir + "/attackers/30283-" + std::to_string(epoch);
  auto issued = tools::CaIssue(ca, "30283", epoch, out, 1);
  if (!issued.ok()) {
    std::fprintf(stderr, "flood_bench: issuing 30283#%llu: %s\n",
                 static_cast<unsigned long long>(epoch), issued.status().message().c_str());
    std::exit(1);
  }
  return out;
}

namespace {

std::string Hello(const std::string& unit, uint64_t epoch, uint64_t counter = 0) {
  sync::Hello h;
  h.unit = unit;
  h.epoch = epoch;
  h.wall_ms = SystemClock::Default()->NowMs();
  h.counter = counter;
  return sync::Frame(sync::EncodeMessage(h));
}

}  // namespace

// 1. A certified peer sends PINGs and never reads; reconnects when cut.
Attack Pings(const Target& t, int n, uint64_t first_epoch) {
  Attack a;
  a.name = "pings_" + std::to_string(n);
  a.about = "certified peers sending PINGs, never reading";
  a.attackers = n;
  auto bundles = std::make_shared<std::vector<std::string>>();
  for (int i = 0; i < n; ++i) bundles->push_back(t.Issue(first_epoch + i));
  a.run = [&t, n, first_epoch, bundles](Env& env) {
    env.Spawn(n, [&env, &t, first_epoch, bundles](int i) {
      TlsPeer peer((*bundles)[i]);
      std::string pings;
      for (int k = 0; k < 4096; ++k) pings += sync::Frame(sync::EncodeMessage(sync::Ping{1}));
      std::string from = "127.0.10." + std::to_string(i + 1);
      while (!env.stop) {
        auto s = peer.Connect(from, t.sync_port, &env.live);
        if (!s) {
          env.Sleep(50);
          continue;
        }
        env.Add("sessions count", 1);
        boost::system::error_code ec;
        asio::write(*s, asio::buffer(Hello("30283", first_epoch + i)), ec);
        while (!ec && !env.stop) {
          size_t w = asio::write(*s, asio::buffer(pings), ec);
          env.Add("sent_mb MB", w / 1e6);
        }
        TlsPeer::Drop(std::move(s), &env.live);
      }
    });
  };
  return a;
}

// 2. BATCH frames of a few KB whose events decompress to just under the per-batch limit
// (sync::kMaxBatchPlainBytes, 32 MiB; 64 MiB before it was lowered, when bombs of that size
// were measured), from n sessions.
Attack Bombs(const Target& t, int n, uint64_t first_epoch) {
  Attack a;
  a.name = "bomb_" + std::to_string(n);
  a.about = "BATCH frames decompressing to just under " +
            std::to_string(sync::kMaxBatchPlainBytes >> 20) + " MiB";
  a.attackers = n;
  a.cap_mb = 256;  // TlsConfig::max_inflight_batch_bytes
  auto bundles = std::make_shared<std::vector<std::string>>();
  auto frames = std::make_shared<std::vector<std::string>>();
  for (int i = 0; i < n; ++i) bundles->push_back(t.Issue(first_epoch + i));
  a.prepare = [n, first_epoch, bundles, frames](Env& env) {
    sync::BatchMsg m;
    // Events of 65,000 zero bytes, as many as fit under kMaxBatchPlainBytes (516: 31.99 MiB
    // of CBOR).
    size_t count = (sync::kMaxBatchPlainBytes - 3) / (65000 + 3);
    m.batch.events.assign(count, std::string(65000, '\0'));
    m.batch.head.seq = count;
    m.batch.head.signature.assign(64, 'x');
    for (int i = 0; i < n; ++i) {
      m.batch.stream = {"30283", "30283", first_epoch + i};
      frames->push_back(sync::Frame(sync::EncodeMessage(m)));
    }
    env.Add("frame_bytes bytes", static_cast<double>(frames->front().size()));
    env.Add("plain_bytes bytes", static_cast<double>(sync::BatchPlainBytes(m.batch.events)));
  };
  a.run = [&t, n, first_epoch, bundles, frames](Env& env) {
    env.Spawn(n, [&env, &t, first_epoch, bundles, frames](int i) {
      TlsPeer peer((*bundles)[i]);
      std::string from = "127.0.11." + std::to_string(i + 1);
      while (!env.stop) {
        auto s = peer.Connect(from, t.sync_port, &env.live);
        if (!s) {
          env.Sleep(50);
          continue;
        }
        env.Add("sessions count", 1);
        boost::system::error_code ec;
        asio::write(*s, asio::buffer(Hello("30283", first_epoch + i)), ec);
        while (!ec && !env.stop) {
          asio::write(*s, asio::buffer((*frames)[i]), ec);
          if (!ec) env.Add("bombs_sent count", 1);
        }
        TlsPeer::Drop(std::move(s), &env.live);
      }
    });
  };
  return a;
}

// 3. CHANGES naming invented "$..." channels, then huge knowledge (invented origins of a
// shared channel), 60,000 entries a session, a new session each second.
Attack Changes(const Target& t, int n, uint64_t first_epoch) {
  Attack a;
  a.name = "changes_" + std::to_string(n);
  a.about = "CHANGES with invented $ channels, then 60k invented streams a session";
  a.attackers = n;
  a.probe = "/v1/sync/status";
  auto bundles = std::make_shared<std::vector<std::string>>();
  for (int i = 0; i < n; ++i) bundles->push_back(t.Issue(first_epoch + i));
  a.run = [&t, n, first_epoch, bundles](Env& env) {
    env.Spawn(n, [&env, &t, first_epoch, bundles](int i) {
      TlsPeer peer((*bundles)[i]);
      std::mt19937_64 rng(i);
      std::string from = "127.0.12." + std::to_string(i + 1);
      for (uint64_t round = 1; !env.stop; ++round) {
        auto s = peer.Connect(from, t.sync_port, &env.live);
        if (!s) {
          env.Sleep(50);
          continue;
        }
        sync::Changes c{round, {}};
        for (int k = 0; k < 60000; ++k) {
          std::string id = std::to_string(round) + "x" + std::to_string(k);
          StreamKey key =
              round == 1 ? StreamKey{"$inv" + id, "30283", 1} : StreamKey{"30283", "f" + id, 1};
          StreamHead head{rng() % 1000 + 1, {}, false};
          for (auto& b : head.id) b = static_cast<uint8_t>(rng());
          c.entries.emplace(key, head);
        }
        boost::system::error_code ec;
        asio::write(*s, asio::buffer(Hello("30283", first_epoch + i, round)), ec);
        asio::write(*s, asio::buffer(sync::Frame(sync::EncodeMessage(c))), ec);
        if (!ec) env.Add("entries_sent count", 60000);
        env.Sleep(1000);
        TlsPeer::Drop(std::move(s), &env.live);
      }
    });
  };
  return a;
}

// 4. Unauthenticated POST /v1/bundle announcing 256 MiB, the body sent as fast as it goes.
Attack Bundles(const Target& t, int n) {
  Attack a;
  a.name = "bundle_" + std::to_string(n);
  a.about = "unauthenticated POST /v1/bundle, Content-Length 256 MiB";
  a.attackers = n;
  a.run = [&t, n](Env& env) {
    env.Spawn(n, [&env, &t](int i) {
      std::string head =
          "POST /v1/bundle HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(t.api_port) +
          "\r\nContent-Length: " + std::to_string(size_t{256} << 20) + "\r\n\r\n";
      std::string chunk(1 << 20, 'B');
      std::string from = "127.0.13." + std::to_string(i + 1);
      while (!env.stop) {
        int fd = ConnectFrom(from, t.api_port, 2000);
        if (fd < 0) {
          env.Sleep(50);
          continue;
        }
        env.live.Add(fd);
        timeval tv{2, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        bool ok = SendAll(fd, head);
        for (int k = 0; ok && k < 256 && !env.stop; ++k) {
          ok = SendAll(fd, chunk);
          if (ok) env.Add("sent_mb MB", chunk.size() / 1e6);
        }
        env.Add(ReadHttpStatus(fd, 500) == 401 ? "answered_401 count" : "other count", 1);
        env.live.Remove(fd);
        ::close(fd);
      }
    });
  };
  return a;
}

// 4b. The body budget itself: one token holder opening 128 POST /v1/cases of 1 MiB each,
// every body sent but its last byte, and held.
Attack Bodies(const Target& t) {
  Attack a;
  a.name = "bodies_token_128";
  a.about = "128 x 1 MiB bodies held open (with the token)";
  a.cap_mb = 64;  // ApiServerOptions::max_buffered_bytes
  a.run = [&t](Env& env) {
    env.Spawn(1, [&env, &t](int) {
      std::string head =
          "POST /v1/cases HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(t.api_port) + "\r\n" +
          t.Bearer() + "Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n";
      std::string body((1 << 20) - 1, ' ');
      std::vector<int> fds;
      for (int k = 0; k < 128 && !env.stop; ++k) {
        int fd = ConnectFrom("127.0.14.1", t.api_port, 2000);
        if (fd < 0) continue;
        env.live.Add(fd);
        timeval tv{2, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (SendAll(fd, head) && SendAll(fd, body)) env.Add("sent_mb MB", 1.048576);
        fds.push_back(fd);
      }
      for (int fd : fds) {
        if (ReadHttpStatus(fd, 10) == 503) env.Add("answered_503 count", 1);
      }
      env.Sleep(60000);
      for (int fd : fds) {
        env.live.Remove(fd);
        ::close(fd);
      }
    });
  };
  return a;
}

// 5. 20,000 idle TCP connections from 100 addresses; those the node closed are opened again
// once, 5 s in. `exhausted`: the node's descriptor limit is lowered to 4,096 meanwhile.
Attack Idle(const Target& t, const std::string& which, bool exhausted) {
  Attack a;
  a.name = "idle_" + which + (exhausted ? "_exhausted" : "");
  a.seconds = 10;  // issue 16 counted the log written in 10 s
  a.about = "20,000 idle TCP connections to the " + which + " port" +
            (exhausted ? " (node limited to 4,096 descriptors)" : "");
  uint16_t port = which == "sync" ? t.sync_port : t.api_port;
  std::string net = which == "sync" ? "127.0.15." : exhausted ? "127.0.17." : "127.0.16.";
  if (exhausted) {
    // Only the soft limit moves: raising a hard one back needs CAP_SYS_RESOURCE.
    auto saved = std::make_shared<rlimit>();
    a.prepare = [&t, saved](Env& env) {
      rlimit r{};
      if (::prlimit(t.pid, RLIMIT_NOFILE, nullptr, saved.get()) == 0) {
        r = {std::min<rlim_t>(kExhaustedNofile, saved->rlim_max), saved->rlim_max};
      }
      bool set = ::prlimit(t.pid, RLIMIT_NOFILE, &r, nullptr) == 0;
      env.Add("node_nofile count", set ? static_cast<double>(r.rlim_cur) : 0);
    };
    a.after = [&t, saved](Env&) { ::prlimit(t.pid, RLIMIT_NOFILE, saved.get(), nullptr); };
  }
  auto fresh = which == "sync" ? std::make_shared<std::string>(t.Issue(401)) : nullptr;
  a.run = [&t, port, net, fresh](Env& env) {
    env.Spawn(1, [&env, &t, port, net, fresh](int) {
      // 20,000, or what the bench's descriptors allow (said in the output).
      rlimit lim{};
      ::getrlimit(RLIMIT_NOFILE, &lim);
      size_t want = std::min<size_t>(20000, lim.rlim_cur - 256);
      if (want < 20000) env.Add("conns_capped_at count", static_cast<double>(want));
      std::vector<int> fds(want, -1);
      // Within 5 s: a node that stops accepting leaves connects hanging in a full backlog.
      auto until = std::chrono::steady_clock::now() + 5s;
      auto open = [&](size_t k) {
        if (std::chrono::steady_clock::now() > until) return;
        fds[k] = ConnectFrom(net + std::to_string(k % 100 + 1), port, 200);
        if (fds[k] < 0) env.Add("connect_failed count", 1);
      };
      for (size_t k = 0; k < fds.size() && !env.stop; ++k) open(k);
      env.Add("opened count", static_cast<double>(std::count_if(fds.begin(), fds.end(),
                                                                [](int fd) { return fd >= 0; })));
      if (fresh && env.Sleep(1000)) {
        // A legitimate peer's new session (not the child's kept one) meanwhile.
        LiveSockets live;
        TlsPeer peer(*fresh);
        auto s = peer.Connect("127.0.0.1", t.sync_port, &live);
        env.Add("fresh_peer_admitted bool", s ? 1 : 0);
        TlsPeer::Drop(std::move(s), &live);
      }
      if (env.Sleep(4000)) {
        until = std::chrono::steady_clock::now() + 2s;
        size_t closed = 0;
        for (size_t k = 0; k < fds.size(); ++k) {
          if (fds[k] >= 0 && PeerClosed(fds[k])) {
            ++closed;
            ::close(fds[k]);
            fds[k] = -1;
            open(k);
          }
        }
        env.Add("closed_by_node count", static_cast<double>(closed));
      }
      env.Sleep(60000);
      size_t held = 0;
      for (int fd : fds) {
        if (fd >= 0 && !PeerClosed(fd)) ++held;
        if (fd >= 0) ::close(fd);
      }
      env.Add("held_at_end count", static_cast<double>(held));
    });
  };
  return a;
}

// 6. 24 clients sending wrong passwords (logins that do not exist: the full 600,000 PBKDF2
// iterations each), from 24 addresses, each up to 10 a second; the probe is an
// authenticated GET /v1/cases.
Attack Logins(const Target& t, int n) {
  Attack a;
  a.name = "logins_" + std::to_string(n);
  a.about = "wrong passwords to POST /v1/login";
  a.attackers = n;
  a.probe = "/v1/cases";
  a.run = [&t, n](Env& env) {
    env.Spawn(n, [&env, &t](int i) {
      std::string from = "127.0.18." + std::to_string(i + 1);
      for (int k = 0; !env.stop; ++k) {
        std::string body = R"({"login":"intruder)" + std::to_string(i) + "x" + std::to_string(k) +
                           R"(","password":"wrong-password-)" + std::to_string(k) + R"("})";
        auto r = HttpExchange(from, t.api_port,
                              HttpRequest("POST", "/v1/login", t.api_port,
                                          "Content-Type: application/json\r\n", body),
                              10000);
        env.Add("answered_" + std::to_string(r.status) + " count", 1);
        env.Sleep(100);  // each client: one try after the other, 10 a second at most
      }
    });
  };
  return a;
}

// 7. 20 sessions with one certificate, each reconnecting when replaced.
Attack SameCert(const Target& t, int n) {
  Attack a;
  a.name = "same_cert_" + std::to_string(n);
  a.about = "sessions with one certificate";
  a.attackers = 1;  // one identity
  auto bundle = std::make_shared<std::string>(t.Issue(301));
  a.run = [&t, n, bundle](Env& env) {
    env.Spawn(n, [&env, &t, bundle](int i) {
      TlsPeer peer(*bundle);
      std::string from = "127.0.19." + std::to_string(i + 1);
      char buf[16384];
      while (!env.stop) {
        auto s = peer.Connect(from, t.sync_port, &env.live);
        if (!s) {
          env.Sleep(50);
          continue;
        }
        env.Add("sessions count", 1);
        boost::system::error_code ec;
        asio::write(*s, asio::buffer(Hello("30283", 301)), ec);
        while (!ec && !env.stop) s->read_some(asio::buffer(buf), ec);
        TlsPeer::Drop(std::move(s), &env.live);
      }
    });
    // The node's view: sessions of that identity connected at once.
    env.threads.emplace_back([&env, &t] {
      auto client = tools::ApiClient::ForNode(t.net->NodeDir("883"));
      while (client.ok() && env.Sleep(200)) {
        auto st = client->Call("GET", "/v1/sync/status");
        if (!st.ok()) continue;
        auto v = node::ParseJson(st->body);
        if (!v.ok()) continue;
        int live = 0;
        for (const auto& p : v->at("peers").as_array()) {
          live += p.at("unit").as_string() == "30283" && p.at("connected").as_bool();
        }
        env.Max("connected_max count", live);
      }
    });
  };
  return a;
}

}  // namespace hoso::bench::flood
