// Store rewrites, in place and crash-safe: format 1 (plaintext files) to format 2 (every file
// encrypted under the node's master key, core/log/store_cipher.h) when a node is upgraded, and
// from one master key to another when the key is rotated (`hoso key rotate`).
//
// RewriteStore copies every column family's keys and values, in key order, from `path` into a
// new store beside it, `<path>.rewriting`, written under the new key (or in plaintext), sets its
// format (2, or 1 in plaintext), flushes and syncs it; only then does it swap the folders:
// `<path>` -> `<path>.swap`, `<path>.rewriting` -> `<path>`, and removes `<path>.swap`. A crash
// at any point leaves a state RecoverStoreMigration finishes or undoes at the next start:
//   - `<path>.rewriting` with `<path>` and no swap folder: the copy was cut; it is removed, and
//     the source (untouched) is rewritten again;
//   - `<path>.swap` and `<path>.rewriting`, no `<path>`: cut between the renames; the copy is
//     complete (it is renamed only once synced), so the swap is finished;
//   - `<path>.swap` with `<path>`: the swap was done; the old folder is removed.
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

// Finishes or undoes an interrupted RewriteStore at `path` (see above); OK when there was none.
[[nodiscard]] Status RecoverStoreMigration(const std::string& path);

// Rewrites the store at `path`, encrypted under `from_key` ("" : a plaintext store), under
// `to_key` ("": in plaintext, which only tests use, to make a store as an older release left
// it). `env`: the base file system (nullptr: the real one). Refused, changing nothing, when the
// store at `path` is not of the kind `from_key` opens.
[[nodiscard]] Result<MigrationStats> RewriteStore(const std::string& path,
                                                  std::string_view from_key,
                                                  std::string_view to_key,
                                                  rocksdb::Env* env = nullptr);

// RewriteStore from plaintext to `master_key` (32 bytes).
[[nodiscard]] Result<MigrationStats> EncryptStore(const std::string& path,
                                                  std::string_view master_key,
                                                  rocksdb::Env* env = nullptr);

}  // namespace hoso
