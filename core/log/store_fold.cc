// Store the fold stage: loading, folding and sealing the cases a commit touches.
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

Status Store::LoadCase(const std::string& code, const std::string& channel, Touched* t) const {
  std::string value;
  rocksdb::Status s = db_->Get({}, cf_[kCases], code, &value);
  return InitCase(code, channel, s, value, t);
}

Status Store::InitCase(const std::string& code, const std::string& channel,
                       const rocksdb::Status& read, std::string_view value, Touched* t) const {
  if (read.IsNotFound()) {
    t->state = CaseState(code, channel);
    t->state.set_policy(options_.conflict_policy);
  } else if (read.ok()) {
    // The projections' keys in the store came from the state as stored.
    HOSO_ASSIGN_OR_RETURN(t->state, ParseCaseRecord(value, &t->old_digest, /*as_stored=*/true));
    t->state.set_policy(options_.conflict_policy);
    t->old_summaries.reserve(options_.projections.size());
    for (const Projection* p : options_.projections) {
      t->old_summaries.push_back(p->Summary(t->state));
    }
    t->state.PutInFoldOrder();
    t->existed = true;
  } else {
    return FromRocks(read, "reading case " + code);
  }
  if (t->state.channel() != channel) {
    return Status::InvalidArgument("case " + code + " belongs to channel " + t->state.channel() +
                                   ", not " + channel);
  }
  t->channel = channel;
  return Status::Ok();
}

void Store::FinishCase(Touched* t, const KeyView& before, const KeyView& after) const {
  t->finished = true;
  t->record.assign(32, '\0');  // the digest goes in front of the state
  t->state.EncodeTo(&t->record);
  t->digest = Sha256(std::string_view(t->record).substr(32));
  std::copy(t->digest.begin(), t->digest.end(), t->record.begin());
  t->changed = !t->existed || t->digest != t->old_digest;
  const std::string& code = t->state.case_code();
  // A commit that stores or destroys the case's keys changes what its sealed fields project.
  const bool keys_moved = after.Moves(code);
  if (!t->changed && !keys_moved) return;
  if (!t->existed) t->index_ops.emplace_back(ChannelIndexPrefix(t->state.channel()) + code, true);
  std::vector<std::string> old_keys, new_keys;
  for (size_t i = 0; i < options_.projections.size(); ++i) {
    const Projection& projection = *options_.projections[i];
    std::string now = projection.Summary(t->state);
    if (t->existed && t->old_summaries[i] == now && !keys_moved) continue;
    old_keys.clear();
    new_keys.clear();
    if (t->existed) projection.Keys(t->old_summaries[i], code, before, &old_keys);
    projection.Keys(now, code, after, &new_keys);
    const bool counters = projection.kind() == Projection::Kind::kCounters;
    auto moved = [&](const std::vector<std::string>& from, const std::vector<std::string>& to,
                     bool added) {
      for (const std::string& key : from) {
        if (std::find(to.begin(), to.end(), key) != to.end()) continue;
        if (counters) {
          t->counter_ops.emplace_back(key, added ? 1 : -1);
        } else {
          t->index_ops.emplace_back(key, added);
        }
      }
    };
    moved(old_keys, new_keys, false);
    moved(new_keys, old_keys, true);
  }
}

void Store::Unproject(const CaseState& state, rocksdb::WriteBatch* wb) const {
  wb->Delete(cf_[kIndex], ChannelIndexPrefix(state.channel()) + state.case_code());
  std::vector<std::string> keys;
  const KeyView held(this);
  for (const Projection* projection : options_.projections) {
    keys.clear();
    projection->Keys(projection->Summary(state), state.case_code(), held, &keys);
    for (const std::string& key : keys) {
      if (projection->kind() == Projection::Kind::kCounters) {
        wb->Merge(cf_[kIndex], key, CounterDelta(-1));
      } else {
        wb->Delete(cf_[kIndex], key);
      }
    }
  }
}

