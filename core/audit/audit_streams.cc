// The auditor's stream pass (core/audit/audit_internal.h): one stream checked as it is read.
#include <algorithm>
#include <memory>
#include <optional>

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

// Holds the chain verifier (the event before) and what the last signed head needs to be
// judged; never the events nor the signed heads. The signed heads, in seq order, drive: the
// events are read up to each one's seq, so it is matched to the event held there at once.
class StreamAudit {
 public:
  StreamAudit(const Store& store, const Directory& dir, const StreamKey& stream, Tally* t,
              CaseCounts* counts)
      : store_(store), dir_(dir), stream_(stream), t_(t), counts_(counts), verifier_(stream) {}

  void Run();

 private:
  void Open();
  // Reads the events up to `seq` (all: UINT64_MAX).
  void ReadThrough(uint64_t seq);
  void Take(uint64_t seq, std::string_view bytes);
  // What the decoded event claims: its place, the write rule, its case.
  void CheckEvent(uint64_t seq, const Event& e);
  // Every held chunk of the documents the event names hashes to its name.
  void CheckDocuments(uint64_t seq, const Event& e);
  void Link(uint64_t seq, const Hash& prev, const Hash& id);
  void CheckSignature(const SignedHead& h);
  void ReportChainEnd();

  const Store& store_;
  const Directory& dir_;
  const StreamKey& stream_;
  Tally* t_;
  CaseCounts* counts_;
  ChainVerifier verifier_;
  std::unique_ptr<StreamReader> reader_;  // null once done or failed
  Result<std::string> key_ = std::string();
  uint64_t held_ = 0;  // the last seq read
  Hash last_id_{};
  // The chain's and the signatures' findings, kept until the signed heads were all read: as
  // before, a stream whose signatures cannot be read is reported for that alone.
  std::vector<AuditFinding> chain_;
  uint64_t signatures_ = 0;
  std::vector<std::pair<uint64_t, uint64_t>> gaps_;  // seqs [first, last] not held
  // The last signed head (non-empty signature) at a held event's seq, and the last verified.
  std::optional<std::pair<uint64_t, Hash>> signed_;
  uint64_t verified_seq_ = 0;
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
  if (counts_) CheckDocuments(seq, e);
}

void StreamAudit::CheckDocuments(uint64_t seq, const Event& e) {
  for (const std::string& field : store_.options().document_fields) {
    const cbor::Value* v = e.body.Find(field);
    if (!v || v->is_null()) continue;
    auto ref = ParseDocumentRef(*v);
    if (!ref.ok()) {
      t_->Find("document", stream_, seq, e.case_code, ref.status().message());
      continue;
    }
    ++t_->documents;
    for (size_t i = 0; i < ref->chunks.size(); ++i) {
      const Hash& name = ref->chunks[i];
      // The marker first: an upload writes the bytes and the marker at once, so a marker seen
      // before the bytes are read means they are there.
      const bool marked = store_.HasChunk(name);
      auto chunk = store_.GetChunk(name);
      // Not held yet (no marker), or a store of an earlier release opened without documents.
      const bool absent = chunk.status().code() == Code::kFailedPrecondition ||
                          (chunk.status().code() == Code::kNotFound && !marked);
      if (absent) {
        ++t_->chunks_missing;
        continue;
      }
      ++t_->chunks_checked;
      const std::string what = "file " + Hex(ref->sha256) + ", chunk " + std::to_string(i + 1) +
                               " of " + std::to_string(ref->chunks.size()) + " (" + Hex(name) + ")";
      if (chunk.status().code() == Code::kNotFound) {
        t_->Find("document", stream_, seq, e.case_code,
                 what + ": marked held, but its bytes are gone from the store");
      } else if (!chunk.ok()) {
        t_->Find("document", stream_, seq, e.case_code, what + ": " + chunk.status().message());
      } else if (Sha256(*chunk) != name) {
        t_->Find("document", stream_, seq, e.case_code,
                 what + ": the stored chunk does not hash to its name: it was altered on disk");
      }
    }
  }
}

// Checks the link to the event before: an event is named at its own seq when its hash is not
// what its successor commits to, so an altered, replaced or swapped event is found where it
// is; a gap is named once the last seq held is known.
void StreamAudit::Link(uint64_t seq, const Hash& prev, const Hash& id) {
  const uint64_t after = verifier_.seq();
  if (verifier_.Link(seq, prev, id).ok()) return;
  if (verifier_.broke() == ChainBreak::kGap) {
    gaps_.emplace_back(after + 1, seq - 1);
  } else if (seq == 1) {
    chain_.push_back(
        {"chain", stream_, 1, "", "the first event of a stream must have an empty prev"});
  } else {
    chain_.push_back({"chain", stream_, seq - 1, "",
                      "the event's hash is not what the next event's prev commits to: it was "
                      "altered or replaced"});
  }
}

