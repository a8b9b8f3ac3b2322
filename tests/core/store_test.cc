#include "core/log/store.h"

#include <rocksdb/db.h>

#include <catch2/catch.hpp>
#include <thread>

#include "core/audit/audit.h"
#include "core/audit/replay.h"
#include "core/base/text.h"
#include "core/domain/case_index.h"
#include "core/domain/reference_data.h"
#include "tests/testing/raw_db.h"
#include "tests/testing/testing.h"

using namespace hoso;
using testing::Body;
using testing::KeyFor;
using testing::TempDir;
using testing::Text;

namespace {

constexpr int64_t kNow = testing::kTestNow;
using Node = testing::TestNode;

std::unique_ptr<Node> OpenNode(const std::string& path, const std::string& unit, int key = 0,
                               uint64_t epoch = 1) {
  return testing::OpenTestNode(path, unit, key, epoch);
}

// The province writes the small tree into "$directory".
void WriteDirectory(Store& root) {
  REQUIRE(root.Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
}

const auto& Receive = testing::ReceiveWrite;
const auto& Step = testing::StepWrite;

auto All = [](const std::string&) { return true; };

// What a rejected batch must leave untouched.
struct Snapshot {
  VersionVector vector;
  Hash fp;
  uint64_t cases;
  explicit Snapshot(const Store& s)
      : vector(s.Vector(All)), fp(s.ScopeFingerprint(All)), cases(s.CaseCount()) {}
  bool operator==(const Snapshot& o) const {
    return vector.size() == o.vector.size() && fp == o.fp && cases == o.cases &&
           std::equal(vector.begin(), vector.end(), o.vector.begin(), [](auto& a, auto& b) {
             return a.first == b.first && a.second.seq == b.second.seq &&
                    a.second.id == b.second.id;
           });
  }
};

// A root node that trusts commune 30280's key, and a writer of 30280's own stream.
struct RootAndCommuneStream {
  TempDir dir;
  std::unique_ptr<Node> node = OpenNode(dir.Sub("p"), "89");
  testing::StreamWriter w{{"30280", "30280", 1}, KeyFor(30280)};
  RootAndCommuneStream() {
    WriteDirectory(*node->store);
    REQUIRE(node->store->TrustOrigin("30280", 1, KeyFor(30280).public_key()).ok());
  }
};

}  // namespace

TEST_CASE("store: local writes fold into cases and indexes", "[store]") {
  TempDir dir;
  auto p = OpenNode(dir.Sub("p"), "89");
  WriteDirectory(*p->store);
  Store& s = *p->store;
  REQUIRE(s.Append(Receive("30280", "30280-251124-0001", "Dương Văn Tuấn", 2000)).ok());
  REQUIRE(s.Append(Receive("30283", "30283-251124-0001", "Nguyễn Thị Hoa", 1000)).ok());
  auto step = s.Append(Step("30280", "30280-251124-0001", "forwarded"));
  REQUIRE(step.ok());
  CHECK(step->seq == 2);

  auto view = s.GetCase("30280-251124-0001");
  REQUIRE(view.ok());
  CHECK(view->state.TextOr("status", "") == "forwarded");
  REQUIRE(view->history.size() == 2);
  CHECK(view->history[0].event.type == "case.received");
  CHECK(view->history[1].event.deps == std::vector<Hash>{view->history[0].id});
  CHECK(view->history[1].event.officer == "officer");

  CHECK(CasesByStatus(s, "forwarded", 10).value() == std::vector<std::string>{"30280-251124-0001"});
  CHECK(CasesByStatus(s, "received", 10).value() == std::vector<std::string>{"30283-251124-0001"});
  CHECK(s.CasesOfChannel("30283", 10).value() == std::vector<std::string>{"30283-251124-0001"});
  CHECK(CasesDueBetween(s, 0, 1500, 10).value() == std::vector<std::string>{"30283-251124-0001"});
  CHECK(CasesDueBetween(s, 0, 3000, 10).value().size() == 2);
  CHECK(CasesByApplicant(s, "duong van", 10).value() ==
        std::vector<std::string>{"30280-251124-0001"});
  CHECK(CasesByApplicant(s, "Dương Văn Tuấn", 10).value().size() == 1);
  CHECK(CasesByApplicant(s, "NGUYEN THI", 10).value() ==
        std::vector<std::string>{"30283-251124-0001"});
  CHECK(CasesByApplicant(s, "tran", 10).value().empty());
  CHECK(s.CaseCount() == 2);
  CHECK(s.VerifyStream({"30280", "89", 1}).ok());
  CHECK(s.VerifyStream({std::string(kDirectoryChannel), "89", 1}).ok());
}

TEST_CASE("store: diacritics folding covers Vietnamese letters", "[store][text]") {
  CHECK(FoldForSearch("Dương Văn Tuấn") == "duong van tuan");
  CHECK(FoldForSearch("ĐẶNG  THỊ   Ngọc Ánh") == "dang thi ngoc anh");
  CHECK(FoldForSearch("Lê Hữu Lộc") == "le huu loc");
  CHECK(FoldForSearch("Nguye\xcc\x82\xcc\x83n") == "nguyen");  // combining marks
}

TEST_CASE("text: lower case keeps the Vietnamese marks", "[text]") {
  CHECK(LowerVietnamese("Lê Thị Ánh Tuyết") == "lê thị ánh tuyết");
  CHECK(LowerVietnamese("ĐẶNG THỊ NGỌC ÁNH") == "đặng thị ngọc ánh");
  CHECK(LowerVietnamese("ƯỚC Ơ Ă Ĩ Ũ Ỹ Ý") == "ước ơ ă ĩ ũ ỹ ý");
  CHECK(LowerVietnamese("ước, 2026 ×") == "ước, 2026 ×");  // lower case, digits, signs as they are
}

TEST_CASE("text: comma-separated lists are trimmed and skip empty items", "[text]") {
  CHECK(TrimSpace(" \t07:00-11:30\r\n") == "07:00-11:30");
  CHECK(TrimSpace("   ").empty());
  using V = std::vector<std::string_view>;
  CHECK(SplitList("unit, procedure ,,month") == V{"unit", "procedure", "month"});
  CHECK(SplitList("a") == V{"a"});
  CHECK(SplitList(" , ,").empty());
  CHECK(SplitList("").empty());
}

TEST_CASE("store: refused local writes change nothing and say why", "[store]") {
  TempDir dir;
  auto p = OpenNode(dir.Sub("p"), "89");
  WriteDirectory(*p->store);
  auto c = OpenNode(dir.Sub("c"), "30280");
  REQUIRE(testing::CopyAll(*p->store, *c->store, All).ok());
  Snapshot before(*c->store);
  auto r = c->store->Append(Receive("30283", "X-1", "A", 1));  // another commune's channel
  CHECK(r.status().code() == Code::kPermissionDenied);
  CHECK_THAT(r.status().message(), Catch::Contains("may not write channel 30283"));
  CHECK(c->store->Append(Receive("30 280", "X-1", "A", 1)).status().code() ==
        Code::kInvalidArgument);
  LocalWrite bad = Receive("30280", "X-1", "A", 1);
  bad.body = cbor::Value::Array();
  CHECK(c->store->Append(bad).status().code() == Code::kInvalidArgument);
  bad = Receive("30280", "", "A", 1);
  CHECK_THAT(c->store->Append(bad).status().message(), Catch::Contains("case code"));
  bad = Receive("30280", "X-1", "A", 1);
  bad.body.Set("scan", cbor::Value::Bytes(std::string(kMaxEventBytes, 'x')));
  CHECK(c->store->Append(bad).status().code() == Code::kOutOfRange);
  // The schema holds for local writes as for remote ones, field named.
  bad = Receive("30280", "30280-1", "A", 1);
  bad.body.Set("fee", Text("25.000đ"));
  CHECK_THAT(c->store->Append(bad).status().message(),
             Catch::Contains("body.fee must be an unsigned integer, not text"));
  CHECK_THAT(c->store->Append(Receive("30280", "30283-1", "A", 1)).status().message(),
             Catch::Contains("does not belong to channel 30280"));
  CHECK(Snapshot(*c->store) == before);
  // A commune may not write the directory.
  CHECK(c->store
            ->Append({std::string(kDirectoryChannel), "30280", "unit.set",
                      UnitSetBody({"30280", "", "x", "y"}, 0), "it"})
            .status()
            .code() == Code::kPermissionDenied);
}

// Found by the units and catalogue CSV fuzz targets (docs/fuzzing.md): a unit type or a
// procedure's document that is not UTF-8 passed every check and was signed, in bytes that
// DecodeEvent, and so every peer, refuses: the root's "$directory" stream would sync no
// further. Such a write is now refused before it is signed.
TEST_CASE("store: a local write its own decoder would refuse is never signed", "[store]") {
  TempDir dir;
  auto p = OpenNode(dir.Sub("p"), "89");
  WriteDirectory(*p->store);
  Snapshot before(*p->store);
  auto unit = p->store->Append({std::string(kDirectoryChannel), "30281", "unit.set",
                                UnitSetBody({"30281", "883", "Phường Mới", "Ph\xc6"}, 0), "it"});
  CHECK(unit.status().code() == Code::kInvalidArgument);
  CHECK_THAT(unit.status().message(), Catch::Contains("UTF-8"));
  Procedure proc{"TEST-1000001", "Thủ tục", "UBND", 3, true, true, 0, {"T\xe1\xbb"}};
  auto procedure = p->store->Append(CatalogueWrites({proc}, "it"));
  CHECK(procedure.status().code() == Code::kInvalidArgument);
  CHECK(Snapshot(*p->store) == before);
  // Nested deeper than the decoder reads.
  cbor::Value deep = cbor::Value::Map();
  for (int i = 0; i < 10; ++i) {
    cbor::Value outer = cbor::Value::Map();
    outer.Set("x", std::move(deep));
    deep = std::move(outer);
  }
  LocalWrite nested = Receive("89", "89-1", "A", 1);
  nested.body.Set("extra", deep);
  CHECK_FALSE(p->store->Append(nested).ok());
  CHECK(Snapshot(*p->store) == before);
  // What decodes is written as before.
  proc.documents = {"Tờ khai"};
  CHECK(p->store->Append(CatalogueWrites({proc}, "it")).ok());
}

TEST_CASE("store: remote batches replicate and converge", "[store]") {
  TempDir dir;
  auto p = OpenNode(dir.Sub("p"), "89");
  WriteDirectory(*p->store);
  auto c = OpenNode(dir.Sub("c"), "30280");
  auto d = OpenNode(dir.Sub("d"), "883");
  REQUIRE(testing::CopyAll(*p->store, *c->store, All).ok());
  REQUIRE(testing::CopyAll(*p->store, *d->store, All).ok());
  CHECK(c->store->DirectorySnapshot()->size() == 6);

  REQUIRE(c->store->Append(Receive("30280", "30280-K1", "Lê Văn Bình", 5)).ok());
  REQUIRE(testing::CopyAll(*c->store, *d->store, All).ok());
  // Offline, concurrently: the commune and the district both step the case.
  c->clock.Advance(1000);
  d->clock.Advance(2000);
  REQUIRE(c->store->Append(Step("30280", "30280-K1", "forwarded")).ok());
  REQUIRE(d->store->Append(Step("30280", "30280-K1", "processing")).ok());
  // Links come back, in different orders.
  REQUIRE(testing::CopyAll(*c->store, *d->store, All).ok());
  REQUIRE(testing::CopyAll(*d->store, *c->store, All).ok());
  REQUIRE(testing::CopyAll(*d->store, *p->store, All).ok());

  auto in_channel = [](const std::string& ch) { return ch == "30280"; };
  Hash fp = c->store->ScopeFingerprint(in_channel);
  CHECK(fp == d->store->ScopeFingerprint(in_channel));
  CHECK(fp == p->store->ScopeFingerprint(in_channel));
  auto state = p->store->GetCaseState("30280-K1");
  REQUIRE(state.ok());
  CHECK(state->TextOr("status", "") == "processing");  // furthest along
  CHECK(state->Conflicts().size() == 1);
  // Re-sending everything is harmless.
  IngestStats stats;
  Batch again{
      {"30280", "30280", 1}, {}, p->store->SignedHeadAtOrBefore({"30280", "30280", 1}, 2).value()};
  auto reader = p->store->ReadStream({"30280", "30280", 1}, 1).value();
  for (; reader->Valid(); reader->Next()) again.events.emplace_back(reader->bytes());
  REQUIRE(p->store->Ingest(again, &stats).ok());
  CHECK(stats.duplicates == 2);
  CHECK(stats.applied == 0);
  CHECK(p->store->ScopeFingerprint(in_channel) == fp);
}

TEST_CASE("store: hostile batches are refused with a reason and change nothing", "[store]") {
  TempDir dir;
  auto p = OpenNode(dir.Sub("p"), "89");
  WriteDirectory(*p->store);
  Store& s = *p->store;
  REQUIRE(s.TrustOrigin("30280", 1, KeyFor(30280).public_key()).ok());
  REQUIRE(s.TrustOrigin("30283", 1, KeyFor(30283).public_key()).ok());
  Snapshot before(s);
  auto refused = [&](const Batch& b, Code code, const std::string& why) {
    Status st = s.Ingest(b);
    INFO(st.ToString());
    CHECK(st.code() == code);
    CHECK_THAT(st.message(), Catch::Contains(why));
    CHECK(Snapshot(s) == before);
  };
  auto body = Body({{"status", Text("received")}});
  const uint64_t hlc = HlcPack(kNow, 0);

  testing::StreamWriter good({"30280", "30280", 1}, KeyFor(30280));
  good.Next("30280-K1", "case.received", body, hlc);
  good.Next("30280-K1", "case.step", body, hlc + 1);
  Batch ok = good.Seal();

  SECTION("unknown origin") {
    testing::StreamWriter w({"30280", "30280", 7}, KeyFor(30280));
    w.Next("30280-K1", "case.received", body, hlc);
    refused(w.Seal(), Code::kPermissionDenied, "unknown origin");
  }
  SECTION("a signed body that breaks its schema") {
    cbor::Value doc = Body({{"name", Text("Tờ khai")}, {"count", Text("<img src=x onerror=1>")}});
    cbor::Value docs = cbor::Value::Array();
    docs.Append(doc);
    testing::StreamWriter w({"30280", "30280", 1}, KeyFor(30280));
    w.Next("30280-K1", "case.received", body, hlc);
    w.Next("30280-K1", "case.step", Body({{"status", Text("processing")}, {"documents", docs}}),
           hlc + 1);
    refused(w.Seal(), Code::kInvalidArgument,
            "seq 2: body.documents[0].count must be an unsigned integer, not text");
  }
  SECTION("a case code of another unit (squatting)") {
    testing::StreamWriter w({"30283", "30283", 1}, KeyFor(30283));
    w.Next("30280-251124-0001", "case.received", body, hlc);
    refused(w.Seal(), Code::kInvalidArgument,
            "case code 30280-251124-0001 does not belong to channel 30283");
  }
  SECTION("signed by a key the origin does not have") {
    testing::StreamWriter w({"30280", "30280", 1}, KeyFor(4242));
    w.Next("30280-K1", "case.received", body, hlc);
    refused(w.Seal(), Code::kCorruption, "bad Ed25519 signature");
  }
  SECTION("an altered event") {
    Batch b = ok;
    size_t at = b.events[1].find("received");
    b.events[1][at] = 'R';
    refused(b, Code::kCorruption, "does not cover");
  }
  SECTION("an altered first event breaks the chain") {
    Batch b = ok;
    b.events[0][b.events[0].find("received")] = 'R';
    refused(b, Code::kCorruption, "chain broken");
  }
  SECTION("non-canonical bytes") {
    Batch b = ok;
    b.events[0].push_back('\0');
    refused(b, Code::kInvalidArgument, "trailing");
  }
  SECTION("a gap") {
    testing::StreamWriter w({"30280", "30280", 1}, KeyFor(30280));
    w.Next("30280-K1", "case.received", body, hlc);
    w.Seal();
    w.Next("30280-K1", "case.step", body, hlc + 1);
    refused(w.Seal(), Code::kFailedPrecondition, "only seq 1..0 is held");
  }
  SECTION("a commune writing another commune's channel with its own valid key") {
    testing::StreamWriter w({"30280", "30283", 1}, KeyFor(30283));
    w.Next("30280-K1", "case.received", body, hlc);
    refused(w.Seal(), Code::kPermissionDenied, "may not write channel 30280");
  }
  SECTION("a commune writing the directory") {
    testing::StreamWriter w({std::string(kDirectoryChannel), "30280", 1}, KeyFor(30280));
    REQUIRE(s.TrustOrigin("30280", 1, KeyFor(30280).public_key()).ok());
    w.Next("30280", "unit.set", UnitSetBody({"30280", "", "x", "y"}, 0), hlc);
    refused(w.Seal(), Code::kPermissionDenied, "only the root authority");
  }
  SECTION("an event of another stream inside the batch") {
    Batch b = ok;
    b.stream.origin = "30283";
    b.head.stream = b.stream;
    refused(b, Code::kInvalidArgument, "belongs to stream");
  }
  SECTION("an empty or oversize batch") {
    Batch b = ok;
    b.events.clear();
    refused(b, Code::kInvalidArgument, "no events");
    b.events.assign(10001, ok.events[0]);
    refused(b, Code::kOutOfRange, "more than");
  }
  SECTION("the good batch itself is accepted") {
    CHECK(s.Ingest(ok).ok());
    CHECK(s.VerifyStream(ok.stream).ok());
  }
}

TEST_CASE("store: a commune refuses channels outside its scope", "[store]") {
  TempDir dir;
  auto p = OpenNode(dir.Sub("p"), "89");
  WriteDirectory(*p->store);
  auto c = OpenNode(dir.Sub("c"), "30280");
  REQUIRE(testing::CopyAll(*p->store, *c->store, All).ok());
  REQUIRE(c->store->TrustOrigin("30283", 1, KeyFor(30283).public_key()).ok());
  testing::StreamWriter w({"30283", "30283", 1}, KeyFor(30283));
  w.Next("30283-K9", "case.received", Body({{"status", Text("received")}}), HlcPack(kNow, 0));
  Status st = c->store->Ingest(w.Seal());
  CHECK(st.code() == Code::kPermissionDenied);
  CHECK_THAT(st.message(), Catch::Contains("outside the scope of unit 30280"));
  CHECK(c->store->CaseCount() == 0);
}

TEST_CASE("store: a fork is stored as evidence and freezes the stream", "[store]") {
  TempDir dir;
  auto p = OpenNode(dir.Sub("p"), "89");
  WriteDirectory(*p->store);
  Store& s = *p->store;
  REQUIRE(s.TrustOrigin("30280", 1, KeyFor(30280).public_key()).ok());
  auto body = Body({{"status", Text("received")}});
  testing::StreamWriter a({"30280", "30280", 1}, KeyFor(30280));
  testing::StreamWriter b({"30280", "30280", 1}, KeyFor(30280));  // same origin, other history
  a.Next("30280-K1", "case.received", body, HlcPack(kNow, 0));
  b.Next("K2", "case.received", body, HlcPack(kNow, 5));
  REQUIRE(s.Ingest(a.Seal()).ok());
  Hash fp = s.ScopeFingerprint(All);
  Status st = s.Ingest(b.Seal());
  CHECK(st.code() == Code::kFork);
  CHECK_THAT(st.message(), Catch::Contains("frozen"));
  REQUIRE(s.Forks().size() == 1);
  CHECK(s.Forks()[0].seq == 1);
  CHECK(s.ScopeFingerprint(All) == fp);  // the forked event was not applied
  a.Next("30280-K1", "case.step", body, HlcPack(kNow, 9));
  CHECK(s.Ingest(a.Seal()).code() == Code::kFrozen);
  CHECK(s.Head({"30280", "30280", 1})->frozen);
}

TEST_CASE("store: events far ahead of our clock are stored but do not move it", "[store]") {
  TempDir dir;
  auto p = OpenNode(dir.Sub("p"), "89");
  WriteDirectory(*p->store);
  REQUIRE(p->store->TrustOrigin("30280", 1, KeyFor(30280).public_key()).ok());
  uint64_t before = p->store->ClockHighWater();
  testing::StreamWriter w({"30280", "30280", 1}, KeyFor(30280));
  w.Next("30280-K1", "case.received", Body({{"status", Text("received")}}),
         HlcPack(kNow + 86'400'000, 0));  // a commune clock set a day ahead
  IngestStats stats;
  REQUIRE(p->store->Ingest(w.Seal(), &stats).ok());
  CHECK(stats.clock_ahead == 1);
  CHECK(stats.max_ahead_ms >= 86'400'000 - 1000);
  CHECK(p->store->ClockHighWater() == before);
  CHECK(p->store->GetCaseState("30280-K1").ok());

  // The origin is named, with how far ahead, at this node and after a reopen (a province
  // sees a commune's wrong clock, not only its parent).
  auto ahead = p->store->OriginsAhead();
  REQUIRE(ahead.ok());
  REQUIRE(ahead->size() == 1);
  CHECK((*ahead)[0].unit == "30280");
  CHECK((*ahead)[0].epoch == 1);
  CHECK((*ahead)[0].latest_event_ms == kNow + 86'400'000);
  CHECK((*ahead)[0].max_ahead_ms == stats.max_ahead_ms);
  CHECK((*ahead)[0].events == 1);
  w.Next("30280-K3", "case.received", Body({{"status", Text("received")}}),
         HlcPack(kNow + 86'400'000, 1));
  REQUIRE(p->store->Ingest(w.Seal()).ok());
  p.reset();
  p = OpenNode(dir.Sub("p"), "89");
  ahead = p->store->OriginsAhead();
  REQUIRE(ahead.ok());
  REQUIRE(ahead->size() == 1);
  CHECK((*ahead)[0].events == 2);

  // Once it writes within the drift again (its clock set right and past its high-water
  // mark), the record goes.
  w.Next("30280-K2", "case.received", Body({{"status", Text("received")}}), HlcPack(kNow, 0));
  REQUIRE(p->store->Ingest(w.Seal()).ok());
  ahead = p->store->OriginsAhead();
  REQUIRE(ahead.ok());
  CHECK(ahead->empty());
}

TEST_CASE("store: data, heads and the clock survive a reopen", "[store]") {
  TempDir dir;
  uint64_t hlc;
  Hash fp;
  {
    auto p = OpenNode(dir.Sub("p"), "89");
    WriteDirectory(*p->store);
    hlc = p->store->Append(Receive("30280", "30280-K1", "A", 1)).value().hlc;
    fp = p->store->ScopeFingerprint(All);
  }
  auto p = OpenNode(dir.Sub("p"), "89");
  p->clock.Set(kNow - 3'600'000);  // rebooted with the clock an hour behind
  CHECK(p->store->ScopeFingerprint(All) == fp);
  CHECK(p->store->DirectorySnapshot()->size() == 6);
  auto next = p->store->Append(Step("30280", "30280-K1", "forwarded"));
  REQUIRE(next.ok());
  CHECK(next->hlc > hlc);
  CHECK(next->seq == 2);
  CHECK(p->store->VerifyStream({"30280", "89", 1}).ok());

  StoreOptions wrong;
  wrong.path = dir.Sub("p");
  wrong.root_unit = "91";
  p.reset();
  CHECK_THAT(Store::Open(wrong).status().message(), Catch::Contains("belongs to root 89"));
}

TEST_CASE("store: concurrent writers are group-committed into one valid chain", "[store]") {
  TempDir dir;
  auto p = OpenNode(dir.Sub("p"), "89");
  WriteDirectory(*p->store);
  constexpr int kThreads = 8, kEach = 100;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string code = "30280-T" + std::to_string(t) + "-" + std::to_string(i % 10);
        auto r = p->store->Append(i < 10 ? Receive("30280", code, "A", 1)
                                         : Step("30280", code, "processing"));
        if (!r.ok()) ++failures;
      }
    });
  }
  // Exclusive work (a rebuild) queued among the writers must wait its turn, not break them.
  std::thread rebuilder([&] {
    for (int i = 0; i < 3; ++i) {
      if (!p->store->RebuildStates().ok()) ++failures;
    }
  });
  for (auto& t : threads) t.join();
  rebuilder.join();
  CHECK(failures == 0);
  StreamKey stream{"30280", "89", 1};
  CHECK(p->store->Head(stream)->seq == kThreads * kEach);
  CHECK(p->store->VerifyStream(stream).ok());
  CHECK(p->store->CaseCount() == kThreads * 10);
  for (int t = 0; t < kThreads; ++t) {
    auto st = p->store->GetCaseState("30280-T" + std::to_string(t) + "-3");
    REQUIRE(st.ok());
    CHECK(st->events().size() == kEach / 10);
    CHECK(st->Conflicts().empty());  // one node's writes are causally ordered
  }
}

