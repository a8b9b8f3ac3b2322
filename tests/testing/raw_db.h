// RawDb: raw access to a closed store's RocksDB, as an attacker with the disk would have
// (tests of the auditor and of the node's self-check); for an encrypted store, an attacker
// with the disk and its master key.
// Thread-safety: one thread.
#pragma once

#include <rocksdb/db.h>

#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/format/crypto.h"
#include "core/log/store_cipher.h"

namespace hoso::testing {

class RawDb {
 public:
  explicit RawDb(const std::string& path, const std::string& master_key = "") {
    rocksdb::DBOptions options;
    if (!master_key.empty()) {
      auto env = NewEncryptedStoreEnv(nullptr, master_key);
      REQUIRE(env.ok());
      env_ = std::move(env).value();
      options.env = env_.get();
    }
    std::vector<std::string> names;
    REQUIRE(rocksdb::DB::ListColumnFamilies(options, path, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
    for (const auto& n : names) cfs.emplace_back(n, rocksdb::ColumnFamilyOptions());
    rocksdb::DB* raw = nullptr;
    REQUIRE(rocksdb::DB::Open(options, path, cfs, &handles_, &raw).ok());
    db_.reset(raw);
    for (size_t i = 0; i < names.size(); ++i) by_name_[names[i]] = handles_[i];
  }
  ~RawDb() {
    for (auto* h : handles_) (void)db_->DestroyColumnFamilyHandle(h);
    db_.reset();
  }
  std::string Get(const std::string& cf, const std::string& key) {
    std::string v;
    REQUIRE(db_->Get({}, by_name_.at(cf), key, &v).ok());
    return v;
  }
  void Put(const std::string& cf, const std::string& key, const std::string& value) {
    REQUIRE(db_->Put({}, by_name_.at(cf), key, value).ok());
  }
  void Delete(const std::string& cf, const std::string& key) {
    REQUIRE(db_->Delete({}, by_name_.at(cf), key).ok());
  }
  // A document chunk's stored bytes with byte `at` flipped (core/log/store_documents.cc:
  // 'c' name -> sealed chunk): a chunk rotted or altered on disk.
  void FlipChunkByte(const Hash& name, size_t at) {
    const std::string key = "c" + std::string(AsView(name));
    std::string chunk = Get("documents", key);
    REQUIRE(at < chunk.size());
    chunk[at] ^= 0x20;
    Put("documents", key, chunk);
  }

 private:
  std::unique_ptr<rocksdb::Env> env_;  // outlives db_
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*> by_name_;
};

}  // namespace hoso::testing