void StreamAudit::Take(uint64_t seq, std::string_view bytes) {
  Hash id = Sha256(bytes);
  held_ = seq;
  last_id_ = id;
  ++t_->events;
  auto e = DecodeEvent(bytes);
  if (!e.ok()) {
    t_->Find("encoding", stream_, seq, "", e.status().message());
    Link(seq, Hash{}, id);  // its prev cannot be read: the link to it is checked as all zero
    return;
  }
  CheckEvent(seq, *e);
  Link(seq, e->prev, id);
}

void StreamAudit::Open() {
  auto reader = store_.ReadStream(stream_, 1);
  if (!reader.ok()) {
    t_->Find("missing", stream_, 0, "", reader.status().message());
    return;
  }
  reader_ = std::move(reader).value();
}

void StreamAudit::ReadThrough(uint64_t last) {
  for (; reader_ && reader_->Valid() && !t_->Stopped(); reader_->Next()) {
    uint64_t seq = reader_->seq();
    if (seq > last && seq <= kMaxSeq) return;  // the next event, for a later signed head
    if (seq == 0 || seq > kMaxSeq) {
      t_->Find("chain", stream_, seq, "", "an event is stored at an impossible seq");
      continue;
    }
    Take(seq, reader_->bytes());
  }
  if (reader_ && !reader_->status().ok()) {
    t_->Find("missing", stream_, 0, "", reader_->status().message());
  }
  if (reader_ && !t_->Stopped()) reader_.reset();
}

// A signed head names the event read last when it is held: the events were read up to its
// seq (seqs of well-formed records only grow; a malformed key reads as seq 0).
void StreamAudit::CheckSignature(const SignedHead& h) {
  if (h.seq) ReadThrough(h.seq);
  const bool names_held = h.seq && h.seq == held_ && h.id == last_id_;
  if (!h.signature.empty() && h.seq && h.seq == held_) signed_ = {h.seq, h.id};
  ++signatures_;
  auto find = [&](std::string message) {
    chain_.push_back({"signature", stream_, h.seq, "", std::move(message)});
  };
  if (h.signature.empty()) {
    find("malformed signature record");
  } else if (!names_held) {
    find("the signature names an event that is not held");
  } else if (!key_.ok()) {
    find(key_.status().message());
  } else if (Status v = h.Verify(*key_); !v.ok()) {
    find("does not verify with the origin's key");
  } else {
    verified_seq_ = h.seq;
  }
}

// The gaps, now that the last seq held is known, whether the signed head (else the head
// record) covers the last event, and whether a valid signature covers the head.
void StreamAudit::ReportChainEnd() {
  for (auto& f : chain_) t_->findings.push_back(std::move(f));
  t_->signatures += signatures_;
  for (const auto& [first, last] : gaps_) {
    for (uint64_t missing = first; missing <= last; ++missing) {
      t_->Find(
          "missing", stream_, missing, "",
          "event missing: the stream holds seq " + std::to_string(held_) + " but not this one");
    }
  }
  std::optional<Hash> expected;
  if (signed_ && signed_->first == held_) expected = signed_->second;
  auto head = store_.Head(stream_);
  if (!expected && head) expected = head->id;
  if (held_ && expected && !verifier_.CheckHead("signed head", held_, *expected).ok()) {
    t_->Find("chain", stream_, held_, "",
             "the event's hash is not what the signed head commits to: it was altered or "
             "replaced");
  }
  if (held_ && verified_seq_ != held_) {
    t_->Find("signature", stream_, held_, "", "no valid signature covers the head");
  }
}

void StreamAudit::Run() {
  Open();
  key_ = store_.OriginKey(stream_.origin, stream_.epoch);
  Status heads = store_.ForEachSignedHead(stream_, [&](const SignedHead& h) {
    CheckSignature(h);
    return !t_->Stopped();
  });
  ReadThrough(UINT64_MAX);
  auto head = store_.Head(stream_);
  if (!head || head->seq != held_ || (held_ && head->id != last_id_)) {
    t_->Find("head", stream_, held_, "",
             "the head record (seq " + std::to_string(head ? head->seq : 0) +
                 ") does not match the last event held (seq " + std::to_string(held_) + ")");
  }
  if (!heads.ok()) {
    t_->Find("signature", stream_, 0, "", heads.message());
    return;
  }
  ReportChainEnd();
}

}  // namespace

void AuditStream(const Store& store, const Directory& dir, const StreamKey& stream, Tally* t,
                 CaseCounts* counts) {
  StreamAudit(store, dir, stream, t, counts).Run();
}

}  // namespace hoso::audit_internal
