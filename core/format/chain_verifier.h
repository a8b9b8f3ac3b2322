// ChainVerifier: checks that the events of one stream, taken in seq order, form its hash
// chain (docs/event-format.md): each event sits at the seq it claims, the seqs follow one
// another, each prev is the id of the event before it (empty for seq 1), and the head that
// authenticates the prefix names the last event. Written once here for the four places that
// walk a chain: a received batch (Store::Prepare), a stored stream (Store::VerifyStream), the
// audit, and a bundle (sync::VerifyBundle).
//
// A failed check is a Corruption naming the seq and what broke. The verifier then goes on from
// the event it was given, so a caller that reports every break (the audit) keeps calling it;
// broke() tells what the last call found. Signatures are not its business: whoever holds the
// origin's key verifies the SignedHead.
// Thread-safety: a value used by one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/format/crypto.h"
#include "core/format/event.h"

namespace hoso {

enum class ChainBreak {
  kNone,
  kPlace,  // the event claims another stream or seq than the one it is held or sent at
  kGap,    // the seq is not the one after the last event
  kPrev,   // prev does not name the event before it (or is not empty at seq 1)
};

// Corruption unless `e` claims `stream` and `seq`, the place it is held or sent at.
[[nodiscard]] Status CheckPlace(const StreamKey& stream, uint64_t seq, const Event& e);

class ChainVerifier {
 public:
  // From the start of the stream: the first event must be seq 1, with an empty prev.
  explicit ChainVerifier(StreamKey stream) : ChainVerifier(std::move(stream), 0, Hash{}) {}
  // Continuing a chain known up to the event at `seq` whose id is `id` (a held head).
  ChainVerifier(StreamKey stream, uint64_t seq, const Hash& id)
      : stream_(std::move(stream)), seq_(seq), id_(id), anchored_(true) {}
  // Where what came before is not known (a batch checked before the store is asked, a bundle
  // exported after a version vector): the first event's seq and prev are taken as they are.
  static ChainVerifier Unanchored(StreamKey stream) {
    ChainVerifier v(std::move(stream));
    v.anchored_ = false;
    return v;
  }

  // The event at `seq`, decoded from bytes whose SHA-256 is `id`: the seq follows the last
  // event, the event claims its place (CheckPlace), and its prev names the event before it.
  // Returns the first that fails.
  [[nodiscard]] Status Add(uint64_t seq, const Event& e, const Hash& id);
  // The link alone, for an event known only by its seq, the prev it claims and its id.
  [[nodiscard]] Status Link(uint64_t seq, const Hash& prev, const Hash& id);
  // An event whose prev cannot be read (it does not decode): the chain goes on from it, its
  // own link unchecked.
  void Skip(uint64_t seq, const Hash& id);
  // Corruption unless the head at (seq, id), called `what` in the message ("signed head",
  // "head record"), names the last event.
  [[nodiscard]] Status CheckHead(std::string_view what, uint64_t seq, const Hash& id) const;

  // What the last Add or Link found.
  ChainBreak broke() const { return broke_; }
  // The last event: its seq (0 before any) and id.
  uint64_t seq() const { return seq_; }
  const Hash& id() const { return id_; }

 private:
  bool Follows(uint64_t seq) const { return !anchored_ || seq == seq_ + 1; }
  void Advance(uint64_t seq, const Hash& id, ChainBreak broke);

  StreamKey stream_;
  uint64_t seq_ = 0;
  Hash id_{};
  bool anchored_ = true;
  ChainBreak broke_ = ChainBreak::kNone;
};

}  // namespace hoso
