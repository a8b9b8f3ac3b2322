// Store administration: stream verification, rebuild, purge, flush, settle, checkpoint.
// Part of the store's implementation (core/log/store.h); shared internals in
// core/log/store_internal.h.
#include <rocksdb/db.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "core/format/chain_verifier.h"
#include "core/log/store.h"
#include "core/log/store_internal.h"

namespace hoso {

using namespace store_internal;

Status Store::VerifyStream(const StreamKey& stream) const {
  const std::string where = "stream " + stream.ToString();
  HOSO_ASSIGN_OR_RETURN(std::string key, OriginKey(stream.origin, stream.epoch));
  std::optional<StreamHead> head = Head(stream);
  HOSO_ASSIGN_OR_RETURN(auto reader, ReadStream(stream, 1));
  std::map<uint64_t, Hash> ids;  // only at signed seqs
  std::set<uint64_t> signed_seqs;
  const std::string prefix = stream.Encode();
  HOSO_RETURN_IF_ERROR(
      Scan(kSignatures, prefix, PrefixUpperBound(prefix), [&](std::string_view key, auto) {
        signed_seqs.insert(GetBig64(key.substr(prefix.size(), 8)));
        return true;
      }));
  ChainVerifier chain(stream);
  for (; reader->Valid(); reader->Next()) {
    const uint64_t seq = reader->seq();
    auto e = DecodeEvent(reader->bytes());
    if (!e.ok()) return e.status().Annotate(where + " seq " + std::to_string(seq));
    const Hash id = Sha256(reader->bytes());
    HOSO_RETURN_IF_ERROR(chain.Add(seq, *e, id).Annotate(where));
    if (signed_seqs.count(seq)) ids[seq] = id;
  }
  HOSO_RETURN_IF_ERROR(reader->status());
  const uint64_t held = chain.seq();
  if (!head) return Status::Corruption(where + ": no head record");
  HOSO_RETURN_IF_ERROR(chain.CheckHead("head record", head->seq, head->id).Annotate(where));
  if (!signed_seqs.count(held)) {
    return Status::Corruption(where + ": no signature covers the head at seq " +
                              std::to_string(held));
  }
  for (uint64_t seq : signed_seqs) {
    HOSO_ASSIGN_OR_RETURN(SignedHead sh, SignedHeadAtOrBefore(stream, seq));
    auto id = ids.find(seq);
    if (id == ids.end() || sh.id != id->second) {
      return Status::Corruption(where + " seq " + std::to_string(seq) +
                                ": signature names an event that is not held there");
    }
    HOSO_RETURN_IF_ERROR(sh.Verify(key));
  }
  return Status::Ok();
}

std::function<void()> Store::Exclusive() {
  auto w = std::make_shared<Writer>();
  std::unique_lock lock(queue_mu_);
  writers_.push_back(w.get());
  while (w.get() != writers_.front()) w->cv.wait(lock);
  lock.unlock();
  Status before = AwaitInFlight();
  (void)before;  // a failed commit left nothing behind
  {
    std::lock_guard flight(flight_mu_);
    inflight_.reset();
  }
  return [this, w] {
    std::lock_guard lock(queue_mu_);
    writers_.pop_front();
    if (!writers_.empty()) writers_.front()->cv.notify_one();
  };
}

Result<uint64_t> Store::RebuildStates() {
  auto finish = Exclusive();
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  rocksdb::WriteBatch clear;
  clear.DeleteRange(cf_[kCases], "", std::string(1, '\xFF'));
  clear.DeleteRange(cf_[kIndex], "", std::string(1, '\xFF'));
  clear.DeleteRange(cf_[kMeta], kMetaFpPrefix, PrefixUpperBound(kMetaFpPrefix));
  Status s = FromRocks(db_->Write(wo, &clear), "clearing states");
  // A case lives in one channel and events are keyed by channel first: channels fold
  // independently, two at a time (one per core), each holding one channel's states.
  std::vector<std::string> channels;
  if (s.ok()) s = ListChannels(&channels);
  std::mutex mu;
  std::unordered_map<std::string, Hash> fps;
  uint64_t folded = 0, cases = 0;
  std::atomic<size_t> next{0};
  auto worker = [&]() -> Status {
    for (size_t i; (i = next++) < channels.size();) {
      Hash fp{};
      uint64_t n_cases = 0, n_events = 0;
      HOSO_RETURN_IF_ERROR(RebuildChannel(channels[i], &fp, &n_cases, &n_events));
      std::lock_guard lock(mu);
      if (n_cases) fps[channels[i]] = fp;
      cases += n_cases;
      folded += n_events;
    }
    return Status::Ok();
  };
  if (s.ok()) {
    auto other = helper_.Async<Status>("rebuild", worker);
    Status mine = worker();
    Status theirs = other.get();
    s = mine.ok() ? theirs : mine;
  }
  if (s.ok()) {
    rocksdb::WriteBatch wb;
    wb.Put(cf_[kMeta], kMetaCaseCount, Big64String(cases));
    s = FromRocks(db_->Write(wo, &wb), "writing case count");
  }
  if (s.ok()) {
    std::unique_lock cache_lock(cache_mu_);
    channel_fp_ = std::move(fps);
    case_count_ = cases;
  }
  finish();
  if (!s.ok()) return s;
  return folded;
}

Result<std::vector<Store::Purge>> Store::PurgeOutOfScope() {
  if (!options_.identity || !options_.enforce_scope) return std::vector<Purge>{};
  auto finish = Exclusive();
  std::vector<std::string> channels;
  Status s = ListChannels(&channels);
  auto dir = DirectorySnapshot();
  int64_t now = options_.clock->NowMs();
  std::vector<Purge> done;
  for (const std::string& channel : channels) {
    if (!s.ok()) break;
    // Never its own channel: an office whose unit left for another province keeps its
    // records, to hand them over by bundle.
    if (channel == options_.identity->unit) continue;
    if (dir->InScope(options_.identity->unit, channel, now)) continue;
    auto purged = PurgeChannel(channel);
    if (!purged.ok()) {
      s = purged.status();
    } else {
      done.push_back(*purged);
    }
  }
  finish();
  if (!s.ok()) return s;
  return done;
}

Result<Store::Purge> Store::PurgeChannel(const std::string& channel) {
  // Chunked deletes, not DeleteRange (see the hint note in Load). If interrupted, the channel
  // is still out of scope and the next purge finishes it; it is never sent meanwhile.
  Purge p{channel, options_.clock->NowMs(), 0, 0};
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  rocksdb::WriteBatch wb;
  auto flush = [&]() -> Status {
    if (wb.Count() < 10000) return Status::Ok();
    Status st = FromRocks(db_->Write(wo, &wb), "purging " + channel);
    wb.Clear();
    return st;
  };
  HOSO_ASSIGN_OR_RETURN(std::vector<std::string> codes, CasesOfChannel(channel, SIZE_MAX));
  for (const std::string& code : codes) {
    auto st = GetCaseState(code);
    if (st.ok()) Unproject(*st, &wb);
    wb.Delete(cf_[kCases], code);
    // The case's keys leave with it; an erasure record stays (it binds the case wherever).
    const std::string keys = CaseKeysPrefix(code);
    HOSO_RETURN_IF_ERROR(
        Scan(kMeta, keys, PrefixUpperBound(keys), [&](std::string_view key, std::string_view) {
          wb.Delete(cf_[kMeta], rocksdb::Slice(key.data(), key.size()));
          return true;
        }));
    ++p.cases;
    HOSO_RETURN_IF_ERROR(flush());
  }
  std::string lower = channel + '\0', upper = channel + '\x01';
  for (size_t family : {kEvents, kSignatures}) {
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_[family]));
    for (it->Seek(lower); it->Valid(); it->Next()) {
      wb.Delete(cf_[family], it->key());
      if (family == kEvents) ++p.events;
      HOSO_RETURN_IF_ERROR(flush());
    }
    HOSO_RETURN_IF_ERROR(FromRocks(it->status(), "scanning " + channel));
  }
  std::vector<StreamKey> streams;
  {
    std::shared_lock lock(cache_mu_);
    for (const auto& [stream, head] : heads_) {
      if (stream.channel == channel) streams.push_back(stream);
    }
  }
  for (const auto& stream : streams) wb.Delete(cf_[kHeads], stream.Encode());
  wb.Delete(cf_[kMeta], kMetaFpPrefix + channel);
  std::string record = Big64String(static_cast<uint64_t>(p.at_ms));
  PutBig64(&record, p.events);
  PutBig64(&record, p.cases);
  wb.Put(cf_[kMeta], kMetaPurgedPrefix + channel, record);
  uint64_t cases_left;
  {
    std::shared_lock lock(cache_mu_);
    cases_left = case_count_ >= p.cases ? case_count_ - p.cases : 0;
  }
  wb.Put(cf_[kMeta], kMetaCaseCount, Big64String(cases_left));
  HOSO_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &wb), "purging " + channel));
  std::unique_lock lock(cache_mu_);
  for (const auto& stream : streams) heads_.erase(stream);
  channel_fp_.erase(channel);
  case_count_ = cases_left;
  return p;
}

