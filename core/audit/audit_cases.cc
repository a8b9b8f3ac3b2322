// The auditor's case pass (core/audit/audit_internal.h): a channel's cases one at a time.
#include <algorithm>
#include <set>
#include <unordered_set>

#include "core/audit/audit_internal.h"
#include "core/format/chain_verifier.h"
#include "core/log/case_state.h"

namespace hoso::audit_internal {
namespace {

constexpr size_t kIndexChunk = 1024;  // case codes taken from the index at a time
// Cases the slow path folds in one read of the channel's streams: about 4 KB each (a case of
// six events), so a damaged store's check stays within a few tens of MB.
constexpr size_t kSlice = 4096;

class CaseAudit {
 public:
  CaseAudit(const Store& store, const std::string& channel, const std::vector<StreamKey>& streams,
            CaseCounts counts, Tally* t)
      : store_(store),
        channel_(channel),
        streams_(streams),
        held_(streams.begin(), streams.end()),
        counts_(std::move(counts)),
        t_(t) {}

  void Run();

 private:
  void ReadIndex();
  void Check(const std::string& code);
  // True when the stored state is proven equal to a fresh fold of the case's `events` events
  // in the log; its fingerprint is then counted.
  bool Proven(const std::string& code, uint32_t events);
  bool Held(const EventRef& ref, const Event& e, const std::string& code) const;
  void SlowPath();
  void FoldSlice(const std::unordered_set<uint64_t>& keys,
                 std::unordered_map<std::string, CaseState>* states) const;
  // The fresh fold of a case against its stored state, as the auditor always judged it.
  void Judge(const std::string& code, const CaseState& fresh);

