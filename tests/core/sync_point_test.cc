// Sync points count arrivals only while enabled, and wake a waiter on another thread.
#include "core/base/sync_point.h"

#include <catch2/catch.hpp>
#include <thread>

#include "tests/testing/testing.h"

using namespace hoso;

TEST_CASE("sync points: counted only while enabled, waited for across threads", "[base]") {
  HOSO_SYNC_POINT("Test::Before");
  {
    testing::SyncPointsOn points;
    CHECK(SyncPoints::Count("Test::Before") == 0);  // reached before Enable: not counted
    CHECK_FALSE(SyncPoints::WaitFor("Test::Place", 1, std::chrono::milliseconds(20)));
    std::thread other([] {
      for (int i = 0; i < 3; ++i) HOSO_SYNC_POINT("Test::Place");
    });
    CHECK(points.Reached("Test::Place", 3));
    other.join();
    CHECK(SyncPoints::Count("Test::Place") == 3);
    CHECK(SyncPoints::Count("Test::Elsewhere") == 0);
  }
  HOSO_SYNC_POINT("Test::Place");  // disabled again: forgotten, and not counted
  CHECK(SyncPoints::Count("Test::Place") == 0);
}
