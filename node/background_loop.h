// BackgroundLoop: one thread running a body until the owner goes, for a node's periodic jobs
// (the scope watch, the router).
//
// The body sleeps only through Wait, which returns false as soon as the loop is stopped, so a
// node stops without waiting out a period.
// Thread-safety: Wait is called by the body only; the destructor stops and joins the thread
// (the owner must destroy the loop before what the body reads).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace hoso::node {

class BackgroundLoop {
 public:
  explicit BackgroundLoop(std::function<void(BackgroundLoop&)> body)
      : thread_([this, body = std::move(body)] { body(*this); }) {}
  ~BackgroundLoop() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  BackgroundLoop(const BackgroundLoop&) = delete;
  BackgroundLoop& operator=(const BackgroundLoop&) = delete;

  // Sleeps up to `period`; false once the loop is stopped.
  bool Wait(std::chrono::milliseconds period) {
    std::unique_lock lock(mu_);
    return !wake_.wait_for(lock, period, [this] { return stop_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;   // GUARDED_BY(mu_)
  std::thread thread_;  // last: starts once the rest is built
};

}  // namespace hoso::node
