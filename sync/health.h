// Office health: every node's signed report of its own state, sent to its parent inside the
// sync protocol and relayed up, so the province sees every office of its scope
// (docs/sync-protocol.md, "Health").
//
//   HEALTH    = [10, [+ report_signed]]             ; 1 .. kMaxHealthReports entries
//   report_signed = [report: bstr, signature: bstr .size 64]
//   report    = ["hoso/health/v1", unit: tstr, epoch: uint, seq: uint, made_at_ms: int,
//                version: tstr, protocol: uint, store_format: tstr, clock_skew_ms: int,
//                last_sync_ms: int, events_waiting: uint, self_check: tstr,
//                disk_free_bytes: uint]                 ; canonical CBOR
//   signature = Ed25519 by the reporting node's key over "hoso/health/v1" 0x00 || report
//
// A report is made by the office it names and signed with its node key (the key of its
// stream heads), so a relay can drop a report but not alter one. DecodeHealthReport refuses
// any field out of its bounds (below). A HealthBook keeps, per reporting unit, its latest
// report (higher epoch, then higher seq), with when it arrived here and from which peer; it
// persists them in the store's meta (`health/` unit) from a thread of its own, so a
// restarted node shows them, and keeps a cached snapshot of this node's own state (from the
// node's LocalHealth source, also read on that thread: never on an io thread).
// Thread-safety: values and pure functions; a HealthBook may be used from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/base/clock.h"
#include "core/base/status.h"
#include "core/format/crypto.h"
#include "core/log/store.h"
#include "sync/messages.h"

namespace hoso::sync {

// Bounds of what a peer may send (docs/sync-protocol.md, "Health").
// kMaxHealthReports and kMaxHealthReportBytes: sync/messages.h.
constexpr size_t kMaxHealthTextBytes = 64;               // version, store_format, self_check
constexpr int64_t kHealthMinTimeMs = 1'262'304'000'000;  // 2010-01-01
constexpr int64_t kHealthMaxTimeMs = 4'102'444'800'000;  // 2100-01-01
constexpr int64_t kHealthMaxSkewMs = int64_t{20} * 365 * 86'400'000;  // 20 years either way
constexpr uint64_t kHealthMaxCount = uint64_t{1} << 53;  // events waiting: a JSON-safe number

struct HealthReport {
  std::string unit;
  uint64_t epoch = 0;
  uint64_t seq = 0;        // the reporter's counter: the later report has the higher one
  int64_t made_at_ms = 0;  // by the reporter's wall clock (which may be wrong: see skew)
  std::string version;     // the reporter's software
  uint64_t protocol = 0;   // its sync protocol version
  std::string store_format;
  int64_t clock_skew_ms = 0;    // its wall clock minus its parent's, measured at HELLO
  int64_t last_sync_ms = 0;     // its last settled session with its parent (0: never)
  uint64_t events_waiting = 0;  // its events its parent lacks, as far as it knows
  std::string self_check;       // "running", "passed", "damaged" or "unknown"
  uint64_t disk_free_bytes = 0;
};

// What a node says of itself beyond what the session measures (skew).
struct LocalHealth {
  std::string version;
  std::string store_format;
  int64_t last_sync_ms = 0;
  uint64_t events_waiting = 0;
  std::string self_check = "unknown";
  uint64_t disk_free_bytes = 0;
};

std::string EncodeHealthReport(const HealthReport& r);
// Refuses, naming the field, a body over kMaxHealthReportBytes, not canonical, of another
// shape, or with a field out of its bounds (times outside 2010..2100, skew beyond 20 years,
// texts over 64 bytes or not printable ASCII, an unknown self_check state).
Result<HealthReport> DecodeHealthReport(std::string_view body);
Result<std::string> SignHealthReport(std::string_view body, const SigningKey& key);
Status VerifyHealthReport(std::string_view body, std::string_view signature,
                          std::string_view public_key);

// A report as a node holds it: verified, with when it arrived and from which peer.
struct HeldHealth {
  HealthReport report;
  SignedReport signed_report;
  std::string relayed_by;  // the peer that delivered it (the reporter itself for a child)
  int64_t received_ms = 0;
  uint64_t generation = 0;  // the book's counter when it was stored (sessions send newer ones)
};

struct HealthOptions {
  // How often a node reports to its parent, and refreshes its own LocalHealth.
  std::chrono::milliseconds interval{60000};
};

class HealthBook {
 public:
  // Loads the reports kept in `store` (records that no longer decode are skipped). `store`
  // and `clock` must outlive the book.
  HealthBook(Store* store, const Clock* clock, HealthOptions options = {});
  ~HealthBook();  // writes what is pending, then joins its thread
  HealthBook(const HealthBook&) = delete;
  HealthBook& operator=(const HealthBook&) = delete;

  // The node's own state, called on the book's thread now and every interval. Returns once
  // no call of the previous source runs: SetLocalSource({}) before what it uses goes.
  void SetLocalSource(std::function<LocalHealth()> source);
  const HealthOptions& options() const { return options_; }

  // This node's report now, with the skew a session measured to its parent, signed with the
  // store's identity key (FailedPrecondition without one).
  [[nodiscard]] Result<SignedReport> MakeOwn(int64_t clock_skew_ms);
  // Verifies every report of a HEALTH from `peer` (a child of this node) before keeping any:
  // each must decode within its bounds, name a unit of the peer's subtree in this node's
  // scope (not this node), and verify with that origin's key as this store holds it. A
  // report of an origin whose key is not held yet, or not newer than the one held, is
  // skipped. Any other problem refuses the whole message (nothing kept) naming it.
  [[nodiscard]] Status Accept(std::string_view peer_unit, const std::vector<SignedReport>& reports,
                              size_t* kept = nullptr);
  // The latest report of every unit still in this node's scope, by unit.
  std::vector<HeldHealth> Held() const;
  // Those stored after `generation` (for a session to relay what it has not sent).
  std::vector<HeldHealth> HeldAfter(uint64_t generation) const;
  uint64_t generation() const;
  LocalHealth Local() const;

 private:
  void Run();
  bool InScope(std::string_view unit) const;

  Store* store_;
  const Clock* clock_;
  HealthOptions options_;
  std::string me_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::map<std::string, HeldHealth, std::less<>> held_;  // guarded by mu_
  std::set<std::string> dirty_;                          // units to persist; guarded by mu_
  bool seq_dirty_ = false;                               // guarded by mu_
  uint64_t seq_ = 0;                                     // guarded by mu_
  uint64_t generation_ = 0;                              // guarded by mu_
  LocalHealth local_;                                    // guarded by mu_
  std::mutex source_mu_;                                 // held while the source runs
  std::function<LocalHealth()> source_;                  // guarded by mu_ and source_mu_
  bool refresh_ = false, stop_ = false;                  // guarded by mu_
  std::thread thread_;
};

}  // namespace hoso::sync
