// Bundles: the offline transfer of a scope's streams, on real stores with real certificates.
#include "sync/bundle.h"

#include <catch2/catch.hpp>

#include "core/domain/reference_data.h"
#include "tests/testing/bundle_testing.h"
#include "tests/testing/stream_builder.h"
#include "tests/testing/testing.h"

using namespace hoso;
using namespace hoso::sync;
using testing::TempDir;

namespace {

struct Offices {
  TempDir dir;
  testing::TestPki pki;
  std::unique_ptr<testing::TestNode> province = testing::OpenTestNode(dir.Sub("89"), "89");
  std::unique_ptr<testing::TestNode> commune = testing::OpenTestNode(dir.Sub("30280"), "30280");
  OriginVerifier verify = [this](const OriginMsg& o) {
    return CheckOriginCertificate(o, pki.ca, "", testing::kTestNow / 1000);
  };
  Offices() {
    Store& p = *province->store;
    REQUIRE(p.TrustOrigin("89", 1, testing::KeyFor(89).public_key(), pki.CertFor("89")).ok());
    REQUIRE(commune->store
                ->TrustOrigin("30280", 1, testing::KeyFor(30280).public_key(), pki.CertFor("30280"))
                .ok());
    REQUIRE(p.Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  }
  void Receive(Store& s, int from, int to) {
    for (int i = from; i < to; ++i) {
      REQUIRE(s.Append(testing::ReceiveWrite("30280", "30280-C" + std::to_string(i),
                                             "Phan Văn Sơn " + std::to_string(i),
                                             testing::kTestNow + 86400000))
                  .ok());
    }
  }
};

}  // namespace

TEST_CASE("bundle: a commune with no link gets its directory by USB, sends its cases back",
          "[sync][bundle]") {
  Offices o;
  // The province's bundle for the commune: the directory and the root's certificate.
  BundleSummary sum;
  auto to_commune = ExportBundle(*o.province->store, "30280", {}, &sum);
  REQUIRE(to_commune.ok());
  CHECK(sum.streams == 1);
  CHECK(sum.events == testing::SmallTree().size());
  auto in = ImportBundle(*o.commune->store, *to_commune, o.verify);
  REQUIRE(in.ok());
  CHECK(in->refused.empty());
  CHECK(in->applied == testing::SmallTree().size());
  CHECK(o.commune->store->DirectorySnapshot()->size() == testing::SmallTree().size());

  // The commune works, then sends its cases by post.
  o.Receive(*o.commune->store, 0, 25);
  auto to_province = ExportBundle(*o.commune->store, "30280", {});
  REQUIRE(to_province.ok());
  auto back = ImportBundle(*o.province->store, *to_province, o.verify);
  REQUIRE(back.ok());
  INFO((back->refused.empty() ? "" : back->refused[0]));
  CHECK(back->refused.empty());
  CHECK(back->applied == 25);
  auto same = [](const std::string& c) { return c == "30280"; };
  CHECK(o.province->store->ScopeFingerprint(same) == o.commune->store->ScopeFingerprint(same));

  // Importing the same file again changes nothing.
  uint64_t counter = o.province->store->CommitCounter();
  auto again = ImportBundle(*o.province->store, *to_province, o.verify);
  REQUIRE(again.ok());
  CHECK(again->applied == 0);
  CHECK(again->duplicates == back->applied + testing::SmallTree().size());
  CHECK(again->refused.empty());
  CHECK(o.province->store->ScopeFingerprint(same) == o.commune->store->ScopeFingerprint(same));
  CHECK(o.province->store->CommitCounter() == counter);  // not even a commit

  // Later: only what the province does not hold yet (its vector, carried back earlier).
  o.Receive(*o.commune->store, 25, 30);
  VersionVector province_has = o.province->store->Vector([](const std::string&) { return true; });
  BundleSummary delta;
  auto update = ExportBundle(*o.commune->store, "30280", province_has, &delta);
  REQUIRE(update.ok());
  CHECK(delta.events == 5);
  CHECK(update->size() < to_province->size() / 3);
  auto applied = ImportBundle(*o.province->store, *update, o.verify);
  REQUIRE(applied.ok());
  CHECK(applied->applied == 5);
  CHECK(o.province->store->ScopeFingerprint(same) == o.commune->store->ScopeFingerprint(same));
}

TEST_CASE("bundle: a truncated or altered file is refused whole, nothing is stored",
          "[sync][bundle]") {
  Offices o;
  auto to_commune = ExportBundle(*o.province->store, "30280", {});
  REQUIRE(to_commune.ok());
  Store& c = *o.commune->store;
  uint64_t before = c.CommitCounter();
  std::string truncated = to_commune->substr(0, to_commune->size() - 40);
  auto t = ImportBundle(c, truncated, o.verify);
  REQUIRE_FALSE(t.ok());
  CHECK(t.status().code() == Code::kInvalidArgument);
  std::string altered = *to_commune;
  size_t at = altered.find("Phường Mỹ Bình");
  REQUIRE(at != std::string::npos);
  altered[at + 2] ^= 0x01;
  auto a = ImportBundle(c, altered, o.verify);
  REQUIRE_FALSE(a.ok());
  CHECK_THAT(a.status().message(), Catch::Contains("digest mismatch"));
  CHECK_FALSE(ImportBundle(c, "not a bundle at all", o.verify).ok());
  CHECK_FALSE(ImportBundle(c, "", o.verify).ok());
  CHECK(c.CommitCounter() == before);
  CHECK(c.DirectorySnapshot()->size() == 0);
}

TEST_CASE("bundle: origins from another CA and channels out of scope are refused by name",
          "[sync][bundle]") {
  Offices o;
  // A commune that received its directory, then imports a bundle holding another commune's
  // channel: refused (scope), while its own arrives.
  auto directory = ExportBundle(*o.province->store, "30280", {});
  REQUIRE(ImportBundle(*o.commune->store, *directory, o.verify).ok());
  auto other = testing::OpenTestNode(o.dir.Sub("30283"), "30283");
  REQUIRE(ImportBundle(*other->store, *directory, o.verify).ok());
  REQUIRE(other->store
              ->TrustOrigin("30283", 1, testing::KeyFor(30283).public_key(), o.pki.CertFor("30283"))
              .ok());
  REQUIRE(other->store
              ->Append(testing::ReceiveWrite("30283", "30283-X1", "Bùi Thị Lan", testing::kTestNow))
              .ok());
  auto district_view = testing::OpenTestNode(o.dir.Sub("883"), "883");
  REQUIRE(ImportBundle(*district_view->store, *directory, o.verify).ok());
  REQUIRE(ImportBundle(*district_view->store, *ExportBundle(*other->store, "30283", {}), o.verify)
              .ok());
  auto whole_district = ExportBundle(*district_view->store, "883", {});
  REQUIRE(whole_district.ok());
  auto into_commune = ImportBundle(*o.commune->store, *whole_district, o.verify);
  REQUIRE(into_commune.ok());
  REQUIRE(into_commune->refused.size() == 1);
  CHECK_THAT(into_commune->refused[0], Catch::Contains("30283"));
  CHECK(o.commune->store->CaseCount() == 0);

  // A bundle whose origin certificate comes from another CA.
  testing::TestPki rogue;
  rogue.ca_key = testing::KeyFor(666);
  rogue.ca = MakeCaCertificate(rogue.ca_key, "89", rogue.kFrom, rogue.kTo).value();
  OriginVerifier rogue_verify = [&](const OriginMsg& m) {
    return CheckOriginCertificate(m, rogue.ca, "", testing::kTestNow / 1000);
  };
  auto fresh = testing::OpenTestNode(o.dir.Sub("fresh"), "30280");
  auto refused = ImportBundle(*fresh->store, *directory, rogue_verify);
  REQUIRE(refused.ok());
  REQUIRE_FALSE(refused->refused.empty());
  CHECK_THAT(refused->refused[0], Catch::Contains("origin 89#1"));
  CHECK(fresh->store->DirectorySnapshot()->size() == 0);
}

TEST_CASE("bundle: verified on its own, without a store", "[sync][bundle][audit]") {
  Offices o;
  auto b = ExportBundle(*o.province->store, "89", {});
  REQUIRE(b.ok());
  BundleSummary sum;
  auto problems = VerifyBundle(*b, o.verify, &sum);
  REQUIRE(problems.ok());
  CHECK(problems->empty());
  CHECK(sum.scope == "89");
  CHECK(sum.exporter == "89");
  testing::TestPki rogue;
  rogue.ca_key = testing::KeyFor(666);
  rogue.ca = MakeCaCertificate(rogue.ca_key, "89", rogue.kFrom, rogue.kTo).value();
  auto wrong_ca = VerifyBundle(
      *b,
      [&](const OriginMsg& m) {
        return CheckOriginCertificate(m, rogue.ca, "", testing::kTestNow / 1000);
      },
      &sum);
  REQUIRE(wrong_ca.ok());
  CHECK(wrong_ca->size() == 1);
}

TEST_CASE("bundle: the set-up bundle is the root's system channels, checked whole before storing",
          "[sync][bundle][setup]") {
  Offices o;
  Store& p = *o.province->store;
  Procedure passport{"TEST-1001193", "Cấp hộ chiếu", "Công an tỉnh", 8, true, true, 200000, {}};
  REQUIRE(p.Append(CatalogueWrites({passport}, "it")).ok());
  REQUIRE(p.Append(testing::ReceiveWrite("89", "89-C1", "Lâm Văn Tư", testing::kTestNow)).ok());
  BundleSummary sum;
  auto setup = ExportSystemBundle(p, &sum);
  REQUIRE(setup.ok());
  CHECK(sum.scope == "$system");
  CHECK(sum.streams == 2);  // $catalogue and $directory, never a unit's channel
  CHECK(sum.events == testing::SmallTree().size() + 1);
  auto channels = CheckSystemBundle(*setup, o.verify, "89");
  REQUIRE(channels.ok());
  CHECK(*channels == std::set<std::string>{"$catalogue", "$directory"});

  // A fresh commune imports it as sync would: the directory and the catalogue, no case.
  auto fresh = testing::OpenTestNode(o.dir.Sub("fresh"), "30280");
  Store& f = *fresh->store;
  auto in = ImportSystemBundle(f, *setup, o.verify);
  REQUIRE(in.ok());
  CHECK(in->refused.empty());
  CHECK(in->applied == sum.events);
  CHECK(f.DirectorySnapshot()->size() == testing::SmallTree().size());
  CHECK(f.CaseCount() == 0);
  auto again = ImportSystemBundle(f, *setup, o.verify);
  REQUIRE(again.ok());
  CHECK(again->duplicates == sum.events);

  // Refused whole, nothing stored: altered (with a matching digest), from another CA, for
  // another root, or holding a unit's channel.
  auto blank = testing::OpenTestNode(o.dir.Sub("blank"), "30280");
  Store& b = *blank->store;
  const uint64_t before = b.CommitCounter();
  std::string altered = testing::TamperedBundle(*setup, "Phường Mỹ Bình");
  auto a = ImportSystemBundle(b, altered, o.verify);
  REQUIRE_FALSE(a.ok());
  CHECK(a.status().code() == Code::kPermissionDenied);
  CHECK_THAT(a.status().message(), Catch::Contains("$directory"));
  testing::TestPki rogue;
  rogue.ca_key = testing::KeyFor(666);
  rogue.ca = MakeCaCertificate(rogue.ca_key, "89", rogue.kFrom, rogue.kTo).value();
  auto foreign = ImportSystemBundle(b, *setup, [&](const OriginMsg& m) {
    return CheckOriginCertificate(m, rogue.ca, "", testing::kTestNow / 1000);
  });
  REQUIRE_FALSE(foreign.ok());
  CHECK_THAT(foreign.status().message(), Catch::Contains("origin 89#1"));
  auto other_root = CheckSystemBundle(*setup, o.verify, "91");
  REQUIRE_FALSE(other_root.ok());
  CHECK_THAT(other_root.status().message(), Catch::Contains("only the root authority 91 may"));
  // A commune's own signed stream of the catalogue, with its valid certificate: the write
  // rule refuses it as Store::Ingest would.
  StreamBuilder forged({"$catalogue", "30280", 1}, testing::KeyFor(30280));
  forged.Next("TEST-1001193", "procedure.set", cbor::Value::Map(), testing::kTestNow << 16);
  Batch batch = forged.Seal();
  auto record = [](std::vector<cbor::Value> items) {
    cbor::Value r = cbor::Value::Array();
    for (auto& v : items) r.Append(std::move(v));
    return cbor::Encode(r);
  };
  using V = cbor::Value;
  std::string file =
      record({V::Text("hoso/bundle/v1"), V::Text("$system"), V::Text(""), V::Uint(0), V::Uint(0)});
  file += record({V::Uint(1), V::Text("30280"), V::Uint(1),
                  V::Bytes(testing::KeyFor(30280).public_key()), V::Text(o.pki.CertFor("30280"))});
  V events = V::Array();
  events.Append(V::Bytes(batch.events[0]));
  file += record({V::Uint(2), V::Text("$catalogue"), V::Text("30280"), V::Uint(1), V::Uint(1),
                  V::Bytes(batch.head.signature), std::move(events)});
  file += record({V::Uint(3), V::Uint(1), V::Uint(1), V::Bytes(AsView(Sha256(file)))});
  REQUIRE(VerifyBundle(file, o.verify, nullptr).value().empty());  // sound as a bundle
  auto by_commune = ImportSystemBundle(b, file, o.verify);
  REQUIRE_FALSE(by_commune.ok());
  CHECK_THAT(by_commune.status().message(),
             Catch::Contains("unit 30280 may not write system channel $catalogue"));
  auto scope = ExportBundle(p, "89", {});
  REQUIRE(scope.ok());
  auto not_setup = ImportSystemBundle(b, *scope, o.verify);
  REQUIRE_FALSE(not_setup.ok());
  CHECK_THAT(not_setup.status().message(), Catch::Contains("carries channel 89"));
  CHECK(b.CommitCounter() == before);
  CHECK(b.DirectorySnapshot()->size() == 0);
}

TEST_CASE("bundle: case keys travel sealed to the scope's nodes, names never in clear",
          "[sync][bundle][privacy]") {
  Offices o;
  auto setup = ExportBundle(*o.province->store, "30280", {});
  REQUIRE(setup.ok());
  REQUIRE(ImportBundle(*o.commune->store, *setup, o.verify).ok());
  o.Receive(*o.commune->store, 0, 5);
  // Up to the province, by post.
  BundleSummary sum;
  auto up = ExportBundle(*o.commune->store, "30280", {}, &sum);
  REQUIRE(up.ok());
  CHECK(sum.keys == 5);
  CHECK(sum.key_records == 1);
  CHECK(up->find("hoso/bundle/v2") != std::string::npos);
  CHECK(up->find("Phan Văn Sơn") == std::string::npos);
  CHECK(up->find("phan van son") == std::string::npos);
  CHECK(VerifyBundle(*up, o.verify, nullptr).value().empty());
  auto in = ImportBundle(*o.province->store, *up, o.verify);
  REQUIRE(in.ok());
  CHECK(in->refused.empty());
  CHECK(in->keys == 5);
  auto st = o.province->store->GetCaseState("30280-C3");
  REQUIRE(st.ok());
  auto name = o.province->store->OpenField("30280-C3", "applicant",
                                           st->Winner(*st->Field("applicant"))->value);
  REQUIRE(name.ok());
  CHECK(name->find("Phan Văn Sơn 3") != std::string::npos);

  // Another node holds none of those keys: it stores the events and cannot read the names.
  auto stranger = testing::OpenTestNode(o.dir.Sub("30283"), "30283");
  REQUIRE(ImportBundle(*stranger->store, *setup, o.verify).ok());
  auto theirs = ImportBundle(*stranger->store, *up, o.verify);
  REQUIRE(theirs.ok());
  CHECK(theirs->keys == 0);
  CHECK(theirs->keys_for_another == 1);
  CHECK(stranger->store
            ->OpenField("30280-C3", "applicant", st->Winner(*st->Field("applicant"))->value)
            .status()
            .code() == Code::kNotFound);

  // A keys record altered on the stick: the digest refuses the file before anything is stored.
  std::string altered = *up;
  size_t at = altered.find("hoso/bundle/v2") + 200;
  altered[at] ^= 1;
  CHECK_FALSE(ImportBundle(*o.province->store, altered, o.verify).ok());
}

namespace {

// The bundle with its trailer's digest made again over `bytes` as altered: what a hostile
// exporter can send, which the digest alone does not catch.
std::string Redigest(std::string bytes) {
  size_t pos = 0, last = 0, used = 0;
  cbor::Limits limits;
  limits.max_string = 1 << 20;
  while (pos < bytes.size()) {
    REQUIRE(cbor::DecodePrefix(std::string_view(bytes).substr(pos), &used, limits).ok());
    last = pos;
    pos += used;
  }
  const Hash digest = Sha256(std::string_view(bytes).substr(0, last));
  bytes.replace(bytes.size() - 32, 32, std::string(AsView(digest)));
  return bytes;
}

}  // namespace

TEST_CASE("bundle: with documents, a case's files travel by post, each chunk checked",
          "[sync][bundle][documents]") {
  Offices o;
  auto setup = ExportBundle(*o.province->store, "30280", {});
  REQUIRE(setup.ok());
  REQUIRE(ImportBundle(*o.commune->store, *setup, o.verify)->refused.empty());
  Store& c = *o.commune->store;
  REQUIRE(
      c.Append(testing::ReceiveWrite("30280", "30280-D1", "Lý Thị Hoa", testing::kTestNow)).ok());
  const std::string scan = "%PDF-1.4\n" + testing::Pattern(2 * kDocumentChunkSize + 10, 4);
  auto doc = c.PutDocument(scan);
  REQUIRE(doc.ok());
  REQUIRE(c.Append(testing::AttachWrite("30280", "30280-D1", *doc, "to-khai.pdf")).ok());
  VersionVector province_has = o.province->store->Vector([](const std::string&) { return true; });

  BundleSummary without;
  auto plain = ExportBundle(c, "30280", province_has, &without);
  REQUIRE(plain.ok());
  CHECK(without.chunks == 0);
  BundleSummary sum;
  auto bundle = ExportBundle(c, "30280", province_has, &sum, /*with_documents=*/true);
  REQUIRE(bundle.ok());
  CHECK(sum.chunks == 3);
  CHECK(sum.chunks_missing == 0);
  CHECK(bundle->size() > plain->size() + scan.size());
  BundleSummary read;
  auto problems = VerifyBundle(*bundle, o.verify, &read);
  REQUIRE(problems.ok());
  CHECK(problems->empty());
  CHECK(read.chunks == 3);

  SECTION("imported, the province holds the file byte-identical") {
    Store& p = *o.province->store;
    auto in = ImportBundle(p, *bundle, o.verify);
    REQUIRE(in.ok());
    INFO((in->refused.empty() ? "" : in->refused[0]));
    CHECK(in->refused.empty());
    CHECK(in->chunks == 3);
    CHECK(p.HeldChunks(doc->ref) == 3);
    CHECK(*p.ReadDocument(doc->ref, doc->key) == scan);
    auto again = ImportBundle(p, *bundle, o.verify);
    REQUIRE(again.ok());
    CHECK(again->chunks == 0);
    CHECK(again->chunk_duplicates == 3);
  }
  SECTION("a chunk altered by the exporter is refused by name, the rest stored") {
    std::string bytes = *bundle;
    const std::string second = *c.GetChunk(doc->ref.chunks[1]);
    const size_t at = bytes.find(second);
    REQUIRE(at != std::string::npos);
    bytes[at + 100] ^= 1;
    bytes = Redigest(bytes);
    auto problems2 = VerifyBundle(bytes, o.verify, nullptr);
    REQUIRE(problems2.ok());
    REQUIRE(problems2->size() == 1);
    CHECK_THAT((*problems2)[0], Catch::Contains(Hex(doc->ref.chunks[1])));
    auto in = ImportBundle(*o.province->store, bytes, o.verify);
    REQUIRE(in.ok());
    REQUIRE(in->refused.size() == 1);
    CHECK_THAT(in->refused[0], Catch::Contains("chunk " + Hex(doc->ref.chunks[1])));
    CHECK(in->chunks == 2);
    CHECK_FALSE(o.province->store->HasChunk(doc->ref.chunks[1]));
    CHECK(o.province->store->WantedChunkCount() == 1);  // still wanted, from a peer
  }
  SECTION("a chunk no case of the importer names is not stored") {
    auto other = testing::OpenTestNode(o.dir.Sub("30283"), "30283");
    auto in = ImportBundle(*other->store, *bundle, o.verify);
    REQUIRE(in.ok());
    CHECK(in->chunks == 0);
    CHECK(in->chunks_unwanted + in->chunk_duplicates == 3);
    CHECK_FALSE(other->store->HasChunk(doc->ref.chunks[0]));
  }
}