TEST_CASE("store: rebuilding states from the log gives the same fingerprints", "[store]") {
  TempDir dir;
  auto p = OpenNode(dir.Sub("p"), "89");
  WriteDirectory(*p->store);
  for (int i = 0; i < 50; ++i) {
    std::string channel = i % 17 % 2 ? "30280" : "30316";
    std::string code = channel + "-R" + std::to_string(i % 17);
    auto r = p->store->Append(i < 17 ? Receive(channel, code, "Trần Văn " + std::to_string(i), i)
                                     : Step(i % 17 % 2 ? "30280" : "30316", code, "processing"));
    REQUIRE(r.ok());
  }
  Hash fp = p->store->ScopeFingerprint(All);
  auto by_status = CasesByStatus(*p->store, "processing", 100).value();
  auto folded = p->store->RebuildStates();
  REQUIRE(folded.ok());
  CHECK(*folded == 50);
  CHECK(p->store->ScopeFingerprint(All) == fp);
  CHECK(CasesByStatus(*p->store, "processing", 100).value() == by_status);
  CHECK(p->store->CaseCount() == 17);
}

TEST_CASE("store: concurrent ingest and local writes fold like a serial replay", "[store]") {
  // Commits are pipelined: one is staged on top of the one being written. Two remote streams
  // and local writes hit the same cases at once; the result must equal a serial replay.
  TempDir dir;
  auto r = OpenNode(dir.Sub("r"), "89");
  WriteDirectory(*r->store);
  auto ref = OpenNode(dir.Sub("ref"), "89", 8900);
  REQUIRE(testing::CopyAll(*r->store, *ref->store, All).ok());
  for (Store* s : {r->store.get(), ref->store.get()}) {
    REQUIRE(s->TrustOrigin("30280", 1, KeyFor(30280).public_key()).ok());
    REQUIRE(s->TrustOrigin("883", 1, KeyFor(883).public_key()).ok());
  }
  auto make_batches = [](const std::string& origin, int key, uint16_t salt) {
    testing::StreamWriter w({"30280", origin, 1}, KeyFor(key));
    std::vector<Batch> out;
    for (int b = 0; b < 20; ++b) {
      for (int i = 0; i < 150; ++i) {
        std::string code = "30280-S" + std::to_string((b * 150 + i) % 200);
        w.Next(code, "case.step",
               Body({{"status", Text(i % 3 ? "processing" : "forwarded")},
                     {"note", Text(origin + std::to_string(i))}}),
               HlcPack(kNow + b * 1000 + i, salt));
      }
      out.push_back(w.Seal());
    }
    return out;
  };
  auto commune = make_batches("30280", 30280, 1);
  auto district = make_batches("883", 883, 2);
  std::atomic<bool> ok{true};
  std::thread t1([&] {
    for (const auto& b : commune) ok = ok && r->store->Ingest(b).ok();
  });
  std::thread t2([&] {
    for (const auto& b : district) ok = ok && r->store->Ingest(b).ok();
  });
  std::thread t3([&] {
    for (int i = 0; i < 300; ++i) {
      ok =
          ok &&
          r->store->Append(Step("30280", "30280-S" + std::to_string(i % 200), "result_ready")).ok();
    }
  });
  t1.join();
  t2.join();
  t3.join();
  REQUIRE(ok);
  for (const auto& b : commune) REQUIRE(ref->store->Ingest(b).ok());
  for (const auto& b : district) REQUIRE(ref->store->Ingest(b).ok());
  REQUIRE(testing::CopyStream(*r->store, *ref->store, {"30280", "89", 1}).ok());
  auto ch = [](const std::string& c) { return c == "30280"; };
  CHECK(r->store->ScopeFingerprint(ch) == ref->store->ScopeFingerprint(ch));
  CHECK(r->store->CaseCount() == 200);
  CHECK(CasesByStatus(*r->store, "result_ready", 1000).value() ==
        CasesByStatus(*ref->store, "result_ready", 1000).value());
  Hash before = r->store->ScopeFingerprint(ch);
  REQUIRE(r->store->RebuildStates().ok());
  CHECK(r->store->ScopeFingerprint(ch) == before);
  CHECK(r->store->VerifyStream({"30280", "30280", 1}).ok());
  CHECK(r->store->VerifyStream({"30280", "883", 1}).ok());
}

