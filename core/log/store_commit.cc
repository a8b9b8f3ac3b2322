// Store the commit queue (group commit), local commits and the write of a staged commit.
// Part of the store's implementation (core/log/store.h); shared internals in
// core/log/store_internal.h.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "core/log/erasure.h"
#include "core/log/store.h"
#include "core/log/store_internal.h"

namespace hoso {

using namespace store_internal;

Status Store::Submit(Writer* w) {
  if (options_.read_only) return Status::FailedPrecondition("store opened read-only");
  std::unique_lock lock(queue_mu_);
  writers_.push_back(w);
  while (!w->done && w != writers_.front()) w->cv.wait(lock);
  if (w->done) return w->status;

  // w leads: it commits itself and, for local writes, every local writer queued behind it.
  std::deque<Writer*> group;
  size_t writes = 0;
  for (Writer* q : writers_) {
    // Remote batches commit alone; an exclusive writer (rebuild, purge) ends a group.
    if (!q->local && !q->remote) break;
    if (!group.empty() && (q->remote || group.front()->remote)) break;
    if (!group.empty() && writes + q->local->size() > kMaxGroupWrites) break;
    group.push_back(q);
    writes += q->local ? q->local->size() : 0;
  }
  lock.unlock();
  std::shared_ptr<InFlight> handoff;
  Status s;
  if (w->remote) {
    s = StageRemote(*w->remote, w->stats, &handoff);
  } else {
    s = AwaitInFlight();  // local writes fold against committed data only
    if (s.ok()) s = CommitLocal(group);
    // The last handed-off commit no longer describes the newest states.
    std::lock_guard flight(flight_mu_);
    inflight_.reset();
  }
  lock.lock();
  for (Writer* g : group) {
    writers_.pop_front();
    if (!s.ok()) g->status = s;
    if (w->remote) g->status = s;
    g->done = true;
    if (g != w) g->cv.notify_one();
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  lock.unlock();
  if (handoff) {
    // Leadership has passed on: the next commit is being staged while this one is written.
    Status written = Write(*handoff->pending);
    if (written.ok()) {
      w->stats->applied += handoff->pending->applied;
      w->stats->counter = handoff->pending->counter;
    }
    handoff->Finish(written);
    handoff->predecessor.reset();
    w->status = written;
  }
  return w->status;
}

Status Store::AwaitInFlight() {
  std::shared_ptr<InFlight> last;
  {
    std::lock_guard lock(flight_mu_);
    last = inflight_;
  }
  return last ? last->Wait() : Status::Ok();
}

Result<Appended> Store::Append(LocalWrite write) {
  std::vector<LocalWrite> writes;
  writes.push_back(std::move(write));
  HOSO_ASSIGN_OR_RETURN(auto appended, Append(std::move(writes)));
  return appended.front();
}

Result<std::vector<Appended>> Store::Append(std::vector<LocalWrite> writes) {
  if (writes.empty()) return Status::InvalidArgument("nothing to append");
  if (writes.size() > kMaxGroupWrites) {
    return Status::OutOfRange("at most " + std::to_string(kMaxGroupWrites) +
                              " writes in one append");
  }
  Writer w;
  w.local = &writes;
  HOSO_RETURN_IF_ERROR(Submit(&w));
  return std::move(w.appended);
}

Status Store::Ingest(const Batch& batch, IngestStats* stats, std::vector<CaseKey> keys) {
  // The checks that need no store state run here, in the caller's thread, so callers with
  // several batches in flight decode and verify in parallel with the commit in progress.
  Prepared prepared;
  HOSO_RETURN_IF_ERROR(Prepare(batch, &prepared));
  prepared.keys = std::move(keys);
  IngestStats local_stats;
  Writer w;
  w.remote = &prepared;
  w.stats = stats ? stats : &local_stats;
  return Submit(&w);
}

Status Store::Write(Pending& p) {
  // The fingerprints are the one part of the case writes that depends on the commits before
  // this one: their XOR deltas go onto the fingerprints as committed now.
  std::map<std::string, Hash> fps = std::move(p.fp_delta);
  {
    std::shared_lock lock(cache_mu_);
    for (auto& [channel, fp] : fps) {
      auto f = channel_fp_.find(channel);
      if (f != channel_fp_.end()) XorInto(&fp, f->second);
    }
  }
  for (const auto& [channel, fp] : fps) {
    p.wb.Put(cf_[kMeta], kMetaFpPrefix + channel, rocksdb::Slice(AsView(fp).data(), 32));
  }
  // Write runs for one commit at a time (the pipeline waits for its predecessor).
  const uint64_t ver = commit_counter_ + 1;
  p.counter = ver;
  for (auto& [stream, head] : p.heads) {
    head.ver = ver;
    p.wb.Put(cf_[kHeads], stream.Encode(), EncodeHeadRecord(head));
  }
  p.wb.Put(cf_[kMeta], kMetaCommitCounter, Big64String(ver));
  p.wb.Put(cf_[kMeta], kMetaHlc, Big64String(hlc_.high_water()));
  if (p.new_cases) {
    p.wb.Put(cf_[kMeta], kMetaCaseCount, Big64String(case_count_ + p.new_cases));
  }
  std::shared_ptr<Revocations> revoked;
  if (!p.revocation_events.empty()) {
    // What this node learns now is evidence: it held everything of that origin before.
    revoked = std::make_shared<Revocations>(*RevocationsSnapshot());
    const int64_t now = options_.clock->NowMs();
    for (const Event& e : p.revocation_events) {
      Status s = revoked->Apply(e);
      (void)s;  // validated before the commit
      auto r = revoked->all().find(e.case_code);
      if (r != revoked->all().end() && r->second.learned_ms == 0) {
        revoked->SetLearned(e.case_code, now);
        p.wb.Put(cf_[kMeta], kMetaRevokedPrefix + e.case_code, Big64String(now));
      }
    }
  }

  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  HOSO_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &p.wb), "committing"));
  if (options_.on_commit) options_.on_commit(p.wb.Data());

  std::unique_lock lock(cache_mu_);
  commit_counter_ = ver;
  for (const auto& [stream, head] : p.heads) heads_[stream] = head;
  for (const auto& [channel, fp] : fps) channel_fp_[channel] = fp;
  if (!p.directory_events.empty()) {
    // Copy on write: readers keep the snapshot they hold.
    auto next = std::make_shared<Directory>(*directory_);
    for (const Event& e : p.directory_events) {
      Status s = next->Apply(e);
      (void)s;  // validated before the commit
    }
    directory_ = std::move(next);
  }
  if (revoked) revocations_ = std::move(revoked);
  case_count_ += p.new_cases;
  erasures_held_ += p.new_erasures;
  lock.unlock();
  std::vector<StreamKey> moved;
  for (const auto& [stream, head] : p.heads) moved.push_back(stream);
  NotifyListeners(moved);
  return Status::Ok();
}

