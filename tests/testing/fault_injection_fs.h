// FaultInjectionFileSystem: a RocksDB FileSystem over the real one that fails or delays chosen
// operations on demand, for tests that prove what the store does when the disk misbehaves
// (RocksDB's FaultInjectionTestFS is the model). Everything not injected goes to disk.
//
//   auto fs = std::make_shared<testing::FaultInjectionFileSystem>();
//   auto env = rocksdb::NewCompositeEnv(fs);   // pass env.get() as StoreOptions::env
//   fs->fail_wal = true;                // every WAL append and sync now fails
//
// Thread-safety: the switches are atomics, flipped from the test thread while RocksDB's
// threads read them; the file system itself is as thread-safe as the one it wraps.
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <memory>
#include <string>

namespace hoso::testing {

class FaultInjectionFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultInjectionFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FaultInjectionFileSystem"; }

  // While set, appending to or syncing a write-ahead log file fails with "injected: ...".
  std::atomic<bool> fail_wal{false};
  // While set, a table file written by a compaction does not close (for at most 20 s, so a
  // failed test cannot hang); flushes go on.
  std::atomic<bool> hold_compactions{false};

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* file,
                                    rocksdb::IODebugContext* dbg) override;
};

}  // namespace hoso::testing
