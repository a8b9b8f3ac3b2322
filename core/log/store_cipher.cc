#include "core/log/store_cipher.h"

#include <rocksdb/env_encryption.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/format/aead.h"
#include "core/format/crypto.h"

namespace hoso {
namespace {

constexpr std::string_view kMagic = "HOSOENC1";
constexpr size_t kPrefixSize = 4096;
constexpr size_t kKeyIdSize = 8, kSaltSize = 32;
constexpr size_t kKeyIdAt = 8, kSaltAt = kKeyIdAt + kKeyIdSize, kIvAt = kSaltAt + kSaltSize;

Result<std::string> RawKeyId(std::string_view master) {
  HOSO_ASSIGN_OR_RETURN(std::string id, HkdfSha256(master, "", "hoso key id", 32));
  id.resize(kKeyIdSize);
  return id;
}

rocksdb::Status ToRocks(const Status& s) {
  return s.ok() ? rocksdb::Status::OK() : rocksdb::Status::Corruption(s.message());
}

// One file's AES-256-CTR stream. RocksDB encrypts and decrypts whole ranges through Encrypt and
// Decrypt; the block functions are there because the interface requires them.
class CtrStream : public rocksdb::BlockAccessCipherStream {
 public:
  CtrStream(std::string key, std::array<uint8_t, kCtrIvSize> iv) : key_(std::move(key)), iv_(iv) {}
  size_t BlockSize() override { return kCtrIvSize; }
  rocksdb::Status Encrypt(uint64_t offset, char* data, size_t n) override {
    return ToRocks(Aes256CtrAt(key_, iv_, offset, data, n));
  }
  rocksdb::Status Decrypt(uint64_t offset, char* data, size_t n) override {
    return ToRocks(Aes256CtrAt(key_, iv_, offset, data, n));
  }

 protected:
  void AllocateScratch(std::string& scratch) override { scratch.clear(); }
  rocksdb::Status EncryptBlock(uint64_t block, char* data, char*) override {
    return Encrypt(block * kCtrIvSize, data, kCtrIvSize);
  }
  rocksdb::Status DecryptBlock(uint64_t block, char* data, char*) override {
    return Decrypt(block * kCtrIvSize, data, kCtrIvSize);
  }

 private:
  const std::string key_;
  const std::array<uint8_t, kCtrIvSize> iv_;
};

class StoreCipherProvider : public rocksdb::EncryptionProvider {
 public:
  StoreCipherProvider(std::string master, std::string key_id)
      : master_(std::move(master)), key_id_(std::move(key_id)) {}
  const char* Name() const override { return "hoso.StoreCipher"; }
  size_t GetPrefixLength() const override { return kPrefixSize; }

  rocksdb::Status CreateNewPrefix(const std::string&, char* prefix, size_t length) const override {
    if (length != kPrefixSize) return rocksdb::Status::InvalidArgument("bad prefix length");
    auto random = RandomBytes(kSaltSize + kCtrIvSize);
    if (!random.ok()) return ToRocks(random.status());
    std::memset(prefix, 0, length);
    std::memcpy(prefix, kMagic.data(), kMagic.size());
    std::memcpy(prefix + kKeyIdAt, key_id_.data(), kKeyIdSize);
    std::memcpy(prefix + kSaltAt, random->data(), random->size());
    return rocksdb::Status::OK();
  }

  rocksdb::Status AddCipher(const std::string&, const char*, size_t, bool) override {
    return rocksdb::Status::NotSupported("the store cipher has one key");
  }

