// Audit: checks a store as an auditor would, trusting nothing in it but the CA's certificate,
// and reports every finding rather than the first.
//
// For every stream: each event decodes as canonical CBOR and names this stream and seq; seqs
// run 1..head without gaps; every prev is the SHA-256 of the event before; the head record
// matches the last event; every stored signature names the event held at its seq and verifies
// with the origin's key; a signature covers the head. For every origin: its certificate is
// stored, chains to the CA, names that unit and epoch, was valid when the stream was written,
// and carries the key the store verifies with; an origin revoked since (by the CRL or the
// "$revocations" channel) is a note with its evidence, not a finding: what was held before
// the revocation was learned stays valid history. Every event obeys the
// directory's write rule at its time. Forks kept as evidence are reported. Every case's
// stored state (and every channel fingerprint) equals a fresh fold of its events. Every
// chunk of a document a case event names that the store holds hashes to its name (a chunk
// altered on disk is found with its case); chunks not held yet are counted, not found.
// Memory: a channel at a time per thread; of it, a count per case (about 40 bytes) and one
// case at a time, never every case state, event id or signed head
// (core/audit/audit_internal.h): a commune node's self-check of 100k cases fits its budget.
// Thread-safety: reads the store from `threads` threads; the store may be in use.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/format/event.h"
#include "core/log/store.h"

namespace hoso {

struct AuditFinding {
  // "encoding", "chain", "missing", "head", "signature", "certificate", "write_rule", "fork",
  // "state", "document"
  std::string kind;
  StreamKey stream;  // empty channel: not about one stream
  uint64_t seq = 0;  // 0: not about one event
  std::string case_code;
  std::string message;
};

struct AuditOptions {
  std::string ca_pem;   // the deployment's CA; empty: certificates are not checked
  std::string crl_pem;  // may be empty
  bool check_states = true;
  int threads = 2;
  // When set and it becomes true, the audit ends within an event's work and answers
  // FailedPrecondition ("stopped"): a node being stopped does not wait for its self-check.
  const std::atomic<bool>* stop = nullptr;
};

struct AuditReport {
  uint64_t streams = 0, events = 0, signatures = 0, origins = 0, cases = 0, channels = 0;
  // Document references the case events make, the chunks of them held here and checked, and
  // those not held (yet to arrive, or left to be fetched on demand).
  uint64_t documents = 0, chunks_checked = 0, chunks_missing = 0;
  std::vector<AuditFinding> findings;
  // Facts that are not faults: origins whose key was revoked since they signed what is held
  // (history stays valid), with the evidence the store keeps.
  std::vector<std::string> notes;
  bool ok() const { return findings.empty(); }
};

Result<AuditReport> AuditStore(const Store& store, const AuditOptions& options);

}  // namespace hoso
