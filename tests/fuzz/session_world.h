// The small network the session target (sync_session_fuzz.cc) and its seed generator
// (make_corpus.cc) share, so that the frames captured from a real sync match the store the
// fuzzer replays them into: province 89 (the root: directory and catalogue), district 883
// (the node under test, with cases of its own) and commune 30280, all in memory, on the
// fixed test clock and the test keys, so every build of it is the same bytes.
#pragma once

#include <memory>
#include <string>

#include "core/domain/reference_data.h"
#include "sync/messages.h"
#include "sync/session.h"
#include "tests/fuzz/fuzz.h"

namespace hoso::fuzz {

// The test deployment's rule: an origin is trusted when its key is the test key of its unit.
inline Status TestOriginVerifier(const sync::OriginMsg& o) {
  if (o.unit.empty() || o.unit.size() > 9 ||
      o.unit.find_first_not_of("0123456789") != std::string::npos) {
    return Status::PermissionDenied("not a test unit");
  }
  if (o.public_key == testing::KeyFor(std::stoi(o.unit)).public_key()) return Status::Ok();
  return Status::PermissionDenied("key not issued by the test CA");
}

struct SessionWorld {
  std::unique_ptr<MemNode> province, commune;
};

inline std::unique_ptr<SessionWorld> BuildSessionWorld() {
  auto w = std::make_unique<SessionWorld>();
  w->province = OpenMemNode("89");
  Store& p = *w->province->store;
  auto ok = [](const Status& s) {
    if (!s.ok()) {
      std::fprintf(stderr, "building the session world: %s\n", s.ToString().c_str());
      std::abort();
    }
  };
  ok(p.Append(DirectoryWrites(testing::SmallTree(), 0, "it")).status());
  Procedure proc{"1.002668", "Đăng ký khai sinh",           "UBND cấp xã", 5, true, true,
                 0,          {"Tờ khai", "Giấy chứng sinh"}};
  ok(p.Append(CatalogueWrites({proc}, "it")).status());
  w->commune = OpenMemNode("30280");
  CopyEverything(p, *w->commune->store);
  ok(testing::ReceiveCases(*w->commune->store, "30280", "30280-C", 0, 4));
  ok(w->commune->store->Append(testing::StepWrite("30280", "30280-C1", "processing")).status());
  return w;
}

// The node under test: what the province holds, and cases of its own.
inline std::unique_ptr<MemNode> OpenDistrict(const SessionWorld& w) {
  auto d = OpenMemNode("883");
  CopyEverything(*w.province->store, *d->store);
  Status s = testing::ReceiveCases(*d->store, "883", "883-C", 0, 2);
  if (!s.ok()) std::abort();
  return d;
}

// The district the targets share across inputs: opening a store costs about 200 ms under the
// sanitizers, too much for each input. Before each input, what it knows of its peers is
// forgotten (StartInput), so that no input inherits an earlier one's announcements; what
// stays is the events it ingested, which only a real origin's signature gets in: the seeds'
// (after the first input that carries them, they are duplicates).
inline MemNode& SharedDistrict(const SessionWorld& w) {
  static MemNode* d = OpenDistrict(w).release();
  return *d;
}

inline void StartInput(MemNode& district) {
  district.clock.Set(testing::kTestNow);
  sync::PeerState peers(district.store.get());
  for (const char* peer : {"30280", "89"}) {
    const std::string key = sync::PeerKey(peer, 1);
    if (!peers.ForgetKnowledge(key, [](const std::string&) { return true; }).ok() ||
        !peers.SetCounter(key, 0).ok()) {
      std::abort();
    }
  }
}

inline std::unique_ptr<sync::SyncSession> SessionOf(MemNode& node, const std::string& peer) {
  sync::SessionOptions options;
  options.max_batch_events = 3;  // several batches from few events: windows and ACKs
  options.window = 2;
  options.max_peer_streams = 64;
  auto s = std::make_unique<sync::SyncSession>(node.store.get(), peer, 1, TestOriginVerifier,
                                               &node.clock, options);
  s->SetPeerIdentity(testing::KeyFor(std::stoi(peer)).public_key(), "");
  return s;
}

}  // namespace hoso::fuzz
