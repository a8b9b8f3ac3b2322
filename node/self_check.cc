#include "node/self_check.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>

#include "core/audit/audit.h"

namespace hoso::node {

std::string_view SelfCheckStateName(SelfCheckReport::State state) {
  switch (state) {
    case SelfCheckReport::State::kRunning:
      return "running";
    case SelfCheckReport::State::kPassed:
      return "passed";
    case SelfCheckReport::State::kDamaged:
      return "damaged";
  }
  return "unknown";
}

SelfCheck::SelfCheck(const Store* store, const Clock* clock,
                     std::function<void(const SelfCheckReport&)> done) {
  report_.started_ms = clock->NowMs();
  thread_ = std::thread([this, store, clock, done = std::move(done)] { Run(store, clock, done); });
}

SelfCheck::~SelfCheck() {
  stop_ = true;  // a node being stopped does not wait for the check to end
  if (thread_.joinable()) thread_.join();
}

SelfCheckReport SelfCheck::Current() const {
  std::lock_guard lock(mu_);
  return report_;
}

void SelfCheck::Run(const Store* store, const Clock* clock,
                    const std::function<void(const SelfCheckReport&)>& done) {
  // One thread at nice 10: the clerks' requests and commits come first.
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  const auto t0 = std::chrono::steady_clock::now();
  AuditOptions options;
  options.check_states = true;
  options.threads = 1;
  options.stop = &stop_;
  auto audit = AuditStore(*store, options);
  if (stop_) return;  // stopped: neither passed nor damaged, and sync is going away
  SelfCheckReport r = Current();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.finished_ms = clock->NowMs();
  if (!audit.ok()) {
    r.state = SelfCheckReport::State::kDamaged;
    r.findings = 1;
    r.first_findings.push_back("read: " + audit.status().ToString());
  } else {
    r.streams = audit->streams;
    r.events = audit->events;
    r.cases = audit->cases;
    r.findings = audit->findings.size();
    r.state = audit->ok() ? SelfCheckReport::State::kPassed : SelfCheckReport::State::kDamaged;
    for (const AuditFinding& f : audit->findings) {
      if (r.first_findings.size() == 10) break;
      std::string where = f.stream.channel.empty() ? "" : " " + f.stream.ToString();
      if (f.seq) where += " seq " + std::to_string(f.seq);
      if (!f.case_code.empty()) where += " case " + f.case_code;
      r.first_findings.push_back(f.kind + where + ": " + f.message);
    }
  }
  {
    std::lock_guard lock(mu_);
    report_ = r;
  }
  if (done) done(r);
}

}  // namespace hoso::node
