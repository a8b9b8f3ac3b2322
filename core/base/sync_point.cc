#include "core/base/sync_point.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>

namespace hoso {
namespace {

struct Registry {
  std::mutex mu;
  std::condition_variable reached;
  std::map<std::string, int, std::less<>> counts;  // GUARDED_BY(mu)
};

Registry& TheRegistry() {
  static Registry* registry = new Registry;  // never destroyed: points may run at exit
  return *registry;
}

}  // namespace

std::atomic<bool> SyncPoints::enabled_{false};

void SyncPoints::Enable() {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  r.counts.clear();
  enabled_ = true;
}

void SyncPoints::Disable() {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  enabled_ = false;
  r.counts.clear();
}

void SyncPoints::Reach(std::string_view name) {
  Registry& r = TheRegistry();
  {
    std::lock_guard lock(r.mu);
    if (!enabled_) return;
    auto it = r.counts.find(name);
    if (it == r.counts.end()) it = r.counts.emplace(std::string(name), 0).first;
    ++it->second;
  }
  r.reached.notify_all();
}

int SyncPoints::Count(std::string_view name) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  auto it = r.counts.find(name);
  return it == r.counts.end() ? 0 : it->second;
}

bool SyncPoints::WaitFor(std::string_view name, int times, std::chrono::milliseconds timeout) {
  Registry& r = TheRegistry();
  std::unique_lock lock(r.mu);
  return r.reached.wait_for(lock, timeout, [&] {
    auto it = r.counts.find(name);
    return it != r.counts.end() && it->second >= times;
  });
}

}  // namespace hoso
