// Sync's records of its peers over the store's meta key-value space: what they hold, their
// counters and receipts, byte for byte as docs/storage-format.md writes them.
#include "sync/peer_state.h"

#include <catch2/catch.hpp>

#include "core/base/coding.h"
#include "tests/testing/testing.h"

using namespace hoso;
using namespace hoso::sync;
using testing::OpenTestNode;
using testing::TempDir;

namespace {

Hash IdOf(uint8_t b) {
  Hash id{};
  id.fill(b);
  return id;
}

std::string Big64(uint64_t v) {
  std::string s;
  PutBig64(&s, v);
  return s;
}

// Every meta record under `prefix`, as stored.
std::map<std::string, std::string> Records(const Store& store, std::string_view prefix) {
  std::map<std::string, std::string> out;
  REQUIRE(store
              .ScanMeta(prefix,
                        [&](std::string_view k, std::string_view v) {
                          out.emplace(k, v);
                          return true;
                        })
              .ok());
  return out;
}

}  // namespace

TEST_CASE("peer state: knowledge, counters and receipts keep their bytes", "[peer_state]") {
  TempDir dir;
  auto node = OpenTestNode(dir.Sub("s"), "883");
  PeerState peers(node->store.get());
  const std::string peer = PeerKey("30280", 1);
  CHECK(peer == "30280#1");

  const StreamKey a{"30280", "30280", 1}, b{"30281", "30281", 2};
  REQUIRE(peers.UpdateKnowledge(peer, {{a, {7, IdOf(1), false, 0}}, {b, {3, IdOf(2)}}}).ok());
  REQUIRE(peers.UpdateKnowledge(peer, {{a, {9, IdOf(3)}}}).ok());
  REQUIRE(peers.UpdateKnowledge("30282#1", {{a, {1, IdOf(4)}}}).ok());
  auto known = peers.Knowledge(peer);
  REQUIRE(known.ok());
  REQUIRE(known->size() == 2);
  CHECK(known->at(a).seq == 9);
  CHECK(known->at(a).id == IdOf(3));
  CHECK(known->at(b).seq == 3);
  // "peer/" peer 0x00 stream_key -> u64be(seq) id u64be(ver)
  auto records = Records(*node->store, "peer/30280#1");
  REQUIRE(records.size() == 2);
  std::string key = std::string("peer/30280#1") + '\0' + a.Encode();
  REQUIRE(records.count(key) == 1);
  CHECK(records[key] == Big64(9) + std::string(32, '\3') + Big64(0));

  // Behind: what we hold past what the peer is known to hold, read stream by stream.
  VersionVector ours{{a, {12, IdOf(5)}}, {b, {3, IdOf(2)}}, {{"30283", "30283", 1}, {4, {}}}};
  auto behind = peers.EventsBehind(peer, ours);
  REQUIRE(behind.ok());
  CHECK(*behind == 3 + 0 + 4);
  CHECK(*peers.EventsBehind("nobody#1", ours) == 12 + 3 + 4);

  REQUIRE(peers.ForgetKnowledge(peer, [](const std::string& c) { return c == "30281"; }).ok());
  CHECK(peers.Knowledge(peer)->size() == 1);
  CHECK(peers.Knowledge("30282#1")->size() == 1);  // another peer's knowledge stays

  CHECK(*peers.Counter(peer) == 0);
  REQUIRE(peers.SetCounter(peer, 41).ok());
  CHECK(*peers.Counter(peer) == 41);
  CHECK(Records(*node->store, "peerseen/") ==
        std::map<std::string, std::string>{{"peerseen/30280#1", Big64(41)}});

  StoredReceipt r{"89", 1, 1700000000000, "signed body", std::string(64, 's')};
  REQUIRE(peers.AddReceipt(r).ok());
  auto receipts = peers.Receipts();
  REQUIRE(receipts.ok());
  REQUIRE(receipts->size() == 1);
  CHECK((*receipts)[0].holder == "89");
  CHECK((*receipts)[0].holder_epoch == 1);
  CHECK((*receipts)[0].at_ms == 1700000000000);
  CHECK((*receipts)[0].body == "signed body");
  CHECK((*receipts)[0].signature == r.signature);
  // "receipt/" unit 0x00 u64be(epoch) u64be(at_ms) -> str(body) sig
  std::string rkey = std::string("receipt/89") + '\0' + Big64(1) + Big64(1700000000000);
  CHECK(Records(*node->store, "receipt/") ==
        std::map<std::string, std::string>{{rkey, "\x0bsigned body" + r.signature}});

  // All of it survives a reopen: an existing store reads the same records.
  node.reset();
  node = OpenTestNode(dir.Sub("s"), "883");
  PeerState reopened(node->store.get());
  CHECK(reopened.Knowledge(peer)->at(a).seq == 9);
  CHECK(*reopened.Counter(peer) == 41);
  CHECK(reopened.Receipts()->size() == 1);
}

