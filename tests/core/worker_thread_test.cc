#include "core/worker_thread.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>
#include <vector>

using namespace hoso;

TEST_CASE("worker thread: tasks run in order on one other thread, results come back",
          "[worker_thread]") {
  WorkerThread worker;
  std::vector<int> order;  // touched only by the worker's thread
  std::vector<std::future<std::thread::id>> ran;
  for (int i = 0; i < 50; ++i) {
    ran.push_back(worker.Run<std::thread::id>([&order, i] {
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
  CHECK(worker.Run<int>([] { return 42; }).get() == 42);
}

TEST_CASE("worker thread: destruction waits for the tasks already queued", "[worker_thread]") {
  std::atomic<int> done{0};
  {
    WorkerThread worker;
    for (int i = 0; i < 5; ++i) {
      (void)worker.Run<int>([&done] {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return ++done;
      });
    }
  }
  CHECK(done == 5);
}