TEST_CASE("store: after a re-draw old events stay valid and new ones follow the new tree",
          "[store]") {
  TempDir dir;
  auto p = OpenNode(dir.Sub("p"), "89");
  WriteDirectory(*p->store);
  Store& s = *p->store;
  const int64_t redraw = kNow + 3'600'000;
  // The province moves commune 30283 from district 883 to district 884.
  REQUIRE(s.Append({std::string(kDirectoryChannel), "30283", "unit.set",
                    UnitSetBody({"30283", "884", "Phường Mỹ Long", "Phường"}, redraw), "it"})
              .ok());
  REQUIRE(s.TrustOrigin("883", 1, KeyFor(883).public_key()).ok());
  REQUIRE(s.TrustOrigin("884", 1, KeyFor(884).public_key()).ok());
  auto body = Body({{"status", Text("processing")}});

  testing::StreamWriter old_district({"30283", "883", 1}, KeyFor(883));
  old_district.Next("30283-M1", "case.step", body, HlcPack(redraw - 1000, 0));  // before: valid
  CHECK(s.Ingest(old_district.Seal()).ok());
  old_district.Next("30283-M1", "case.step", body, HlcPack(redraw + 1000, 0));  // after: refused
  Status late = s.Ingest(old_district.Seal());
  CHECK(late.code() == Code::kPermissionDenied);
  CHECK_THAT(late.message(), Catch::Contains("may not write channel 30283"));

  testing::StreamWriter new_district({"30283", "884", 1}, KeyFor(884));
  new_district.Next("30283-M1", "case.step", body, HlcPack(redraw + 2000, 0));
  CHECK(s.Ingest(new_district.Seal()).ok());
  CHECK(s.GetCaseState("30283-M1")->events().size() == 2);

  // The moved commune keeps working under its new parent, with no reset.
  auto c = OpenNode(dir.Sub("c"), "30283");
  REQUIRE(testing::CopyAll(*p->store, *c->store, All).ok());
  c->clock.Set(redraw + 5000);
  CHECK(c->store->Append(Step("30283", "30283-M1", "result_ready")).ok());
  CHECK(c->store->DirectorySnapshot()->ParentAt("30283", redraw + 5000) == "884");
}