TEST_CASE("peer state: records of the wrong shape are skipped, not misread", "[peer_state]") {
  TempDir dir;
  auto node = OpenTestNode(dir.Sub("s"), "883");
  PeerState peers(node->store.get());
  const StreamKey a{"30280", "30280", 1};
  REQUIRE(
      node->store->PutMeta(std::string("peer/30280#1") + '\0' + a.Encode(), "short", false).ok());
  REQUIRE(node->store->PutMeta("peerseen/30280#1", "short", false).ok());
  REQUIRE(node->store->PutMeta("receipt/89", "no epoch or time", false).ok());
  CHECK(peers.Knowledge("30280#1")->empty());
  CHECK(*peers.EventsBehind("30280#1", {{a, {5, {}}}}) == 5);
  CHECK(*peers.Counter("30280#1") == 0);
  CHECK(peers.Receipts()->empty());
}

TEST_CASE("store meta: its users' keys only, atomically, never a read-only store's",
          "[peer_state][store]") {
  TempDir dir;
  auto node = OpenTestNode(dir.Sub("s"), "883");
  Store& store = *node->store;
  std::string value;
  CHECK(store.GetMeta("x/1", &value).code() == Code::kNotFound);
  MetaBatch batch;
  batch.Put("x/1", "one");
  batch.Put("x/2", "two");
  batch.Put("y/1", "other");
  REQUIRE(store.WriteMeta(batch, true).ok());
  REQUIRE(store.GetMeta("x/1", &value).ok());
  CHECK(value == "one");
  CHECK(Records(store, "x/").size() == 2);
  MetaBatch del;
  del.Delete("x/1");
  REQUIRE(store.WriteMeta(del, false).ok());
  CHECK(Records(store, "x/") == std::map<std::string, std::string>{{"x/2", "two"}});

  // The store's own records are not its users' to write: a batch naming one writes nothing.
  for (std::string own : {"commit_counter", "hlc", "format", "fp/30280", "origin/883", "frozen/x",
                          "purged/30280", "revoked/1#1", "ahead/1#1"}) {
    INFO(own);
    MetaBatch bad;
    bad.Put("x/3", "three");
    bad.Put(own, "forged");
    Status s = store.WriteMeta(bad, false);
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK_THAT(s.message(), Catch::Contains("the store's own records"));
    CHECK(store.GetMeta("x/3", &value).code() == Code::kNotFound);
  }
  CHECK(store.PutMeta("hlcx", "a user key that only starts like one", false).ok());
  uint64_t counter = store.CommitCounter();
  node.reset();

  StoreOptions ro;
  ro.path = dir.Sub("s");
  ro.root_unit = "89";
  ro.read_only = true;
  auto reader = Store::Open(ro);
  REQUIRE(reader.ok());
  CHECK((*reader)->CommitCounter() == counter);
  REQUIRE((*reader)->GetMeta("x/2", &value).ok());
  CHECK((*reader)->PutMeta("x/4", "four", false).code() == Code::kFailedPrecondition);
}