Status Store::Flush() {
  if (options_.read_only) return Status::Ok();
  rocksdb::FlushOptions fo;
  fo.wait = true;
  return FromRocks(db_->Flush(fo, cf_), "flushing");
}

bool Store::BackgroundWorkPending() const {
  uint64_t n = 0;
  for (const char* running : {"rocksdb.num-running-flushes", "rocksdb.num-running-compactions"}) {
    if (db_->GetIntProperty(running, &n) && n > 0) return true;
  }
  for (rocksdb::ColumnFamilyHandle* cf : cf_) {
    if (!cf) continue;
    for (const char* pending : {"rocksdb.mem-table-flush-pending", "rocksdb.compaction-pending"}) {
      if (db_->GetIntProperty(cf, pending, &n) && n > 0) return true;
    }
  }
  return false;
}

Status Store::Settle(std::chrono::milliseconds timeout) {
  HOSO_RETURN_IF_ERROR(Flush());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (BackgroundWorkPending()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::IOError("flushes or compactions still running after " +
                             std::to_string(timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::Ok();
}

Status Store::Checkpoint(const std::string& dir) const {
  rocksdb::Checkpoint* raw = nullptr;
  HOSO_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db_.get(), &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  return FromRocks(checkpoint->CreateCheckpoint(dir), "checkpoint to " + dir);
}

Status Store::RebuildChannel(const std::string& channel, Hash* fp, uint64_t* cases,
                             uint64_t* folded) {
  std::string lower = channel + '\0';
  std::string upper = channel + '\x01';
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.iterate_upper_bound = &upper_slice;
  // Ordered by case code: memtable inserts with hints must come in key order (see Load).
  std::map<std::string, CaseState> states;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_[kEvents]));
  for (it->Seek(lower); it->Valid(); it->Next()) {
    std::string_view v(it->value().data(), it->value().size());
    auto e = DecodeEvent(v);
    if (!e.ok()) return e.status().Annotate("rebuilding channel " + channel);
    auto [st, inserted] = states.try_emplace(e->case_code, e->case_code, e->stream.channel);
    st->second.Apply(*e, Sha256(v));
    ++*folded;
  }
  HOSO_RETURN_IF_ERROR(FromRocks(it->status(), "scanning channel " + channel));
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  rocksdb::WriteBatch wb;
  for (auto& [code, st] : states) {
    Touched t;
    t.state = std::move(st);
    t.state.set_policy(options_.conflict_policy);
    const KeyView held(this);
    FinishCase(&t, held, held);
    XorInto(fp, t.digest);
    for (const auto& [key, put] : t.index_ops) wb.Put(cf_[kIndex], key, "");
    for (const auto& [key, delta] : t.counter_ops) wb.Merge(cf_[kIndex], key, CounterDelta(delta));
    wb.Put(cf_[kCases], code, t.record);
    if (wb.Count() >= 20000) {
      HOSO_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &wb), "writing rebuilt states"));
      wb.Clear();
    }
  }
  *cases = states.size();
  HOSO_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &wb), "writing rebuilt states"));
  wb.Clear();
  if (*cases) {
    wb.Put(cf_[kMeta], kMetaFpPrefix + channel, rocksdb::Slice(AsView(*fp).data(), 32));
  }
  return FromRocks(db_->Write(wo, &wb), "writing channel fingerprint");
}

}  // namespace hoso