TEST_CASE("store: a store of a newer on-disk format is refused, not misread", "[store]") {
  testing::TempDir dir;
  { auto node = testing::OpenTestNode(dir.Sub("s"), "89"); }
  {
    std::vector<std::string> families;
    REQUIRE(rocksdb::DB::ListColumnFamilies({}, dir.Sub("s"), &families).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const auto& f : families) descriptors.emplace_back(f, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open({}, dir.Sub("s"), descriptors, &handles, &raw).ok());
    std::string format;
    REQUIRE(raw->Get({}, "format", &format).ok());
    CHECK(format == "1");
    REQUIRE(raw->Put({}, "format", "2").ok());
    for (auto* h : handles) REQUIRE(raw->DestroyColumnFamilyHandle(h).ok());
    delete raw;
  }
  StoreOptions o;
  o.path = dir.Sub("s");
  o.root_unit = "89";
  auto reopened = Store::Open(o);
  REQUIRE_FALSE(reopened.ok());
  CHECK(reopened.status().code() == Code::kFailedPrecondition);
  CHECK_THAT(reopened.status().message(), Catch::Contains("upgrade hoso"));
}

TEST_CASE("store: a case flooded with concurrent events folds them all, then refuses more",
          "[store][fold]") {
  RootAndCommuneStream t;
  Store& s = *t.node->store;
  testing::StreamWriter& w = t.w;
  const std::string code = "30280-251124-0001";
  uint64_t hlc = HlcPack(kNow, 0);
  w.Next(code, "case.received", Body({{"status", Text("received")}}), hlc);
  const Hash reception = w.last_id();
  // Every step saw only the reception: kMaxCaseEvents - 1 mutually concurrent writes.
  for (size_t k = 1; k < kMaxCaseEvents; ++k) {
    w.Next(code, "case.step",
           Body({{"status", Text(k % 2 ? "processing" : "forwarded")},
                 {"note", Text(std::to_string(k))}}),
           ++hlc, {reception});
    if (w.pending() == 500) REQUIRE(s.Ingest(w.Seal()).ok());
  }
  REQUIRE(s.Ingest(w.Seal()).ok());
  auto st = s.GetCaseState(code);
  REQUIRE(st.ok());
  REQUIRE(st->events().size() == kMaxCaseEvents);
  CHECK(st->Field("status")->live.size() == kMaxCaseEvents - 1);
  CHECK(st->Field("note")->live.size() == kMaxCaseEvents - 1);
  CHECK(st->Heads().size() == kMaxDeps);  // an event names at most kMaxDeps

  // One more is refused with the bound named, and nothing changes.
  Snapshot before(s);
  w.Next(code, "case.step", Body({{"status", Text("processing")}}), ++hlc, {reception});
  Status over = s.Ingest(w.Seal());
  CHECK(over.code() == Code::kOutOfRange);
  CHECK_THAT(over.message(), Catch::Contains("the most a case may hold"));
  CHECK(Snapshot(s) == before);
}

