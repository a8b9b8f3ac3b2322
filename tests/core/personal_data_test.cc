// Sealed personal fields, case keys and erasure (docs/privacy.md), on real RocksDB stores of a
// province, a district and a commune, replicated as sync does (keys with their batches).
#include "core/domain/personal_data.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "core/audit/audit.h"
#include "core/domain/case_index.h"
#include "core/domain/documents.h"
#include "core/format/node_seal.h"
#include "core/format/sealed_field.h"
#include "core/log/erasure.h"
#include "tests/testing/testing.h"

using namespace hoso;
using testing::TempDir;

namespace {

auto All = [](const std::string&) { return true; };

std::string Winner(const Store& s, const std::string& code, const std::string& field) {
  auto st = s.GetCaseState(code);
  REQUIRE(st.ok());
  const FieldState* f = st->Field(field);
  REQUIRE(f != nullptr);
  return st->Winner(*f)->value;
}

// Whether any file under `dir` holds `needle` (the raw bytes of a plaintext store's files).
bool AnyFileHolds(const std::string& dir, std::string_view needle) {
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    if (testing::ReadWholeFile(e.path().string()).find(needle) != std::string::npos) return true;
  }
  return false;
}

// The index family but the entries of personal data, which an erasure removes (names, and
// the search terms: 'w' terms, 'W' a case's terms): status, due date, channel, register and
// report buckets.
std::map<std::string, int64_t> Counters(const Store& s) {
  std::map<std::string, int64_t> out;
  REQUIRE(s.ScanIndexCounters("", "", [&](std::string_view k, int64_t n) {
             if (k[0] != 'n' && k[0] != 'w' && k[0] != 'W') out[std::string(k)] = n;
           }).ok());
  return out;
}

struct Tree {
  TempDir dir;
  std::unique_ptr<testing::TestNode> province = testing::OpenTestNode(dir.Sub("p"), "89"),
                                     district = testing::OpenTestNode(dir.Sub("d"), "883"),
                                     commune = testing::OpenTestNode(dir.Sub("c"), "30280");
  Tree() {
    REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
    Sync();
  }
  // Everything to everyone, twice round, keys with their batches.
  void Sync() {
    for (int round = 0; round < 2; ++round) {
      for (auto* from : {&province, &district, &commune}) {
        for (auto* to : {&province, &district, &commune}) {
          if (from != to) REQUIRE(testing::CopyAll(*(*from)->store, *(*to)->store, All).ok());
        }
      }
    }
  }
  Status Erase(const std::string& code) {
    return province->store
        ->Append(LocalWrite{std::string(kErasureChannel), code, std::string(kEraseType),
                            ErasureBody("QĐ 12/QĐ-UBND", "yêu cầu của chủ thể dữ liệu"), "it"})
        .status();
  }
};

constexpr const char* kCode = "30280-251124-0001";

}  // namespace

TEST_CASE("sealed field: opens only with its key, case and field", "[privacy]") {
  std::string key = NewCaseKey().value(), other = NewCaseKey().value();
  std::string plain = cbor::Encode(cbor::Value::Text("Đinh Thị Hậu"));
  std::string sealed = SealField(key, "K1", "applicant", plain).value();
  std::string id;
  REQUIRE(ParseSealedField(sealed, &id));
  CHECK(id == CaseKeyId(key));
  CHECK(sealed.size() == plain.size() + kSealedFieldOverhead);
  CHECK(sealed.find("Hậu") == std::string::npos);
  CHECK(OpenSealedField(key, "K1", "applicant", sealed).value() == plain);
  CHECK(OpenSealedField(other, "K1", "applicant", sealed).status().code() == Code::kCorruption);
  CHECK(OpenSealedField(key, "K2", "applicant", sealed).status().code() == Code::kCorruption);
  CHECK(OpenSealedField(key, "K1", "note", sealed).status().code() == Code::kCorruption);
  std::string flipped = sealed;
  flipped.back() ^= 1;
  CHECK_FALSE(OpenSealedField(key, "K1", "applicant", flipped).ok());
  CHECK_FALSE(ParseSealedField("\x02" + sealed.substr(1)));
  CHECK_FALSE(ParseSealedField(sealed.substr(0, kSealedFieldOverhead)));
}

