// SyncSession's part in office health (sync/health.h, docs/sync-protocol.md "Health"): the
// feature announcement, the reports a child sends its parent, those a parent keeps.
#include <algorithm>

#include "sync/health.h"
#include "sync/session.h"

namespace hoso::sync {

Status SyncSession::Handle(Message in, std::vector<Message>* out) {
  Status s = HandleMessage(std::move(in), out);
  if (s.ok()) {
    MaybeSendHealth(out);
    PumpChunks(out);  // the lane may have opened, or room in its window
  }
  return s;
}

Status SyncSession::OnHealth(const HealthMsg& m, std::vector<Message>* out) {
  // Without a book this node never announced the feature: a peer sending it anyway is ignored.
  if (!options_.health) return Status::Ok();
  size_t kept = 0;
  Status s = options_.health->Accept(peer_unit_, m.reports, &kept);
  if (!s.ok()) return Fail(s, out);
  stats_.health_reports_received += kept;
  return Status::Ok();
}

void SyncSession::MaybeSendHealth(std::vector<Message>* out) {
  HealthBook* book = options_.health.get();
  if (!book || !peer_reads_health_ || failed_ || !hello_received_) return;
  const int64_t now = clock_->NowMs();
  const int64_t interval = book->options().interval.count();
  const bool own_due = !health_own_sent_ || now - health_own_sent_ms_ >= interval ||
                       now < health_own_sent_ms_;  // a clock set back
  const uint64_t generation = book->generation();
  if (!own_due && generation == health_generation_) return;
  if (!PeerIsParent()) {
    // Judged again at the next interval or report held (a fresh node learns the directory in
    // a session), not at every message of a child's session.
    health_own_sent_ = true;
    health_own_sent_ms_ = now;
    health_generation_ = generation;
    return;
  }
  std::vector<SignedReport> reports;
  std::vector<OriginMsg> origins;
  if (own_due) {
    // Our clock minus the parent's: the HELLO measured the parent's minus ours.
    auto own = book->MakeOwn(-stats_.clock_skew_ms);
    if (own.ok()) reports.push_back(std::move(own).value());
    health_own_sent_ = true;
    health_own_sent_ms_ = now;
  }
  if (generation != health_generation_) {
    for (const HeldHealth& h : book->HeldAfter(health_generation_)) {
      const HealthReport& r = h.report;
      auto& sent = health_sent_[r.unit];
      if (sent == std::make_pair(r.epoch, r.seq)) continue;
      // The parent verifies it with the office's key: give it the key (and the certificate
      // that vouches for it) unless it holds a stream of that origin or was sent it already.
      auto origin = std::make_pair(r.unit, r.epoch);
      bool peer_has_key = std::any_of(known_.begin(), known_.end(), [&](const auto& kv) {
        return kv.first.origin == r.unit && kv.first.epoch == r.epoch;
      });
      if (!peer_has_key && !origins_sent_.count(origin)) {
        auto key = store_->OriginKey(r.unit, r.epoch);
        if (!key.ok()) continue;
        origins.push_back(
            OriginMsg{r.unit, r.epoch, *key, store_->OriginCertificate(r.unit, r.epoch)});
        origins_sent_.insert(origin);
      }
      sent = {r.epoch, r.seq};
      reports.push_back(h.signed_report);
    }
    health_generation_ = generation;
  }
  for (auto& o : origins) out->push_back(std::move(o));
  stats_.health_reports_sent += reports.size();
  for (size_t i = 0; i < reports.size(); i += kMaxHealthReports) {
    HealthMsg m;
    size_t end = std::min(reports.size(), i + kMaxHealthReports);
    m.reports.assign(std::make_move_iterator(reports.begin() + static_cast<ptrdiff_t>(i)),
                     std::make_move_iterator(reports.begin() + static_cast<ptrdiff_t>(end)));
    out->push_back(std::move(m));
  }
}

}  // namespace hoso::sync
