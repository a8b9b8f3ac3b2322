// Sync points: named places in the code that a test can wait for, so it orders a race by what
// a thread has reached instead of by sleeping and hoping (RocksDB's TEST_SYNC_POINT is the
// model). Shipped code marks a place with HOSO_SYNC_POINT("ApiServer::BodyAdmitted"); while no
// test has enabled the registry (always, in production) a point costs one relaxed atomic load.
//
//   SyncPoints::Enable();
//   ... start the client ...
//   REQUIRE(SyncPoints::WaitFor("ApiServer::BodyAdmitted", 1, std::chrono::seconds(5)));
//
// Names are "Class::Place"; each is documented where it is marked. Points count; they never
// block the thread that reaches them.
// Thread-safety: every function may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <string_view>

namespace hoso {

class SyncPoints {
 public:
  // Starts counting (from zero) every point reached.
  static void Enable();
  // Stops counting and forgets the counts.
  static void Disable();
  static bool enabled() { return enabled_.load(std::memory_order_relaxed); }

  // Counts one arrival at `name` and wakes its waiters (HOSO_SYNC_POINT calls it).
  static void Reach(std::string_view name);
  // How many times `name` was reached since Enable.
  static int Count(std::string_view name);
  // Waits until `name` was reached at least `times` times since Enable; false on timeout.
  [[nodiscard]] static bool WaitFor(std::string_view name, int times,
                                    std::chrono::milliseconds timeout);

 private:
  static std::atomic<bool> enabled_;
};

}  // namespace hoso

#define HOSO_SYNC_POINT(name)                                           \
  do {                                                                  \
    if (::hoso::SyncPoints::enabled()) ::hoso::SyncPoints::Reach(name); \
  } while (0)