TEST_CASE("personal data: sealed at the counter, read and searched where the key is held",
          "[privacy]") {
  Tree t;
  Store& commune = *t.commune->store;
  REQUIRE(commune.Append(testing::ReceiveWrite("30280", kCode, "Hứa Thị Duyên", 5)).ok());
  // The event and the state hold ciphertext; the name appears in no file of the store.
  std::string raw = Winner(commune, kCode, "applicant");
  CHECK(cbor::Decode(raw)->is_bytes());
  REQUIRE(commune.Flush().ok());
  CHECK_FALSE(AnyFileHolds(t.dir.Sub("c"), "Duyên"));
  CHECK_FALSE(AnyFileHolds(t.dir.Sub("c"), "Hứa Thị"));
  ShownField shown = ShowField(commune, kCode, "applicant", raw);
  REQUIRE(shown.hidden == ShownField::Hidden::kNone);
  CHECK(shown.value.Find("name")->str() == "Hứa Thị Duyên");
  CHECK(CasesByApplicant(commune, "hua thi", 10).value() == std::vector<std::string>{kCode});

  // The district gets the key with the batch; a store fed the batch without it holds the case
  // but cannot read or find the name, and folds to the same state.
  t.Sync();
  Store& district = *t.district->store;
  CHECK(ShowField(district, kCode, "applicant", raw).value.Find("name")->str() == "Hứa Thị Duyên");
  CHECK(CasesByApplicant(district, "duyen", 10).value().empty());  // a prefix search
  CHECK(CasesByApplicant(district, "Hứa", 10).value() == std::vector<std::string>{kCode});
  auto keyless = testing::OpenTestNode(t.dir.Sub("k"), "89");
  for (const auto& [stream, head] : t.province->store->Vector(All)) {
    REQUIRE(keyless->store
                ->TrustOrigin(stream.origin, stream.epoch,
                              *t.province->store->OriginKey(stream.origin, stream.epoch))
                .ok());
    auto batch = t.province->store->ReadBatch(stream, 1, 1000);
    REQUIRE(batch.ok());
    REQUIRE(keyless->store->Ingest(*batch).ok());
  }
  CHECK(ShowField(*keyless->store, kCode, "applicant", raw).hidden == ShownField::Hidden::kNoKey);
  CHECK(keyless->store->OpenField(kCode, "applicant", raw).status().code() == Code::kNotFound);
  CHECK(CasesByApplicant(*keyless->store, "Hứa", 10).value().empty());
  CHECK(keyless->store->ScopeFingerprint(All) == district.ScopeFingerprint(All));

  // Keys only for the batch's own cases, and only the right ones, are stored.
  auto batch = commune.ReadBatch({"30280", "30280", 1}, 1, 1000).value();
  auto keys = commune.KeysForEvents(batch.events).value();
  REQUIRE(keys.size() == 1);
  auto other = testing::OpenTestNode(t.dir.Sub("o"), "89");
  REQUIRE(testing::CopyAll(*t.province->store, *other->store, [](const std::string& c) {
            return c == "$directory";
          }).ok());
  REQUIRE(other->store->TrustOrigin("30280", 1, *commune.OriginKey("30280", 1)).ok());
  std::vector<CaseKey> offered = {{"30280-251124-0099", NewCaseKey().value()},
                                  {kCode, "short"},
                                  {kCode, NewCaseKey().value()},
                                  keys[0]};
  REQUIRE(other->store->Ingest(batch, nullptr, offered).ok());
  CHECK(ShowField(*other->store, kCode, "applicant", raw).hidden == ShownField::Hidden::kNone);
  int held = 0;
  REQUIRE(other->store
              ->ScanMeta("casekey/",
                         [&](std::string_view, std::string_view) {
                           ++held;
                           return true;
                         })
              .ok());
  // Only the key that opens a sealed value of the batch: not another case's, not a short one,
  // not one that opens nothing (a planted key later writes would seal under).
  CHECK(held == 1);
}

