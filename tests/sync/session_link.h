// Test-only: two SyncSessions over an in-memory duplex (every message through the real frame
// and message codecs, both sides on real RocksDB stores), and a small tree of nodes to run
// them between. Used by the session tests (tests/sync/session_test.cc, document_sync_test.cc).
// Thread-safety: single-threaded, as the sessions it drives.
#pragma once

#include <catch2/catch.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "sync/session.h"
#include "tests/testing/testing.h"

namespace hoso::sync::testlink {

inline auto All = [](const std::string&) { return true; };

// Accepts an origin when the test "CA" (the keys tests derive from unit codes) issued it.
inline Status TestVerifier(const OriginMsg& o) {
  if (o.public_key == testing::KeyFor(std::stoi(o.unit)).public_key()) return Status::Ok();
  return Status::PermissionDenied("key not issued by the deployment's CA");
}

struct Direction {
  std::deque<std::string> wire;  // frames
  FrameReader reader;
  uint64_t bytes = 0;
  std::map<std::string, int> counts;
  std::map<std::string, uint64_t> bytes_by;  // frame bytes per message type
};

struct LinkResult {
  Status a, b;
  uint64_t bytes_ab = 0, bytes_ba = 0;
  std::map<std::string, int> counts_ab, counts_ba;
  std::map<std::string, uint64_t> bytes_by_ab, bytes_by_ba;
  bool settled = false;
};

// Runs two sessions to quiescence (or until `cut_after` bytes crossed the wire, simulating a
// cut link). OnCommit is called after every delivery, as the store's listener would.
// `hook` sees (and may change) every message before it is encoded; from_a says its direction.
using LinkHook = std::function<void(Message& m, bool from_a)>;
inline LinkResult RunLink(SyncSession& a, SyncSession& b, uint64_t cut_after = UINT64_MAX,
                          const LinkHook& hook = {}) {
  Direction ab, ba;
  LinkResult r;
  auto send = [&](std::vector<Message>& msgs, Direction& d) {
    for (auto& m : msgs) {
      if (hook) hook(m, &d == &ab);
      std::string f = Frame(EncodeMessage(m));
      d.bytes += f.size();
      d.counts[MessageName(m)]++;
      d.bytes_by[MessageName(m)] += f.size();
      d.wire.push_back(std::move(f));
    }
    msgs.clear();
  };
  std::vector<Message> out;
  r.a = a.Start(&out);
  send(out, ab);
  r.b = b.Start(&out);
  send(out, ba);
  auto deliver = [&](Direction& from, Direction& back, SyncSession& to, Status& st) {
    if (from.wire.empty()) return;
    REQUIRE(from.reader.Append(from.wire.front()).ok());
    from.wire.pop_front();
    while (true) {
      auto next = from.reader.Next();
      REQUIRE(next.ok());
      if (!*next) break;
      auto m = DecodeMessage(**next);
      REQUIRE(m.ok());
      std::vector<Message> replies;
      Status s = to.Handle(*m, &replies);
      if (!s.ok() && st.ok()) st = s;
      send(replies, back);
    }
  };
  for (int steps = 0; steps < 100000 && (!ab.wire.empty() || !ba.wire.empty()); ++steps) {
    if (ab.bytes + ba.bytes > cut_after) break;
    deliver(ab, ba, b, r.b);
    deliver(ba, ab, a, r.a);
    std::vector<Message> pushed;
    a.OnCommit(&pushed);
    send(pushed, ab);
    b.OnCommit(&pushed);
    send(pushed, ba);
  }
  r.bytes_ab = ab.bytes;
  r.bytes_ba = ba.bytes;
  r.counts_ab = ab.counts;
  r.counts_ba = ba.counts;
  r.bytes_by_ab = ab.bytes_by;
  r.bytes_by_ba = ba.bytes_by;
  r.settled = a.Settled() && b.Settled();
  return r;
}

struct Tree {
  testing::TempDir dir;
  std::unique_ptr<testing::TestNode> province, district, commune, other;
  Tree() {
    province = testing::OpenTestNode(dir.Sub("89"), "89");
    district = testing::OpenTestNode(dir.Sub("883"), "883");
    commune = testing::OpenTestNode(dir.Sub("30280"), "30280");
    other = testing::OpenTestNode(dir.Sub("30283"), "30283");
    REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  }
};

inline std::unique_ptr<SyncSession> Session(testing::TestNode& node, const std::string& peer,
                                            SessionOptions options = {}) {
  auto s =
      std::make_unique<SyncSession>(node.store.get(), peer, 1, TestVerifier, &node.clock, options);
  // What the TLS transport does with the peer's certificate.
  s->SetPeerIdentity(testing::KeyFor(std::stoi(peer)).public_key(), "");
  return s;
}

inline LinkResult Sync(testing::TestNode& a, const std::string& a_unit, testing::TestNode& b,
                       const std::string& b_unit, SessionOptions options = {}) {
  auto sa = Session(a, b_unit, options);
  auto sb = Session(b, a_unit, options);
  return RunLink(*sa, *sb);
}

}  // namespace hoso::sync::testlink
