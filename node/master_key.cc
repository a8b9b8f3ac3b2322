#include "node/master_key.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "core/base/file_sync.h"
#include "core/base/text.h"
#include "core/domain/case_log.h"
#include "core/format/aead.h"
#include "core/format/crypto.h"
#include "core/log/store.h"
#include "core/log/store_cipher.h"
#include "core/log/store_migrate.h"
#include "node/daemon.h"

namespace hoso::node {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kCredentialName = "master.key";

// A checkpoint of the plaintext store beside it, under a name no other folder has; the one an
// earlier, cut attempt made is kept instead of a second one.
Result<std::string> KeepPlainCheckpoint(const NodeConfig& config, const std::string& db) {
  const std::string suffix = ".format1-";
  const fs::path parent = fs::path(db).parent_path().empty() ? "." : fs::path(db).parent_path();
  const std::string prefix = fs::path(db).filename().string() + suffix;
  for (const auto& e : fs::directory_iterator(parent)) {
    if (e.path().filename().string().rfind(prefix, 0) == 0) return e.path().string();
  }
  const std::string name = UnusedPath(db + suffix + FileTimeStamp(std::time(nullptr)));
  StoreOptions o;
  o.path = db;
  o.root_unit = config.root;
  o.enforce_scope = false;
  UseCaseLogRules(&o);
  // Opened writable, so that the checkpoint holds what only the WAL held.
  HOSO_ASSIGN_OR_RETURN(auto plain, Store::Open(o));
  HOSO_RETURN_IF_ERROR(plain->Checkpoint(name));
  return name;
}

Result<std::string> KeyIdOfFile(const std::string& path) {
  HOSO_ASSIGN_OR_RETURN(std::string key, ReadMasterKeyFile(path));
  return MasterKeyId(key);
}

// The last step of a rotation: the old key aside, the new one in its place. Done again after a
// cut, it skips what was done ("" for the old key's place when it was moved before).
Result<std::string> SwapKeyFiles(const std::string& path) {
  std::string kept;
  std::error_code ec;
  if (fs::exists(path)) {
    kept = UnusedPath(path + ".old-" + FileTimeStamp(std::time(nullptr)));
    fs::rename(path, kept, ec);
  }
  if (!ec) fs::rename(path + ".new", path, ec);
  if (ec) return Status::IOError("putting the new master key in " + path + ": " + ec.message());
  HOSO_RETURN_IF_ERROR(SyncParentDirectory(path));
  return kept;
}

// A rotation cut before its end (<key>.new exists): finished when the store is under the new
// key, undone when it is still under the old one; anything else is left as found.
Status FinishRotation(const NodeConfig& config, const std::string& path, Logger* log) {
  const std::string db = config.Path(config.db), fresh = path + ".new";
  HOSO_RETURN_IF_ERROR(RecoverStoreMigration(db));
  HOSO_ASSIGN_OR_RETURN(std::string fresh_id, KeyIdOfFile(fresh));
  std::string store_id;
  HOSO_ASSIGN_OR_RETURN(StoreEncryption found, ProbeStoreEncryption(db, &store_id));
  if (found == StoreEncryption::kEncrypted && store_id == fresh_id) {
    HOSO_ASSIGN_OR_RETURN(std::string kept, SwapKeyFiles(path));
    log->Log(LogLevel::kWarn, "node",
             "finished the rotation of the master key to " + fresh_id +
                 (kept.empty() ? "" : "; the old key is in " + kept));
    return Status::Ok();
  }
  auto old_id = fs::exists(path) ? KeyIdOfFile(path) : Result<std::string>(std::string());
  if (found == StoreEncryption::kEncrypted && old_id.ok() && *old_id == store_id) {
    std::error_code ec;
    fs::remove(fresh, ec);
    log->Log(LogLevel::kWarn, "node",
             "a rotation of the master key was cut before the store was rewritten: the store "
             "keeps its key " +
                 store_id + ", the new one was dropped");
    return Status::Ok();
  }
  return Status::FailedPrecondition(
      "a cut key rotation left " + fresh + " (key " + fresh_id + ") and " + path +
      (old_id.ok() && !old_id->empty() ? " (key " + *old_id + ")" : " (missing)") +
      ", and the case log " + db + " is under neither: left as found; put the key " +
      (store_id.empty() ? std::string("of the store") : store_id) + " in " + path);
}

}  // namespace

std::string MasterKeyPath(const NodeConfig& config) {
  if (const char* credentials = std::getenv("CREDENTIALS_DIRECTORY")) {
    std::string path = std::string(credentials) + "/" + std::string(kCredentialName);
    if (fs::exists(path)) return path;
  }
  return config.Path(config.master_key);
}

Result<std::string> ReadMasterKeyFile(const std::string& path) {
  HOSO_ASSIGN_OR_RETURN(std::string text, ReadPrivateFile(path, "master key"));
  auto key = FromHex(TrimSpace(text));
  if (!key.ok() || key->size() != kMasterKeySize) {
    return Status::InvalidArgument("master key " + path +
                                   " is not 64 hex digits (a key made by hoso init)");
  }
  return std::move(key).value();
}

