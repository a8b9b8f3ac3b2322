// Documents (docs/documents.md): the sealed, chunked format, and the store's documents family
// on real RocksDB stores of a commune and its province, replicated as sync does.
#include "core/format/document.h"

#include <rocksdb/db.h>

#include <catch2/catch.hpp>

#include "core/format/aead.h"
#include "core/format/sealed_field.h"
#include "core/log/store_tuning.h"
#include "tests/testing/raw_db.h"
#include "tests/testing/testing.h"

using namespace hoso;
using testing::TempDir;

namespace {

using testing::Pattern;

LocalWrite Attach(const std::string& code, const SealedDocument& doc, const std::string& name) {
  return testing::AttachWrite("30280", code, doc, name);
}

// The key of the document attached by the case's latest document.attached, opened.
std::string OpenedKey(const Store& store, const std::string& code) {
  auto view = store.GetCase(code);
  REQUIRE(view.ok());
  for (auto it = view->history.rbegin(); it != view->history.rend(); ++it) {
    const cbor::Value* key = it->event.body.Find("document_key");
    if (!key) continue;
    auto plain = store.OpenField(code, "document_key", cbor::Encode(*key));
    REQUIRE(plain.ok());
    auto v = cbor::Decode(*plain);
    REQUIRE(v.ok());
    return v->str();
  }
  FAIL("no document.attached in " << code);
  return "";
}

auto All = [](const std::string&) { return true; };

// A commune's store that knows the directory (the province wrote it).
std::unique_ptr<testing::TestNode> Commune(const TempDir& dir) {
  auto province = testing::OpenTestNode(dir.Sub("root"), "89");
  REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  auto commune = testing::OpenTestNode(dir.Sub("c"), "30280");
  REQUIRE(testing::CopyAll(*province->store, *commune->store, All).ok());
  return commune;
}

}  // namespace

TEST_CASE("a document seals into named chunks that open only as named", "[documents]") {
  for (size_t size : {size_t{0}, size_t{1}, kDocumentChunkSize, kDocumentChunkSize + 1,
                      3 * kDocumentChunkSize + 17}) {
    std::string plain = Pattern(size, static_cast<int>(size));
    auto doc = SealDocument(plain);
    REQUIRE(doc.ok());
    CHECK(doc->ref.size == size);
    CHECK(doc->ref.sha256 == Sha256(plain));
    REQUIRE(doc->ref.chunks.size() == DocumentChunkCount(size));
    for (size_t i = 0; i < doc->sealed.size(); ++i) {
      CHECK(doc->sealed[i].size() == SealedChunkSize(size, i));
      CHECK(Sha256(doc->sealed[i]) == doc->ref.chunks[i]);
    }
    auto round = ParseDocumentRef(cbor::Decode(cbor::Encode(DocumentRefValue(doc->ref))).value());
    REQUIRE(round.ok());
    CHECK(round->chunks == doc->ref.chunks);
    auto opened = OpenDocument(doc->ref, doc->key, [&](size_t i, const Hash&) {
      return Result<std::string>(doc->sealed[i]);
    });
    REQUIRE(opened.ok());
    CHECK(*opened == plain);
  }
  // Convergent: the same file seals to the same chunks (stored once); another file does not.
  auto a = SealDocument(Pattern(1000, 1)).value(), b = SealDocument(Pattern(1000, 1)).value(),
       c = SealDocument(Pattern(1000, 2)).value();
  CHECK(a.ref.chunks == b.ref.chunks);
  CHECK(a.ref.chunks != c.ref.chunks);

  SECTION("a chunk altered, moved or opened under another key is refused") {
    auto doc = SealDocument(Pattern(2 * kDocumentChunkSize, 3)).value();
    std::string bad = doc.sealed[1];
    bad[100] ^= 1;
    CHECK(OpenDocumentChunk(doc.ref, doc.key, 1, bad).status().code() == Code::kCorruption);
    CHECK(OpenDocumentChunk(doc.ref, doc.key, 0, doc.sealed[1]).status().code() ==
          Code::kCorruption);
    // A chunk that hashes to its name but was sealed under another key (a forged reference).
    DocumentRef forged = doc.ref;
    forged.chunks[0] = Sha256(doc.sealed[0]);
    CHECK(OpenDocumentChunk(forged, std::string(32, 'k'), 0, doc.sealed[0]).status().code() ==
          Code::kCorruption);
  }
  SECTION("a malformed reference is refused with what is wrong") {
    auto doc = SealDocument(Pattern(10, 4)).value();
    cbor::Value extra = DocumentRefValue(doc.ref);
    extra.Set("name", cbor::Value::Text("x"));
    CHECK(ParseDocumentRef(extra).status().code() == Code::kInvalidArgument);
    cbor::Value many = DocumentRefValue(doc.ref);
    many.Set("size", cbor::Value::Uint(kDocumentChunkSize + 1));
    CHECK(ParseDocumentRef(many).status().message().find("2 chunk names") != std::string::npos);
    cbor::Value huge = DocumentRefValue(doc.ref);
    huge.Set("size", cbor::Value::Uint(kMaxDocumentBytes + 1));
    CHECK(ParseDocumentRef(huge).status().code() == Code::kInvalidArgument);
    DocumentRef twice = SealDocument(Pattern(kDocumentChunkSize + 1, 5)).value().ref;
    twice.chunks[1] = twice.chunks[0];
    CHECK_THAT(ParseDocumentRef(DocumentRefValue(twice)).status().message(),
               Catch::Contains("names a chunk twice"));
    cbor::Value short_hash = DocumentRefValue(doc.ref);
    short_hash.Set("sha256", cbor::Value::Bytes("abc"));
    CHECK(ParseDocumentRef(short_hash).status().code() == Code::kInvalidArgument);
  }
}