TEST_CASE("store: a step folds after what it saw, whatever its clock said", "[store][fold]") {
  TempDir dir;
  auto p = OpenNode(dir.Sub("p"), "89");
  WriteDirectory(*p->store);
  Store& s = *p->store;
  REQUIRE(s.TrustOrigin("30280", 1, KeyFor(30280).public_key()).ok());
  // The commune's clock is 300 days ahead; the province's step on its case is recorded at the
  // true time, before the reception's (the far-ahead clock never advances ours).
  const int64_t ahead = kNow + int64_t{300} * 24 * 3600 * 1000;
  testing::StreamWriter w({"30280", "30280", 1}, KeyFor(30280));
  const std::string code = "30280-251124-0001";
  w.Next(code, "case.received", Body({{"status", Text("received")}}), HlcPack(ahead, 0));
  REQUIRE(s.Ingest(w.Seal()).ok());
  auto step = s.Append(Step("30280", code, "processing"));
  REQUIRE(step.ok());
  CHECK(HlcMillis(step->hlc) < ahead);
  auto view = s.GetCase(code);
  REQUIRE(view.ok());
  REQUIRE(view->history.size() == 2);
  CHECK(view->history[0].event.type == "case.received");
  CHECK(view->history[1].event.type == "case.step");
  CHECK_FALSE(view->history[0].recorded_before_deps);
  CHECK(view->history[1].recorded_before_deps);  // flagged on the case page
  CHECK(view->state.TextOr("status", "") == "processing");
  // As of the step's time, the case holds the reception the step saw, though recorded later.
  auto replay = ReplayCase(s, code, HlcMillis(step->hlc));
  REQUIRE(replay.ok());
  REQUIRE(replay->steps.size() == 2);
  CHECK(replay->steps[0].event.type == "case.received");
  CHECK(replay->steps[1].recorded_before_deps);
  CHECK(replay->later_events == 0);
  CHECK(replay->state == view->state);
  CHECK(ReplayCase(s, code, HlcMillis(step->hlc) - 1).status().code() == Code::kNotFound);
}

