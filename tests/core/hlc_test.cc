#include "core/format/hlc.h"

#include <catch2/catch.hpp>

using namespace hoso;

TEST_CASE("hlc: local timestamps strictly increase even when the wall clock stalls", "[hlc]") {
  FakeClock wall(1000);
  HybridClock hlc(&wall, 0);
  uint64_t a = hlc.Now(), b = hlc.Now();
  CHECK(a == HlcPack(1000, 0));
  CHECK(b == HlcPack(1000, 1));
  wall.Set(500);  // the office clock was set back
  uint64_t c = hlc.Now();
  CHECK(c > b);
  CHECK(HlcMillis(c) == 1000);
  wall.Set(2000);
  CHECK(hlc.Now() == HlcPack(2000, 0));
}

TEST_CASE("hlc: the persisted high-water mark survives a restart with a wrong clock", "[hlc]") {
  FakeClock wall(1'700'000'000'000);
  HybridClock first(&wall, 0);
  uint64_t last = first.Now();
  wall.Set(1'600'000'000'000);  // rebooted with the clock a year behind
  HybridClock second(&wall, 0);
  second.Restore(first.high_water());
  CHECK(second.Now() > last);
}

TEST_CASE("hlc: the receive rule advances us, but never past the drift bound", "[hlc]") {
  FakeClock wall(10'000);
  HybridClock hlc(&wall, 0, /*max_drift_ms=*/1000);
  CHECK(hlc.Observe(HlcPack(10'500, 7)));
  CHECK(hlc.Now() == HlcPack(10'500, 8));
  uint64_t far = HlcPack(20'000, 0);
  CHECK(hlc.TooFarAhead(far));
  CHECK_FALSE(hlc.Observe(far));
  CHECK(HlcMillis(hlc.Now()) == 10'500);  // not dragged into the future
}

TEST_CASE("hlc: counter overflow carries into the milliseconds", "[hlc]") {
  FakeClock wall(5);
  HybridClock hlc(&wall, HlcPack(5, 0xFFFF));
  CHECK(hlc.Now() == HlcPack(6, 0));
}