TEST_CASE("a commune's document is wanted by its province and arrives chunk by chunk",
          "[documents]") {
  TempDir dir;
  auto province = testing::OpenTestNode(dir.Sub("p"), "89");
  auto commune = testing::OpenTestNode(dir.Sub("c"), "30280");
  REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  REQUIRE(testing::CopyAll(*province->store, *commune->store, All).ok());

  const std::string plain = Pattern(2 * kDocumentChunkSize + 5, 7);
  auto doc = commune->store->PutDocument(plain);
  REQUIRE(doc.ok());
  CHECK(doc->sealed.empty());  // stored, not returned
  REQUIRE(commune->store->Append(testing::ReceiveWrite("30280", "30280-1", "Lan", 1)).ok());
  REQUIRE(commune->store->Append(Attach("30280-1", *doc, "cccd.pdf")).ok());
  CHECK(commune->store->WantedChunkCount() == 0);
  CHECK(commune->store->HeldChunks(doc->ref) == 3);
  CHECK(*commune->store->ReadDocument(doc->ref, OpenedKey(*commune->store, "30280-1")) == plain);
  // The name is personal data: sealed in the signed event.
  auto view = commune->store->GetCase("30280-1");
  REQUIRE(view.ok());
  CHECK(view->history.back().event.body.Find("document_name")->is_bytes());
  const cbor::Value* sealed_key = view->history.back().event.body.Find("document_key");
  REQUIRE(sealed_key->is_bytes());
  CHECK(ParseSealedField(sealed_key->str()));  // sealed, not the key in clear
  CHECK(sealed_key->str().find(doc->key) == std::string::npos);

  REQUIRE(testing::CopyAll(*commune->store, *province->store, All).ok());
  Store& p = *province->store;
  CHECK(p.WantedChunkCount() == 3);
  const std::string key = OpenedKey(p, "30280-1");  // the key travelled with the batch
  CHECK(p.ReadDocument(doc->ref, key).status().code() == Code::kNotFound);
  std::vector<WantedChunk> wanted;
  REQUIRE(p.ScanWantedChunks("", All, 10, &wanted).ok());
  REQUIRE(wanted.size() == 3);
  CHECK(wanted[0].channel == "30280");
  std::vector<WantedChunk> page;  // a page at a time, and only the channels asked for
  REQUIRE(p.ScanWantedChunks("", All, 2, &page).ok());
  REQUIRE(page.size() == 2);
  REQUIRE(p.ScanWantedChunks(page.back().key, All, 2, &page).ok());
  REQUIRE(page.size() == 1);
  CHECK(page[0].name == wanted[2].name);
  REQUIRE(p.ScanWantedChunks(
               "", [](const std::string& c) { return c != "30280"; }, 10, &page)
              .ok());
  CHECK(page.empty());
  CHECK(commune->store->ChunkNamedIn(wanted[0].name,
                                     [](const std::string& c) { return c == "30280"; }));
  CHECK_FALSE(commune->store->ChunkNamedIn(wanted[0].name,
                                           [](const std::string& c) { return c == "30283"; }));

  SECTION("a chunk of the wrong bytes or size, or not asked for, changes nothing") {
    std::string sealed = commune->store->GetChunk(wanted[0].name).value();
    std::string bad = sealed;
    bad[5] ^= 1;
    CHECK(p.PutReceivedChunk(wanted[0].name, bad).code() == Code::kCorruption);
    CHECK(p.PutReceivedChunk(wanted[0].name, sealed.substr(1)).code() == Code::kCorruption);
    CHECK(p.PutReceivedChunk(Sha256("other"), "other").code() == Code::kFailedPrecondition);
    CHECK(p.WantedChunkCount() == 3);
    CHECK_FALSE(p.HasChunk(wanted[0].name));
  }
  SECTION("the chunks received make the file, byte for byte") {
    for (const WantedChunk& w : wanted) {
      std::string sealed = commune->store->GetChunk(w.name).value();
      CHECK(sealed.size() == w.size);
      REQUIRE(p.PutReceivedChunk(w.name, sealed).ok());
    }
    CHECK(p.WantedChunkCount() == 0);
    CHECK(*p.ReadDocument(doc->ref, key) == plain);
    // Stored once: the same file attached to a second case wants nothing more.
    REQUIRE(commune->store->Append(testing::ReceiveWrite("30280", "30280-2", "Hoa", 2)).ok());
    auto again = commune->store->PutDocument(plain);
    REQUIRE(again.ok());
    CHECK(again->ref.chunks == doc->ref.chunks);
    REQUIRE(commune->store->Append(Attach("30280-2", *again, "ban-sao.pdf")).ok());
    REQUIRE(testing::CopyAll(*commune->store, p, All).ok());
    CHECK(p.WantedChunkCount() == 0);
  }
}

