// CaseState: the CRDT fold of one case's events, and its compact stored form.
//
// The state is a pure function of the set of the case's events, whatever order they
// arrived in (docs/case-fold.md):
//   - events are in fold order: a linear extension of deps (an event folds after every held
//     event it saw, whatever the clocks said), taking the least in (hlc, origin, epoch, seq,
//     id) first among the events whose held deps are placed;
//   - every body key is a field register. Its live writes are the writes that no other
//     write of the same field has seen (through the deps graph, transitively). One live
//     write: that is the value. Several: a conflict, shown with every candidate; the value
//     meanwhile is the last in event order, unless the state's ConflictPolicy ranks the
//     field (the case log ranks "status" by the lifecycle: the candidate furthest along
//     wins), then the last in event order;
//   - a later event whose deps cover the candidates and that writes the field resolves it.
// Because seeing is monotone (more events only add ancestry), a write that was dominated
// stays dominated, so the state keeps only live writes and still folds incrementally.
//
// Stored form (all integers LEB128 varints, str = varint length || bytes):
//   state  = 0x01 str(case) str(channel) varint(n) n*ref varint(m) m*field
//   ref    = id(32) u64be(hlc) str(origin) varint(epoch) varint(seq) varint(k) k*dep
//   dep    = varint(j + 1)            ; the held event at ref index j
//          | 0x00 id(32)              ; an event not held (yet)
//   field  = str(name) varint(l) l*(varint(ref index) str(canonical CBOR value))
// refs sorted by event order, fields by name, live writes by ref index.
// Case fingerprint = SHA-256(stored form).
// The policy is not part of the state's bytes or equality: whoever reads a state sets the
// policy of the log it came from (Store does for every state it returns).
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/format/cbor.h"
#include "core/format/crypto.h"
#include "core/format/event.h"
#include "core/log/projection.h"

namespace hoso {

struct EventRef {
  Hash id{};
  uint64_t hlc = 0;
  std::string origin;
  uint64_t epoch = 0;
  uint64_t seq = 0;
  std::vector<Hash> deps;
  // Derived, not stored: the index in events() of each dep, -1 while it is not held.
  std::vector<int32_t> links;
};

struct LiveWrite {
  uint32_t ref = 0;   // index into events()
  std::string value;  // canonical CBOR
};

struct FieldState {
  std::string name;
  std::vector<LiveWrite> live;  // more than one: a conflict
};

class CaseState {
 public:
  CaseState() = default;
  CaseState(std::string case_code, std::string channel)
      : case_code_(std::move(case_code)), channel_(std::move(channel)) {}

  const std::string& case_code() const { return case_code_; }
  const std::string& channel() const { return channel_; }
  const std::vector<EventRef>& events() const { return events_; }
  const std::vector<FieldState>& fields() const { return fields_; }
  // How concurrent writes of a field are ranked (nullptr: the last in fold order wins).
  void set_policy(const ConflictPolicy* policy) { policy_ = policy; }
  const ConflictPolicy* policy() const { return policy_; }

  bool Contains(const Hash& id) const;
  // Event i's HLC is below that of a held event it depends on (a wrong clock somewhere).
  bool RecordedBeforeDeps(size_t i) const;
  // Folds one event in. Idempotent: returns false when the event was already there.
  bool Apply(const Event& e, const Hash& id);

  // The case's current frontier: events no other held event has seen (the deps of the next
  // local event), at most kMaxDeps of them, the latest in fold order.
  std::vector<Hash> Heads() const;

  const FieldState* Field(std::string_view name) const;
  // The winning live write of a field (nullptr when the field was never written).
  const LiveWrite* Winner(const FieldState& f) const;
  // The decoded winning value; null Value when absent.
  cbor::Value Get(std::string_view name) const;
  std::string TextOr(std::string_view name, std::string_view fallback) const;
  std::vector<const FieldState*> Conflicts() const;

  std::string Encode() const;
  void EncodeTo(std::string* out) const;  // appends
  // Puts the events in fold order when they are not (a state stored before fold order
  // followed deps): `as_stored` keeps the order of the bytes, for a caller that must first
  // read what was derived from them (index keys), then calls PutInFoldOrder.
  static Result<CaseState> Decode(std::string_view bytes, bool as_stored = false);
  void PutInFoldOrder() {
    if (!InFoldOrder()) Reorder();
  }
  Hash Fingerprint() const { return Sha256(Encode()); }

  bool operator==(const CaseState&) const;

 private:
  bool Before(const EventRef& a, const EventRef& b) const;
  // Places a new event in fold order, links it, and returns its index.
  uint32_t Insert(EventRef ref);
  // Puts events in fold order (after linking a missing middle, or reading an old state).
  void Reorder();
  bool InFoldOrder() const;

  std::string case_code_;
  std::string channel_;
  std::vector<EventRef> events_;
  std::vector<FieldState> fields_;
  const ConflictPolicy* policy_ = nullptr;
};

}  // namespace hoso
