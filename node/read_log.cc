#include "node/read_log.h"

#include <algorithm>
#include <iterator>
#include <vector>

#include "core/base/sync_point.h"

namespace hoso::node {

namespace {

size_t CasesOfBody(const cbor::Value& body) {
  size_t n = 0;
  if (const cbor::Value* reads = body.Find("reads")) {
    for (const cbor::Value& r : reads->items()) {
      if (const cbor::Value* cases = r.Find("cases")) n += cases->size();
    }
  }
  return n;
}

}  // namespace

ReadLog::ReadLog(Store* store, const Clock* clock, Logger* log, ReadLogOptions options)
    : store_(store), clock_(clock), log_(log), options_(std::move(options)) {
  flusher_ = std::make_unique<BackgroundLoop>([this](BackgroundLoop& loop) {
    while (loop.Wait(options_.period)) {
      Status s = Flush();  // logs its own failures, and keeps the reads for the next one
      if (!s.ok()) HOSO_SYNC_POINT("ReadLog::FlushFailed");
    }
  });
}

ReadLog::~ReadLog() { Stop(); }

bool ReadLog::Record(AccessRead read) {
  std::erase_if(read.cases, [](const std::string& c) { return IsAccessCaseCode(c); });
  if (read.cases.empty()) return true;
  if (read.at_ms == 0) read.at_ms = clock_->NowMs();
  const size_t n = read.cases.size();
  std::lock_guard lock(mu_);
  if (stopped_ || queued_cases_ + n > options_.max_queued_cases) {
    counts_.dropped += n;
    return false;
  }
  queued_cases_ += n;
  queue_.push_back(std::move(read));
  return true;
}

Status ReadLog::PickCase(int64_t now_ms) {
  const Identity& id = *store_->options().identity;
  std::string first = AccessCaseCode(id.unit, id.epoch, now_ms, 1);
  if (first != day_) {
    day_ = std::move(first);
    part_ = 1;
    code_.clear();
  }
  for (;;) {
    if (code_.empty()) {
      std::string code = AccessCaseCode(id.unit, id.epoch, now_ms, part_);
      auto state = store_->GetCaseState(code);
      if (state.ok()) {
        code_events_ = state->events().size();
      } else if (state.status().code() == Code::kNotFound) {
        code_events_ = 0;
      } else {
        return state.status();
      }
      code_ = std::move(code);
    }
    if (code_events_ < kMaxCaseEvents) return Status::Ok();
    ++part_;  // the day's case is full: its next part
    code_.clear();
  }
}

void ReadLog::Requeue(std::deque<AccessRead> reads) {
  std::lock_guard lock(mu_);
  for (auto it = reads.rbegin(); it != reads.rend(); ++it) {
    const size_t n = it->cases.size();
    if (stopped_ || queued_cases_ + n > options_.max_queued_cases) {
      counts_.dropped += n;
      continue;
    }
    queued_cases_ += n;
    queue_.push_front(std::move(*it));
  }
}

Status ReadLog::Flush() {
  std::lock_guard flush(flush_mu_);
  std::deque<AccessRead> batch;
  uint64_t dropped = 0;
  {
    std::lock_guard lock(mu_);
    batch.swap(queue_);
    queued_cases_ = 0;
    dropped = counts_.dropped;
  }
  if (dropped > dropped_logged_ && log_) {
    log_->Log(LogLevel::kWarn, "read_log",
              std::to_string(dropped - dropped_logged_) +
                  " case read(s) not recorded: the read log's queue was full (" +
                  std::to_string(options_.max_queued_cases) +
                  " cases) or the node stopping; hoso_read_log_dropped_total counts them");
  }
  dropped_logged_ = dropped;
  if (batch.empty()) return Status::Ok();
  HOSO_SYNC_POINT("ReadLog::Flushing");
  if (!store_->options().identity) return Status::FailedPrecondition("no identity");
  const Identity& id = *store_->options().identity;
  const int64_t now = clock_->NowMs();
  if (store_->DirectorySnapshot()->IsRelay(id.unit, now)) {
    // A relay writes no channel (docs/routing.md): its reads (the IT team's) have nowhere to go.
    size_t cases = 0;
    for (const AccessRead& r : batch) cases += r.cases.size();
    {
      std::lock_guard lock(mu_);
      counts_.dropped += cases;
      dropped_logged_ = counts_.dropped;
    }
    if (log_) {
      log_->Log(LogLevel::kWarn, "read_log",
                std::to_string(cases) +
                    " case read(s) not recorded: this node is a relay, which has no channel");
    }
    return Status::Ok();
  }
  std::vector<cbor::Value> bodies =
      AccessReadBodies(std::vector<AccessRead>(batch.begin(), batch.end()));
  size_t done = 0;
  int full_retries = 0;
  Status s;
  while (done < bodies.size()) {
    s = PickCase(now);
    if (!s.ok()) break;
    const size_t n = std::min({bodies.size() - done, kMaxAppendWrites,
                               static_cast<size_t>(kMaxCaseEvents - code_events_)});
    std::vector<LocalWrite> writes;
    size_t cases = 0;
    for (size_t i = done; i < done + n; ++i) {
      writes.push_back(
          LocalWrite{id.unit, code_, std::string(kAccessReadType), bodies[i], options_.officer});
      cases += CasesOfBody(bodies[i]);
    }
    if (options_.before_append) options_.before_append();
    auto appended = store_->Append(std::move(writes));
    if (!appended.ok()) {
      s = appended.status();
      // Another writer filled the case first (an ancestor, a former epoch): count it again.
      if (s.code() == Code::kOutOfRange && ++full_retries <= 3) {
        code_.clear();
        continue;
      }
      break;
    }
    code_events_ += n;
    done += n;
    std::lock_guard lock(mu_);
    counts_.events += n;
    counts_.recorded += cases;
  }
  if (!s.ok()) {
    std::deque<AccessRead> rest;
    for (size_t i = done; i < bodies.size(); ++i) {
      auto reads = ParseAccessReadBody(bodies[i]);
      if (reads.ok()) std::move(reads->begin(), reads->end(), std::back_inserter(rest));
    }
    Requeue(std::move(rest));
    {
      std::lock_guard lock(mu_);
      ++counts_.failed_flushes;
    }
    code_.clear();  // read its count again next time
    if (!failing_ && log_) {
      log_->Log(LogLevel::kError, "read_log",
                "the read log could not be written (" + s.message() +
                    "); its reads stay queued and the next flushes retry");
    }
    failing_ = true;
    return s.Annotate("writing the read log");
  }
  if (failing_ && log_) log_->Log(LogLevel::kInfo, "read_log", "the read log is written again");
  failing_ = false;
  HOSO_SYNC_POINT("ReadLog::Flushed");
  return Status::Ok();
}

void ReadLog::Stop() {
  flusher_.reset();
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  Status s = Flush();
  uint64_t dropped = 0;
  {
    std::lock_guard lock(mu_);  // what a failed last flush kept is lost now
    counts_.dropped += queued_cases_;
    dropped = counts_.dropped;
    queue_.clear();
    queued_cases_ = 0;
  }
  std::lock_guard flush(flush_mu_);
  if (dropped > dropped_logged_ && log_) {
    log_->Log(LogLevel::kWarn, "read_log",
              std::to_string(dropped - dropped_logged_) + " case read(s) not recorded at stop" +
                  (s.ok() ? std::string() : ": " + s.message()));
  }
  dropped_logged_ = dropped;
}

ReadLog::Counts ReadLog::counts() const {
  std::lock_guard lock(mu_);
  Counts c = counts_;
  c.queued = queued_cases_;
  return c;
}

std::string ReadLog::Metrics() const {
  Counts c = counts();
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, uint64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(value) + "\n";
  };
  metric("hoso_read_log_queued", "gauge",
         "Case reads waiting in memory to be written to the read log.", c.queued);
  metric("hoso_read_log_recorded_total", "counter",
         "Case reads written to the read log (one per case shown).", c.recorded);
  metric("hoso_read_log_dropped_total", "counter",
         "Case reads not recorded: the read log's queue was full, or the node stopping.",
         c.dropped);
  metric("hoso_read_log_events_total", "counter", "access.read events written.", c.events);
  metric("hoso_read_log_failed_flushes_total", "counter",
         "Flushes of the read log that failed (their reads stay queued).", c.failed_flushes);
  return out;
}

}  // namespace hoso::node