  rocksdb::Status CreateCipherStream(
      const std::string& fname, const rocksdb::EnvOptions&, rocksdb::Slice& prefix,
      std::unique_ptr<rocksdb::BlockAccessCipherStream>* result) override {
    std::string_view p(prefix.data(), prefix.size());
    if (p.size() < kIvAt + kCtrIvSize || p.substr(0, kMagic.size()) != kMagic) {
      return rocksdb::Status::Corruption(fname + " is not an encrypted store file");
    }
    if (p.substr(kKeyIdAt, kKeyIdSize) != key_id_) {
      return rocksdb::Status::Corruption(fname + " is encrypted under master key " +
                                         Hex(p.substr(kKeyIdAt, kKeyIdSize)) +
                                         ", not the key given (" + Hex(key_id_) + ")");
    }
    auto key = HkdfSha256(master_, p.substr(kSaltAt, kSaltSize), "hoso store file", 32);
    if (!key.ok()) return ToRocks(key.status());
    std::array<uint8_t, kCtrIvSize> iv;
    std::memcpy(iv.data(), p.data() + kIvAt, iv.size());
    *result = std::make_unique<CtrStream>(std::move(*key), iv);
    return rocksdb::Status::OK();
  }

 private:
  const std::string master_, key_id_;
};

}  // namespace

Result<std::string> MasterKeyId(std::string_view master_key) {
  HOSO_ASSIGN_OR_RETURN(std::string id, RawKeyId(master_key));
  return Hex(id);
}

Result<std::unique_ptr<rocksdb::Env>> NewEncryptedStoreEnv(rocksdb::Env* base,
                                                           std::string_view master_key) {
  if (master_key.size() != kMasterKeySize) {
    return Status::InvalidArgument("a master key is 32 bytes, not " +
                                   std::to_string(master_key.size()));
  }
  HOSO_ASSIGN_OR_RETURN(std::string key_id, RawKeyId(master_key));
  auto provider = std::make_shared<StoreCipherProvider>(std::string(master_key), key_id);
  std::unique_ptr<rocksdb::Env> env(
      rocksdb::NewEncryptedEnv(base ? base : rocksdb::Env::Default(), provider));
  if (!env) return Status::IOError("RocksDB has no encrypted file system");
  return env;
}

namespace {
class SilentLog : public rocksdb::Logger {
 public:
  SilentLog() : Logger(rocksdb::InfoLogLevel::HEADER_LEVEL) {}
  using Logger::Logv;
  void Logv(const char*, va_list) override {}
};
}  // namespace

Result<std::shared_ptr<rocksdb::Logger>> NewStoreInfoLog(rocksdb::Env* env, const std::string& path,
                                                         bool read_only) {
  if (read_only) return std::shared_ptr<rocksdb::Logger>(std::make_shared<SilentLog>());
  const std::string log = path + "/LOG";
  rocksdb::Status s = env->CreateDirIfMissing(path);
  if (s.ok() && env->FileExists(log).ok()) s = env->RenameFile(log, log + ".old");
  std::shared_ptr<rocksdb::Logger> logger;
  if (s.ok()) s = rocksdb::NewEnvLogger(log, env, &logger);
  if (!s.ok()) return Status::IOError("opening the store's log " + log + ": " + s.ToString());
  logger->SetInfoLogLevel(rocksdb::InfoLogLevel::WARN_LEVEL);
  return logger;
}

Result<StoreEncryption> ProbeStoreEncryption(const std::string& path, std::string* key_id) {
  const std::string current = path + "/CURRENT";
  std::error_code ec;
  if (!std::filesystem::exists(current, ec)) {
    if (ec) return Status::IOError("cannot read " + current + ": " + ec.message());
    return StoreEncryption::kNone;
  }
  std::ifstream in(current, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + current);
  char head[kKeyIdAt + kKeyIdSize] = {};
  in.read(head, sizeof head);
  std::string_view got(head, static_cast<size_t>(in.gcount()));
  if (got.size() == sizeof head && got.substr(0, kMagic.size()) == kMagic) {
    if (key_id) *key_id = Hex(got.substr(kKeyIdAt, kKeyIdSize));
    return StoreEncryption::kEncrypted;
  }
  return StoreEncryption::kPlain;
}

}  // namespace hoso
