// Faults injected under RocksDB through its FileSystem interface: a write whose WAL cannot be
// written or synced is never acknowledged, and after a restart it is absent while everything
// acknowledged before it is there; and settling the store outlasts a held compaction.
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "core/domain/case_log.h"
#include "core/log/store.h"
#include "tests/testing/fault_injection_fs.h"
#include "tests/testing/testing.h"

using namespace hoso;

namespace {

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
  auto fs = std::make_shared<testing::FaultInjectionFileSystem>();
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
  auto fs = std::make_shared<testing::FaultInjectionFileSystem>();
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
