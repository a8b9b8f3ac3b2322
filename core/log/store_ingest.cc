// Store remote ingest: a signed batch checked, staged on the commit in flight, forks recorded.
// Part of the store's implementation (core/log/store.h); shared internals in
// core/log/store_internal.h.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "core/format/chain_verifier.h"
#include "core/log/erasure.h"
#include "core/log/store.h"
#include "core/log/store_internal.h"

namespace hoso {

using namespace store_internal;

Result<Hash> Store::StoredId(const StreamKey& stream, uint64_t seq) const {
  std::string value;
  HOSO_RETURN_IF_ERROR(FromRocks(db_->Get({}, cf_[kEvents], EventKey(stream, seq), &value),
                                 "event " + stream.ToString() + " seq " + std::to_string(seq)));
  return Sha256(value);
}

Status Store::RecordFork(const Batch& batch, size_t index, const Hash& stored,
                         const Hash& incoming) {
  const std::string& bytes = batch.events[index];
  auto e = DecodeEvent(bytes);
  uint64_t seq = e.ok() ? e->seq : 0;
  std::string key = EventKey(batch.stream, seq);
  key.append(AsView(incoming));
  // Evidence: the incoming event and the signed head that covers it.
  std::string evidence;
  PutString(&evidence, bytes);
  PutString(&evidence, batch.head.Message());
  PutString(&evidence, batch.head.signature);
  rocksdb::WriteBatch wb;
  wb.Put(cf_[kForks], key, evidence);
  wb.Put(cf_[kMeta], kMetaFrozenPrefix + batch.stream.Encode(), Hex(stored));
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  HOSO_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &wb), "recording fork evidence"));
  std::unique_lock lock(cache_mu_);
  heads_[batch.stream].frozen = true;
  return Status::Fork("fork in stream " + batch.stream.ToString() + " at seq " +
                      std::to_string(seq) + ": held " + Hex(stored).substr(0, 16) + ", received " +
                      Hex(incoming).substr(0, 16) + "; evidence stored and the stream is frozen");
}

Status Store::Prepare(const Batch& batch, Prepared* out) const {
  const StreamKey& stream = batch.stream;
  const std::string where = "batch for " + stream.ToString();
  if (options_.read_only) return Status::FailedPrecondition("store opened read-only");
  if (batch.events.empty()) return Status::InvalidArgument(where + ": no events");
  if (batch.events.size() > kMaxBatchEvents) {
    return Status::OutOfRange(where + ": more than " + std::to_string(kMaxBatchEvents) + " events");
  }
  if (!(batch.head.stream == stream)) {
    return Status::InvalidArgument(where + ": signed head is for another stream");
  }
  HOSO_ASSIGN_OR_RETURN(out->origin_key, OriginKey(stream.origin, stream.epoch));
  out->batch = &batch;
  auto& events = out->events;
  auto& ids = out->ids;
  events.reserve(batch.events.size());
  ids.reserve(batch.events.size());
  // What the store holds before the first event is checked when the batch is staged: a
  // different history there is a fork (StageRemote), not a broken batch.
  ChainVerifier chain = ChainVerifier::Unanchored(stream);
  for (size_t i = 0; i < batch.events.size(); ++i) {
    auto e = DecodeEvent(batch.events[i]);
    if (!e.ok()) return e.status().Annotate(where + ", event " + std::to_string(i));
    // A request naming another stream's event is malformed, not corrupt.
    if (!(e->stream == stream)) {
      return Status::InvalidArgument(where + ": event " + std::to_string(i) +
                                     " belongs to stream " + e->stream.ToString());
    }
    ids.push_back(Sha256(batch.events[i]));
    HOSO_RETURN_IF_ERROR(chain.Link(e->seq, e->prev, ids.back()).Annotate(where));
    events.push_back(std::move(e).value());
  }
  HOSO_RETURN_IF_ERROR(
      chain.CheckHead("signed head", batch.head.seq, batch.head.id).Annotate(where));
  return batch.head.Verify(out->origin_key).Annotate(where);
}

