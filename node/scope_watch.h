// ScopeWatch: a node's scope follows the directory's clock, not only its events.
//
// A re-draw is written ahead of the time it takes effect (hoso directory redraw --at), so a
// channel can leave this node's scope at an instant when nothing arrives by sync. The watch
// wakes at the directory's next change (and at least every second, for changes synced since)
// and purges what left the scope, logging each purge; it purges once when started, even if
// stopped at once.
// Thread-safety: owns one thread (BackgroundLoop); destroying the watch stops and joins it.
#pragma once

#include <memory>

#include "core/base/clock.h"
#include "core/log/store.h"
#include "node/background_loop.h"
#include "node/log.h"

namespace hoso::node {

class ScopeWatch {
 public:
  ScopeWatch(Store* store, const Clock* clock, Logger* log);
  ScopeWatch(const ScopeWatch&) = delete;
  ScopeWatch& operator=(const ScopeWatch&) = delete;

  // Purges what has left the scope now; returns how many channels went.
  size_t PurgeNow();

 private:
  void Run(BackgroundLoop& loop);

  Store* const store_;
  const Clock* const clock_;
  Logger* const log_;
  BackgroundLoop loop_;  // last: stopped first
};

}  // namespace hoso::node
