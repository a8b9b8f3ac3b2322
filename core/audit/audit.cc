#include "core/audit/audit.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "core/audit/audit_internal.h"
#include "core/format/certificate.h"

namespace hoso {
namespace {

using audit_internal::OriginId;
using audit_internal::Tally;

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
      const auto& [channel, streams] = *work[i];
      // A channel at a time, its cases counted, never held: see core/audit/audit_internal.h.
      const bool states = options.check_states && !IsSystemChannel(channel);
      audit_internal::CaseCounts counts;
      for (const auto& stream : streams) {
        audit_internal::AuditStream(store, *dir, stream, &mine, states ? &counts : nullptr);
      }
      if (states) audit_internal::AuditCases(store, channel, streams, std::move(counts), &mine);
    }
    std::lock_guard lock(mu);
    total.events += mine.events;
    total.signatures += mine.signatures;
    total.cases += mine.cases;
    total.documents += mine.documents;
    total.chunks_checked += mine.chunks_checked;
    total.chunks_missing += mine.chunks_missing;
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
  report.documents = total.documents;
  report.chunks_checked = total.chunks_checked;
  report.chunks_missing = total.chunks_missing;
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
