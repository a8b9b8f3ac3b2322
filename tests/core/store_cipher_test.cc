#include "core/log/store_cipher.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/domain/case_log.h"
#include "core/format/aead.h"
#include "core/log/store.h"
#include "core/log/store_migrate.h"
#include "tests/testing/raw_db.h"
#include "tests/testing/testing.h"

using namespace hoso;
using testing::TempDir;

namespace {

const std::string kKeyA(32, 'a'), kKeyB(32, 'b');

Result<std::unique_ptr<Store>> OpenStore(const std::string& path, const std::string& key,
                                         const Clock* clock) {
  StoreOptions o;
  o.path = path;
  o.root_unit = "89";
  o.identity = Identity{"89", 1, testing::KeyFor(89)};
  o.clock = clock;
  o.master_key = key;
  UseCaseLogRules(&o);
  return Store::Open(o);
}

// The first file under `dir` that holds `needle`, byte for byte ("" when none does).
std::string FileHolding(const std::string& dir, std::string_view needle) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) return entry.path().string();
  }
  return "";
}

std::string Unhex(std::string_view hex) { return FromHex(hex).value(); }

}  // namespace

TEST_CASE("aead: HKDF-SHA256 gives RFC 5869's first test vector", "[cipher]") {
  auto okm = HkdfSha256(std::string(22, '\x0b'), Unhex("000102030405060708090a0b0c"),
                        Unhex("f0f1f2f3f4f5f6f7f8f9"), 42);
  REQUIRE(okm.ok());
  CHECK(Hex(*okm) ==
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST_CASE("aead: a sealed value opens only with its key and additional data", "[cipher]") {
  auto sealed = SealAes256Gcm(kKeyA, "Nguyễn Thị Ánh Tuyết", "30280-251124-0001/applicant");
  REQUIRE(sealed.ok());
  CHECK(sealed->size() == std::string("Nguyễn Thị Ánh Tuyết").size() + kSealOverhead);
  CHECK(sealed->find("Tuy") == std::string::npos);
  auto opened = OpenAes256Gcm(kKeyA, *sealed, "30280-251124-0001/applicant");
  REQUIRE(opened.ok());
  CHECK(*opened == "Nguyễn Thị Ánh Tuyết");
  CHECK(OpenAes256Gcm(kKeyB, *sealed, "30280-251124-0001/applicant").status().code() ==
        Code::kCorruption);
  CHECK(OpenAes256Gcm(kKeyA, *sealed, "30280-251124-0002/applicant").status().code() ==
        Code::kCorruption);
  std::string altered = *sealed;
  altered[kGcmNonceSize] ^= 1;
  CHECK(OpenAes256Gcm(kKeyA, altered, "30280-251124-0001/applicant").status().code() ==
        Code::kCorruption);
  CHECK(OpenAes256Gcm(kKeyA, "short", "").status().message().find("at least 28") !=
        std::string::npos);
  CHECK(SealAes256Gcm("short key", "x", "").status().code() == Code::kInvalidArgument);
  // Two seals of the same value differ (a fresh nonce each).
  CHECK(*SealAes256Gcm(kKeyA, "x", "") != *SealAes256Gcm(kKeyA, "x", ""));
}

TEST_CASE("aead: AES-256-CTR at any offset is that slice of the whole stream", "[cipher]") {
  std::array<uint8_t, kCtrIvSize> iv;
  iv.fill(0xff);  // the counter carries across all 16 bytes
  std::string whole(1000, 'z');
  REQUIRE(Aes256CtrAt(kKeyA, iv, 0, whole.data(), whole.size()).ok());
  CHECK(whole != std::string(1000, 'z'));
  for (uint64_t at : {0, 1, 15, 16, 17, 333, 999}) {
    std::string part(1000 - at, 'z');
    REQUIRE(Aes256CtrAt(kKeyA, iv, at, part.data(), part.size()).ok());
    CHECK(part == whole.substr(at));
    REQUIRE(Aes256CtrAt(kKeyA, iv, at, part.data(), part.size()).ok());
    CHECK(part == std::string(1000 - at, 'z'));
  }
}

TEST_CASE("store cipher: no file of an encrypted store holds a name it stores", "[cipher]") {
  TempDir dir;
  FakeClock clock{testing::kTestNow};
  const std::string path = dir.Sub("db");
  {
    auto store = OpenStore(path, kKeyA, &clock);
    REQUIRE(store.ok());
    CHECK((*store)->format() == "2");
    REQUIRE((*store)->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
    REQUIRE((*store)
                ->Append(testing::ReceiveWrite("89", "89-251124-0001", "Hoàng Quỳnh Xuyến", 5))
                .ok());
  }
  std::string id;
  REQUIRE(ProbeStoreEncryption(path, &id).value() == StoreEncryption::kEncrypted);
  CHECK(id == MasterKeyId(kKeyA).value());
  CHECK(FileHolding(path, "Quỳnh Xuyến") == "");
  CHECK(FileHolding(path, "quynh xuyen") == "");  // nor the search index's folded name
  CHECK(FileHolding(path, "MANIFEST-") == "");    // nor RocksDB's own plaintext files

  auto again = OpenStore(path, kKeyA, &clock);
  REQUIRE(again.ok());
  auto state = (*again)->GetCaseState("89-251124-0001");
  REQUIRE(state.ok());
  again->reset();

  auto no_key = OpenStore(path, "", &clock);
  REQUIRE(no_key.status().code() == Code::kFailedPrecondition);
  CHECK(no_key.status().message().find("is encrypted (format 2) under master key " + id) !=
        std::string::npos);
  auto other_key = OpenStore(path, kKeyB, &clock);
  REQUIRE(other_key.status().code() == Code::kFailedPrecondition);
  CHECK(other_key.status().message().find("under master key " + id + ", not the key given (" +
                                          MasterKeyId(kKeyB).value() + ")") != std::string::npos);
}

TEST_CASE("store cipher: a plaintext store is format 1 and is not opened as encrypted",
          "[cipher]") {
  TempDir dir;
  FakeClock clock{testing::kTestNow};
  const std::string path = dir.Sub("db");
  CHECK(ProbeStoreEncryption(path).value() == StoreEncryption::kNone);
  {
    auto store = OpenStore(path, "", &clock);
    REQUIRE(store.ok());
    CHECK((*store)->format() == "1");
  }
  CHECK(ProbeStoreEncryption(path).value() == StoreEncryption::kPlain);
  auto keyed = OpenStore(path, kKeyA, &clock);
  REQUIRE(keyed.status().code() == Code::kFailedPrecondition);
  CHECK(keyed.status().message().find("is not encrypted (format 1)") != std::string::npos);
  CHECK(OpenStore(path, "too short", &clock).status().code() != Code::kOk);
}

TEST_CASE("store migration: a format-1 store is encrypted in place, nothing lost", "[cipher]") {
  TempDir dir;
  FakeClock clock{testing::kTestNow};
  const std::string path = dir.Sub("db");
  Hash fingerprint{};
  {
    auto plain = OpenStore(path, "", &clock);
    REQUIRE(plain.ok());
    REQUIRE((*plain)->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
    for (int i = 1; i <= 300; ++i) {
      std::string code = "89-251124-" + std::to_string(1000 + i);
      REQUIRE((*plain)
                  ->Append(testing::ReceiveWrite("89", code, "Lò Thị Mỷ " + std::to_string(i),
                                                 static_cast<uint64_t>(i)))
                  .ok());
    }
    fingerprint = (*plain)->ScopeFingerprint([](const std::string&) { return true; });
  }
  // Names were sealed in the events (docs/privacy.md); the rest is in clear in format 1.
  REQUIRE(FileHolding(path, "89-251124-1007") != "");
  CHECK(FileHolding(path, "Lò Thị Mỷ") == "");
  // A copy cut short by a crash before: it is thrown away and made again.
  std::filesystem::create_directories(path + ".rewriting");
  auto stats = EncryptStore(path, kKeyA);
  REQUIRE(stats.ok());
  CHECK(stats->keys > 600);
  CHECK_FALSE(std::filesystem::exists(path + ".rewriting"));
  CHECK_FALSE(std::filesystem::exists(path + ".swap"));
  CHECK(FileHolding(path, "89-251124-1007") == "");
  CHECK(FileHolding(path, "Lò Thị Mỷ") == "");
  CHECK(FileHolding(path, "lo thi my") == "");

  auto encrypted = OpenStore(path, kKeyA, &clock);
  REQUIRE(encrypted.ok());
  CHECK((*encrypted)->format() == "2");
  CHECK((*encrypted)->CaseCount() == 300);
  CHECK((*encrypted)->ScopeFingerprint([](const std::string&) { return true; }) == fingerprint);
  auto state = (*encrypted)->GetCaseState("89-251124-1007");
  REQUIRE(state.ok());
  // The case keys moved with the rest: the name still opens.
  auto applicant = (*encrypted)
                       ->OpenField("89-251124-1007", "applicant",
                                   state->Winner(*state->Field("applicant"))->value);
  REQUIRE(applicant.ok());
  CHECK(applicant->find("Lò Thị Mỷ 7") != std::string::npos);
  // It still takes writes, and a second migration is refused.
  REQUIRE((*encrypted)->Append(testing::ReceiveWrite("89", "89-251124-2000", "Mới", 1)).ok());
  encrypted->reset();
  CHECK(EncryptStore(path, kKeyA).status().message().find("not a plaintext (format 1) store") !=
        std::string::npos);
}

TEST_CASE("store migration: a crash between the renames is finished at the next start",
          "[cipher]") {
  TempDir dir;
  FakeClock clock{testing::kTestNow};
  const std::string path = dir.Sub("db"), other = dir.Sub("other");
  REQUIRE(OpenStore(other, "", &clock).ok());
  REQUIRE(EncryptStore(other, kKeyA).ok());   // the finished copy
  REQUIRE(OpenStore(path, "", &clock).ok());  // the plaintext store it was made from
  std::filesystem::rename(path, path + ".swap");
  std::filesystem::rename(other, path + ".rewriting");
  REQUIRE(RecoverStoreMigration(path).ok());
  CHECK(ProbeStoreEncryption(path).value() == StoreEncryption::kEncrypted);
  CHECK_FALSE(std::filesystem::exists(path + ".swap"));
  CHECK_FALSE(std::filesystem::exists(path + ".rewriting"));
  CHECK(OpenStore(path, kKeyA, &clock).ok());
  // Cut after the swap, before the plaintext folder was removed.
  std::filesystem::create_directories(path + ".swap");
  REQUIRE(RecoverStoreMigration(path).ok());
  CHECK_FALSE(std::filesystem::exists(path + ".swap"));
  CHECK(ProbeStoreEncryption(path).value() == StoreEncryption::kEncrypted);
}

TEST_CASE("store rotation: a store rewritten under a new master key opens only with it",
          "[cipher]") {
  TempDir dir;
  FakeClock clock{testing::kTestNow};
  const std::string path = dir.Sub("db");
  {
    auto store = OpenStore(path, kKeyA, &clock);
    REQUIRE(store.ok());
    REQUIRE((*store)->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  }
  CHECK(RewriteStore(path, kKeyB, kKeyA)
            .status()
            .message()
            .find("is not a store encrypted under master key " + MasterKeyId(kKeyB).value()) !=
        std::string::npos);
  CHECK(RewriteStore(path, "", kKeyB).status().code() == Code::kFailedPrecondition);
  REQUIRE(RewriteStore(path, kKeyA, kKeyB).ok());
  CHECK(OpenStore(path, kKeyA, &clock).status().code() == Code::kFailedPrecondition);
  auto rotated = OpenStore(path, kKeyB, &clock);
  REQUIRE(rotated.ok());
  CHECK((*rotated)->DirectorySnapshot()->size() == testing::SmallTree().size());
  rotated->reset();
  // Back to plaintext, as an older release left a store: format 1 again.
  REQUIRE(RewriteStore(path, kKeyB, "").ok());
  auto plain = OpenStore(path, "", &clock);
  REQUIRE(plain.ok());
  CHECK((*plain)->format() == "1");
}

TEST_CASE("store cipher: a file decrypts by the grammar of docs/storage-format.md alone",
          "[cipher]") {
  TempDir dir;
  FakeClock clock{testing::kTestNow};
  const std::string path = dir.Sub("db");
  REQUIRE(OpenStore(path, kKeyA, &clock).ok());
  std::ifstream in(path + "/CURRENT", std::ios::binary);
  std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  REQUIRE(file.size() > 4096);
  CHECK(file.substr(0, 8) == "HOSOENC1");
  CHECK(Hex(file.substr(8, 8)) == MasterKeyId(kKeyA).value());
  auto id = HkdfSha256(kKeyA, "", "hoso key id", 32);
  REQUIRE(id.ok());
  CHECK(file.substr(8, 8) == id->substr(0, 8));
  CHECK(file.substr(64, 4032) == std::string(4032, '\0'));
  auto file_key = HkdfSha256(kKeyA, file.substr(16, 32), "hoso store file", 32);
  REQUIRE(file_key.ok());
  std::array<uint8_t, kCtrIvSize> iv;
  std::memcpy(iv.data(), file.data() + 48, iv.size());
  std::string data = file.substr(4096);
  // The key stream is at the byte's offset in the file, the prefix counted.
  REQUIRE(Aes256CtrAt(*file_key, iv, 4096, data.data(), data.size()).ok());
  CHECK(data.rfind("MANIFEST-", 0) == 0);
  CHECK(data.back() == '\n');
}

TEST_CASE("store cipher: an encrypted store of a newer format is refused, unchanged", "[cipher]") {
  TempDir dir;
  FakeClock clock{testing::kTestNow};
  const std::string path = dir.Sub("db");
  REQUIRE(OpenStore(path, kKeyA, &clock).ok());
  {
    testing::RawDb raw(path, kKeyA);
    CHECK(raw.Get("default", "format") == "2");
    raw.Put("default", "format", "10");
  }
  auto newer = OpenStore(path, kKeyA, &clock);
  REQUIRE(newer.status().code() == Code::kFailedPrecondition);
  CHECK(newer.status().message().find("has format 10; this hoso reads format 2: upgrade hoso") !=
        std::string::npos);
  testing::RawDb raw(path, kKeyA);
  CHECK(raw.Get("default", "format") == "10");
}