Result<std::string> CreateMasterKeyFile(const std::string& path) {
  HOSO_ASSIGN_OR_RETURN(std::string key, RandomBytes(kMasterKeySize));
  const std::string making = path + ".making";
  HOSO_RETURN_IF_ERROR(WriteFileAtomic(making, Hex(key) + "\n", 0600));
  // link() never replaces: a key file that appeared meanwhile is kept, not overwritten.
  const int linked = ::link(making.c_str(), path.c_str()), error = errno;
  ::unlink(making.c_str());
  if (linked != 0) {
    if (error == EEXIST) return Status::AlreadyExists("master key " + path + " exists already");
    return Status::IOError("cannot write " + path + ": " + std::strerror(error));
  }
  HOSO_RETURN_IF_ERROR(SyncParentDirectory(path));
  return key;
}

Result<std::string> LoadMasterKey(const NodeConfig& config, Logger* log) {
  const std::string path = MasterKeyPath(config), db = config.Path(config.db);
  HOSO_RETURN_IF_ERROR(RecoverStoreMigration(db));
  if (fs::exists(path + ".new")) HOSO_RETURN_IF_ERROR(FinishRotation(config, path, log));
  std::string store_id;
  HOSO_ASSIGN_OR_RETURN(StoreEncryption found, ProbeStoreEncryption(db, &store_id));
  if (!fs::exists(path) && found == StoreEncryption::kEncrypted) {
    // Never a new key for an encrypted store: it would be useless, and look like the one to keep.
    return Status::FailedPrecondition("the case log " + db + " is encrypted under master key " +
                                      store_id + ", and " + path +
                                      " is missing: put that key there (the province's copy, "
                                      "mode 0600); no key was made");
  }
  if (!fs::exists(path)) {
    HOSO_ASSIGN_OR_RETURN(std::string key, CreateMasterKeyFile(path));
    HOSO_ASSIGN_OR_RETURN(std::string id, MasterKeyId(key));
    log->Log(LogLevel::kWarn, "node",
             "made the master key " + id + " in " + path +
                 ": the case log and its backups cannot be read without it; give a copy to "
                 "the province's key custodian (docs/privacy.md)");
    return key;
  }
  return ReadMasterKeyFile(path);
}

Status PrepareStore(const NodeConfig& config, const std::string& master_key, Logger* log) {
  const std::string db = config.Path(config.db);
  HOSO_RETURN_IF_ERROR(RecoverStoreMigration(db));
  HOSO_ASSIGN_OR_RETURN(StoreEncryption found, ProbeStoreEncryption(db));
  if (found != StoreEncryption::kPlain) return Status::Ok();
  HOSO_ASSIGN_OR_RETURN(std::string kept, KeepPlainCheckpoint(config, db));
  log->Log(LogLevel::kWarn, "node",
           "the case log " + db + " is format 1 (plaintext): kept a checkpoint of it in " + kept +
               " and encrypting it (format 2)");
  auto stats = EncryptStore(db, master_key);
  if (!stats.ok()) return stats.status().Annotate("encrypting the case log " + db);
  log->Log(LogLevel::kWarn, "node",
           "the case log is encrypted: " + std::to_string(stats->keys) + " keys, " +
               std::to_string(stats->bytes >> 20) + " MiB in " +
               std::to_string(static_cast<int>(stats->seconds)) + " s. " + kept +
               " holds the plaintext store for a rollback to the previous release: remove it "
               "once this release runs well (docs/operations.md, \"Upgrade\")");
  return Status::Ok();
}

Result<RotatedKey> RotateMasterKey(const NodeConfig& config, Logger* log) {
  const std::string path = config.Path(config.master_key), db = config.Path(config.db);
  HOSO_RETURN_IF_ERROR(RecoverStoreMigration(db));
  if (fs::exists(path + ".new")) HOSO_RETURN_IF_ERROR(FinishRotation(config, path, log));
  HOSO_ASSIGN_OR_RETURN(std::string old_key, ReadMasterKeyFile(path));
  // Durable before the store is rewritten under it (WriteFileAtomic syncs file and folder).
  HOSO_ASSIGN_OR_RETURN(std::string new_key, CreateMasterKeyFile(path + ".new"));
  RotatedKey out;
  HOSO_ASSIGN_OR_RETURN(out.old_id, MasterKeyId(old_key));
  HOSO_ASSIGN_OR_RETURN(out.new_id, MasterKeyId(new_key));
  auto stats = RewriteStore(db, old_key, new_key);
  if (!stats.ok()) {
    // Whichever key the store ended under is kept: the reconciliation of a cut rotation.
    Status reconciled = FinishRotation(config, path, log);
    return stats.status().Annotate("rewriting the case log " + db +
                                   (reconciled.ok() ? "" : " (" + reconciled.message() + ")"));
  }
  out.seconds = stats->seconds;
  HOSO_ASSIGN_OR_RETURN(out.old_key_file, SwapKeyFiles(path));
  return out;
}

}  // namespace hoso::node
