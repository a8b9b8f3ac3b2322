// The auditor's parts (core/audit/audit.h), shared by its files: the tally of one thread, the
// stream pass (audit_streams.cc) and the case pass (audit_cases.cc).
//
// Memory is bounded by design, so a node with 100k cases checks itself in a few MB: a stream
// is checked as it is read (the chain needs only the event before; each signed head, read one
// at a time, is matched to the event at its seq as it goes by), and a channel's cases are
// never all held. The stream pass counts each case's events (a count per case, by a 64-bit
// hash of its code); the case pass then takes the cases one at a time, refolds each from the
// events its stored state names, and proves it equal to a fresh fold of the case's events in
// the log when every named event is a held event of that case and their number is the count
// (a subset of the same size is the set). What that cannot prove, it hands to an exact slow
// path that folds those cases, a slice at a time, from the streams as before.
// Thread-safety: a Tally and a CaseCounts belong to one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/audit/audit.h"
#include "core/log/directory.h"
#include "core/log/store.h"

namespace hoso::audit_internal {

using OriginId = std::pair<std::string, uint64_t>;

struct Tally {
  uint64_t events = 0, signatures = 0, cases = 0;
  uint64_t documents = 0, chunks_checked = 0, chunks_missing = 0;
  std::vector<AuditFinding> findings;
  std::map<OriginId, int64_t> origin_last_ms;  // the latest event time of each origin
  const std::atomic<bool>* stop = nullptr;

  bool Stopped() const { return stop && stop->load(std::memory_order_relaxed); }

  void Find(std::string kind, const StreamKey& stream, uint64_t seq, std::string case_code,
            std::string message) {
    findings.push_back({std::move(kind), stream, seq, std::move(case_code), std::move(message)});
  }
};

// The highest seq an event may be held at; one above it is "an impossible seq".
constexpr uint64_t kMaxSeq = uint64_t{1} << 31;

// A case's key in the counts: the first 8 bytes of SHA-256 of its code. Two codes may share
// one; the case pass then proves neither and the slow path tells them apart.
uint64_t CaseKey(std::string_view case_code);

// Events per case key of one channel, as the stream pass found them (decoded, at their
// place): about 40 bytes a case.
using CaseCounts = std::unordered_map<uint64_t, uint32_t>;

// Checks one stream as it reads it: encoding, place, chain, head record, every signed head,
// the write rule of `dir`; counts each case's events into `counts` (nullptr: not counted, as
// for a system channel).
void AuditStream(const Store& store, const Directory& dir, const StreamKey& stream, Tally* t,
                 CaseCounts* counts);

// Checks every case of `channel` against the log, from the counts the stream pass made of
// `streams` (the channel's held streams), and the channel's fingerprint. Consumes `counts`.
void AuditCases(const Store& store, const std::string& channel,
                const std::vector<StreamKey>& streams, CaseCounts counts, Tally* t);

}  // namespace hoso::audit_internal
