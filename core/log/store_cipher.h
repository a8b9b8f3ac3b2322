// StoreCipher: every file of a store encrypted at rest under the node's master key.
//
// RocksDB's encrypted file system (rocksdb/env_encryption.h) calls this provider for every file
// it creates or opens (tables, WAL, MANIFEST, CURRENT, OPTIONS); a file is a 4,096-byte
// plaintext prefix and then its bytes under AES-256-CTR with a key of its own:
//
//   file     = prefix data
//   prefix   = "HOSOENC1"          ; 8 bytes, the grammar's version
//              key_id              ; 8 bytes: names the master key (KeyId below)
//              salt                ; 32 random bytes
//              iv                  ; 16 random bytes: the first AES-256-CTR counter block
//              4032%x00            ; to 4,096 bytes
//   file_key = HKDF-SHA256(key = master, salt = salt, info = "hoso store file", 32 bytes)
//   file[y]  = plain[y - 4096] XOR AES-256-CTR(file_key, iv + floor(y / 16))[y mod 16]
//              for y >= 4096, the byte's offset in the file (RocksDB counts the prefix)
//   key_id   = first 8 bytes of HKDF-SHA256(key = master, salt = "", info = "hoso key id", 32)
//
// CTR and not GCM because RocksDB reads files at any offset and leaves no room for per-block
// tags (files are only appended to, each under a key of its own: no key stream is reused); the
// events' integrity is their hashes and signatures, and every table block and WAL record has
// RocksDB's checksum. Values that leave the node are sealed with AES-256-GCM instead
// (docs/privacy.md). Thread-safety: the provider and its streams are immutable after creation; any
// thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace rocksdb {
class Env;
class Logger;
}  // namespace rocksdb

namespace hoso {

constexpr size_t kMasterKeySize = 32;

// The 16 lowercase hex digits naming a master key (its key_id), safe to print and log.
[[nodiscard]] Result<std::string> MasterKeyId(std::string_view master_key);

// An Env over `base` (nullptr: the default) whose files are encrypted under `master_key`.
// A file written under another key fails to open with a message naming both key ids.
[[nodiscard]] Result<std::unique_ptr<rocksdb::Env>> NewEncryptedStoreEnv(
    rocksdb::Env* base, std::string_view master_key);

// RocksDB's own log for an encrypted store. RocksDB writes its info log (LOG) in plaintext
// whatever the file system, and at its default level that log names key ranges, so an
// encrypted store's LOG is written through `env` (encrypted too) and holds warnings and errors
// only; the previous one is kept as LOG.old. A read-only open logs nothing: the node that
// writes the store owns its LOG.
[[nodiscard]] Result<std::shared_ptr<rocksdb::Logger>> NewStoreInfoLog(rocksdb::Env* env,
                                                                       const std::string& path,
                                                                       bool read_only);

enum class StoreEncryption { kNone, kPlain, kEncrypted };
// What is at `path`: no store (no CURRENT file), a plaintext store, or an encrypted one (then
// `key_id`, when given, receives the id of the key it was written under). IOError when CURRENT
// exists but cannot be read: never taken for "no store".
[[nodiscard]] Result<StoreEncryption> ProbeStoreEncryption(const std::string& path,
                                                           std::string* key_id = nullptr);

}  // namespace hoso
