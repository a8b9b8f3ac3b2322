#include "core/log/store_migrate.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "core/base/file_sync.h"
#include "core/log/store_cipher.h"
#include "core/log/store_internal.h"
#include "core/log/store_tuning.h"

namespace hoso {
namespace {

namespace fs = std::filesystem;
using family::kMeta;
using store_internal::kMetaFormat;
using store_internal::kPlainStoreFormat;
using store_internal::kStoreFormat;

constexpr size_t kCopyBatchBytes = 4 << 20;

Status FsStatus(const std::error_code& ec, const std::string& what) {
  return ec ? Status::IOError(what + ": " + ec.message()) : Status::Ok();
}

Status Rename(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  return FsStatus(ec, "renaming " + from + " to " + to);
}

Status RemoveAll(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  return FsStatus(ec, "removing " + dir);
}

struct OpenDb {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> cf;
  ~OpenDb() {
    for (auto* h : cf) {
      if (h) db->DestroyColumnFamilyHandle(h);
    }
    if (db) db->Close();
  }
};

Status Open(const std::string& path, rocksdb::Env* env, bool read_only, OpenDb* out) {
  rocksdb::DBOptions o = StoreDbOptions();
  o.env = env;
  o.create_if_missing = !read_only;
  o.create_missing_column_families = !read_only;
  auto log = NewStoreInfoLog(env, path, read_only);
  if (!log.ok()) return log.status();
  o.info_log = *log;  // an encrypted LOG for the copy; none for the plaintext source
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = OpenStoreDb(o, path, read_only, "", 8, &out->cf, &raw);
  if (!s.ok()) return Status::IOError("opening " + path + ": " + s.ToString());
  out->db.reset(raw);
  return Status::Ok();
}

Status CopyFamily(OpenDb& from, OpenDb& to, size_t family, MigrationStats* stats) {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 2 << 20;
  rocksdb::WriteOptions wo;
  wo.disableWAL = true;  // flushed and synced at the end; a cut copy is started again
  std::unique_ptr<rocksdb::Iterator> it(from.db->NewIterator(ro, from.cf[family]));
  rocksdb::WriteBatch batch;
  auto write = [&]() -> Status {
    rocksdb::Status s = to.db->Write(wo, &batch);
    batch.Clear();
    return s.ok() ? Status::Ok() : Status::IOError("writing the copy: " + s.ToString());
  };
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    // Merged values (the report counters) are read resolved and written whole.
    batch.Put(to.cf[family], it->key(), it->value());
    ++stats->keys;
    stats->bytes += it->key().size() + it->value().size();
    if (batch.GetDataSize() >= kCopyBatchBytes) HOSO_RETURN_IF_ERROR(write());
  }
  if (!it->status().ok()) return Status::IOError("reading " + it->status().ToString());
  return batch.Count() > 0 ? write() : Status::Ok();
}

}  // namespace

Status RecoverStoreMigration(const std::string& path) {
  const std::string copy = path + ".rewriting", swap = path + ".swap";
  const bool has_store = fs::exists(path), has_copy = fs::exists(copy), has_swap = fs::exists(swap);
  if (has_swap && !has_store) {
    // Cut between the renames: the copy is complete (renamed only once synced). A swap folder
    // alone (moved by hand?) is the store itself: put back.
    HOSO_RETURN_IF_ERROR(Rename(has_copy ? copy : swap, path));
    HOSO_RETURN_IF_ERROR(SyncParentDirectory(path));
    if (!has_copy) return Status::Ok();
  }
  if (has_swap) {
    if (!fs::exists(path + "/CURRENT")) {
      return Status::FailedPrecondition(path + " has no CURRENT file beside " + swap +
                                        ": left as found; restore the store by hand");
    }
    return RemoveAll(swap);
  }
  if (has_copy && has_store) return RemoveAll(copy);
  return Status::Ok();
}

