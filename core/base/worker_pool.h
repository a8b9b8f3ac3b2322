// WorkerPool: threads kept for the owner's lifetime that run submitted jobs. Any idle worker
// takes the oldest job whose key no other worker holds, so one key's jobs run one at a time
// and in order while other keys' jobs use the other workers.
//   - The sync transport ingests received batches on two workers, keyed by stream: a stream's
//     batches commit in order while both keep the store's commit pipeline full (fixed lanes
//     by stream hash left a worker idle whenever its streams ran dry).
//   - The store folds the second half of a large commit on one worker when no other commit
//     is being written (a thread started per commit cost its creation, teardown and a cold
//     allocator cache a thousand times per million events), and rebuilds states on it.
// Thread-safety: Submit and Async may be called from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace hoso {

class WorkerPool {
 public:
  explicit WorkerPool(size_t workers);
  // Runs every job already submitted, then stops the workers.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `job`; jobs of one key run one at a time, in the order they were submitted.
  void Submit(std::string key, std::function<void()> job);
  // Submit for a job with a result: the future is ready once it has run.
  template <typename T>
  std::future<T> Async(std::string key, std::function<T()> fn) {
    auto task = std::make_shared<std::packaged_task<T()>>(std::move(fn));
    std::future<T> result = task->get_future();
    Submit(std::move(key), [task] { (*task)(); });
    return result;
  }

 private:
  struct Job {
    std::string key;
    std::function<void()> run;
  };
  std::deque<Job>::iterator NextFree();  // with mu_ held
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  std::set<std::string> busy_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace hoso