TEST_CASE("store: a peer cannot grow a case past its fields or bytes", "[store][fold]") {
  RootAndCommuneStream t;
  Store& s = *t.node->store;
  testing::StreamWriter& w = t.w;
  const std::string code = "30280-251124-0001";
  uint64_t hlc = HlcPack(kNow, 0);
  w.Next(code, "case.received", Body({{"status", Text("received")}}), hlc);
  REQUIRE(s.Ingest(w.Seal()).ok());
  // New field names, 60 an event: the fields bound stops them.
  Status over;
  for (int k = 0; k < 10 && over.ok(); ++k) {
    cbor::Value body = Body({{"status", Text("processing")}});
    for (int f = 0; f < 60; ++f) body.Set("f" + std::to_string(1000 + k * 60 + f), Text("x"));
    w.Next(code, "case.step", body, ++hlc);
    over = s.Ingest(w.Seal());
  }
  CHECK(over.code() == Code::kOutOfRange);
  CHECK_THAT(over.message(), Catch::Contains("more than 256 fields"));
  REQUIRE(s.GetCaseState(code)->fields().size() <= kMaxCaseFields);

  // Large concurrent values of one field stay live side by side: the bytes bound stops them.
  testing::StreamWriter big({"30280", "30280", 2}, KeyFor(30280));
  REQUIRE(s.TrustOrigin("30280", 2, KeyFor(30280).public_key()).ok());
  const std::string other = "30280-251124-0002";
  big.Next(other, "case.received", Body({{"status", Text("received")}}), hlc);
  const Hash reception = big.last_id();
  REQUIRE(s.Ingest(big.Seal()).ok());
  over = Status::Ok();
  for (int k = 0; k < 40 && over.ok(); ++k) {
    big.Next(other, "case.step",
             Body({{"status", Text("processing")},
                   {"note", Text(std::string(1900, 'a' + k % 26))},
                   {"extra", cbor::Value::Bytes(std::string(30000, 'x'))}}),
             ++hlc, {reception});
    over = s.Ingest(big.Seal());
  }
  CHECK(over.code() == Code::kOutOfRange);
  CHECK_THAT(over.message(), Catch::Contains("bytes, over the 1048576 a case may take"));
}

