// ReadLog: the node's record of who read a case's personal data (issue 20; the events and
// their cases in core/domain/access_log.h, the design in docs/privacy.md "The read log").
//
// A handler that shows personal data calls Record, which only appends to a bounded queue in
// memory: a read never waits for the disk or for a commit. A background thread flushes the
// queue every `period` (and Stop once more) as "access.read" events in this node's unit
// channel, in the day's read log case, with one Store::Append per flush (one WAL sync for
// every read of the period). When a day's case holds kMaxCaseEvents, the flush goes on in the
// next part ("-2", "-3", ...). The events sync up the tree like any case of the unit.
//
// Nothing is dropped silently: a read that finds the queue full is counted
// (hoso_read_log_dropped_total in /metrics) and the flusher logs, at warning, how many were
// lost since it last said so; a flush that fails keeps its reads queued for the next one
// (those that no longer fit are counted as dropped) and logs the error.
// Thread-safety: Record, Flush and the counts from any thread; Stop from one (the owner).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/base/clock.h"
#include "core/base/status.h"
#include "core/domain/access_log.h"
#include "core/log/store.h"
#include "node/background_loop.h"
#include "node/log.h"

namespace hoso::node {

struct ReadLogOptions {
  // Case codes held in the queue at most (a read of a list counts each case it shows).
  size_t max_queued_cases = 50'000;
  std::chrono::milliseconds period{2000};
  // The officer the events name: the node writes them, each read names its reader.
  std::string officer = "system";
  // Tests only: runs on the flushing thread before each Append (to hold a flush).
  std::function<void()> before_append;
};

class ReadLog {
 public:
  // `store` has an identity (the unit whose channel holds the reads); `log` may be null.
  ReadLog(Store* store, const Clock* clock, Logger* log, ReadLogOptions options = {});
  ~ReadLog();  // Stop()
  ReadLog(const ReadLog&) = delete;
  ReadLog& operator=(const ReadLog&) = delete;

  // Queues a read (its time, when 0, is now) and returns at once; false when it was dropped
  // (the queue full, or the log stopped): counted, and logged by the flusher. A read of an
  // access case itself, or of no case, is not recorded (true).
  bool Record(AccessRead read);
  // Writes what is queued now; the flusher calls it every period. Flushes run one at a time.
  [[nodiscard]] Status Flush();
  // Stops the flusher and flushes once more; later reads are dropped (counted).
  void Stop();

  struct Counts {
    uint64_t queued = 0;    // case codes waiting
    uint64_t recorded = 0;  // case codes written to the log
    uint64_t dropped = 0;   // case codes of reads lost (queue full, or stopped)
    uint64_t events = 0;    // access.read events written
    uint64_t failed_flushes = 0;
  };
  Counts counts() const;
  // The counts as Prometheus lines for /metrics (hoso_read_log_*).
  std::string Metrics() const;

 private:
  // The code to write the next event in, moving to the next part when the day's is full.
  [[nodiscard]] Status PickCase(int64_t now_ms);
  void Requeue(std::deque<AccessRead> reads);

  Store* store_;
  const Clock* clock_;
  Logger* log_;
  ReadLogOptions options_;
  mutable std::mutex mu_;                    // the queue and the counts
  std::deque<AccessRead> queue_;             // guarded by mu_
  size_t queued_cases_ = 0;                  // guarded by mu_
  bool stopped_ = false;                     // guarded by mu_
  Counts counts_;                            // guarded by mu_ (but queued)
  uint64_t dropped_logged_ = 0;              // guarded by flush_mu_
  std::mutex flush_mu_;                      // one flush at a time; the case being written
  std::string day_;                          // guarded by flush_mu_: the day's first case
  unsigned part_ = 1;                        // guarded by flush_mu_: the part written now
  std::string code_;                         // guarded by flush_mu_: its code ("" until read)
  uint64_t code_events_ = 0;                 // guarded by flush_mu_: the events it holds
  bool failing_ = false;                     // guarded by flush_mu_: the last flush failed (logged)
  std::unique_ptr<BackgroundLoop> flusher_;  // last: starts once the rest is built
};

}  // namespace hoso::node