TEST_CASE("personal data: a sealed value that opens to junk is not shown", "[privacy]") {
  Tree t;
  Store& commune = *t.commune->store;
  // The schema refuses junk in clear; a hostile office seals it itself (the schema sees only
  // sealed bytes, and the store leaves a sealed value as it is).
  cbor::Value junk = cbor::Value::Map();
  junk.Set("name", cbor::Value::Uint(7));
  auto in_clear = commune.Append(LocalWrite{
      "30280", kCode, "case.step",
      testing::Body({{"status", testing::Text("received")}, {"applicant", junk}}), "clerk"});
  CHECK(in_clear.status().code() == Code::kInvalidArgument);
  REQUIRE(commune.Append(testing::ReceiveWrite("30280", kCode, "Vàng Thị Dở", 5)).ok());
  std::string key;
  REQUIRE(commune
              .ScanMeta("casekey/",
                        [&](std::string_view, std::string_view v) {
                          key = std::string(v);
                          return false;
                        })
              .ok());
  std::string sealed = SealField(key, kCode, "applicant", cbor::Encode(junk)).value();
  REQUIRE(commune
              .Append(LocalWrite{"30280", kCode, "case.step",
                                 testing::Body({{"status", testing::Text("processing")},
                                                {"applicant", cbor::Value::Bytes(sealed)}}),
                                 "clerk"})
              .ok());
  CHECK(ShowField(commune, kCode, "applicant", Winner(commune, kCode, "applicant")).hidden ==
        ShownField::Hidden::kInvalid);
}

TEST_CASE("erasure: the root's decision destroys the keys everywhere, chains stay valid",
          "[privacy]") {
  Tree t;
  Store& commune = *t.commune->store;
  REQUIRE(commune.Append(testing::ReceiveWrite("30280", kCode, "Mùa A Dính", 5)).ok());
  REQUIRE(commune.Append(testing::ReceiveWrite("30280", "30280-251124-0002", "Lò Văn Ún", 6)).ok());
  t.Sync();
  const std::string raw = Winner(commune, kCode, "applicant");
  auto key_of = [&](const std::string& code) {
    std::string key;
    REQUIRE(commune
                .ScanMeta("casekey/" + code,
                          [&](std::string_view, std::string_view v) {
                            key = std::string(v);
                            return false;
                          })
                .ok());
    REQUIRE(key.size() == kCaseKeySize);
    return key;
  };
  const std::string erased_key = key_of(kCode), kept_key = key_of("30280-251124-0002");
  const auto counters = Counters(*t.province->store);
  auto cases_only = [](const std::string& c) { return c[0] != '$'; };
  const Hash fp = t.province->store->ScopeFingerprint(cases_only);

  REQUIRE(t.Erase(kCode).ok());
  t.Sync();
  for (auto* node : {&t.province, &t.district, &t.commune}) {
    Store& s = *(*node)->store;
    INFO(s.options().identity->unit);
    auto opened = s.OpenField(kCode, "applicant", raw);
    CHECK(opened.status().code() == Code::kFailedPrecondition);
    CHECK_THAT(opened.status().message(), Catch::Contains("QĐ 12/QĐ-UBND"));
    ShownField shown = ShowField(s, kCode, "applicant", raw);
    CHECK(shown.hidden == ShownField::Hidden::kErased);
    REQUIRE(shown.erasure);
    CHECK(shown.erasure->by == "89");
    CHECK(shown.erasure->ground == "yêu cầu của chủ thể dữ liệu");
    CHECK(CasesByApplicant(s, "Mùa", 10).value().empty());
    // The other case is untouched; counters, fingerprints and the audit are as before.
    CHECK(CasesByApplicant(s, "Lò Văn", 10).value().size() == 1);
    CHECK(s.Erasures().value().size() == 1);
    auto audit = AuditStore(s, {});
    REQUIRE(audit.ok());
    CHECK(audit->ok());
    int keys = 0;
    REQUIRE(s.ScanMeta("casekey/" + std::string(kCode), [&](std::string_view, std::string_view) {
               ++keys;
               return true;
             }).ok());
    CHECK(keys == 0);
  }
  CHECK(Counters(*t.province->store) == counters);
  // The erasure event is in "$erasure", which no fingerprint of a case channel covers: the
  // case states are what they were.
  CHECK(t.province->store->ScopeFingerprint(cases_only) ==
        t.commune->store->ScopeFingerprint(cases_only));
  CHECK(t.province->store->ScopeFingerprint(cases_only) == fp);

  // Each holder carries it out and signs that it did; the province lists them.
  for (auto* node : {&t.province, &t.district, &t.commune}) {
    CHECK(ConfirmErasures(*(*node)->store, testing::kTestNow).value() == 1);
    CHECK(ConfirmErasures(*(*node)->store, testing::kTestNow).value() == 0);  // once
  }
  t.Sync();
  std::vector<std::string> confirmed;
  auto confirmations = ErasureConfirmations(*t.province->store, kCode);
  REQUIRE(confirmations.ok());
  for (const Confirmation& c : *confirmations) confirmed.push_back(c.unit);
  std::sort(confirmed.begin(), confirmed.end());
  CHECK(confirmed == std::vector<std::string>{"30280", "883", "89"});
  CHECK(AuditStore(*t.province->store, {}).value().ok());

  // No personal field may be written to the erased case again, anywhere.
  auto again = commune.Append(testing::ReceiveWrite("30280", kCode, "Mùa A Dính", 7));
  CHECK(again.status().code() == Code::kFailedPrecondition);
  CHECK(commune.Append(testing::StepWrite("30280", kCode, "processing")).ok());

  // A node that learns of the erasure before the case never stores its key.
  auto late = testing::OpenTestNode(t.dir.Sub("late"), "89");
  REQUIRE(testing::CopyAll(*t.province->store, *late->store, [](const std::string& c) {
            return c[0] == '$';
          }).ok());
  auto batch = t.district->store->ReadBatch({"30280", "30280", 1}, 1, 1000).value();
  std::vector<CaseKey> keys = {{kCode, NewCaseKey().value()}};
  REQUIRE(late->store->TrustOrigin("30280", 1, *commune.OriginKey("30280", 1)).ok());
  REQUIRE(late->store->Ingest(batch, nullptr, keys).ok());
  CHECK(late->store->OpenField(kCode, "applicant", raw).status().code() ==
        Code::kFailedPrecondition);

  // Scrubbed, no file of the (plaintext) store holds the destroyed key's bytes any more, not
  // even the WAL that first held them; the other case's key is still there.
  REQUIRE(commune.ScrubErasedKeys().ok());
  CHECK_FALSE(AnyFileHolds(t.dir.Sub("c"), erased_key));
  CHECK(AnyFileHolds(t.dir.Sub("c"), kept_key));
}

