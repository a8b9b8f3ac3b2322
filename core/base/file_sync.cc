#include "core/base/file_sync.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace hoso {

Status SyncDirectory(const std::string& dir) {
  const std::string d = dir.empty() ? "." : dir;
  int fd = ::open(d.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open " + d + ": " + std::strerror(errno));
  const bool synced = ::fsync(fd) == 0;
  const int error = errno;
  ::close(fd);
  return synced ? Status::Ok() : Status::IOError("cannot sync " + d + ": " + std::strerror(error));
}

Status SyncParentDirectory(const std::string& path) {
  return SyncDirectory(std::filesystem::path(path).parent_path().string());
}

}  // namespace hoso