Status Store::FoldInto(Pending& p, const Event& e, const Hash& id) {
  if (IsSystemChannel(e.stream.channel)) {
    if (e.stream.channel == kDirectoryChannel) p.directory_events.push_back(e);
    if (e.stream.channel == kRevocationsChannel) p.revocation_events.push_back(e);
    if (e.stream.channel == kErasureChannel) p.erasure_events.push_back(e);
    return Status::Ok();
  }
  auto it = p.cases.find(e.case_code);
  if (it == p.cases.end()) {
    Touched t;
    HOSO_RETURN_IF_ERROR(LoadCase(e.case_code, e.stream.channel, &t));
    it = p.cases.emplace(e.case_code, std::move(t)).first;
  }
  if (it->second.state.channel() != e.stream.channel) {
    return Status::InvalidArgument("case " + e.case_code + " belongs to channel " +
                                   it->second.state.channel() + ", not " + e.stream.channel);
  }
  HOSO_RETURN_IF_ERROR(StageDocuments(p, e));
  return ApplyBounded(it->second.state, e, id);
}

Status Store::ApplyBounded(CaseState& state, const Event& e, const Hash& id) {
  // A case's fold costs time linear in its events for each new one; a bound keeps a peer that
  // floods one case from making every holder pay without limit.
  if (state.events().size() >= kMaxCaseEvents && !state.Contains(id)) {
    return Status::OutOfRange(
        "case " + e.case_code + " already holds " + std::to_string(kMaxCaseEvents) +
        " events, the most a case may hold (seq " + std::to_string(e.seq) + ")");
  }
  size_t new_fields = 0;
  for (size_t i = 0; i < e.body.items().size(); i += 2) {
    new_fields += state.Field(e.body.items()[i].str()) == nullptr;
  }
  if (new_fields > 0 && state.fields().size() + new_fields > kMaxCaseFields) {
    return Status::OutOfRange("case " + e.case_code + " would have more than " +
                              std::to_string(kMaxCaseFields) + " fields (seq " +
                              std::to_string(e.seq) + ")");
  }
  state.Apply(e, id);
  return Status::Ok();
}

