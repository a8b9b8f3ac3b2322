#include "node/scope_watch.h"

#include <algorithm>
#include <chrono>

namespace hoso::node {

namespace {
// Directory events synced since the last wake may schedule an earlier change.
constexpr int64_t kMaxSleepMs = 1'000;
}  // namespace

ScopeWatch::ScopeWatch(Store* store, const Clock* clock, Logger* log)
    : store_(store), clock_(clock), log_(log), loop_([this](BackgroundLoop& l) { Run(l); }) {}

size_t ScopeWatch::PurgeNow() {
  auto purged = store_->PurgeOutOfScope();
  if (!purged.ok()) {
    log_->Log(
        LogLevel::kError, "scope",
        "purging what left this node's scope failed: " + std::string(purged.status().message()));
    return 0;
  }
  for (const Store::Purge& p : *purged) {
    log_->Log(LogLevel::kWarn, "scope",
              "channel " + p.channel + " left this node's scope (directory): purged " +
                  std::to_string(p.events) + " events and " + std::to_string(p.cases) +
                  " cases; the purge is recorded (GET /v1/scope)");
  }
  return purged->size();
}

void ScopeWatch::Run(BackgroundLoop& loop) {
  PurgeNow();  // once at start, even when stopped at once
  // The next change of the directory, re-read every wake: a re-draw synced since may have
  // scheduled one; cheap (one pass over the units' versions).
  std::optional<int64_t> due;
  do {
    int64_t now = clock_->NowMs();
    if (due && now >= *due) PurgeNow();
    due = store_->DirectorySnapshot()->NextChangeAfter(now);
  } while (loop.Wait(std::chrono::milliseconds(
      due ? std::clamp<int64_t>(*due - clock_->NowMs() + 1, 1, kMaxSleepMs) : kMaxSleepMs)));
}

}  // namespace hoso::node
