#include "node/backup.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/base/file_sync.h"
#include "core/base/version.h"
#include "core/log/store_cipher.h"
#include "node/daemon.h"
#include "node/json.h"

namespace hoso::node {
namespace fs = std::filesystem;

namespace {

std::string ParentOf(const std::string& dir) {
  std::string parent = fs::path(dir).lexically_normal().parent_path().string();
  return parent.empty() ? "/" : parent;
}

// Copies `from` into the backup as `name` when it exists; appends the name to *files.
Status CopyIfPresent(const std::string& from, const std::string& staging, std::string_view name,
                     unsigned mode, std::vector<std::string>* files) {
  if (from.empty()) return Status::Ok();
  std::error_code ec;
  if (!fs::exists(from, ec)) return Status::Ok();
  HOSO_ASSIGN_OR_RETURN(std::string bytes, ReadTextFile(from, std::string(name)));
  HOSO_RETURN_IF_ERROR(WriteFileAtomic(staging + "/" + std::string(name), bytes, mode));
  files->push_back(std::string(name));
  return Status::Ok();
}

// rename(2) that refuses to replace: a folder made at the target meanwhile (by someone else,
// or a second backup at once) is never emptied into.
Status RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return Status::Ok();
  }
  if (errno == EEXIST) {
    return Status::AlreadyExists(to +
                                 " was made by someone else during the backup: choose "
                                 "another folder");
  }
  return Status::IOError("cannot rename " + from + " to " + to + ": " + std::strerror(errno));
}

}  // namespace

Status CheckBackupTarget(const std::string& dir) {
  if (dir.empty() || dir.front() != '/') {
    return Status::InvalidArgument(
        "the backup folder must be an absolute path on the node's machine, not '" + dir + "'");
  }
  struct stat st;
  if (::lstat(dir.c_str(), &st) == 0) {
    return Status::AlreadyExists(dir +
                                 " already exists: a backup goes to a new folder, which it makes "
                                 "itself; name a new one (with the date and time, say)");
  }
  const std::string parent = ParentOf(dir);
  if (::stat(parent.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) {
      return Status::NotFound("the folder " + parent +
                              " does not exist on the node's machine: mount the disk or USB "
                              "stick, or make the folder, then back up again");
    }
    return Status::PermissionDenied("the folder " + parent +
                                    " cannot be reached by the node: " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument(parent +
                                   " is not a folder: name a backup folder inside a "
                                   "folder that exists");
  }
  if (::access(parent.c_str(), W_OK | X_OK) != 0) {
    if (errno == EROFS) {
      return Status::PermissionDenied(
          "the folder " + parent +
          " is read-only for the node (a read-only disk, or outside the folders its systemd "
          "unit lets it write): back up into a folder the node may write, docs/operations.md, "
          "\"Back up\"");
    }
    return Status::PermissionDenied("the node's user (uid " + std::to_string(::geteuid()) +
                                    ") may not write in the folder " + parent +
                                    ": give it to that user (chown) or choose another folder");
  }
  return Status::Ok();
}

namespace {
// The id of the key the checkpoint's files are encrypted under ("" for a plaintext store).
std::string MasterKeyIdOf(const Store& store) {
  if (store.options().master_key.empty()) return "";
  auto id = MasterKeyId(store.options().master_key);
  return id.ok() ? *id : "";
}
}  // namespace

Result<BackupInfo> MakeBackup(const Store& store, const BackupSources& sources,
                              const std::string& dir, int64_t now_ms) {
  HOSO_RETURN_IF_ERROR(CheckBackupTarget(dir));
  std::string target = fs::path(dir).lexically_normal().string();
  while (target.size() > 1 && target.back() == '/') target.pop_back();
  std::string staging = target + ".partial-XXXXXX";
  if (!::mkdtemp(staging.data())) {  // mode 0700
    return Status::IOError("cannot make a folder beside " + target + ": " + std::strerror(errno));
  }
  BackupInfo info;
  info.dir = target;
  Status s = [&]() -> Status {
    // Counted before the checkpoint: the backup holds at least these.
    info.cases = store.CaseCount();
    info.commit_counter = store.CommitCounter();
    HOSO_RETURN_IF_ERROR(store.Checkpoint(staging + "/db"));
    info.files.push_back("db");
    HOSO_RETURN_IF_ERROR(
        CopyIfPresent(sources.officers_file, staging, kBackupOfficers, 0600, &info.files));
    HOSO_RETURN_IF_ERROR(
        CopyIfPresent(sources.config_file, staging, kBackupConfig, 0600, &info.files));
    const auto& o = store.options();
    json::array files;
    for (const auto& f : info.files) files.push_back(json::value(f));
    json::object m{{"format", 1},
                   {"unit", o.identity ? o.identity->unit : ""},
                   {"epoch", o.identity ? o.identity->epoch : 0},
                   {"made", FormatTime(now_ms)},
                   {"cases", info.cases},
                   {"commit_counter", info.commit_counter},
                   {"version", std::string(HosoVersion())},
                   {"commit", std::string(HosoGitCommit())},
                   {"store_format", std::string(store.format())},
                   {"master_key_id", MasterKeyIdOf(store)},
                   {"files", std::move(files)}};
    HOSO_RETURN_IF_ERROR(WriteFileAtomic(staging + "/" + std::string(kBackupManifest),
                                         json::serialize(m) + "\n", 0600));
    HOSO_RETURN_IF_ERROR(RenameNoReplace(staging, target));
    return SyncDirectory(ParentOf(target));
  }();
  if (!s.ok()) {
    std::error_code ec;
    fs::remove_all(staging, ec);
    return s;
  }
  return info;
}

Result<FoundBackup> FindBackup(const std::string& dir) {
  FoundBackup out;
  std::error_code ec;
  const std::string manifest = dir + "/" + std::string(kBackupManifest);
  if (fs::exists(dir + "/db/CURRENT", ec)) {
    out.store_dir = dir + "/db";
  } else if (fs::exists(dir + "/CURRENT", ec)) {
    out.store_dir = dir;  // a backup made before backup.json: the checkpoint itself
    return out;
  } else {
    return Status::NotFound(dir + " is not a backup made by `hoso backup` (no db/CURRENT or " +
                            "CURRENT file)");
  }
  if (!fs::exists(manifest, ec)) {
    return Status::Corruption(dir + " holds no " + std::string(kBackupManifest) +
                              ": the backup was not finished, make another one");
  }
  HOSO_ASSIGN_OR_RETURN(std::string text, ReadTextFile(manifest, "backup manifest"));
  auto v = ParseJson(text);
  const json::object* o = v.ok() ? v->if_object() : nullptr;
  const json::value* unit = o ? o->if_contains("unit") : nullptr;
  const json::value* epoch = o ? o->if_contains("epoch") : nullptr;
  const json::value* made = o ? o->if_contains("made") : nullptr;
  json::error_code bad_epoch;
  uint64_t epoch_value = epoch ? epoch->to_number<uint64_t>(bad_epoch) : 0;
  if (!unit || !unit->is_string() || !epoch || bad_epoch || !made || !made->is_string()) {
    return Status::Corruption(manifest + " is not a backup manifest");
  }
  out.has_manifest = true;
  out.unit = std::string(unit->as_string());
  out.epoch = epoch_value;
  out.made = std::string(made->as_string());
  if (fs::exists(dir + "/" + std::string(kBackupOfficers), ec)) {
    out.officers_file = dir + "/" + std::string(kBackupOfficers);
  }
  return out;
}

}  // namespace hoso::node
