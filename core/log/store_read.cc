// Store reads: cases, indexes, heads, signed heads, batches, fingerprints, records.
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

bool Store::IsKnownSystemChannel(std::string_view channel) const {
  if (channel == kDirectoryChannel || channel == kRevocationsChannel ||
      channel == kErasureChannel) {
    return true;
  }
  return std::find(options_.system_channels.begin(), options_.system_channels.end(), channel) !=
         options_.system_channels.end();
}

Result<CaseState> Store::GetCaseState(std::string_view case_code) const {
  std::string value;
  HOSO_RETURN_IF_ERROR(
      FromRocks(db_->Get({}, cf_[kCases], case_code, &value), "case " + std::string(case_code)));
  HOSO_ASSIGN_OR_RETURN(CaseState state, ParseCaseRecord(value, nullptr));
  state.set_policy(options_.conflict_policy);
  return state;
}

Result<CaseView> Store::GetCase(std::string_view case_code) const {
  CaseView view;
  HOSO_ASSIGN_OR_RETURN(view.state, GetCaseState(case_code));
  const auto& refs = view.state.events();
  for (size_t i = 0; i < refs.size(); ++i) {
    const EventRef& r = refs[i];
    StreamKey stream{view.state.channel(), r.origin, r.epoch};
    std::string bytes;
    HOSO_RETURN_IF_ERROR(FromRocks(db_->Get({}, cf_[kEvents], EventKey(stream, r.seq), &bytes),
                                   "event of case " + std::string(case_code)));
    HOSO_ASSIGN_OR_RETURN(Event e, DecodeEvent(bytes));
    view.history.push_back(HistoryEntry{r.id, std::move(e), view.state.RecordedBeforeDeps(i)});
  }
  return view;
}

Status Store::Scan(size_t family, std::string_view lower, std::string_view upper,
                   const std::function<bool(std::string_view, std::string_view)>& fn) const {
  rocksdb::Slice upper_slice(upper.data(), upper.size());
  rocksdb::ReadOptions ro;
  // An empty upper bound is PrefixUpperBound's "none": the whole family from `lower` on.
  if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_[family]));
  for (it->Seek(rocksdb::Slice(lower.data(), lower.size())); it->Valid(); it->Next()) {
    if (!fn({it->key().data(), it->key().size()}, {it->value().data(), it->value().size()})) {
      break;
    }
  }
  return FromRocks(it->status(), "scanning");
}

Status Store::ScanIndex(
    std::string_view lower, std::string_view upper,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  return Scan(kIndex, lower, upper, fn).Annotate("reading the index");
}

Result<std::vector<std::string>> Store::CasesOfChannel(std::string_view channel,
                                                       size_t limit) const {
  std::vector<std::string> out;
  const std::string prefix = ChannelIndexPrefix(channel);
  HOSO_RETURN_IF_ERROR(
      ScanIndex(prefix, PrefixUpperBound(prefix), [&](std::string_view key, std::string_view) {
        out.emplace_back(key.substr(prefix.size()));
        return out.size() < limit;
      }).Annotate("listing the cases of channel " + std::string(channel)));
  return out;
}

Status Store::ScanIndexCounters(std::string_view lower, std::string_view upper,
                                const std::function<void(std::string_view, int64_t)>& fn) const {
  return ScanIndex(lower, upper, [&](std::string_view key, std::string_view value) {
    fn(key, CounterValue(value));
    return true;
  });
}

Result<std::vector<std::string>> Store::CaseCodes(std::string_view prefix, size_t limit) const {
  std::vector<std::string> out;
  std::string upper = PrefixUpperBound(std::string(prefix));
  HOSO_RETURN_IF_ERROR(Scan(kCases, prefix, upper, [&](std::string_view key, std::string_view) {
    out.emplace_back(key);
    return out.size() < limit;
  }));
  return out;
}

std::optional<StreamHead> Store::Head(const StreamKey& stream) const {
  std::shared_lock lock(cache_mu_);
  auto it = heads_.find(stream);
  if (it == heads_.end()) return std::nullopt;
  return it->second;
}

VersionVector Store::Vector(const std::function<bool(const std::string&)>& in_scope) const {
  VersionVector out;
  std::shared_lock lock(cache_mu_);
  for (const auto& [stream, head] : heads_) {
    if (head.seq > 0 && in_scope(stream.channel)) out.emplace(stream, head);
  }
  return out;
}

