// WorkerPool: per-key order and exclusion, work spread over the workers, results, drain on
// destruction.
#include "core/base/worker_pool.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

using hoso::WorkerPool;

TEST_CASE("worker pool: a key's jobs run one at a time and in order, and the pool drains on exit",
          "[worker_pool]") {
  std::mutex mu;
  std::map<std::string, std::vector<int>> ran;
  std::map<std::string, int> running;
  bool overlapped = false;
  {
    WorkerPool pool(2);
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

TEST_CASE("worker pool: a busy key does not hold back other keys' jobs", "[worker_pool]") {
  // The first job of "a" waits until a job of "b" has run. With fixed lanes both keys could
  // share a lane and the wait would time out; the pool gives "b" the idle worker.
  std::mutex mu;
  std::condition_variable cv;
  bool b_ran = false, a_saw_b = false;
  {
    WorkerPool pool(2);
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

TEST_CASE("worker pool: one worker runs async jobs in order on its own thread, results come back",
          "[worker_pool]") {
  WorkerPool worker(1);
  std::vector<int> order;  // touched only by the worker's thread
  std::vector<std::future<std::thread::id>> ran;
  for (int i = 0; i < 50; ++i) {
    ran.push_back(worker.Async<std::thread::id>("k", [&order, i] {
      order.push_back(i);
      return std::this_thread::get_id();
    }));
  }
  std::thread::id first = ran.front().get();
  CHECK(first != std::this_thread::get_id());
  for (size_t i = 1; i < ran.size(); ++i) CHECK(ran[i].get() == first);
  std::vector<int> expected(50);
  for (int i = 0; i < 50; ++i) expected[i] = i;
  CHECK(order == expected);
  CHECK(worker.Async<int>("other", [] { return 42; }).get() == 42);
}

TEST_CASE("worker pool: destruction waits for the async jobs already queued", "[worker_pool]") {
  std::atomic<int> done{0};
  {
    WorkerPool worker(1);
    for (int i = 0; i < 5; ++i) {
      (void)worker.Async<int>("k", [&done] {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return ++done;
      });
    }
  }
  CHECK(done == 5);
}
