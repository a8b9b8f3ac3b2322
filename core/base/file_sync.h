// Durability of folders: a rename or a new file is on disk after a power cut only once its
// folder is synced (POSIX; ext4 hides the gap, XFS and btrfs do not).
// Thread-safety: reentrant.
#pragma once

#include <string>

#include "core/base/status.h"

namespace hoso {

// fsync of the folder `dir` ("" : the current folder).
[[nodiscard]] Status SyncDirectory(const std::string& dir);

// SyncDirectory of the folder that holds `path`.
[[nodiscard]] Status SyncParentDirectory(const std::string& path);

}  // namespace hoso
