#include "node/router.h"

#include <chrono>

#include "core/domain/routing.h"

namespace hoso::node {

namespace {
constexpr auto kPoll = std::chrono::milliseconds(100);
constexpr auto kRetry = std::chrono::milliseconds(5000);
constexpr int kMaxPassesPerWake = 8;  // a step may follow a step (processing, then result)
}  // namespace

Router::Router(Store* store, const Clock* clock, ReferenceFn reference, Logger* log)
    : store_(store),
      clock_(clock),
      reference_(std::move(reference)),
      log_(log),
      loop_([this](BackgroundLoop& l) { Run(l); }) {}

void Router::Run(BackgroundLoop& loop) {
  uint64_t seen = 0;
  bool first = true;
  while (loop.Wait(kPoll)) {
    if (!first && store_->CommitCounter() == seen) continue;
    first = false;
    for (int pass = 0; pass < kMaxPassesPerWake; ++pass) {
      seen = store_->CommitCounter();
      auto written = RoutingPass(*store_, *reference_(), clock_->NowMs());
      if (!written.ok()) {
        log_->Log(
            LogLevel::kError, "routing",
            "routing pass failed (retried in 5 s): " + std::string(written.status().message()));
        if (!loop.Wait(kRetry)) return;
        first = true;
        break;
      }
      if (*written == 0) break;
      log_->Log(LogLevel::kInfo, "routing", std::to_string(*written) + " routing event(s) written");
    }
  }
}

}  // namespace hoso::node