// A file's key is sealed under its case's key: an erasure leaves its chunks (held, relayed,
// verified by their names) but nobody can open them any more, nor read the file's name.
TEST_CASE("erasure: a case's files can no longer be opened anywhere", "[privacy][documents]") {
  Tree t;
  Store& commune = *t.commune->store;
  REQUIRE(commune.Append(testing::ReceiveWrite("30280", kCode, "Mùa A Dính", 5)).ok());
  const std::string scan = "%PDF-1.7\n" + testing::Pattern(300000, 5);
  auto doc = commune.PutDocument(scan);
  REQUIRE(doc.ok());
  REQUIRE(commune.Append(testing::AttachWrite("30280", kCode, *doc, "CCCD Mùa A Dính.pdf")).ok());
  t.Sync();
  auto files = [](Store& s) {
    auto view = s.GetCase(kCode);
    REQUIRE(view.ok());
    auto docs = DocumentsOfCase(s, *view);
    REQUIRE(docs.ok());
    REQUIRE(docs->size() == 1);
    return docs->front();
  };
  const CaseDocument before = files(*t.province->store);
  CHECK(before.hidden.empty());
  CHECK(before.name == "CCCD Mùa A Dính.pdf");
  CHECK(before.key == doc->key);

  REQUIRE(t.Erase(kCode).ok());
  t.Sync();
  for (auto* node : {&t.province, &t.district, &t.commune}) {
    Store& s = *(*node)->store;
    INFO(s.options().identity->unit);
    const CaseDocument after = files(s);
    CHECK(after.hidden == "erased");
    CHECK(after.key.empty());
    CHECK(after.name.empty());
    // What the log still holds of the key is sealed bytes, which no key opens now.
    auto view = s.GetCase(kCode);
    REQUIRE(view.ok());
    const cbor::Value* sealed = view->history.back().event.body.Find("document_key");
    REQUIRE(sealed);
    CHECK(sealed->str().find(doc->key) == std::string::npos);
    CHECK_FALSE(s.OpenField(kCode, "document_key", cbor::Encode(*sealed)).ok());
  }
}

