#include "core/base/worker_pool.h"

#include <algorithm>

namespace hoso {

WorkerPool::WorkerPool(size_t workers) {
  for (size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { Run(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPool::Submit(std::string key, std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back({std::move(key), std::move(job)});
  }
  cv_.notify_one();
}

std::deque<WorkerPool::Job>::iterator WorkerPool::NextFree() {
  return std::find_if(jobs_.begin(), jobs_.end(),
                      [&](const Job& j) { return !busy_.count(j.key); });
}

void WorkerPool::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    auto it = jobs_.end();
    cv_.wait(lock, [&] { return (it = NextFree()) != jobs_.end() || (stop_ && jobs_.empty()); });
    if (it == jobs_.end()) return;
    Job job = std::move(*it);
    jobs_.erase(it);
    busy_.insert(job.key);
    lock.unlock();
    job.run();
    lock.lock();
    busy_.erase(job.key);
    cv_.notify_all();  // a job of this key may have been waiting
  }
}

}  // namespace hoso
