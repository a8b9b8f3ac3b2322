// Router: the thread that routes cases between the units this node is the router of.
//
// core/domain/routing.h holds the rules; this runs RoutingPass off the API's and sync's
// threads whenever the store committed something since the last pass (a reception here, a
// batch from a peer), polling the commit counter, so a routed case moves on within a fraction
// of a second of its arrival: one sync round per hop. A failed pass is logged and retried.
// Thread-safety: owns one thread (BackgroundLoop); destroying the router stops and joins it.
#pragma once

#include <functional>
#include <memory>

#include "core/base/clock.h"
#include "core/domain/reference_data.h"
#include "core/log/store.h"
#include "node/background_loop.h"
#include "node/log.h"

namespace hoso::node {

class Router {
 public:
  using ReferenceFn = std::function<std::shared_ptr<const ReferenceData>()>;
  Router(Store* store, const Clock* clock, ReferenceFn reference, Logger* log);
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

 private:
  void Run(BackgroundLoop& loop);

  Store* const store_;
  const Clock* const clock_;
  const ReferenceFn reference_;
  Logger* const log_;
  BackgroundLoop loop_;  // last: stopped first
};

}  // namespace hoso::node