TEST_CASE("store: a revocation is data: held history stays, new events of that origin are refused",
          "[store][revocation]") {
  TempDir dir;
  auto p = OpenNode(dir.Sub("p"), "89");
  WriteDirectory(*p->store);
  REQUIRE(p->store->TrustOrigin("30280", 1, KeyFor(30280).public_key()).ok());
  testing::StreamWriter w({"30280", "30280", 1}, KeyFor(30280));
  const uint64_t hlc = HlcPack(kNow, 0);
  w.Next("30280-1", "case.received", Body({{"status", Text("received")}}), hlc);
  Batch held = w.Seal();
  REQUIRE(p->store->Ingest(held).ok());

  // Only the root writes revocations, and only in their shape.
  LocalWrite revoke{std::string(kRevocationsChannel), RevocationKey("30280", 1),
                    std::string(kRevokeType),
                    RevocationBody("30280", 1, kNow, "Quyết định 12/QĐ-UBND: máy bị mất"), "it"};
  LocalWrite wrong = revoke;
  wrong.case_code = RevocationKey("30280", 2);
  CHECK_THAT(p->store->Append(wrong).status().message(), Catch::Contains("<unit>#<epoch>"));
  REQUIRE(p->store->Append(revoke).ok());
  auto r = p->store->RevocationsSnapshot()->Find("30280", 1);
  REQUIRE(r != nullptr);
  CHECK(r->learned_ms > 0);
  CHECK(r->reason == "Quyết định 12/QĐ-UBND: máy bị mất");

  // The batch held before is still accepted as a duplicate; a new one is refused.
  CHECK(p->store->Ingest(held).ok());
  w.Next("30280-2", "case.received", Body({{"status", Text("received")}}), hlc + 1);
  Snapshot before(*p->store);
  Status refused = p->store->Ingest(w.Seal());
  CHECK(refused.code() == Code::kPermissionDenied);
  CHECK_THAT(refused.message(), Catch::Contains("origin 30280#1 was revoked by the root"));
  CHECK(Snapshot(*p->store) == before);
  CHECK(p->store->GetCaseState("30280-1").ok());  // history stays
  CHECK(p->store->VerifyStream({"30280", "30280", 1}).ok());

  // A commune learns it by sync (here: a copy of the system channels) and refuses the same.
  auto c = OpenNode(dir.Sub("c"), "30283");
  REQUIRE(testing::CopyAll(*p->store, *c->store, [](const std::string& ch) {
            return IsSystemChannel(ch);
          }).ok());
  CHECK(c->store->RevocationsSnapshot()->Find("30280", 1) != nullptr);

  // The auditor finds nothing wrong with the held history and notes the revocation.
  auto audit = AuditStore(*p->store, {"", "", true, 1});
  REQUIRE(audit.ok());
  CHECK(audit->ok());
  REQUIRE(audit->notes.size() == 1);
  CHECK_THAT(audit->notes[0], Catch::Contains("origin 30280#1: signed by a since-revoked key"));
  CHECK_THAT(audit->notes[0], Catch::Contains("holds only what it held before"));

  // What the node learned, and when, survives a restart.
  const int64_t learned = r->learned_ms;
  p.reset();
  p = OpenNode(dir.Sub("p"), "89");
  auto again = p->store->RevocationsSnapshot()->Find("30280", 1);
  REQUIRE(again != nullptr);
  CHECK(again->learned_ms == learned);
}

TEST_CASE("store: a signature record of another shape is no signed head", "[store]") {
  TempDir dir;
  const StreamKey stream{"$directory", "89", 1};
  {
    auto p = OpenNode(dir.Sub("p"), "89");
    WriteDirectory(*p->store);
  }
  {
    // A key three bytes past the stream's prefix instead of eight (a store altered on disk).
    testing::RawDb raw(dir.Sub("p"));
    raw.Put("signatures", stream.Encode() + "\x01\x02\x03", std::string(96, 's'));
  }
  auto p = OpenNode(dir.Sub("p"), "89");
  auto after = p->store->SignedHeadAtOrAfter(stream, 1000);
  CHECK(after.status().code() == Code::kNotFound);
  auto head = p->store->Head(stream);
  REQUIRE(head);
  auto before = p->store->SignedHeadAtOrBefore(stream, head->seq);
  REQUIRE(before.ok());
  CHECK(before->seq == head->seq);
}