Status Store::FoldRemote(Pending& p, Prepared& prep, size_t skip, const Pending* overlay,
                         bool writing) {
  for (size_t i = skip; i < prep.events.size(); ++i) {
    const Event& e = prep.events[i];
    if (IsSystemChannel(e.stream.channel)) {
      if (e.stream.channel == kDirectoryChannel) p.directory_events.push_back(e);
      if (e.stream.channel == kRevocationsChannel) p.revocation_events.push_back(e);
      if (e.stream.channel == kErasureChannel) p.erasure_events.push_back(e);
      continue;
    }
    HOSO_RETURN_IF_ERROR(StageDocuments(p, e));
    p.cases[e.case_code].events.push_back(i);
  }

  std::vector<std::pair<const std::string*, Touched*>> work;
  work.reserve(p.cases.size());
  for (auto& [code, t] : p.cases) work.emplace_back(&code, &t);
  // States staged by the commit still being written come from it; one sorted MultiGet reads
  // the rest.
  std::vector<const std::string*> staged(work.size(), nullptr);
  std::vector<rocksdb::Slice> keys;
  std::vector<size_t> key_of;
  keys.reserve(work.size());
  for (size_t k = 0; k < work.size(); ++k) {
    if (overlay) {
      auto it = overlay->cases.find(*work[k].first);
      if (it != overlay->cases.end() && it->second.finished) {
        staged[k] = &it->second.record;
        continue;
      }
    }
    key_of.push_back(k);
    keys.emplace_back(*work[k].first);
  }
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> read_status(keys.size());
  if (!keys.empty()) {
    db_->MultiGet(rocksdb::ReadOptions(), cf_[kCases], keys.size(), keys.data(), values.data(),
                  read_status.data(), /*sorted_input=*/true);
  }
  std::vector<rocksdb::Status> reads(work.size());
  std::vector<std::string_view> found(work.size());
  for (size_t j = 0; j < keys.size(); ++j) {
    reads[key_of[j]] = read_status[j];
    found[key_of[j]] = std::string_view(values[j].data(), values[j].size());
  }
  std::set<std::string> held;  // the cases held before this commit, which may hold keys
  for (size_t k = 0; k < work.size(); ++k) {
    if (staged[k]) found[k] = *staged[k];  // reads[k] is OK by default
    if (reads[k].ok()) held.insert(*work[k].first);
  }
  if (!prep.keys.empty()) {
    HOSO_RETURN_IF_ERROR(StageKeys(p, prep.keys, overlay, held, prep.events, skip));
  }
  const KeyView before(this, nullptr, overlay), after(this, &p, overlay);
  // Cases fold independently: a large batch is split over two threads (the machine has
  // two cores), each parsing, folding, encoding and hashing its half, unless a commit is
  // being written: that write is what the next commit waits for, and it needs the other core.
  auto fold = [&](size_t begin, size_t end) -> Status {
    for (size_t k = begin; k < end; ++k) {
      Touched* t = work[k].second;
      const std::string& channel = prep.events[t->events.front()].stream.channel;
      HOSO_RETURN_IF_ERROR(InitCase(*work[k].first, channel, reads[k], found[k], t));
      for (size_t i : t->events) {
        HOSO_RETURN_IF_ERROR(ApplyBounded(t->state, prep.events[i], prep.ids[i]));
      }
      FinishCase(t, before, after);
      if (t->record.size() > kMaxCaseStateBytes) {
        return Status::OutOfRange("case " + *work[k].first + " would take " +
                                  std::to_string(t->record.size()) + " bytes, over the " +
                                  std::to_string(kMaxCaseStateBytes) + " a case may take");
      }
      // Only the record is read from here on (the next commit folds on it), and of the
      // events only their heads. Freeing the decoded state and bodies now, while they are in
      // this thread's cache, costs a fraction of freeing them cold after the write.
      t->state = CaseState();
      for (size_t i : t->events) prep.events[i].body = cbor::Value();
    }
    return Status::Ok();
  };
  if (writing || work.size() < 128) return fold(0, work.size());
  size_t half = work.size() / 2;
  auto other = helper_.Async<Status>("fold", [&] { return fold(half, work.size()); });
  Status mine = fold(0, half);
  Status theirs = other.get();
  return mine.ok() ? theirs : mine;
}

void Store::SealCases(Pending& p, const Pending* overlay) const {
  std::vector<store_internal::IndexOp> index_ops;
  // Cases of one commit mostly share counters (report buckets): one merge per counter.
  std::map<std::string, int64_t> counters;
  const KeyView before(this, nullptr, overlay), after(this, &p, overlay);
  for (auto& [code, t] : p.cases) {
    if (!t.finished) FinishCase(&t, before, after);
    if (t.changed) {
      Hash& fp_change = p.fp_delta[t.channel];
      if (t.existed) {
        XorInto(&fp_change, t.old_digest);
      } else {
        ++p.new_cases;
      }
      XorInto(&fp_change, t.digest);
      p.wb.Put(cf_[kCases], code, t.record);
    }
    for (auto& op : t.index_ops) index_ops.push_back(std::move(op));
    for (auto& [key, delta] : t.counter_ops) counters[std::move(key)] += delta;
  }
  for (const auto& [key, delta] : counters) {
    if (delta != 0) p.wb.Merge(cf_[kIndex], key, CounterDelta(delta));
  }
  std::sort(index_ops.begin(), index_ops.end());
  for (const auto& [key, put] : index_ops) {
    if (put) {
      p.wb.Put(cf_[kIndex], key, "");
    } else {
      p.wb.Delete(cf_[kIndex], key);
    }
  }
}

}  // namespace hoso