TEST_CASE("erasure: a case written in clear before sealing is hidden and unindexed too",
          "[privacy]") {
  TempDir dir;
  {
    // The previous release: the same rules, nothing sealed.
    StoreOptions o;
    o.path = dir.Sub("p");
    o.root_unit = "89";
    o.identity = Identity{"89", 1, testing::KeyFor(89)};
    UseCaseLogRules(&o);
    o.sealed_fields.clear();
    auto old = Store::Open(o);
    REQUIRE(old.ok());
    REQUIRE((*old)->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
    REQUIRE((*old)->Append(testing::ReceiveWrite("89", "89-251124-0001", "Vàng A Chứ", 5)).ok());
  }
  auto root = testing::OpenTestNode(dir.Sub("p"), "89");
  Store& s = *root->store;
  const std::string raw = Winner(s, "89-251124-0001", "applicant");
  REQUIRE(cbor::Decode(raw)->is_map());  // in clear
  REQUIRE(CasesByApplicant(s, "Vàng", 10).value().size() == 1);
  REQUIRE(s.Append(LocalWrite{std::string(kErasureChannel), "89-251124-0001",
                              std::string(kEraseType), ErasureBody("QĐ 3", "hết hạn"), "it"})
              .ok());
  CHECK(s.OpenField("89-251124-0001", "applicant", raw).status().code() ==
        Code::kFailedPrecondition);
  CHECK(ShowField(s, "89-251124-0001", "applicant", raw).hidden == ShownField::Hidden::kErased);
  CHECK(CasesByApplicant(s, "Vàng", 10).value().empty());
  CHECK(CasesOfPerson(s, "").value().empty());
  // Fields that are not personal stay readable.
  CHECK(s.OpenField("89-251124-0001", "status", cbor::Encode(testing::Text("received"))).ok());
}

TEST_CASE("erasure: a key sealed in the erasure's own commit does not survive it", "[privacy]") {
  Tree t;
  Store& root = *t.province->store;
  // One group commit: a reception (its key made in the commit) and the case's erasure.
  std::vector<LocalWrite> writes = {
      testing::ReceiveWrite("89", "89-251124-0007", "Thào Mí Dính", 5),
      LocalWrite{std::string(kErasureChannel), "89-251124-0007", std::string(kEraseType),
                 ErasureBody("QĐ 4", "yêu cầu"), "it"}};
  REQUIRE(root.Append(writes).ok());
  int keys = 0;
  REQUIRE(root.ScanMeta("casekey/89-251124-0007",
                        [&](std::string_view, std::string_view) {
                          ++keys;
                          return true;
                        })
              .ok());
  CHECK(keys == 0);
  CHECK(CasesByApplicant(root, "Thào", 10).value().empty());
  CHECK(root.KeysForEvents(root.ReadBatch({"89", "89", 1}, 1, 100).value().events).value().empty());
}

TEST_CASE("erasure: only the root may erase, and the event must say why", "[privacy]") {
  Tree t;
  auto by_commune = t.commune->store->Append(LocalWrite{std::string(kErasureChannel), kCode,
                                                        std::string(kEraseType),
                                                        ErasureBody("QĐ 1", "lý do"), "clerk"});
  CHECK(by_commune.status().code() == Code::kPermissionDenied);
  auto no_ground = t.province->store->Append(LocalWrite{
      std::string(kErasureChannel), kCode, std::string(kEraseType), ErasureBody("QĐ 1", ""), "it"});
  CHECK(no_ground.status().code() == Code::kInvalidArgument);
  CHECK_THAT(no_ground.status().message(), Catch::Contains("body.ground"));
  CHECK(t.province->store->Erasures().value().empty());
}

TEST_CASE("node seal: only the node whose key it names opens it", "[privacy]") {
  SigningKey commune = testing::KeyFor(30280), other = testing::KeyFor(30283);
  auto sealed = SealToNode(commune.public_key(), "khoá của hồ sơ", "aad");
  REQUIRE(sealed.ok());
  CHECK(sealed->find("khoá") == std::string::npos);
  CHECK(OpenAsNode(commune, *sealed, "aad").value() == "khoá của hồ sơ");
  CHECK(OpenAsNode(other, *sealed, "aad").status().code() == Code::kCorruption);
  CHECK(OpenAsNode(commune, *sealed, "other aad").status().code() == Code::kCorruption);
  std::string altered = *sealed;
  altered[40] ^= 1;
  CHECK_FALSE(OpenAsNode(commune, altered, "aad").ok());
  // Two seals of the same bytes share nothing (a fresh ephemeral key each).
  CHECK(SealToNode(commune.public_key(), "khoá của hồ sơ", "aad").value().substr(0, 32) !=
        sealed->substr(0, 32));
  CHECK_FALSE(NodeX25519Public(std::string(31, 'x')).ok());
}

TEST_CASE("retention: cases past their procedure's period are erased, the others kept",
          "[privacy]") {
  Tree t;
  Store& root = *t.province->store;
  ReferenceData ref;
  Procedure kept_five{"TEST-1000001", "Cấp giấy xác nhận tình trạng hôn nhân", "UBND xã", 3};
  kept_five.retention_years = 5;
  ref.procedures[kept_five.code] = kept_five;
  Procedure forever{"TEST-1000002", "Đăng ký khai sinh", "UBND xã", 3};
  ref.procedures[forever.code] = forever;
  const int64_t now = testing::kTestNow;
  constexpr int64_t kYear = 31'557'600'000;
  auto receive = [&](const std::string& code, const std::string& procedure, int64_t ended) {
    LocalWrite w = testing::ReceiveWrite("89", code, "Sùng A Páo", 5);
    w.body.Set("procedure", testing::Text(procedure));
    REQUIRE(root.Append(w).ok());
    if (ended) {
      REQUIRE(root.Append(LocalWrite{"89", code, "case.step",
                                     testing::Body({{"status", testing::Text("returned")},
                                                    {"finished_at", cbor::Value::Uint(ended)}}),
                                     "cb"})
                  .ok());
    }
  };
  receive("89-251124-0001", kept_five.code, now - 6 * kYear);  // past its five years
  receive("89-251124-0002", kept_five.code, now - 4 * kYear);  // within them
  receive("89-251124-0003", kept_five.code, 0);                // not ended
  receive("89-251124-0004", forever.code, now - 30 * kYear);   // no period
  auto due = RetentionErasures(root, ref, now);
  REQUIRE(due.ok());
  REQUIRE(due->size() == 1);
  CHECK(due->front().case_code == "89-251124-0001");
  CHECK(due->front().body.Find("decision")->str() == "Hết thời hạn lưu trữ");
  CHECK_THAT(due->front().body.Find("ground")->str(), Catch::Contains("5 năm"));
  REQUIRE(root.Append(*due).ok());
  CHECK(root.OpenField("89-251124-0001", "applicant", Winner(root, "89-251124-0001", "applicant"))
            .status()
            .code() == Code::kFailedPrecondition);
  CHECK(root.OpenField("89-251124-0002", "applicant", Winner(root, "89-251124-0002", "applicant"))
            .ok());
  CHECK(RetentionErasures(root, ref, now).value().empty());                  // done once
  CHECK(RetentionErasures(root, ref, now + 2 * kYear).value().size() == 1);  // the second's turn

  // The catalogue CSV carries the period.
  auto csv = CatalogueCsv({kept_five, forever});
  CHECK_THAT(csv, Catch::StartsWith("code,name,agency,days,day_kind,postal,fee,documents,"
                                    "competent,retention_years\n"));
  auto parsed = ParseCatalogueCsv(csv);
  REQUIRE(parsed.ok());
  CHECK(parsed->at(0).retention_years == 5);
  CHECK(parsed->at(1).retention_years == 0);
  CHECK_FALSE(ParseCatalogueCsv("code,name,agency,days,day_kind,postal,fee,documents,competent,"
                                "retention_years\n1.1,A,B,3,working,yes,0,,receiving,101\n")
                  .ok());
}