namespace {

// The store at `path` is of the kind `key` opens: plaintext for "", else encrypted under it.
Status CheckSource(const std::string& path, std::string_view key) {
  std::string found_id;
  HOSO_ASSIGN_OR_RETURN(StoreEncryption found, ProbeStoreEncryption(path, &found_id));
  if (key.empty()) {
    if (found == StoreEncryption::kPlain) return Status::Ok();
    return Status::FailedPrecondition(path + " is not a plaintext (format 1) store");
  }
  HOSO_ASSIGN_OR_RETURN(std::string id, MasterKeyId(key));
  if (found == StoreEncryption::kEncrypted && found_id == id) return Status::Ok();
  return Status::FailedPrecondition(path + " is not a store encrypted under master key " + id);
}

Result<std::unique_ptr<rocksdb::Env>> EnvFor(rocksdb::Env* base, std::string_view key) {
  if (key.empty()) return std::unique_ptr<rocksdb::Env>();
  return NewEncryptedStoreEnv(base, key);
}

}  // namespace

Result<MigrationStats> RewriteStore(const std::string& path, std::string_view from_key,
                                    std::string_view to_key, rocksdb::Env* env) {
  auto started = std::chrono::steady_clock::now();
  HOSO_RETURN_IF_ERROR(RecoverStoreMigration(path));
  HOSO_RETURN_IF_ERROR(CheckSource(path, from_key));
  rocksdb::Env* base = env ? env : rocksdb::Env::Default();
  const std::string copy = path + ".rewriting", swap = path + ".swap";
  // A running node holds its store's LOCK: a store in use is never rewritten under it.
  rocksdb::FileLock* lock = nullptr;
  if (rocksdb::Status locked = base->LockFile(path + "/LOCK", &lock); !locked.ok()) {
    return Status::FailedPrecondition(path +
                                      " is in use (a node runs on it?): " + locked.ToString());
  }
  struct Unlock {
    rocksdb::Env* env;
    rocksdb::FileLock* lock;
    ~Unlock() { env->UnlockFile(lock); }
  } unlock{base, lock};
  HOSO_ASSIGN_OR_RETURN(auto from_env, EnvFor(base, from_key));
  HOSO_ASSIGN_OR_RETURN(auto to_env, EnvFor(base, to_key));
  MigrationStats stats;
  {
    OpenDb from, to;
    HOSO_RETURN_IF_ERROR(Open(path, from_env ? from_env.get() : base, /*read_only=*/true, &from));
    HOSO_RETURN_IF_ERROR(Open(copy, to_env ? to_env.get() : base, /*read_only=*/false, &to));
    for (size_t family = 0; family < from.cf.size(); ++family) {
      if (!from.cf[family]) continue;  // a family the source's release did not have
      HOSO_RETURN_IF_ERROR(CopyFamily(from, to, family, &stats));
    }
    rocksdb::WriteOptions synced;
    synced.sync = true;
    rocksdb::Status s = to.db->Put(synced, to.cf[kMeta], kMetaFormat,
                                   to_key.empty() ? kPlainStoreFormat : kStoreFormat);
    if (s.ok()) s = to.db->Flush(rocksdb::FlushOptions(), to.cf);
    if (s.ok()) s = to.db->SyncWAL();
    if (!s.ok()) return Status::IOError("finishing the copy: " + s.ToString());
  }
  HOSO_RETURN_IF_ERROR(SyncParentDirectory(copy));
  HOSO_RETURN_IF_ERROR(Rename(path, swap));
  HOSO_RETURN_IF_ERROR(Rename(copy, path));
  HOSO_RETURN_IF_ERROR(SyncParentDirectory(path));
  HOSO_RETURN_IF_ERROR(RemoveAll(swap));
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return stats;
}

Result<MigrationStats> EncryptStore(const std::string& path, std::string_view master_key,
                                    rocksdb::Env* env) {
  return RewriteStore(path, "", master_key, env);
}

}  // namespace hoso