Status Store::StageRemote(Prepared& prep, IngestStats* stats, std::shared_ptr<InFlight>* handoff) {
  const Batch& batch = *prep.batch;
  const StreamKey& stream = batch.stream;
  const std::string where = "batch for " + stream.ToString();
  const auto& events = prep.events;
  const auto& ids = prep.ids;
  // The commit before ours may still be being written. We fold on top of its staged states,
  // unless it changes what our checks read (our stream's head and chain, or the directory):
  // then we wait for it first.
  std::shared_ptr<InFlight> prev;
  {
    std::lock_guard lock(flight_mu_);
    prev = inflight_;
  }
  if (prev &&
      (!prev->pending->directory_events.empty() || !prev->pending->revocation_events.empty() ||
       !prev->pending->erasure_events.empty() || stream.channel == kErasureChannel ||
       prev->pending->heads.count(stream))) {
    HOSO_RETURN_IF_ERROR(AwaitPredecessor(prev));
  }
  auto settle = [&](Status s) -> Status {
    // Nothing we say may rest on a commit that then fails.
    if (!prev) return s;
    Status before = AwaitPredecessor(prev);
    return before.ok() ? s : before;
  };
  StreamHead cur;
  {
    std::shared_lock lock(cache_mu_);
    auto it = heads_.find(stream);
    if (it != heads_.end()) cur = it->second;
  }
  if (cur.frozen) return settle(Status::Frozen(where + ": stream is frozen after a fork"));
  const uint64_t first = events.front().seq, last = events.back().seq;
  if (first > cur.seq + 1) {
    return Status::FailedPrecondition(where + ": starts at seq " + std::to_string(first) +
                                      " but only seq 1.." + std::to_string(cur.seq) + " is held");
  }
  if (first > 1) {
    Hash before{};
    if (first - 1 == cur.seq) {
      before = cur.id;
    } else {
      HOSO_ASSIGN_OR_RETURN(before, StoredId(stream, first - 1));
    }
    // A signed batch continuing a different history than ours is a fork.
    if (events.front().prev != before) return RecordFork(batch, 0, before, events.front().prev);
  }

  // Events already held: identical ones are duplicates of a resent batch, different ones a fork.
  size_t skip = 0;
  if (first <= cur.seq) {
    uint64_t overlap_last = std::min(last, cur.seq);
    size_t idx = overlap_last - first;
    Hash held{};
    if (overlap_last == cur.seq) {
      held = cur.id;
    } else {
      HOSO_ASSIGN_OR_RETURN(held, StoredId(stream, overlap_last));
    }
    if (held != ids[idx]) return RecordFork(batch, idx, held, ids[idx]);
    skip = idx + 1;
  }
  stats->duplicates += skip;
  if (skip == events.size()) return settle(Status::Ok());

  // Write rule, scope and directory event shape.
  const int64_t now = options_.clock->NowMs();
  {
    std::shared_lock lock(cache_mu_);
    for (size_t i = skip; i < events.size(); ++i) {
      const Event& e = events[i];
      Status rule = directory_->CheckWrite(e.stream.origin, e.stream.channel, HlcMillis(e.hlc));
      if (!rule.ok()) return rule.Annotate(where + ", seq " + std::to_string(e.seq));
      if (e.stream.channel == kDirectoryChannel) {
        HOSO_RETURN_IF_ERROR(Directory::ValidateEvent(e));
      }
      if (e.stream.channel == kErasureChannel) HOSO_RETURN_IF_ERROR(ValidateErasureEvent(e));
      Status shape = options_.check_event ? options_.check_event(e) : Status::Ok();
      if (shape.ok()) shape = CheckDocumentFields(options_.document_fields, e);
      if (!shape.ok()) return shape.Annotate(where + ", seq " + std::to_string(e.seq));
    }
    if (const Revocation* r = revocations_->Find(stream.origin, stream.epoch)) {
      return Status::PermissionDenied(where + ": origin " + RevocationKey(r->unit, r->epoch) +
                                      " was revoked by the root (" +
                                      (r->reason.empty() ? "no reason given" : r->reason) +
                                      "): its events this node did not hold are refused");
    }
    if (options_.enforce_scope && options_.identity &&
        !directory_->InScope(options_.identity->unit, stream.channel, now)) {
      return Status::PermissionDenied(where + ": channel " + stream.channel +
                                      " is outside the scope of unit " + options_.identity->unit);
    }
  }
  auto staged = std::make_unique<Pending>();
  Pending& p = *staged;
  const Pending* overlay = prev ? prev->pending.get() : nullptr;
  Status folded = FoldRemote(p, prep, skip, overlay, prev && !prev->Done()).Annotate(where);
  if (!folded.ok()) return settle(folded);
  Status erased = StageErasures(p);
  if (!erased.ok()) return settle(erased);
  SealCases(p, overlay);
  int64_t latest_ahead_ms = 0;
  for (size_t i = skip; i < events.size(); ++i) {
    if (!hlc_.Observe(events[i].hlc)) {
      ++stats->clock_ahead;
      latest_ahead_ms = std::max(latest_ahead_ms, HlcMillis(events[i].hlc));
    }
    p.wb.Put(cf_[kEvents], EventKey(stream, events[i].seq), batch.events[i]);
  }
  if (stats->clock_ahead) {
    stats->max_ahead_ms = latest_ahead_ms - now;
    NoteClockAhead(p, stream, latest_ahead_ms, now, stats->clock_ahead);
  } else {
    // The origin writes with a sane clock again: its record goes.
    std::lock_guard lock(ahead_mu_);
    if (!origins_ahead_.empty()) {
      std::string origin = RevocationKey(stream.origin, stream.epoch);
      if (origins_ahead_.erase(origin)) p.wb.Delete(cf_[kMeta], kMetaAheadPrefix + origin);
    }
  }
  std::string sig(AsView(batch.head.id));
  sig += batch.head.signature;
  p.wb.Put(cf_[kSignatures], EventKey(stream, last), sig);
  p.heads[stream] = StreamHead{last, ids.back(), false};
  p.applied = events.size() - skip;
  HOSO_RETURN_IF_ERROR(settle(Status::Ok()));
  *handoff = std::make_shared<InFlight>();
  (*handoff)->pending = std::move(staged);
  (*handoff)->predecessor = std::move(prev);
  std::lock_guard lock(flight_mu_);
  inflight_ = *handoff;
  return Status::Ok();
}

Status Store::AwaitPredecessor(const std::shared_ptr<InFlight>& prev) {
  Status s = prev->Wait();
  if (s.ok()) return s;
  return Status(s.code(), "aborted: the commit before this one failed: " + s.message());
}

void Store::NoteClockAhead(Pending& p, const StreamKey& stream, int64_t latest_event_ms,
                           int64_t now_ms, uint64_t events) {
  const std::string origin = RevocationKey(stream.origin, stream.epoch);
  const std::string key = kMetaAheadPrefix + origin;
  {
    std::lock_guard lock(ahead_mu_);
    origins_ahead_.insert(origin);
  }
  int64_t latest = latest_event_ms, max_ahead = latest_event_ms - now_ms;
  std::string old;
  if (db_->Get({}, cf_[kMeta], key, &old).ok() && old.size() == 32) {
    latest = std::max(latest, static_cast<int64_t>(GetBig64(old)));
    max_ahead = std::max(max_ahead, static_cast<int64_t>(GetBig64(old.substr(8))));
    events += GetBig64(old.substr(24));
  }
  p.wb.Put(
      cf_[kMeta], key,
      Big64String(latest) + Big64String(max_ahead) + Big64String(now_ms) + Big64String(events));
}

}  // namespace hoso
