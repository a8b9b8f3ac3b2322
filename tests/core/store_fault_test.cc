// Faults injected under RocksDB through its FileSystem interface: a write whose WAL cannot be
// written or synced is never acknowledged, and after a restart it is absent while everything
// acknowledged before it is there; and settling the store outlasts a held compaction.
#include <pthread.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "core/domain/case_log.h"
#include "core/log/store.h"
#include "tests/testing.h"

using namespace hoso;

namespace {

class FaultyFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultyFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FaultyFileSystem"; }
  std::atomic<bool> fail_wal{false};
  // While set, a table file written by a compaction does not close (for at most 20 s, so a
  // failed test cannot hang); flushes go on.
  std::atomic<bool> hold_compactions{false};

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* file,
                                    rocksdb::IODebugContext* dbg) override {
    auto s = target()->NewWritableFile(name, options, file, dbg);
    if (s.ok() && name.ends_with(".log")) {
      *file = std::make_unique<WalFile>(std::move(*file), this);
    }
    if (s.ok() && name.ends_with(".sst")) {
      *file = std::make_unique<TableFile>(std::move(*file), this);
    }
    return s;
  }

 private:
  class WalFile : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    WalFile(std::unique_ptr<rocksdb::FSWritableFile>&& f, FaultyFileSystem* fs)
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
    FaultyFileSystem* fs_;
  };
  class TableFile : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    TableFile(std::unique_ptr<rocksdb::FSWritableFile>&& f, FaultyFileSystem* fs)
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
    FaultyFileSystem* fs_;
  };
};

StoreOptions Options(const std::string& path, FakeClock* clock, rocksdb::Env* env) {
  StoreOptions o;
  UseCaseLogRules(&o);
  o.path = path;
  o.root_unit = "89";
  o.identity = Identity{"89", 1, testing::KeyFor(89)};
  o.clock = clock;
  o.env = env;
  return o;
}

LocalWrite Step(const std::string& code, const std::string& status) {
  return {"30280", code, "case.step", testing::Body({{"status", testing::Text(status)}}), "o"};
}

}  // namespace

TEST_CASE("store fault: a write the disk refuses is not acknowledged and not kept",
          "[store][fault]") {
  testing::TempDir dir;
  auto fs = std::make_shared<FaultyFileSystem>();
  auto env = rocksdb::NewCompositeEnv(fs);
  FakeClock clock(1764000000000);
  const StreamKey stream{"30280", "89", 1};
  Hash fp;
  {
    auto store = Store::Open(Options(dir.Sub("s"), &clock, env.get())).value();
    REQUIRE(store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
    REQUIRE(store->Append(Step("30280-A", "received")).ok());
    fp = store->ScopeFingerprint([](const std::string&) { return true; });

    fs->fail_wal = true;
    auto refused = store->Append(Step("30280-B", "received"));
    CHECK(refused.status().code() == Code::kIOError);
    CHECK_THAT(refused.status().message(), Catch::Contains("injected"));
    // Nothing of it is visible: not the head, not the case, not the fingerprint.
    CHECK(store->Head(stream)->seq == 1);
    CHECK(store->GetCaseState("30280-B").status().code() == Code::kNotFound);
    CHECK(store->ScopeFingerprint([](const std::string&) { return true; }) == fp);
    fs->fail_wal = false;
  }
  auto store = Store::Open(Options(dir.Sub("s"), &clock, nullptr)).value();
  CHECK(store->Head(stream)->seq == 1);
  CHECK(store->GetCaseState("30280-A").ok());
  CHECK(store->GetCaseState("30280-B").status().code() == Code::kNotFound);
  CHECK(store->VerifyStream(stream).ok());
  CHECK(store->ScopeFingerprint([](const std::string&) { return true; }) == fp);
  // And the node goes on writing after the restart.
  CHECK(store->Append(Step("30280-B", "received")).ok());
}

TEST_CASE("store fault: settling waits for background compactions", "[store][fault]") {
  testing::TempDir dir;
  auto fs = std::make_shared<FaultyFileSystem>();
  auto env = rocksdb::NewCompositeEnv(fs);
  FakeClock clock(1764000000000);
  auto store = Store::Open(Options(dir.Sub("s"), &clock, env.get())).value();
  REQUIRE(store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  fs->hold_compactions = true;
  // A flush after each commit: the events family's fourth level-0 file starts a compaction,
  // which cannot finish while it is held.
  for (int i = 0; i < 12; ++i) {
    REQUIRE(store->Append(Step("30280-K" + std::to_string(i), "received")).ok());
    REQUIRE(store->Flush().ok());
  }
  Status early = store->Settle(std::chrono::milliseconds(50));
  CHECK(early.code() == Code::kIOError);
  CHECK_THAT(early.message(), Catch::Contains("still running"));
  CHECK(store->BackgroundWorkPending());

  fs->hold_compactions = false;
  REQUIRE(store->Settle(std::chrono::seconds(60)).ok());
  CHECK_FALSE(store->BackgroundWorkPending());
  CHECK(store->GetCaseState("30280-K11").ok());
  CHECK(store->VerifyStream({"30280", "89", 1}).ok());
}
