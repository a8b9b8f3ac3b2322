// Wall clock behind an interface, so tests fake time.
//
// Clock::NowMs returns milliseconds since the Unix epoch (UTC). SystemClock reads the real
// clock; FakeClock returns what the test set. Thread-safety: both are safe to call from any
// thread (FakeClock uses an atomic).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace hoso {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
  static SystemClock* Default() {
    static SystemClock clock;
    return &clock;
  }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 0) : now_(now_ms) {}
  int64_t NowMs() const override { return now_.load(); }
  void Set(int64_t ms) { now_.store(ms); }
  void Advance(int64_t ms) { now_.fetch_add(ms); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace hoso