TEST_CASE("a document event is checked before it is stored", "[documents]") {
  TempDir dir;
  auto commune = Commune(dir);
  auto doc = commune->store->PutDocument("%PDF-1.7 tiny").value();
  REQUIRE(commune->store->Append(testing::ReceiveWrite("30280", "30280-1", "Lan", 1)).ok());
  LocalWrite no_key = Attach("30280-1", doc, "a.pdf");
  no_key.body = testing::Body({{"document", DocumentRefValue(doc.ref)},
                               {"document_name", testing::Text("a.pdf")},
                               {"document_type", testing::Text("application/pdf")},
                               {"document_role", testing::Text("application")}});
  auto s = commune->store->Append(no_key);
  CHECK(s.status().message().find("body.document_key is required") != std::string::npos);
  LocalWrite elsewhere = testing::StepWrite("30280", "30280-1", "processing");
  elsewhere.body.Set("document", DocumentRefValue(doc.ref));
  CHECK(commune->store->Append(elsewhere).status().code() == Code::kInvalidArgument);
  LocalWrite bad_ref = Attach("30280-1", doc, "a.pdf");
  cbor::Value ref = DocumentRefValue(doc.ref);
  ref.Set("size", cbor::Value::Uint(kDocumentChunkSize * 2));
  bad_ref.body.Set("document", ref);
  CHECK(commune->store->Append(bad_ref).status().message().find("chunk names") !=
        std::string::npos);
  LocalWrite html = Attach("30280-1", doc, "a.pdf");
  html.body.Set("document_type", testing::Text("text/html"));
  CHECK(commune->store->Append(html).status().code() == Code::kInvalidArgument);
  auto view = commune->store->GetCase("30280-1");
  REQUIRE(view.ok());
  CHECK(view->history.size() == 1);
}

TEST_CASE("documents of old cases wait until asked for", "[documents]") {
  TempDir dir;
  auto commune = Commune(dir);
  auto doc = commune->store->PutDocument(Pattern(1000, 9)).value();
  REQUIRE(commune->store->Append(testing::ReceiveWrite("30280", "30280-1", "Lan", 1)).ok());
  REQUIRE(commune->store->Append(Attach("30280-1", doc, "a.pdf")).ok());

  auto province = std::make_unique<testing::TestNode>();
  province->clock.Advance(400ll * 86400 * 1000);  // the province learns of it a year later
  StoreOptions o;
  o.path = dir.Sub("p");
  o.root_unit = "89";
  o.identity = Identity{"89", 1, testing::KeyFor(89)};
  o.clock = &province->clock;
  UseCaseLogRules(&o);
  o.fetch_documents_within_ms = 90ll * 86400 * 1000;
  province->store = Store::Open(o).value();
  REQUIRE(testing::CopyAll(*commune->store, *province->store, All).ok());
  Store& p = *province->store;
  CHECK(p.WantedChunkCount() == 0);
  REQUIRE(p.FetchDocument(doc.ref).ok());
  CHECK(p.WantedChunkCount() == 1);
  REQUIRE(p.PutReceivedChunk(doc.ref.chunks[0], commune->store->GetChunk(doc.ref.chunks[0]).value())
              .ok());
  CHECK(p.HeldChunks(doc.ref) == 1);
}