void Store::NotifyListeners(const std::vector<StreamKey>& moved) const {
  std::vector<CommitListener> listeners;
  {
    std::lock_guard l(listeners_mu_);
    for (const auto& [id, fn] : listeners_) listeners.push_back(fn);
  }
  for (const auto& fn : listeners) fn(moved);
}

uint64_t Store::AddCommitListener(CommitListener listener) {
  std::lock_guard lock(listeners_mu_);
  listeners_[++next_listener_] = std::move(listener);
  return next_listener_;
}

void Store::RemoveCommitListener(uint64_t id) {
  std::lock_guard lock(listeners_mu_);
  listeners_.erase(id);
}

Status Store::CommitLocal(std::deque<Writer*>& group) {
  if (!options_.identity) return Status::FailedPrecondition("store has no node identity");
  const Identity& me = *options_.identity;
  Pending p;
  std::map<StreamKey, StreamHead> tips;
  auto tip_of = [&](const StreamKey& k) -> StreamHead& {
    auto it = tips.find(k);
    if (it != tips.end()) return it->second;
    std::shared_lock lock(cache_mu_);
    auto h = heads_.find(k);
    return tips[k] = h == heads_.end() ? StreamHead{} : h->second;
  };
  for (Writer* w : group) {
    // Validate every write of this writer before staging any, so a refused writer leaves
    // nothing behind and the rest of the group still commits.
    std::vector<Event> events;
    Status s;
    for (LocalWrite& lw : *w->local) {
      s = ValidateLocalWrite(lw);
      StreamKey stream{lw.channel, me.unit, me.epoch};
      if (s.ok() && tip_of(stream).frozen) {
        s = Status::Frozen("stream " + stream.ToString() + " is frozen after a fork");
      }
      if (!s.ok()) break;
      Event e;
      e.stream = stream;
      e.hlc = hlc_.Now();
      e.case_code = lw.case_code;
      e.type = lw.type;
      e.body = lw.body;
      e.officer = lw.officer;
      {
        std::shared_lock lock(cache_mu_);
        s = directory_->CheckWrite(me.unit, lw.channel, HlcMillis(e.hlc));
      }
      if (s.ok() && e.stream.channel == kDirectoryChannel) s = Directory::ValidateEvent(e);
      if (s.ok() && e.stream.channel == kErasureChannel) s = ValidateErasureEvent(e);
      if (s.ok() && options_.check_event) s = options_.check_event(e);
      if (s.ok()) s = CheckDocumentFields(options_.document_fields, e);
      // The schema saw the fields in clear; peers get them sealed.
      if (s.ok()) s = SealLocalFields(p, e);
      // What peers could not decode is never signed (a stream would stop syncing there).
      if (s.ok()) s = CheckEncodable(e);
      if (s.ok() && !IsSystemChannel(e.stream.channel)) {
        s = CheckCaseChannel(p, events, e.case_code, e.stream.channel);
      }
      if (!s.ok()) break;
      events.push_back(std::move(e));
    }
    if (!s.ok()) {
      w->status = s;
      continue;
    }
    for (Event& e : events) {
      // Deps are the case's frontier as this node holds it, pending writes included.
      if (!IsSystemChannel(e.stream.channel)) {
        auto it = p.cases.find(e.case_code);
        if (it != p.cases.end()) {
          e.deps = it->second.state.Heads();
        } else {
          auto st = GetCaseState(e.case_code);
          if (st.ok()) e.deps = st->Heads();
        }
      }
      StreamHead& tip = tip_of(e.stream);
      e.seq = tip.seq + 1;
      e.prev = tip.id;
      std::string bytes = EncodeEvent(e);
      Hash id = Sha256(bytes);
      // A failure here is an I/O error reading a case: the whole group fails, nothing written.
      HOSO_RETURN_IF_ERROR(FoldInto(p, e, id));
      p.wb.Put(cf_[kEvents], EventKey(e.stream, e.seq), bytes);
      tip.seq = e.seq;
      tip.id = id;
      w->appended.push_back(Appended{e.stream, e.seq, id, e.hlc});
    }
  }
  // One signature per stream touched authenticates everything this commit wrote.
  for (auto& [stream, tip] : tips) {
    std::optional<StreamHead> committed = Head(stream);
    if (tip.seq == (committed ? committed->seq : 0)) continue;
    HOSO_ASSIGN_OR_RETURN(SignedHead head, SignHead(stream, tip.seq, tip.id, me.key));
    std::string sig(AsView(head.id));
    sig += head.signature;
    p.wb.Put(cf_[kSignatures], EventKey(stream, tip.seq), sig);
    p.heads[stream] = tip;
  }
  if (p.heads.empty()) return Status::Ok();
  HOSO_RETURN_IF_ERROR(StageErasures(p));
  SealCases(p);
  return Write(p);
}

