// SelfCheck: the node verifying its own store when it starts, before it syncs.
//
// A store altered behind the node's back (an event byte, a deleted event, a forged case
// state) must not be served as healthy nor relayed. On start the daemon holds sync and runs
// the auditor over the store (core/audit/audit.h: every stream's chain and head signatures against
// the origins' keys, every case state against a fresh fold of its events), on one thread at
// a low CPU priority, while the API serves reads. A clean store releases sync; a damaged one
// keeps it held, logs an error with the findings, and is shown in /v1/node, /metrics and the
// web app's banner until the operator restores the node (docs/operations.md). Certificates
// are not checked here: a since-revoked origin's history stays valid (docs/security.md).
// Thread-safety: Current may be called from any thread; the callback runs on the check's own
// thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/log/store.h"

namespace hoso::node {

struct SelfCheckReport {
  enum class State { kRunning, kPassed, kDamaged };
  State state = State::kRunning;
  uint64_t streams = 0, events = 0, cases = 0;
  uint64_t findings = 0;
  std::vector<std::string> first_findings;  // at most 10, "kind stream seq: message"
  double seconds = 0;
  int64_t started_ms = 0, finished_ms = 0;
};
std::string_view SelfCheckStateName(SelfCheckReport::State state);

class SelfCheck {
 public:
  // Starts checking `store`; `done` is called once with the final report.
  SelfCheck(const Store* store, const Clock* clock,
            std::function<void(const SelfCheckReport&)> done);
  ~SelfCheck();  // stops the check and waits for it (within one event's work)
  SelfCheck(const SelfCheck&) = delete;
  SelfCheck& operator=(const SelfCheck&) = delete;

  SelfCheckReport Current() const;

 private:
  void Run(const Store* store, const Clock* clock,
           const std::function<void(const SelfCheckReport&)>& done);

  mutable std::mutex mu_;
  SelfCheckReport report_;  // guarded by mu_
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace hoso::node