TEST_CASE("a store written before documents opens read-only without them", "[documents]") {
  TempDir dir;
  {
    auto node = testing::OpenTestNode(dir.Sub("s"), "89");
    REQUIRE(node->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  }
  {  // what an earlier release left: no documents family
    rocksdb::DB* raw = nullptr;
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    REQUIRE(OpenStoreDb(StoreDbOptions(), dir.Sub("s"), false, "", 8, &handles, &raw).ok());
    REQUIRE(raw->DropColumnFamily(handles[family::kDocuments]).ok());
    for (auto* h : handles) REQUIRE(raw->DestroyColumnFamilyHandle(h).ok());
    delete raw;
  }
  StoreOptions o;
  o.path = dir.Sub("s");
  o.read_only = true;
  UseCaseLogRules(&o);
  auto store = Store::Open(o);
  REQUIRE(store.ok());
  CHECK((*store)->GetChunk(Sha256("x")).status().code() == Code::kFailedPrecondition);
  CHECK((*store)->WantedChunkCount() == 0);
  store->reset();
  // Opened for writing, the family is created.
  auto node = testing::OpenTestNode(dir.Sub("s"), "89");
  CHECK(node->store->PutDocument("%PDF").ok());
}

// A chunk rotted on a holder's disk is dropped and wanted again, never the whole file; an
// upload of the same file replaces it too.
TEST_CASE("a damaged chunk is fetched again, and only it", "[documents]") {
  TempDir dir;
  auto province = testing::OpenTestNode(dir.Sub("p"), "89");
  REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  auto commune = testing::OpenTestNode(dir.Sub("c"), "30280");
  REQUIRE(testing::CopyAll(*province->store, *commune->store, All).ok());
  const std::string plain = Pattern(2 * kDocumentChunkSize + 77, 9);
  auto doc = commune->store->PutDocument(plain);
  REQUIRE(doc.ok());
  REQUIRE(commune->store->Append(testing::ReceiveWrite("30280", "30280-1", "Lan", 1)).ok());
  REQUIRE(commune->store->Append(Attach("30280-1", *doc, "cccd.pdf")).ok());
  REQUIRE(testing::CopyAll(*commune->store, *province->store, All).ok());
  for (const Hash& name : doc->ref.chunks) {
    REQUIRE(province->store->PutReceivedChunk(name, *commune->store->GetChunk(name)).ok());
  }
  const std::string key = OpenedKey(*province->store, "30280-1");
  CHECK(*province->store->RefetchDamagedChunks(doc->ref) == 0);  // nothing damaged
  province.reset();
  testing::RawDb(dir.Sub("p")).FlipChunkByte(doc->ref.chunks[1], 7);
  province = testing::OpenTestNode(dir.Sub("p"), "89");
  Store& p = *province->store;
  CHECK(p.ReadDocument(doc->ref, key).status().code() == Code::kCorruption);
  auto dropped = p.RefetchDamagedChunks(doc->ref);
  REQUIRE(dropped.ok());
  CHECK(*dropped == 1);
  CHECK(p.HeldChunks(doc->ref) == 2);
  std::vector<WantedChunk> wanted;
  REQUIRE(p.ScanWantedChunks("", All, 10, &wanted).ok());
  REQUIRE(wanted.size() == 1);
  CHECK(wanted[0].name == doc->ref.chunks[1]);
  CHECK(wanted[0].size == SealedChunkSize(doc->ref.size, 1));
  CHECK(wanted[0].channel == "30280");
  REQUIRE(p.PutReceivedChunk(wanted[0].name, *commune->store->GetChunk(wanted[0].name)).ok());
  CHECK(*p.ReadDocument(doc->ref, key) == plain);

  SECTION("an upload of the same file replaces a rotted copy") {
    province.reset();
    testing::RawDb(dir.Sub("p")).FlipChunkByte(doc->ref.chunks[0], 3);
    province = testing::OpenTestNode(dir.Sub("p"), "89");
    REQUIRE(province->store->PutDocument(plain).ok());
    CHECK(*province->store->ReadDocument(doc->ref, key) == plain);
  }
}
