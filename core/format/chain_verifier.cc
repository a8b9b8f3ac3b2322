#include "core/format/chain_verifier.h"

namespace hoso {

Status CheckPlace(const StreamKey& stream, uint64_t seq, const Event& e) {
  if (e.stream == stream && e.seq == seq) return Status::Ok();
  return Status::Corruption("the event at seq " + std::to_string(seq) + " claims " +
                            e.stream.ToString() + " seq " + std::to_string(e.seq));
}

void ChainVerifier::Advance(uint64_t seq, const Hash& id, ChainBreak broke) {
  seq_ = seq;
  id_ = id;
  anchored_ = true;
  broke_ = broke;
}

Status ChainVerifier::Add(uint64_t seq, const Event& e, const Hash& id) {
  if (Follows(seq)) {
    Status place = CheckPlace(stream_, seq, e);
    if (!place.ok()) {
      Advance(seq, id, ChainBreak::kPlace);
      return place;
    }
  }
  return Link(seq, e.prev, id);
}

Status ChainVerifier::Link(uint64_t seq, const Hash& prev, const Hash& id) {
  Status s;
  ChainBreak broke = ChainBreak::kNone;
  if (!Follows(seq)) {
    broke = ChainBreak::kGap;
    const std::string at = std::to_string(seq);
    std::string what = seq_ == 0 ? "the stream starts at seq " + at
                                 : "seq " + at + " follows seq " + std::to_string(seq_);
    if (seq > seq_ + 1) what += " (seq " + std::to_string(seq_ + 1) + " is missing)";
    s = Status::Corruption(what);
  } else if (anchored_ && prev != id_) {
    broke = ChainBreak::kPrev;
    s = Status::Corruption("chain broken at seq " + std::to_string(seq) +
                           (seq_ == 0 ? " (the first event of a stream must have an empty prev)"
                                      : " (prev does not name the event before it)"));
  }
  Advance(seq, id, broke);
  return s;
}

void ChainVerifier::Skip(uint64_t seq, const Hash& id) { Advance(seq, id, ChainBreak::kNone); }

Status ChainVerifier::CheckHead(std::string_view what, uint64_t seq, const Hash& id) const {
  if (seq == seq_ && id == id_) return Status::Ok();
  return Status::Corruption(std::string(what) + " (seq " + std::to_string(seq) +
                            ") does not cover the last event (seq " + std::to_string(seq_) + ")");
}

}  // namespace hoso
