#include "core/audit/audit.h"

#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/format/certificate.h"
#include "core/format/chain_verifier.h"
#include "core/log/case_state.h"
#include "core/log/directory.h"

namespace hoso {
namespace {

using OriginId = std::pair<std::string, uint64_t>;

struct Tally {
  uint64_t events = 0, signatures = 0, cases = 0;
  std::vector<AuditFinding> findings;
  std::map<OriginId, int64_t> origin_last_ms;  // the latest event time of each origin
  const std::atomic<bool>* stop = nullptr;

  bool Stopped() const { return stop && stop->load(std::memory_order_relaxed); }

  void Find(std::string kind, const StreamKey& stream, uint64_t seq, std::string case_code,
            std::string message) {
    findings.push_back({std::move(kind), stream, seq, std::move(case_code), std::move(message)});
  }
};

// One stream's events as held: their ids and the prev each claims, by seq (index 0 unused).
struct Chain {
  std::vector<Hash> id, prev;
  std::vector<bool> held;
};

class ChannelAudit {
 public:
  ChannelAudit(const Store& store, const Directory& dir, const std::string& channel, Tally* t)
      : store_(store), dir_(dir), channel_(channel), t_(t) {}

  void Stream(const StreamKey& stream);
  void States();

 private:
  void ReadEvents(const StreamKey& stream, Chain* chain);
  void CheckEvent(const StreamKey& stream, uint64_t seq, std::string_view bytes, const Hash& id,
                  Chain* chain);
  void CheckChain(const StreamKey& stream, const Chain& chain, uint64_t held,
                  const std::vector<SignedHead>& heads);

