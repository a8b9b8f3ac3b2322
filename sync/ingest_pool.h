// IngestPool: worker threads that ingest received batches for the sync transport. Any idle
// worker takes the oldest job whose key (a stream) no other worker holds, so a stream's batches
// commit in order while the workers keep the store's commit pipeline full (one batch decoded,
// one staged, one written). Fixed lanes by stream hash left a worker idle whenever its
// streams ran dry.
// Thread-safety: Submit may be called from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace hoso::sync {

class IngestPool {
 public:
  explicit IngestPool(size_t workers);
  // Runs every job already submitted, then stops the workers.
  ~IngestPool();
  IngestPool(const IngestPool&) = delete;
  IngestPool& operator=(const IngestPool&) = delete;

  // Queues `job`; jobs of one key run one at a time, in the order they were submitted.
  void Submit(std::string key, std::function<void()> job);

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

}  // namespace hoso::sync
