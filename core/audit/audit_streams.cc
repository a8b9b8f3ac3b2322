// The auditor's stream pass (core/audit/audit_internal.h): one stream checked as it is read.
#include <algorithm>
#include <numeric>

#include "core/audit/audit_internal.h"
#include "core/format/chain_verifier.h"

namespace hoso::audit_internal {

uint64_t CaseKey(std::string_view case_code) {
  Hash h = Sha256(case_code);
  uint64_t key = 0;
  for (int i = 0; i < 8; ++i) key = (key << 8) | h[i];
  return key;
}

namespace {

// Holds the chain verifier (the event before), the stream's signed heads with, for each, whether
// the event at its seq is the one it names, and the gaps found; never the events themselves.
class StreamAudit {
 public:
  StreamAudit(const Store& store, const Directory& dir, const StreamKey& stream, Tally* t,
              CaseCounts* counts)
      : store_(store), dir_(dir), stream_(stream), t_(t), counts_(counts), verifier_(stream) {}

  void Run();

 private:
  void Read();
  void Take(uint64_t seq, std::string_view bytes);
  // What the decoded event claims: its place, the write rule, its case.
  void CheckEvent(uint64_t seq, const Event& e);
  void Link(uint64_t seq, const Hash& prev, const Hash& id);
  void MatchHeads(uint64_t seq, const Hash& id);
  void ReportChainEnd();
  void CheckSignatures();

