// Store format migration: a format-1 store (plaintext files) rewritten as format 2 (every file
// encrypted under the node's master key, core/log/store_cipher.h), in place and crash-safe.
//
// EncryptStore copies every column family's keys and values, in key order, from `path` into a
// new encrypted store beside it, `<path>.encrypting`, flushes and syncs it, and sets its format
// to 2; only then does it swap the folders: `<path>` -> `<path>.plain-swap`,
// `<path>.encrypting` -> `<path>`, and removes `<path>.plain-swap`. A crash at any point leaves
// a state RecoverStoreMigration finishes or undoes at the next start:
//   - `<path>.encrypting` with `<path>` and no swap folder: the copy was cut; it is removed,
//     and the plaintext store (untouched) is migrated again;
//   - `<path>.plain-swap` and `<path>.encrypting`, no `<path>`: cut between the renames; the
//     copy is complete (it is renamed only once synced), so the swap is finished;
//   - `<path>.plain-swap` with `<path>`: the swap was done; the plaintext folder is removed.
// The caller takes a backup first (the daemon: a checkpoint beside the store, docs/operations.md,
// "Upgrade"); the migration itself never touches the source until its copy is durable.
// Thread-safety: the store must be closed; one migration at a time per path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace rocksdb {
class Env;
}

namespace hoso {

struct MigrationStats {
  uint64_t keys = 0, bytes = 0;
  double seconds = 0;
};

// Finishes or undoes an interrupted EncryptStore at `path` (see above); OK when there was none.
[[nodiscard]] Status RecoverStoreMigration(const std::string& path);

// Rewrites the plaintext store at `path` encrypted under `master_key` (32 bytes). `env`: the
// base file system (nullptr: the real one; tests inject faults). Refused when `path` is not a
// plaintext store.
[[nodiscard]] Result<MigrationStats> EncryptStore(const std::string& path,
                                                  std::string_view master_key,
                                                  rocksdb::Env* env = nullptr);

}  // namespace hoso
