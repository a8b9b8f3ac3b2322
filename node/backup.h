// Backups of a running node (POST /v1/backup, `hoso backup`) and their reading by a restore
// (`hoso restore`, tools/provision.h) and an audit (`hoso audit verify --data BACKUP`).
//
// A backup is a new folder holding what a node cannot get back from its upstream:
//
//   <backup>/db/            a consistent RocksDB checkpoint of the case log (Store::Checkpoint)
//   <backup>/officers.json  the web app's officer accounts (never replicated), 0600, if any
//   <backup>/hoso.conf      the data directory's config file, for re-making the node, if any
//   <backup>/backup.json    the manifest, written last: {"format": 1, "unit", "epoch", "made",
//                           "cases", "commit_counter", "version", "commit", "store_format",
//                           "master_key_id", "files": [...]}
//
// The checkpoint's files are encrypted under the node's master key (format 2; master_key_id
// names it, "" for format 1), which is not in the backup: a restore needs the node's key file
// or the province's copy of it (node/master_key.h). Keys are left out on purpose: a restored
// node takes a new certificate at the next epoch
// (its old key must never sign again), the API token and the web certificate's key are
// re-made (hoso init, hoso cert web). The folder is made 0700 (the case log holds citizens'
// data) as "<backup>.partial-XXXXXX" beside the target and renamed to it only once complete,
// so a folder of that name is always a whole backup; a failed backup leaves nothing.
// Backups made before this layout were the checkpoint itself (its CURRENT at the top); they
// are read too (FindBackup).
// Thread-safety: pure functions of the file system and the (thread-safe) store. They read
// and write the disk: never call them on an io thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/log/store.h"

namespace hoso::node {

inline constexpr std::string_view kBackupManifest = "backup.json";
inline constexpr std::string_view kBackupOfficers = "officers.json";
inline constexpr std::string_view kBackupConfig = "hoso.conf";

struct BackupSources {
  std::string officers_file;  // the node's officers.json; empty or missing: none to copy
  std::string config_file;    // the node's hoso.conf; empty or missing: none to copy
};

struct BackupInfo {
  std::string dir;
  uint64_t cases = 0, commit_counter = 0;
  std::vector<std::string> files;  // what the backup holds besides the manifest
};

// Checks `dir` before anything is written: an absolute path that does not exist yet
// (AlreadyExists), in a folder that exists (NotFound), is a folder (InvalidArgument) and that
// the node may write in (PermissionDenied: its user may not, or it is read-only for the node,
// e.g. outside the folders its systemd unit may write). Each message names the folder and
// what to do.
Status CheckBackupTarget(const std::string& dir);

// Writes the backup of `store` to `dir` (checked by CheckBackupTarget first), stamped with
// `now_ms`.
Result<BackupInfo> MakeBackup(const Store& store, const BackupSources& sources,
                              const std::string& dir, int64_t now_ms);

// A backup as a restore or an audit reads it.
struct FoundBackup {
  std::string store_dir;      // the checkpoint: <backup>/db, or <backup> itself (old layout)
  bool has_manifest = false;  // false for the old layout
  std::string unit;           // from the manifest; empty without one
  uint64_t epoch = 0;
  std::string made;           // RFC 3339, from the manifest
  std::string officers_file;  // <backup>/officers.json when the backup holds one, else empty
};
// NotFound when `dir` holds no backup (neither db/CURRENT nor CURRENT); Corruption when its
// manifest cannot be read.
Result<FoundBackup> FindBackup(const std::string& dir);

}  // namespace hoso::node