  const Store& store_;
  const Directory& dir_;
  const StreamKey& stream_;
  Tally* t_;
  CaseCounts* counts_;
  ChainVerifier verifier_;
  Result<std::vector<SignedHead>> heads_ = std::vector<SignedHead>();
  std::vector<size_t> by_seq_;       // indexes into heads_ of those with a seq, by seq
  size_t next_head_ = 0;             // in by_seq_
  std::vector<uint8_t> names_held_;  // per signed head: the event at its seq is the one named
  uint64_t held_ = 0;                // the last seq held
  Hash last_id_{};
  std::vector<std::pair<uint64_t, uint64_t>> gaps_;  // seqs [first, last] not held
};

void StreamAudit::CheckEvent(uint64_t seq, const Event& e) {
  if (Status place = CheckPlace(stream_, seq, e); !place.ok()) {
    t_->Find("chain", stream_, seq, e.case_code,
             place.message() + ": events were moved or swapped");
    return;
  }
  int64_t t_ms = static_cast<int64_t>(e.hlc >> 16);
  int64_t& last = t_->origin_last_ms[{stream_.origin, stream_.epoch}];
  last = std::max(last, t_ms);
  Status w = dir_.CheckWrite(stream_.origin, stream_.channel, t_ms);
  if (!w.ok()) t_->Find("write_rule", stream_, seq, e.case_code, w.message());
  if (counts_) ++(*counts_)[CaseKey(e.case_code)];
}

// Checks the link to the event before: an event is named at its own seq when its hash is not
// what its successor commits to, so an altered, replaced or swapped event is found where it
// is; a gap is named once the last seq held is known.
void StreamAudit::Link(uint64_t seq, const Hash& prev, const Hash& id) {
  const uint64_t after = verifier_.seq();
  if (verifier_.Link(seq, prev, id).ok() || !heads_.ok()) return;
  if (verifier_.broke() == ChainBreak::kGap) {
    gaps_.emplace_back(after + 1, seq - 1);
  } else if (seq == 1) {
    t_->Find("chain", stream_, 1, "", "the first event of a stream must have an empty prev");
  } else {
    t_->Find("chain", stream_, seq - 1, "",
             "the event's hash is not what the next event's prev commits to: it was altered or "
             "replaced");
  }
}

void StreamAudit::MatchHeads(uint64_t seq, const Hash& id) {
  if (!heads_.ok()) return;
  for (; next_head_ < by_seq_.size(); ++next_head_) {
    const SignedHead& h = (*heads_)[by_seq_[next_head_]];
    if (h.seq > seq) break;
    if (h.seq == seq) names_held_[by_seq_[next_head_]] = h.id == id;
  }
}

void StreamAudit::Take(uint64_t seq, std::string_view bytes) {
  Hash id = Sha256(bytes);
  held_ = seq;
  last_id_ = id;
  ++t_->events;
  MatchHeads(seq, id);
  auto e = DecodeEvent(bytes);
  if (!e.ok()) {
    t_->Find("encoding", stream_, seq, "", e.status().message());
    Link(seq, Hash{}, id);  // its prev cannot be read: the link to it is checked as all zero
    return;
  }
  CheckEvent(seq, *e);
  Link(seq, e->prev, id);
}

void StreamAudit::Read() {
  auto reader = store_.ReadStream(stream_, 1);
  if (!reader.ok()) {
    t_->Find("missing", stream_, 0, "", reader.status().message());
    return;
  }
  for (; (*reader)->Valid() && !t_->Stopped(); (*reader)->Next()) {
    uint64_t seq = (*reader)->seq();
    if (seq == 0 || seq > kMaxSeq) {
      t_->Find("chain", stream_, seq, "", "an event is stored at an impossible seq");
      continue;
    }
    Take(seq, (*reader)->bytes());
  }
  if (!(*reader)->status().ok()) {
    t_->Find("missing", stream_, 0, "", (*reader)->status().message());
  }
}

// The gaps, now that the last seq held is known, and whether the signed head (else the head
// record) covers the last event.
void StreamAudit::ReportChainEnd() {
  for (const auto& [first, last] : gaps_) {
    for (uint64_t missing = first; missing <= last; ++missing) {
      t_->Find(
          "missing", stream_, missing, "",
          "event missing: the stream holds seq " + std::to_string(held_) + " but not this one");
    }
  }
  std::optional<Hash> expected;
  for (const auto& h : *heads_) {
    if (h.seq == held_ && !h.signature.empty()) expected = h.id;
  }
  auto head = store_.Head(stream_);
  if (!expected && head) expected = head->id;
  if (held_ && expected && !verifier_.CheckHead("signed head", held_, *expected).ok()) {
    t_->Find("chain", stream_, held_, "",
             "the event's hash is not what the signed head commits to: it was altered or "
             "replaced");
  }
}

void StreamAudit::CheckSignatures() {
  auto key = store_.OriginKey(stream_.origin, stream_.epoch);
  bool head_signed = false;
  for (size_t i = 0; i < heads_->size(); ++i) {
    const SignedHead& h = (*heads_)[i];
    ++t_->signatures;
    if (h.signature.empty()) {
      t_->Find("signature", stream_, h.seq, "", "malformed signature record");
    } else if (h.seq == 0 || h.seq > held_ || !names_held_[i]) {
      t_->Find("signature", stream_, h.seq, "", "the signature names an event that is not held");
    } else if (!key.ok()) {
      t_->Find("signature", stream_, h.seq, "", key.status().message());
    } else if (Status v = h.Verify(*key); !v.ok()) {
      t_->Find("signature", stream_, h.seq, "", "does not verify with the origin's key");
    } else if (h.seq == held_) {
      head_signed = true;
    }
  }
  if (held_ && !head_signed) {
    t_->Find("signature", stream_, held_, "", "no valid signature covers the head");
  }
}

void StreamAudit::Run() {
  // The signed heads first, so each is matched to its event as the stream goes by; they are
  // few (one per commit that moved the stream) beside the events.
  heads_ = store_.SignedHeads(stream_);
  if (heads_.ok()) {
    names_held_.assign(heads_->size(), 0);
    for (size_t i = 0; i < heads_->size(); ++i) {
      if ((*heads_)[i].seq) by_seq_.push_back(i);
    }
    std::stable_sort(by_seq_.begin(), by_seq_.end(),
                     [&](size_t a, size_t b) { return (*heads_)[a].seq < (*heads_)[b].seq; });
  }
  Read();
  auto head = store_.Head(stream_);
  if (!head || head->seq != held_ || (held_ && head->id != last_id_)) {
    t_->Find("head", stream_, held_, "",
             "the head record (seq " + std::to_string(head ? head->seq : 0) +
                 ") does not match the last event held (seq " + std::to_string(held_) + ")");
  }
  if (!heads_.ok()) {
    t_->Find("signature", stream_, 0, "", heads_.status().message());
    return;
  }
  ReportChainEnd();
  CheckSignatures();
}

}  // namespace

void AuditStream(const Store& store, const Directory& dir, const StreamKey& stream, Tally* t,
                 CaseCounts* counts) {
  StreamAudit(store, dir, stream, t, counts).Run();
}

}  // namespace hoso::audit_internal
