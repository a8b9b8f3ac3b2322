// IngestPool: per-key order and exclusion, work spread over the workers, drain on destruction.
#include "sync/ingest_pool.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <vector>

using hoso::sync::IngestPool;

TEST_CASE("ingest pool: a key's jobs run one at a time and in order, and the pool drains on exit",
          "[sync][pool]") {
  std::mutex mu;
  std::map<std::string, std::vector<int>> ran;
  std::map<std::string, int> running;
  bool overlapped = false;
  {
    IngestPool pool(2);
    for (int i = 0; i < 300; ++i) {
      std::string key = "stream-" + std::to_string(i % 5);
      pool.Submit(key, [&, key, i] {
        {
          std::lock_guard lock(mu);
          if (running[key]++ > 0) overlapped = true;
        }
        std::this_thread::yield();
        std::lock_guard lock(mu);
        --running[key];
        ran[key].push_back(i);
      });
    }
  }  // the destructor runs every queued job
  CHECK_FALSE(overlapped);
  REQUIRE(ran.size() == 5);
  for (const auto& [key, order] : ran) {
    INFO(key);
    REQUIRE(order.size() == 60);
    for (size_t k = 0; k < order.size(); ++k)
      CHECK(order[k] == static_cast<int>(k * 5) + key.back() - '0');
  }
}

TEST_CASE("ingest pool: a busy key does not hold back other keys' jobs", "[sync][pool]") {
  // The first job of "a" waits until a job of "b" has run. With fixed lanes both keys could
  // share a lane and the wait would time out; the pool gives "b" the idle worker.
  std::mutex mu;
  std::condition_variable cv;
  bool b_ran = false, a_saw_b = false;
  {
    IngestPool pool(2);
    pool.Submit("a", [&] {
      std::unique_lock lock(mu);
      a_saw_b = cv.wait_for(lock, std::chrono::seconds(20), [&] { return b_ran; });
    });
    pool.Submit("a", [] {});  // queued behind the running "a": must not take the idle worker
    pool.Submit("b", [&] {
      std::lock_guard lock(mu);
      b_ran = true;
      cv.notify_all();
    });
  }
  CHECK(a_saw_b);
}