  const Store& store_;
  const Directory& dir_;
  const std::string& channel_;
  Tally* t_;
  std::unordered_map<std::string, CaseState> states_;
};

void ChannelAudit::CheckEvent(const StreamKey& stream, uint64_t seq, std::string_view bytes,
                              const Hash& id, Chain* chain) {
  auto e = DecodeEvent(bytes);
  if (!e.ok()) {
    t_->Find("encoding", stream, seq, "", e.status().message());
    return;
  }
  chain->prev[seq] = e->prev;
  if (Status place = CheckPlace(stream, seq, *e); !place.ok()) {
    t_->Find("chain", stream, seq, e->case_code,
             place.message() + ": events were moved or swapped");
    return;
  }
  int64_t t_ms = static_cast<int64_t>(e->hlc >> 16);
  int64_t& last = t_->origin_last_ms[{stream.origin, stream.epoch}];
  last = std::max(last, t_ms);
  Status w = dir_.CheckWrite(stream.origin, stream.channel, t_ms);
  if (!w.ok()) t_->Find("write_rule", stream, seq, e->case_code, w.message());
  if (IsSystemChannel(stream.channel)) return;
  auto [it, fresh] = states_.try_emplace(e->case_code, e->case_code, stream.channel);
  it->second.Apply(*e, id);
}

void ChannelAudit::ReadEvents(const StreamKey& stream, Chain* chain) {
  auto reader = store_.ReadStream(stream, 1);
  if (!reader.ok()) {
    t_->Find("missing", stream, 0, "", reader.status().message());
    return;
  }
  for (; (*reader)->Valid() && !t_->Stopped(); (*reader)->Next()) {
    uint64_t seq = (*reader)->seq();
    if (seq == 0 || seq > (1u << 31)) {
      t_->Find("chain", stream, seq, "", "an event is stored at an impossible seq");
      continue;
    }
    if (chain->id.size() <= seq) {
      chain->id.resize(seq + 1);
      chain->prev.resize(seq + 1);
      chain->held.resize(seq + 1);
    }
    std::string_view bytes = (*reader)->bytes();
    Hash id = Sha256(bytes);
    chain->id[seq] = id;
    chain->held[seq] = true;
    ++t_->events;
    CheckEvent(stream, seq, bytes, id, chain);
  }
  if (!(*reader)->status().ok()) {
    t_->Find("missing", stream, 0, "", (*reader)->status().message());
  }
}

// Checks every link of the chain and the head: an event is named at its own seq when its hash
// is not what its successor (or the signed head) commits to, so an altered, replaced or
// swapped event is found where it is; a seq not held is named missing.
void ChannelAudit::CheckChain(const StreamKey& stream, const Chain& chain, uint64_t held,
                              const std::vector<SignedHead>& heads) {
  ChainVerifier verifier(stream);
  for (uint64_t seq = 1; seq <= held; ++seq) {
    if (!chain.held[seq]) continue;
    const uint64_t after = verifier.seq();
    if (verifier.Link(seq, chain.prev[seq], chain.id[seq]).ok()) continue;
    if (verifier.broke() == ChainBreak::kGap) {
      for (uint64_t missing = after + 1; missing < seq; ++missing) {
        t_->Find(
            "missing", stream, missing, "",
            "event missing: the stream holds seq " + std::to_string(held) + " but not this one");
      }
    } else if (seq == 1) {
      t_->Find("chain", stream, 1, "", "the first event of a stream must have an empty prev");
    } else {
      t_->Find("chain", stream, seq - 1, "",
               "the event's hash is not what the next event's prev commits to: it was altered "
               "or replaced");
    }
  }
  std::optional<Hash> expected;
  for (const auto& h : heads) {
    if (h.seq == held && !h.signature.empty()) expected = h.id;
  }
  auto head = store_.Head(stream);
  if (!expected && head) expected = head->id;
  if (held && expected && !verifier.CheckHead("signed head", held, *expected).ok()) {
    t_->Find("chain", stream, held, "",
             "the event's hash is not what the signed head commits to: it was altered or "
             "replaced");
  }
}

void ChannelAudit::Stream(const StreamKey& stream) {
  Chain chain;
  ReadEvents(stream, &chain);
  uint64_t held = chain.id.empty() ? 0 : chain.id.size() - 1;
  auto head = store_.Head(stream);
  if (!head || head->seq != held || (held && head->id != chain.id[held])) {
    t_->Find("head", stream, held, "",
             "the head record (seq " + std::to_string(head ? head->seq : 0) +
                 ") does not match the last event held (seq " + std::to_string(held) + ")");
  }
  auto heads = store_.SignedHeads(stream);
  if (!heads.ok()) {
    t_->Find("signature", stream, 0, "", heads.status().message());
    return;
  }
  CheckChain(stream, chain, held, *heads);
  auto key = store_.OriginKey(stream.origin, stream.epoch);
  bool head_signed = false;
  for (const auto& h : *heads) {
    ++t_->signatures;
    if (h.signature.empty()) {
      t_->Find("signature", stream, h.seq, "", "malformed signature record");
    } else if (h.seq == 0 || h.seq > held || !chain.held[h.seq] || chain.id[h.seq] != h.id) {
      t_->Find("signature", stream, h.seq, "", "the signature names an event that is not held");
    } else if (!key.ok()) {
      t_->Find("signature", stream, h.seq, "", key.status().message());
    } else if (Status v = h.Verify(*key); !v.ok()) {
      t_->Find("signature", stream, h.seq, "", "does not verify with the origin's key");
    } else if (h.seq == held) {
      head_signed = true;
    }
  }
  if (held && !head_signed) {
    t_->Find("signature", stream, held, "", "no valid signature covers the head");
  }
}

void ChannelAudit::States() {
  if (IsSystemChannel(channel_)) return;
  Hash channel_fp{};
  for (const auto& [code, fresh] : states_) {
    if (t_->Stopped()) return;
    ++t_->cases;
    XorInto(&channel_fp, fresh.Fingerprint());
    auto stored = store_.GetCaseState(code);
    if (!stored.ok()) {
      t_->Find("state", {}, 0, code, "no stored state for a case with events");
    } else if (!(*stored == fresh)) {
      t_->Find("state", {}, 0, code, "the stored state differs from a fresh fold of its events");
    }
  }
  auto held = store_.CasesOfChannel(channel_, SIZE_MAX);
  if (!held.ok()) t_->Find("state", {channel_, "", 0}, 0, "", held.status().message());
  for (const auto& code : held.ok() ? *held : std::vector<std::string>()) {
    if (!states_.count(code)) {
      t_->Find("state", {}, 0, code, "a stored case of channel " + channel_ + " has no events");
    }
  }
  if (channel_fp != store_.ChannelFingerprint(channel_)) {
    t_->Find("state", {channel_, "", 0}, 0, "",
             "the channel fingerprint differs from a fresh fold of its cases");
  }
}

void CheckOrigins(const Store& store, const AuditOptions& options,
                  const std::map<OriginId, int64_t>& origins, AuditReport* report) {
  for (const auto& [origin, last_ms] : origins) {
    const auto& [unit, epoch] = origin;
    StreamKey who{"", unit, epoch};
    std::string name = unit + "#" + std::to_string(epoch);
    std::string cert = store.OriginCertificate(unit, epoch);
    if (cert.empty()) {
      report->findings.push_back(
          {"certificate", who, 0, "", "no certificate is stored for origin " + name});
      continue;
    }
    auto info = VerifyNodeCertificate(cert, options.ca_pem, options.crl_pem, last_ms / 1000);
    const bool revoked = store.RevocationsSnapshot()->Find(unit, epoch) != nullptr;
    if (!info.ok() && !options.crl_pem.empty()) {
      auto unrevoked = VerifyNodeCertificate(cert, options.ca_pem, "", last_ms / 1000);
      if (unrevoked.ok()) {
        info = std::move(unrevoked);
        if (!revoked)
          report->notes.push_back("origin " + name + ": signed by a key the CRL has revoked since");
      }
    }
    std::string problem;
    if (!info.ok()) {
      problem = info.status().message();
    } else if (info->unit != unit || info->epoch != epoch) {
      problem = "the certificate is for " + info->unit + "#" + std::to_string(info->epoch);
    } else if (auto key = store.OriginKey(unit, epoch); !key.ok() || *key != info->public_key) {
      problem = "the key the store verifies with is not the certificate's";
    }
    if (!problem.empty()) {
      report->findings.push_back({"certificate", who, 0, "", "origin " + name + ": " + problem});
    }
  }
}

// Origins the root revoked by "$revocations" whose history this store holds: valid history,
// with the time the store learned of the revocation as evidence.
void NoteRevocations(const Store& store, const std::map<OriginId, int64_t>& origins,
                     AuditReport* report) {
  auto revocations = store.RevocationsSnapshot();
  for (const auto& [origin, last_ms] : origins) {
    const Revocation* revoked = revocations->Find(origin.first, origin.second);
    if (!revoked) continue;
    report->notes.push_back(
        "origin " + RevocationKey(origin.first, origin.second) +
        ": signed by a since-revoked key (revoked from " + std::to_string(revoked->revoked_at_ms) +
        " ms" + (revoked->reason.empty() ? "" : ", " + revoked->reason) + "); " +
        (revoked->learned_ms ? "this node learned of it at " + std::to_string(revoked->learned_ms) +
                                   " ms and holds only what it held before"
                             : "no record of when this store learned of it"));
  }
}

}  // namespace

Result<AuditReport> AuditStore(const Store& store, const AuditOptions& options) {
  VersionVector all = store.Vector([](const std::string&) { return true; });
  std::map<std::string, std::vector<StreamKey>> channels;
  for (const auto& [stream, head] : all) channels[stream.channel].push_back(stream);
  std::vector<const std::pair<const std::string, std::vector<StreamKey>>*> work;
  for (const auto& c : channels) work.push_back(&c);
  auto dir = store.DirectorySnapshot();

  std::atomic<size_t> next{0};
  std::mutex mu;
  Tally total;
  auto run = [&] {
    Tally mine;
    mine.stop = options.stop;
    for (size_t i; !mine.Stopped() && (i = next.fetch_add(1)) < work.size();) {
      ChannelAudit audit(store, *dir, work[i]->first, &mine);
      for (const auto& stream : work[i]->second) audit.Stream(stream);
      if (options.check_states) audit.States();
    }
    std::lock_guard lock(mu);
    total.events += mine.events;
    total.signatures += mine.signatures;
    total.cases += mine.cases;
    for (auto& f : mine.findings) total.findings.push_back(std::move(f));
    for (const auto& [o, t] : mine.origin_last_ms) {
      total.origin_last_ms[o] = std::max(total.origin_last_ms[o], t);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 1; i < std::max(1, options.threads); ++i) threads.emplace_back(run);
  run();
  for (auto& t : threads) t.join();
  if (options.stop && *options.stop) {
    return Status::FailedPrecondition("the audit was stopped before it ended");
  }

  AuditReport report;
  report.streams = all.size();
  report.channels = channels.size();
  report.events = total.events;
  report.signatures = total.signatures;
  report.cases = total.cases;
  report.origins = total.origin_last_ms.size();
  report.findings = std::move(total.findings);
  if (!options.ca_pem.empty()) CheckOrigins(store, options, total.origin_last_ms, &report);
  NoteRevocations(store, total.origin_last_ms, &report);
  for (const auto& f : store.Forks()) {
    report.findings.push_back(
        {"fork", f.stream, f.seq, "",
         "two signed events at this seq (incoming " + Hex(f.incoming) + "): the stream is frozen"});
  }
  std::sort(report.findings.begin(), report.findings.end(), [](const auto& a, const auto& b) {
    return std::tie(a.stream, a.seq, a.kind, a.case_code) <
           std::tie(b.stream, b.seq, b.kind, b.case_code);
  });
  return report;
}

}  // namespace hoso