Result<SignedHead> Store::SignedHeadAtOrBefore(const StreamKey& stream, uint64_t seq) const {
  std::string prefix = stream.Encode();
  std::string target = EventKey(stream, seq);
  rocksdb::ReadOptions ro;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_[kSignatures]));
  it->SeekForPrev(target);
  // A record of another shape (a store altered on disk) is no signed head.
  if (!it->Valid() || !it->key().starts_with(prefix) || it->key().size() != prefix.size() + 8 ||
      it->value().size() != 96) {
    HOSO_RETURN_IF_ERROR(FromRocks(it->status(), "reading signatures"));
    return Status::NotFound("no signed head of " + stream.ToString() + " at or before seq " +
                            std::to_string(seq));
  }
  return SignatureRecord(stream, prefix.size(), *it);
}

Result<std::vector<SignedHead>> Store::SignedHeads(const StreamKey& stream) const {
  std::vector<SignedHead> out;
  HOSO_RETURN_IF_ERROR(ForEachSignedHead(stream, [&](const SignedHead& h) {
    out.push_back(h);
    return true;
  }));
  return out;
}

Status Store::ForEachSignedHead(const StreamKey& stream,
                                const std::function<bool(const SignedHead&)>& fn) const {
  std::string prefix = stream.Encode();
  return Scan(kSignatures, prefix, PrefixUpperBound(prefix), [&](std::string_view key, auto value) {
    SignedHead h;
    h.stream = stream;
    h.seq = key.size() == prefix.size() + 8 ? GetBig64(key.substr(prefix.size(), 8)) : 0;
    if (value.size() == 96) {
      h.id = HashFromView(value.substr(0, 32));
      h.signature = std::string(value.substr(32));
    }
    return fn(h);
  });
}

Result<SignedHead> Store::SignedHeadAtOrAfter(const StreamKey& stream, uint64_t seq) const {
  std::string prefix = stream.Encode();
  std::string upper = PrefixUpperBound(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_[kSignatures]));
  it->Seek(EventKey(stream, seq));
  if (!it->Valid() || it->key().size() != prefix.size() + 8 || it->value().size() != 96) {
    HOSO_RETURN_IF_ERROR(FromRocks(it->status(), "reading signatures"));
    return Status::NotFound("no signed head of " + stream.ToString() + " at or after seq " +
                            std::to_string(seq));
  }
  return SignatureRecord(stream, prefix.size(), *it);
}

Result<Batch> Store::ReadBatch(const StreamKey& stream, uint64_t from_seq,
                               size_t max_events) const {
  std::optional<StreamHead> held = Head(stream);
  if (!held || held->seq < from_seq) {
    return Status::NotFound("stream " + stream.ToString() + " has no events from seq " +
                            std::to_string(from_seq));
  }
  uint64_t target = std::min<uint64_t>(held->seq, from_seq + std::max<size_t>(max_events, 1) - 1);
  auto end = SignedHeadAtOrBefore(stream, target);
  if (!end.ok() || end->seq < from_seq) end = SignedHeadAtOrAfter(stream, from_seq);
  if (!end.ok()) return end.status();
  Batch batch{stream, {}, *end};
  HOSO_ASSIGN_OR_RETURN(auto reader, ReadStream(stream, from_seq));
  for (; reader->Valid() && reader->seq() <= end->seq; reader->Next()) {
    batch.events.emplace_back(reader->bytes());
  }
  HOSO_RETURN_IF_ERROR(reader->status());
  if (batch.events.size() != end->seq - from_seq + 1) {
    return Status::Corruption("stream " + stream.ToString() + " has a gap before seq " +
                              std::to_string(end->seq));
  }
  return batch;
}

Result<std::unique_ptr<StreamReader>> Store::ReadStream(const StreamKey& stream,
                                                        uint64_t from_seq) const {
  auto reader =
      std::unique_ptr<StreamReader>(new StreamReader(nullptr, PrefixUpperBound(stream.Encode())));
  reader->upper_slice_ = std::make_unique<rocksdb::Slice>(reader->upper_);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = reader->upper_slice_.get();
  ro.fill_cache = false;  // a catch-up scan should not evict the working set
  reader->it_.reset(db_->NewIterator(ro, cf_[kEvents]));
  reader->it_->Seek(EventKey(stream, std::max<uint64_t>(from_seq, 1)));
  return reader;
}

Hash Store::ChannelFingerprint(std::string_view channel) const {
  std::shared_lock lock(cache_mu_);
  auto it = channel_fp_.find(std::string(channel));
  return it == channel_fp_.end() ? Hash{} : it->second;
}

Hash Store::ScopeFingerprint(const std::function<bool(const std::string&)>& in_scope) const {
  std::vector<std::pair<std::string, Hash>> entries;
  {
    std::shared_lock lock(cache_mu_);
    for (const auto& [channel, fp] : channel_fp_) {
      if (in_scope(channel)) entries.emplace_back(channel, fp);
    }
  }
  return CombineChannelFingerprints(std::move(entries));
}