Status Store::ValidateLocalWrite(const LocalWrite& lw) const {
  HOSO_RETURN_IF_ERROR(ValidateName("channel", lw.channel));
  if (lw.case_code.empty() || lw.case_code.size() > 128) {
    return Status::InvalidArgument("case code must be 1 to 128 bytes");
  }
  if (lw.type.empty() || lw.type.size() > 64) {
    return Status::InvalidArgument("event type must be 1 to 64 bytes");
  }
  if (lw.officer.size() > 128) return Status::InvalidArgument("officer must be at most 128 bytes");
  if (!lw.body.is_map()) return Status::InvalidArgument("event body must be a map");
  for (size_t i = 0; i < lw.body.items().size(); i += 2) {
    if (!lw.body.items()[i].is_text()) {
      return Status::InvalidArgument("event body keys must be text strings");
    }
  }
  // The envelope adds at most ~3 KiB (64 deps of 33 bytes and bounded strings).
  size_t body_bytes = cbor::Encode(lw.body).size();
  if (body_bytes > kMaxEventBytes - 4096) {
    return Status::OutOfRange("event body of " + std::to_string(body_bytes) +
                              " bytes exceeds the limit of " +
                              std::to_string(kMaxEventBytes - 4096));
  }
  return Status::Ok();
}

Status Store::CheckCaseChannel(const Pending& p, const std::vector<Event>& staged,
                               const std::string& case_code, const std::string& channel) const {
  std::optional<std::string> held;
  if (auto it = p.cases.find(case_code); it != p.cases.end()) {
    held = it->second.state.channel();
  } else {
    for (const Event& e : staged) {
      if (e.case_code == case_code) held = e.stream.channel;
    }
    if (!held) {
      auto st = GetCaseState(case_code);
      if (st.ok()) {
        held = st->channel();
      } else if (st.status().code() != Code::kNotFound) {
        return st.status();
      }
    }
  }
  if (held && *held != channel) {
    return Status::InvalidArgument("case " + case_code + " belongs to channel " + *held + ", not " +
                                   channel);
  }
  return Status::Ok();
}

}  // namespace hoso
