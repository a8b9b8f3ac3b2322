#include "tests/testing/fault_injection_fs.h"

#include <pthread.h>

#include <chrono>
#include <string_view>
#include <thread>

namespace hoso::testing {
namespace {

class WalFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  WalFile(std::unique_ptr<rocksdb::FSWritableFile>&& f, FaultInjectionFileSystem* fs)
      : FSWritableFileOwnerWrapper(std::move(f)), fs_(fs) {}
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* d) override {
    if (fs_->fail_wal) return rocksdb::IOStatus::IOError("injected: disk full");
    return FSWritableFileOwnerWrapper::Append(data, o, d);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    if (fs_->fail_wal) return rocksdb::IOStatus::IOError("injected: sync failed");
    return FSWritableFileOwnerWrapper::Sync(o, d);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    if (fs_->fail_wal) return rocksdb::IOStatus::IOError("injected: sync failed");
    return FSWritableFileOwnerWrapper::Fsync(o, d);
  }

 private:
  FaultInjectionFileSystem* fs_;
};

class TableFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  TableFile(std::unique_ptr<rocksdb::FSWritableFile>&& f, FaultInjectionFileSystem* fs)
      : FSWritableFileOwnerWrapper(std::move(f)), fs_(fs) {}
  rocksdb::IOStatus Close(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    char thread[16] = "";
    pthread_getname_np(pthread_self(), thread, sizeof thread);
    // RocksDB names its compaction threads "rocksdb:low", its flush threads "rocksdb:high".
    if (std::string_view(thread).starts_with("rocksdb:low")) {
      for (int i = 0; i < 2000 && fs_->hold_compactions; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    return FSWritableFileOwnerWrapper::Close(o, d);
  }

 private:
  FaultInjectionFileSystem* fs_;
};

}  // namespace

rocksdb::IOStatus FaultInjectionFileSystem::NewWritableFile(
    const std::string& name, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* file, rocksdb::IODebugContext* dbg) {
  auto s = target()->NewWritableFile(name, options, file, dbg);
  if (s.ok() && name.ends_with(".log")) *file = std::make_unique<WalFile>(std::move(*file), this);
  if (s.ok() && name.ends_with(".sst")) {
    *file = std::make_unique<TableFile>(std::move(*file), this);
  }
  return s;
}

}  // namespace hoso::testing