Hash Store::CombineChannelFingerprints(std::vector<std::pair<std::string, Hash>> channels) {
  std::erase_if(channels, [](const auto& c) { return c.second == Hash{}; });
  std::sort(channels.begin(), channels.end());
  std::string material;
  for (const auto& [channel, fp] : channels) {
    PutString(&material, channel);
    material.append(AsView(fp));
  }
  return Sha256(material);
}

uint64_t Store::CommitCounter() const {
  std::shared_lock lock(cache_mu_);
  return commit_counter_;
}

uint64_t Store::CaseCount() const {
  std::shared_lock lock(cache_mu_);
  return case_count_;
}

Status Store::ForEachEvent(std::string_view channel,
                           const std::function<Status(const Event&)>& fn) const {
  std::string prefix(channel);
  prefix.push_back('\0');
  std::string upper = PrefixUpperBound(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions bounded;
  bounded.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(bounded, cf_[kEvents]));
  for (it->Seek(prefix); it->Valid(); it->Next()) {
    auto e = DecodeEvent(std::string_view(it->value().data(), it->value().size()));
    if (!e.ok()) return e.status();
    HOSO_RETURN_IF_ERROR(fn(*e));
  }
  return FromRocks(it->status(), "reading channel " + std::string(channel));
}

std::shared_ptr<const Revocations> Store::RevocationsSnapshot() const {
  std::shared_lock lock(cache_mu_);
  return revocations_;
}

std::shared_ptr<const Directory> Store::DirectorySnapshot() const {
  std::shared_lock lock(cache_mu_);
  return directory_;
}

std::vector<Store::ForkRecord> Store::Forks() const {
  std::vector<ForkRecord> out;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, cf_[kForks]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view k(it->key().data(), it->key().size());
    if (k.size() < 40) continue;
    auto stream = StreamKey::Decode(k.substr(0, k.size() - 40));
    if (!stream.ok()) continue;
    out.push_back(
        {*stream, GetBig64(k.substr(k.size() - 40, 8)), HashFromView(k.substr(k.size() - 32))});
  }
  return out;
}

Result<std::vector<Store::ClockAhead>> Store::OriginsAhead() const {
  std::vector<ClockAhead> out;
  Status s = Scan(kMeta, kMetaAheadPrefix, PrefixUpperBound(kMetaAheadPrefix),
                  [&](std::string_view key, std::string_view v) {
                    std::string_view origin = key.substr(kMetaAheadPrefix.size());
                    size_t hash = origin.rfind('#');
                    if (v.size() != 32 || hash == std::string_view::npos) return true;
                    ClockAhead a;
                    a.unit = std::string(origin.substr(0, hash));
                    a.epoch =
                        std::strtoull(std::string(origin.substr(hash + 1)).c_str(), nullptr, 10);
                    a.latest_event_ms = static_cast<int64_t>(GetBig64(v));
                    a.max_ahead_ms = static_cast<int64_t>(GetBig64(v.substr(8)));
                    a.noticed_ms = static_cast<int64_t>(GetBig64(v.substr(16)));
                    a.events = GetBig64(v.substr(24));
                    out.push_back(std::move(a));
                    return true;
                  });
  if (!s.ok()) return s.Annotate("reading the origins with clocks ahead");
  return out;
}

Result<std::vector<Store::Purge>> Store::Purges() const {
  std::vector<Purge> out;
  Status s = Scan(kMeta, kMetaPurgedPrefix, PrefixUpperBound(kMetaPurgedPrefix),
                  [&](std::string_view key, std::string_view v) {
                    if (v.size() == 24) {
                      out.push_back({std::string(key.substr(kMetaPurgedPrefix.size())),
                                     static_cast<int64_t>(GetBig64(v)), GetBig64(v.substr(8)),
                                     GetBig64(v.substr(16))});
                    }
                    return true;
                  });
  if (!s.ok()) return s.Annotate("reading the purges");
  return out;
}

Status Store::ListChannels(std::vector<std::string>* out) const {
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_[kEvents]));
  for (it->SeekToFirst(); it->Valid();) {
    std::string_view key(it->key().data(), it->key().size());
    std::string channel(key.substr(0, key.find('\0')));
    if (!IsSystemChannel(channel)) out->push_back(channel);
    it->Seek(channel + '\x01');  // past every stream of this channel
  }
  return FromRocks(it->status(), "listing channels");
}

}  // namespace hoso