  const Store& store_;
  const std::string& channel_;
  const std::vector<StreamKey>& streams_;
  std::set<StreamKey> held_;
  CaseCounts counts_;
  Tally* t_;
  Hash fp_{};                       // XOR of the fresh folds' fingerprints so far
  std::vector<uint64_t> slow_;      // case keys the slow path folds
  std::set<std::string> unproven_;  // indexed cases not proven: "no events" unless folded
};

bool CaseAudit::Held(const EventRef& ref, const Event& e, const std::string& code) const {
  StreamKey stream{channel_, ref.origin, ref.epoch};
  return held_.count(stream) && ref.seq >= 1 && ref.seq <= kMaxSeq && e.case_code == code &&
         CheckPlace(stream, ref.seq, e).ok();
}

// Every event the stored state names is read where it names it; when each is a held event of
// this case (the stream pass counted it), with the id named, all distinct and as many as the
// stream pass counted, they are the case's events in the log, so their fold is the fresh fold.
bool CaseAudit::Proven(const std::string& code, uint32_t events) {
  auto view = store_.GetCase(code);
  if (!view.ok()) return false;
  const CaseState& stored = view->state;
  if (stored.channel() != channel_ || stored.events().size() != events) return false;
  CaseState fresh(code, channel_);
  for (size_t i = 0; i < view->history.size(); ++i) {
    const EventRef& ref = stored.events()[i];
    const Event& e = view->history[i].event;
    if (!Held(ref, e, code)) return false;
    // The decoder takes canonical bytes only, so they are the encoding of what it gave.
    Hash id = Sha256(EncodeEvent(e));
    if (id != ref.id || !fresh.Apply(e, id)) return false;
  }
  if (!(stored == fresh)) return false;
  ++t_->cases;
  XorInto(&fp_, fresh.Fingerprint());
  return true;
}

void CaseAudit::Check(const std::string& code) {
  auto it = counts_.find(CaseKey(code));
  if (it == counts_.end()) {  // no events counted: unless another case shares the key
    unproven_.insert(code);
    return;
  }
  const auto [key, events] = *it;
  counts_.erase(it);
  if (Proven(code, events)) return;
  slow_.push_back(key);
  unproven_.insert(code);
}

void CaseAudit::ReadIndex() {
  const std::string prefix = "o" + channel_ + '\0';  // docs/storage-format.md, the index family
  const std::string upper = PrefixUpperBound(prefix);
  std::string from = prefix;
  while (!t_->Stopped()) {
    std::vector<std::string> codes;
    Status s = store_.ScanIndex(from, upper, [&](std::string_view key, std::string_view) {
      codes.emplace_back(key.substr(prefix.size()));
      return codes.size() < kIndexChunk;
    });
    if (!s.ok()) {
      t_->Find("state", {channel_, "", 0}, 0, "",
               s.Annotate("listing the cases of channel " + channel_).message());
      return;
    }
    for (const auto& code : codes) {
      if (t_->Stopped()) return;
      Check(code);
    }
    if (codes.size() < kIndexChunk) return;
    from = prefix + codes.back() + '\0';  // the least key after the last one
  }
}

void CaseAudit::FoldSlice(const std::unordered_set<uint64_t>& keys,
                          std::unordered_map<std::string, CaseState>* states) const {
  for (const auto& stream : streams_) {
    auto reader = store_.ReadStream(stream, 1);
    if (!reader.ok()) continue;  // the stream pass named it
    for (; (*reader)->Valid() && !t_->Stopped(); (*reader)->Next()) {
      uint64_t seq = (*reader)->seq();
      if (seq == 0 || seq > kMaxSeq) continue;
      // What the stream pass counted: events that decode and sit at their place.
      auto e = DecodeEvent((*reader)->bytes());
      if (!e.ok() || !CheckPlace(stream, seq, *e).ok()) continue;
      if (!keys.count(CaseKey(e->case_code))) continue;
      auto [it, fresh] = states->try_emplace(e->case_code, e->case_code, channel_);
      it->second.Apply(*e, Sha256((*reader)->bytes()));
    }
  }
}

void CaseAudit::Judge(const std::string& code, const CaseState& fresh) {
  ++t_->cases;
  XorInto(&fp_, fresh.Fingerprint());
  unproven_.erase(code);
  auto stored = store_.GetCaseState(code);
  if (!stored.ok()) {
    t_->Find("state", {}, 0, code, "no stored state for a case with events");
  } else if (!(*stored == fresh)) {
    t_->Find("state", {}, 0, code, "the stored state differs from a fresh fold of its events");
  }
}

// The cases not proven, and those with events the index does not list: folded from the
// streams, a slice of keys at a time, and judged exactly as a fold of every case would.
void CaseAudit::SlowPath() {
  std::sort(slow_.begin(), slow_.end());
  slow_.erase(std::unique(slow_.begin(), slow_.end()), slow_.end());
  for (size_t from = 0; from < slow_.size() && !t_->Stopped(); from += kSlice) {
    auto end = slow_.begin() + static_cast<ptrdiff_t>(std::min(from + kSlice, slow_.size()));
    std::unordered_set<uint64_t> keys(slow_.begin() + static_cast<ptrdiff_t>(from), end);
    std::unordered_map<std::string, CaseState> states;
    FoldSlice(keys, &states);
    for (const auto& [code, fresh] : states) Judge(code, fresh);
  }
}

void CaseAudit::Run() {
  ReadIndex();
  for (const auto& [key, events] : counts_) slow_.push_back(key);
  CaseCounts().swap(counts_);  // given back before the slow path folds anything
  SlowPath();
  if (t_->Stopped()) return;
  for (const auto& code : unproven_) {
    t_->Find("state", {}, 0, code, "a stored case of channel " + channel_ + " has no events");
  }
  if (fp_ != store_.ChannelFingerprint(channel_)) {
    t_->Find("state", {channel_, "", 0}, 0, "",
             "the channel fingerprint differs from a fresh fold of its cases");
  }
}

}  // namespace

void AuditCases(const Store& store, const std::string& channel,
                const std::vector<StreamKey>& streams, CaseCounts counts, Tally* t) {
  CaseAudit(store, channel, streams, std::move(counts), t).Run();
}

}  // namespace hoso::audit_internal
