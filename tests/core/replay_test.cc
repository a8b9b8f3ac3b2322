#include "core/audit/replay.h"

#include <catch2/catch.hpp>

#include "tests/testing/testing.h"

using namespace hoso;
using testing::TempDir;

namespace {

constexpr int64_t kHour = 3600 * 1000;

struct TwoOffices {
  TempDir dir;
  std::unique_ptr<testing::TestNode> province = testing::OpenTestNode(dir.Sub("89"), "89");
  std::unique_ptr<testing::TestNode> commune = testing::OpenTestNode(dir.Sub("30280"), "30280");
  std::unique_ptr<testing::TestNode> district = testing::OpenTestNode(dir.Sub("883"), "883");
  TwoOffices() {
    REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
    auto dir_only = [](const std::string& c) { return c == kDirectoryChannel; };
    REQUIRE(testing::CopyAll(*province->store, *commune->store, dir_only).ok());
    REQUIRE(testing::CopyAll(*province->store, *district->store, dir_only).ok());
  }
  void Exchange() {
    auto channel = [](const std::string& c) { return c == "30280"; };
    REQUIRE(testing::CopyAll(*commune->store, *district->store, channel).ok());
    REQUIRE(testing::CopyAll(*district->store, *commune->store, channel).ok());
  }
  void Step(testing::TestNode& node, const std::string& code, const std::string& status) {
    REQUIRE(node.store
                ->Append({"30280", code, "case.step",
                          testing::Body({{"status", testing::Text(status)}}), "officer"})
                .ok());
  }
};

}  // namespace

TEST_CASE("replay: a case's history, its conflict and resolution, and its state at a time",
          "[audit][replay]") {
  TwoOffices t;
  const int64_t t0 = testing::kTestNow;
  REQUIRE(t.commune->store
              ->Append(testing::ReceiveWrite("30280", "30280-C1", "Nguyễn Văn An", t0 + 48 * kHour))
              .ok());
  t.Exchange();
  // Both offices change the status without seeing each other's change: a conflict.
  t.commune->clock.Set(t0 + 1 * kHour);
  t.Step(*t.commune, "30280-C1", "withdrawn");
  t.district->clock.Set(t0 + 2 * kHour);
  t.Step(*t.district, "30280-C1", "processing");
  t.Exchange();
  // The district, having seen both, settles it.
  t.district->clock.Set(t0 + 3 * kHour);
  t.Step(*t.district, "30280-C1", "result_ready");
  t.Exchange();

  auto full = ReplayCase(*t.commune->store, "30280-C1", t0 + 10 * kHour);
  REQUIRE(full.ok());
  REQUIRE(full->steps.size() == 4);
  CHECK(full->steps[0].event.type == "case.received");
  CHECK(full->steps[1].event.stream.origin == "30280");
  CHECK(full->steps[2].event.stream.origin == "883");
  CHECK(full->steps[2].conflicts_opened == std::vector<std::string>{"status"});
  CHECK(full->steps[3].conflicts_resolved == std::vector<std::string>{"status"});
  CHECK(full->state.TextOr("status", "") == "result_ready");
  CHECK(full->state == t.commune->store->GetCaseState("30280-C1").value());

  auto mid = ReplayCase(*t.commune->store, "30280-C1", t0 + 2 * kHour + 1);
  REQUIRE(mid.ok());
  CHECK(mid->steps.size() == 3);
  CHECK(mid->later_events == 1);
  CHECK(mid->state.Conflicts().size() == 1);
  CHECK(mid->state.TextOr("status", "") == "withdrawn");  // the furthest along wins meanwhile

  auto early = ReplayCase(*t.commune->store, "30280-C1", t0 + kHour - 1);
  REQUIRE(early.ok());
  CHECK(early->state.TextOr("status", "") == "received");
  CHECK(ReplayCase(*t.commune->store, "30280-C1", t0 - 1).status().code() == Code::kNotFound);
  CHECK(ReplayCase(*t.commune->store, "NOPE", t0).status().code() == Code::kNotFound);
}

TEST_CASE("replay: a scope's counts and fingerprint at a time, now equals the live one",
          "[audit][replay]") {
  TwoOffices t;
  const int64_t t0 = testing::kTestNow;
  for (int i = 0; i < 5; ++i) {
    t.commune->clock.Set(t0 + i * kHour);
    REQUIRE(t.commune->store
                ->Append(testing::ReceiveWrite("30280", "30280-C" + std::to_string(i),
                                               "Trần Thị Mai", t0 + 100 * kHour))
                .ok());
  }
  t.commune->clock.Set(t0 + 6 * kHour);
  t.Step(*t.commune, "30280-C0", "forwarded");
  t.Exchange();
  Store& district = *t.district->store;

  auto now = ReplayScope(district, "883", t0 + 100 * kHour);
  REQUIRE(now.ok());
  CHECK(now->cases == 5);
  CHECK(now->by_status == std::map<std::string, uint64_t>{{"forwarded", 1}, {"received", 4}});
  auto dir = district.DirectorySnapshot();
  CHECK(now->fingerprint == district.ScopeFingerprint([&](const std::string& c) {
    return !IsSystemChannel(c) && dir->IsAncestorOrSelf("883", c, t0);
  }));

  auto then = ReplayScope(district, "883", t0 + 2 * kHour + 1);
  REQUIRE(then.ok());
  CHECK(then->cases == 3);
  CHECK(then->by_status == std::map<std::string, uint64_t>{{"received", 3}});
  CHECK(then->fingerprint != now->fingerprint);
  // The commune's own view of its channel at that time agrees.
  auto commune_then = ReplayScope(*t.commune->store, "30280", t0 + 2 * kHour + 1);
  REQUIRE(commune_then.ok());
  CHECK(commune_then->fingerprint == then->fingerprint);
  CHECK(ReplayScope(district, "99999", t0).status().code() == Code::kNotFound);
}
