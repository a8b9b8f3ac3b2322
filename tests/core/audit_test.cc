// The auditor against real stores and real tampering of their RocksDB files.
#include "core/audit/audit.h"

#include <rocksdb/db.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <set>

#include "core/domain/case_log.h"
#include "core/format/certificate.h"
#include "tests/testing/raw_db.h"
#include "tests/testing/stream_builder.h"
#include "tests/testing/testing.h"

using namespace hoso;
using testing::TempDir;

namespace {

using Pki = testing::TestPki;
constexpr int64_t kFrom = Pki::kFrom, kTo = Pki::kTo;

// A province store holding the directory (its own stream) and commune 30280's stream of
// cases, every origin with its certificate: what a real node holds. Six receptions, or
// `cases` receptions of which every third has a step too (cases of one and two events).
void BuildProvince(const std::string& dir, Pki& pki, int cases = 6) {
  auto province = testing::OpenTestNode(dir + "/89", "89");
  auto commune = testing::OpenTestNode(dir + "/30280", "30280");
  Store& p = *province->store;
  Store& c = *commune->store;
  REQUIRE(p.TrustOrigin("89", 1, testing::KeyFor(89).public_key(),
                        pki.CertFor("89", testing::KeyFor(89)))
              .ok());
  REQUIRE(p.Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  REQUIRE(
      testing::CopyAll(p, c, [](const std::string& ch) { return ch == kDirectoryChannel; }).ok());
  if (cases == 6) {
    for (int i = 0; i < 6; ++i) {
      std::string code = "30280-251124-000" + std::to_string(i + 1);
      REQUIRE(c.Append(testing::ReceiveWrite("30280", code, "Nguyễn Văn " + std::to_string(i),
                                             testing::kTestNow + 86400000))
                  .ok());
    }
  } else {
    std::vector<LocalWrite> writes;
    auto commit = [&](size_t at) {
      if (writes.size() < at) return;
      REQUIRE(c.Append(std::move(writes)).ok());
      writes.clear();
    };
    for (int i = 0; i < cases; ++i) {
      std::string code = "30280-251124-" + std::to_string(10000 + i);
      writes.push_back(testing::ReceiveWrite("30280", code, "Trần Thị " + std::to_string(i),
                                             testing::kTestNow + 86400000));
      commit(500);
    }
    commit(1);
    for (int i = 0; i < cases; i += 3) {
      writes.push_back(
          testing::StepWrite("30280", "30280-251124-" + std::to_string(10000 + i), "processing"));
      commit(500);
    }
    commit(1);
  }
  REQUIRE(testing::CopyAll(c, p, [](const std::string& ch) { return ch == "30280"; }).ok());
  REQUIRE(p.TrustOrigin("30280", 1, testing::KeyFor(30280).public_key(),
                        pki.CertFor("30280", testing::KeyFor(30280)))
              .ok());
}

using testing::RawDb;

const StreamKey kCommuneStream{"30280", "30280", 1};

std::string SeqKey(const StreamKey& s, uint64_t seq) {
  std::string k = s.Encode();
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>(seq >> (8 * i)));
  return k;
}

// The store at `path`, read-only, as an auditor opens it.
std::unique_ptr<Store> OpenForAudit(const std::string& path) {
  StoreOptions o;
  o.path = path;
  o.read_only = true;
  o.enforce_scope = false;
  UseCaseLogRules(&o);
  auto store = Store::Open(o);
  REQUIRE(store.ok());
  return std::move(store).value();
}

AuditReport Audit(const std::string& path, Pki& pki) {
  auto store = OpenForAudit(path);
  auto report = AuditStore(*store, {pki.ca, "", true, 2});
  REQUIRE(report.ok());
  return std::move(report).value();
}

bool Names(const AuditReport& r, const std::string& kind, const StreamKey& stream, uint64_t seq) {
  for (const auto& f : r.findings) {
    if (f.kind == kind && f.stream == stream && f.seq == seq) return true;
  }
  return false;
}

std::string Describe(const AuditReport& r) {
  std::string out;
  for (const auto& f : r.findings) {
    out += f.kind + " " + f.stream.ToString() + " seq " + std::to_string(f.seq) + " " +
           f.case_code + ": " + f.message + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("audit: a clean store has no findings, and counts what it checked", "[audit]") {
  TempDir dir;
  Pki pki;
  BuildProvince(dir.path(), pki);
  auto r = Audit(dir.Sub("89"), pki);
  INFO(Describe(r));
  CHECK(r.ok());
  CHECK(r.streams == 2);
  CHECK(r.origins == 2);
  CHECK(r.cases == 6);
  CHECK(r.events == testing::SmallTree().size() + 6);
}

// A node stopped during its self-check waited for the whole audit (minutes on a large store).
TEST_CASE("audit: a stop flag ends it early, answering that it was stopped", "[audit]") {
  TempDir dir;
  Pki pki;
  BuildProvince(dir.path(), pki);
  auto store = OpenForAudit(dir.Sub("89"));
  std::atomic<bool> stop{false};
  AuditOptions options{pki.ca, "", true, 2};
  options.stop = &stop;
  auto running = AuditStore(*store, options);
  REQUIRE(running.ok());  // a flag not raised changes nothing
  CHECK(running->ok());
  CHECK(running->events == testing::SmallTree().size() + 6);
  stop = true;
  auto stopped = AuditStore(*store, options);
  CHECK(stopped.status().code() == Code::kFailedPrecondition);
  CHECK_THAT(stopped.status().message(), Catch::Contains("stopped"));
}

namespace {
// A copy of the province's store in dir/name, altered by `tamper` as an attacker with the disk.
std::string TamperedCopy(const TempDir& dir, const std::string& name,
                         const std::function<void(RawDb&)>& tamper) {
  std::string copy = dir.Sub(name);
  std::filesystem::copy(dir.Sub("89"), copy, std::filesystem::copy_options::recursive);
  RawDb raw(copy);
  tamper(raw);
  return copy;
}
}  // namespace

TEST_CASE("audit: every kind of tampering is named with its stream and seq", "[audit]") {
  TempDir dir;
  Pki pki;
  BuildProvince(dir.path(), pki);
  auto tampered = [&](const std::string& name, const std::function<void(RawDb&)>& tamper) {
    return Audit(TamperedCopy(dir, name, tamper), pki);
  };

  SECTION("a flipped byte inside an event") {
    auto r = tampered("flip", [](RawDb& db) {
      std::string v = db.Get("events", SeqKey(kCommuneStream, 3));
      size_t at = v.find("received");  // the status (the name is sealed)
      REQUIRE(at != std::string::npos);
      v[at] = 'M';  // still valid CBOR: only the hash chain catches it
      db.Put("events", SeqKey(kCommuneStream, 3), v);
    });
    INFO(Describe(r));
    CHECK(Names(r, "chain", kCommuneStream, 3));
    CHECK_FALSE(Names(r, "chain", kCommuneStream, 2));
    CHECK_FALSE(Names(r, "chain", kCommuneStream, 4));
  }
  SECTION("a deleted event") {
    auto r = tampered("delete", [](RawDb& db) { db.Delete("events", SeqKey(kCommuneStream, 2)); });
    INFO(Describe(r));
    CHECK(Names(r, "missing", kCommuneStream, 2));
    bool state_finding = false;
    for (const auto& f : r.findings) state_finding |= f.kind == "state" && !f.case_code.empty();
    CHECK(state_finding);  // its case's stored state no longer matches what the log holds
  }
  SECTION("two events swapped") {
    auto r = tampered("swap", [](RawDb& db) {
      std::string a = db.Get("events", SeqKey(kCommuneStream, 4));
      std::string b = db.Get("events", SeqKey(kCommuneStream, 5));
      db.Put("events", SeqKey(kCommuneStream, 4), b);
      db.Put("events", SeqKey(kCommuneStream, 5), a);
    });
    INFO(Describe(r));
    CHECK(Names(r, "chain", kCommuneStream, 4));
    CHECK(Names(r, "chain", kCommuneStream, 5));
  }
  SECTION("a replaced signature") {
    auto r = tampered("signature", [](RawDb& db) {
      std::string v = db.Get("signatures", SeqKey(kCommuneStream, 6));
      v[40] ^= 0x55;
      db.Put("signatures", SeqKey(kCommuneStream, 6), v);
    });
    INFO(Describe(r));
    CHECK(Names(r, "signature", kCommuneStream, 6));
  }
  SECTION("a byte flipped so the event is no longer canonical CBOR") {
    auto r = tampered("encoding", [](RawDb& db) {
      std::string v = db.Get("events", SeqKey(kCommuneStream, 1));
      v[0] = static_cast<char>(0xbf);  // an indefinite-length map
      db.Put("events", SeqKey(kCommuneStream, 1), v);
    });
    INFO(Describe(r));
    CHECK(Names(r, "encoding", kCommuneStream, 1));
  }
}

TEST_CASE("audit: a stream signed by a key the CA never issued is named", "[audit]") {
  TempDir dir;
  Pki pki;
  BuildProvince(dir.path(), pki);
  {
    auto province = testing::OpenTestNode(dir.Sub("89"), "89");
    // A rogue CA's certificate for 30283: the store trusts it (a compromised or careless
    // node), but it does not chain to the deployment's CA.
    Pki rogue;
    rogue.ca_key = testing::KeyFor(666);
    rogue.ca = MakeCaCertificate(rogue.ca_key, "89", kFrom, kTo).value();
    SigningKey key = testing::KeyFor(667);
    REQUIRE(province->store->TrustOrigin("30283", 1, key.public_key(), rogue.CertFor("30283", key))
                .ok());
    StreamBuilder b({"30283", "30283", 1}, key);
    b.Add(testing::ReceiveWrite("30283", "30283-251124-0001", "Kẻ Giả Mạo", testing::kTestNow),
          (static_cast<uint64_t>(testing::kTestNow) << 16));
    REQUIRE(province->store->Ingest(b.Seal()).ok());
  }
  auto r = Audit(dir.Sub("89"), pki);
  INFO(Describe(r));
  REQUIRE_FALSE(r.ok());
  bool named = false;
  for (const auto& f : r.findings) {
    named |= f.kind == "certificate" && f.stream.origin == "30283" &&
             f.message.find("30283#1") != std::string::npos;
  }
  CHECK(named);
}

TEST_CASE("audit: an event outside the write rule, and a stored state that lies, are named",
          "[audit]") {
  TempDir dir;
  Pki pki;
  BuildProvince(dir.path(), pki);
  const StreamKey intruder{"30283", "30280", 1};  // 30280 may not write 30283's channel
  {
    RawDb raw(dir.Sub("89"));
    // Overwrite one case's stored state with another case's: the log still says otherwise.
    std::string a = raw.Get("cases", "30280-251124-0001");
    raw.Put("cases", "30280-251124-0002", a);
    // A correctly signed event the store's ingest would have refused, put in behind its back.
    StreamBuilder b(intruder, testing::KeyFor(30280));
    b.Add(testing::ReceiveWrite("30283", "30283-251124-0009", "Lê Văn Tâm", testing::kTestNow),
          static_cast<uint64_t>(testing::kTestNow) << 16);
    Batch batch = b.Seal();
    raw.Put("events", SeqKey(intruder, 1), batch.events[0]);
    std::string head = SeqKey(intruder, 1).substr(intruder.Encode().size());  // seq(8)
    head += std::string(AsView(batch.head.id));
    head += std::string(8, '\0');  // ver
    raw.Put("heads", intruder.Encode(), head);
    raw.Put("signatures", SeqKey(intruder, 1),
            std::string(AsView(batch.head.id)) + batch.head.signature);
  }
  auto r = Audit(dir.Sub("89"), pki);
  INFO(Describe(r));
  bool named = false;
  for (const auto& f : r.findings) named |= f.kind == "state" && f.case_code == "30280-251124-0002";
  CHECK(named);
  CHECK(Names(r, "write_rule", intruder, 1));
  CHECK_FALSE(Names(r, "signature", intruder, 1));  // the signature itself is fine
}

namespace {

// The auditor's state findings as it made them before it bounded its memory, to compare
// with: every case of a channel folded from the streams at once, each judged against its
// stored state, then the index's cases without events and the channel fingerprint.
std::set<std::string> StateFindingsByFullFold(const Store& store) {
  std::set<std::string> out;
  std::map<std::string, std::vector<StreamKey>> channels;
  for (const auto& [stream, head] : store.Vector([](const auto& c) { return !IsSystemChannel(c); }))
    channels[stream.channel].push_back(stream);
  for (const auto& [channel, streams] : channels) {
    std::map<std::string, CaseState> states;
    for (const auto& stream : streams) {
      auto reader = store.ReadStream(stream, 1);
      REQUIRE(reader.ok());
      for (; (*reader)->Valid(); (*reader)->Next()) {
        auto e = DecodeEvent((*reader)->bytes());
        if (!e.ok() || e->stream != stream || e->seq != (*reader)->seq()) continue;
        auto [it, fresh] = states.try_emplace(e->case_code, e->case_code, channel);
        it->second.Apply(*e, Sha256((*reader)->bytes()));
      }
    }
    Hash fp{};
    for (const auto& [code, fresh] : states) {
      XorInto(&fp, fresh.Fingerprint());
      auto stored = store.GetCaseState(code);
      if (!stored.ok()) {
        out.insert(code + ": no stored state for a case with events");
      } else if (!(*stored == fresh)) {
        out.insert(code + ": the stored state differs from a fresh fold of its events");
      }
    }
    auto indexed = store.CasesOfChannel(channel, SIZE_MAX);
    REQUIRE(indexed.ok());
    for (const auto& code : *indexed) {
      if (!states.count(code))
        out.insert(code + ": a stored case of channel " + channel + " has no events");
    }
    if (fp != store.ChannelFingerprint(channel)) {
      out.insert(channel + ": the channel fingerprint differs from a fresh fold of its cases");
    }
  }
  return out;
}

std::set<std::string> StateFindings(const AuditReport& r) {
  std::set<std::string> out;
  for (const auto& f : r.findings) {
    if (f.kind == "state")
      out.insert((f.case_code.empty() ? f.stream.channel : f.case_code) + ": " + f.message);
  }
  return out;
}

// The audit's findings, and the state findings a full fold of the same store makes.
std::pair<AuditReport, std::set<std::string>> AuditAndFullFold(const std::string& path, Pki& pki) {
  AuditReport r = Audit(path, pki);
  return {std::move(r), StateFindingsByFullFold(*OpenForAudit(path))};
}

std::string IndexKey(const std::string& channel, const std::string& code) {
  return "o" + channel + std::string(1, '\0') + code;
}

std::string CaseCode(int i) { return "30280-251124-" + std::to_string(10000 + i); }

}  // namespace

// The auditor holds a count per case and one case at a time (a node of 100k cases checks
// itself within its memory budget): its findings must be those of a fold of every case.
TEST_CASE("audit: cases checked one at a time find what a fold of all of them finds", "[audit]") {
  TempDir dir;
  Pki pki;
  const int kCases = 1100;  // more than the auditor reads from the index at a time
  BuildProvince(dir.path(), pki, kCases);
  auto tampered = [&](const std::string& name, const std::function<void(RawDb&)>& tamper) {
    return AuditAndFullFold(TamperedCopy(dir, name, tamper), pki);
  };
  auto same = [](const std::pair<AuditReport, std::set<std::string>>& r) {
    INFO(Describe(r.first));
    CHECK(StateFindings(r.first) == r.second);
  };

  SECTION("a clean store") {
    auto r = AuditAndFullFold(dir.Sub("89"), pki);
    INFO(Describe(r.first));
    CHECK(r.first.ok());
    CHECK(r.first.cases == kCases);
    CHECK(r.first.events == testing::SmallTree().size() + kCases + (kCases + 2) / 3);
  }
  SECTION("a case missing from the index, its state right: nothing to find") {
    auto r = tampered("unindexed",
                      [](RawDb& db) { db.Delete("index", IndexKey("30280", CaseCode(7))); });
    same(r);
    CHECK(StateFindings(r.first).empty());
  }
  SECTION("a stored state deleted, and one deleted with its index entry") {
    auto r = tampered("no-state", [](RawDb& db) {
      db.Delete("cases", CaseCode(4));
      db.Delete("cases", CaseCode(1050));
      db.Delete("index", IndexKey("30280", CaseCode(1050)));
    });
    same(r);
    CHECK(StateFindings(r.first).count(CaseCode(4) + ": no stored state for a case with events"));
    CHECK(
        StateFindings(r.first).count(CaseCode(1050) + ": no stored state for a case with events"));
  }
  SECTION("a stored case with no events") {
    auto r = tampered("no-events", [](RawDb& db) {
      db.Put("cases", "30280-251124-99999", db.Get("cases", CaseCode(5)));
      db.Put("index", IndexKey("30280", "30280-251124-99999"), "");
    });
    same(r);
    CHECK(
        StateFindings(r.first).count("30280-251124-99999: a stored case of channel 30280 has "
                                     "no events"));
  }
  SECTION("a case of two events stored as another of one, and a ref's id altered") {
    // Cases 6 (two events) and 7 (one): a ref's id no longer names the event it points at.
    auto r = tampered("forged", [](RawDb& db) {
      db.Put("cases", CaseCode(3), db.Get("cases", CaseCode(2)));
      for (int i : {6, 7}) {
        std::string v = db.Get("cases", CaseCode(i));
        // digest(32) 0x01 str(case) str(channel) varint(n), then the first ref's id
        const size_t id_at = 32 + 1 + 1 + CaseCode(i).size() + 1 + 5 + 1;
        v[id_at + 3] ^= 0x01;
        db.Put("cases", CaseCode(i), v);
      }
    });
    same(r);
    for (int i : {3, 6, 7}) {
      CHECK(StateFindings(r.first).count(
          CaseCode(i) + ": the stored state differs from a fresh fold of its events"));
    }
  }
  SECTION("an event deleted: its case differs, and so does the channel's fingerprint") {
    auto r = tampered("deleted", [](RawDb& db) { db.Delete("events", SeqKey(kCommuneStream, 9)); });
    same(r);
    CHECK(
        StateFindings(r.first).count("30280: the channel fingerprint differs from a fresh fold "
                                     "of its cases"));
  }
}

// The signed heads are read one at a time beside the events (a counter's node holds one per
// event): every malformed, misplaced or extra record is still named.
TEST_CASE("audit: signature records are checked one at a time, each named", "[audit]") {
  TempDir dir;
  Pki pki;
  BuildProvince(dir.path(), pki);
  std::string copy = dir.Sub("sigs");
  std::filesystem::copy(dir.Sub("89"), copy, std::filesystem::copy_options::recursive);
  {
    RawDb raw(copy);
    // A record of the wrong size at seq 3; one whose key is a byte too long; one past the head.
    raw.Put("signatures", SeqKey(kCommuneStream, 3), std::string(95, 'x'));
    std::string good = raw.Get("signatures", SeqKey(kCommuneStream, 6));
    raw.Put("signatures", SeqKey(kCommuneStream, 4) + "x", good);
    raw.Put("signatures", SeqKey(kCommuneStream, 9), good);
  }
  auto r = Audit(copy, pki);
  INFO(Describe(r));
  CHECK(Names(r, "signature", kCommuneStream, 3));        // malformed
  CHECK(Names(r, "signature", kCommuneStream, 0));        // its key names no seq
  CHECK(Names(r, "signature", kCommuneStream, 9));        // no event there
  CHECK_FALSE(Names(r, "signature", kCommuneStream, 6));  // the head's own still verifies
  CHECK(r.findings.size() == 3);
  const uint64_t before = Audit(dir.Sub("89"), pki).signatures;
  CHECK(r.signatures >= before + 2);  // every record counted (the one at seq 3 may be new)
}

TEST_CASE("audit: a document's chunk altered or lost on disk is named with its case",
          "[audit][documents]") {
  TempDir dir;
  auto province = testing::OpenTestNode(dir.Sub("root"), "89");
  REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  std::vector<Hash> chunks;
  {
    auto commune = testing::OpenTestNode(dir.Sub("30280"), "30280");
    Store& c = *commune->store;
    REQUIRE(testing::CopyAll(*province->store, c, [](const std::string&) { return true; }).ok());
    auto doc = c.PutDocument(testing::Pattern(2 * kDocumentChunkSize + 9, 3));
    REQUIRE(doc.ok());
    chunks = doc->ref.chunks;
    REQUIRE(c.Append(testing::ReceiveWrite("30280", "30280-251124-0001", "Lan", 1)).ok());
    REQUIRE(c.Append(testing::AttachWrite("30280", "30280-251124-0001", *doc, "cccd.pdf")).ok());
  }
  REQUIRE(chunks.size() == 3);
  auto audit = [&](const std::string& path) {
    auto report = AuditStore(*OpenForAudit(path), {"", "", true, 2});
    REQUIRE(report.ok());
    return std::move(report).value();
  };
  auto chunk_key = [&](char kind, int i) {
    return std::string(1, kind) + std::string(AsView(chunks[i]));
  };
  auto copy = [&](const std::string& name, const std::function<void(RawDb&)>& tamper) {
    std::string to = dir.Sub(name);
    std::filesystem::copy(dir.Sub("30280"), to, std::filesystem::copy_options::recursive);
    RawDb raw(to);
    tamper(raw);
    return to;
  };

  auto clean = audit(dir.Sub("30280"));
  INFO(Describe(clean));
  CHECK(clean.ok());
  CHECK(clean.documents == 1);
  CHECK(clean.chunks_checked == 3);
  CHECK(clean.chunks_missing == 0);

  SECTION("a flipped byte in a chunk") {
    auto r = audit(copy("flip", [&](RawDb& db) { db.FlipChunkByte(chunks[1], 100); }));
    INFO(Describe(r));
    REQUIRE(r.findings.size() == 1);
    CHECK(r.findings[0].kind == "document");
    CHECK(r.findings[0].case_code == "30280-251124-0001");
    CHECK_THAT(r.findings[0].message, Catch::Contains("chunk 2 of 3 (" + Hex(chunks[1]) + ")"));
    CHECK_THAT(r.findings[0].message, Catch::Contains("altered on disk"));
    CHECK(r.chunks_checked == 3);
  }
  SECTION("a held chunk's bytes deleted") {
    auto r = audit(copy("lost", [&](RawDb& db) { db.Delete("documents", chunk_key('c', 0)); }));
    INFO(Describe(r));
    REQUIRE(r.findings.size() == 1);
    CHECK(r.findings[0].case_code == "30280-251124-0001");
    CHECK_THAT(r.findings[0].message, Catch::Contains("bytes are gone"));
  }
  SECTION("a chunk not arrived yet is counted, not found") {
    auto r = audit(copy("arriving", [&](RawDb& db) {
      db.Delete("documents", chunk_key('c', 2));
      db.Delete("documents", chunk_key('h', 2));
    }));
    INFO(Describe(r));
    CHECK(r.ok());
    CHECK(r.chunks_checked == 2);
    CHECK(r.chunks_missing == 1);
  }
}
