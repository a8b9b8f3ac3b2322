// The node's master key, and the store made ready for it before the node opens it.
//
// The master key (32 bytes) encrypts every file of the case log (core/log/store_cipher.h). It is
// never in the store nor in a backup: it lives in a file of its own, 64 hex digits and a line
// feed, mode 0600 (NodeConfig::master_key, default <dir>/master.key), or in a systemd
// credential: when $CREDENTIALS_DIRECTORY/master.key exists (LoadCredential= or
// LoadCredentialEncrypted=, docs/operations.md), that file is used instead. `hoso init` makes
// it; a node upgraded from format 1 makes it at its first start. Losing it loses the store and
// every backup of it: the province keeps a copy of each office's key (docs/privacy.md).
//
// PrepareStore runs before the store opens: it finishes a cut migration, and a format-1 store
// is encrypted in place (core/log/store_migrate.h) after a checkpoint of it is kept beside it,
// <db>.format1-<UTC time>, the rollback to the previous release (docs/operations.md, "Upgrade").
// Thread-safety: functions of the file system; call them before the node starts serving.
#pragma once

#include <string>

#include "core/base/status.h"
#include "node/config.h"
#include "node/log.h"

namespace hoso::node {

// Where the key is read from: the systemd credential when there is one, else the config's file.
std::string MasterKeyPath(const NodeConfig& config);

// Reads the key (refusing a file other users may read, or not 64 hex digits), after finishing
// a cut migration or rotation; when the file is missing, makes a new key there (0600) and logs
// its id, unless the store is encrypted already (then FailedPrecondition naming the key it
// needs).
Result<std::string> LoadMasterKey(const NodeConfig& config, Logger* log);

// Reads a key file as LoadMasterKey does, from an explicit path.
Result<std::string> ReadMasterKeyFile(const std::string& path);

// Writes a new random key to `path` (0600); refuses to overwrite one.
Result<std::string> CreateMasterKeyFile(const std::string& path);

// Makes the store at config.Path(config.db) ready to open with `master_key` (see above).
Status PrepareStore(const NodeConfig& config, const std::string& master_key, Logger* log);

// Rotation (`hoso key rotate`, the node stopped): a new key is written to <key>.new first, the
// store rewritten under it (core/log/store_migrate.h), and only then is the old key moved to
// <key>.old-<UTC time> and the new one put in its place. A cut rotation is finished, or undone,
// by the next LoadMasterKey, whichever key the store is under. Backups made before keep the old
// key: it is kept, and destroyed when they are.
struct RotatedKey {
  std::string old_id, new_id;
  std::string old_key_file;  // where the old key is kept
  double seconds = 0;
};
Result<RotatedKey> RotateMasterKey(const NodeConfig& config, Logger* log);

}  // namespace hoso::node
