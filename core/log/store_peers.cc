// Store sync's per-peer records: knowledge, counters and receipts (meta family).
// Part of the store's implementation (core/log/store.h); shared internals in
// core/log/store_internal.h.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "core/log/store.h"
#include "core/log/store_internal.h"

namespace hoso {

using namespace store_internal;

VersionVector Store::PeerKnowledge(std::string_view peer) const {
  VersionVector out;
  const std::string prefix = PeerPrefix(peer);
  Status s = Scan(kMeta, prefix, PrefixUpperBound(prefix),
                  [&](std::string_view key, std::string_view value) {
                    auto stream = StreamKey::Decode(key.substr(prefix.size()));
                    auto head = ParseHead(value);
                    if (stream.ok() && head) out[*stream] = *head;
                    return true;
                  });
  (void)s;  // unreadable knowledge is no knowledge: the peer is asked again
  return out;
}

Status Store::UpdatePeerKnowledge(std::string_view peer, const VersionVector& heads) {
  rocksdb::WriteBatch wb;
  for (const auto& [stream, head] : heads) {
    wb.Put(cf_[kMeta], PeerPrefix(peer) + stream.Encode(), HeadValue(head));
  }
  return FromRocks(db_->Write(rocksdb::WriteOptions(), &wb), "recording peer knowledge");
}

Status Store::ForgetPeerKnowledge(std::string_view peer,
                                  const std::function<bool(const std::string&)>& channels) {
  rocksdb::WriteBatch wb;
  for (const auto& [stream, head] : PeerKnowledge(peer)) {
    if (channels(stream.channel)) wb.Delete(cf_[kMeta], PeerPrefix(peer) + stream.Encode());
  }
  return FromRocks(db_->Write(rocksdb::WriteOptions(), &wb), "forgetting peer knowledge");
}

uint64_t Store::PeerCounter(std::string_view peer) const {
  std::string value;
  if (!db_->Get({}, cf_[kMeta], kMetaPeerCounterPrefix + std::string(peer), &value).ok() ||
      value.size() != 8) {
    return 0;
  }
  return GetBig64(value);
}

Status Store::SetPeerCounter(std::string_view peer, uint64_t counter) {
  return FromRocks(db_->Put(rocksdb::WriteOptions(), cf_[kMeta],
                            kMetaPeerCounterPrefix + std::string(peer), Big64String(counter)),
                   "recording peer counter");
}

Status Store::AddReceipt(const StoredReceipt& r) {
  if (options_.read_only) return Status::FailedPrecondition("store opened read-only");
  std::string key = kMetaReceiptPrefix + r.holder;
  key.push_back('\0');
  PutBig64(&key, r.holder_epoch);
  PutBig64(&key, static_cast<uint64_t>(r.at_ms));
  std::string value;
  PutString(&value, r.body);
  value.append(r.signature);
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  return FromRocks(db_->Put(wo, cf_[kMeta], key, value), "recording a receipt");
}

std::vector<Store::StoredReceipt> Store::Receipts() const {
  std::vector<StoredReceipt> out;
  Status s = Scan(kMeta, kMetaReceiptPrefix, PrefixUpperBound(kMetaReceiptPrefix),
                  [&](std::string_view key, std::string_view value) {
                    std::string_view rest = key.substr(kMetaReceiptPrefix.size());
                    size_t zero = rest.find('\0');
                    if (zero == std::string_view::npos || rest.size() != zero + 17) return true;
                    StoredReceipt r;
                    r.holder = std::string(rest.substr(0, zero));
                    r.holder_epoch = GetBig64(rest.substr(zero + 1, 8));
                    r.at_ms = static_cast<int64_t>(GetBig64(rest.substr(zero + 9, 8)));
                    Reader reader(value);
                    std::string_view body, signature;
                    if (!reader.String(&body) || !reader.Fixed(kSignatureSize, &signature)) {
                      return true;
                    }
                    r.body = std::string(body);
                    r.signature = std::string(signature);
                    out.push_back(std::move(r));
                    return true;
                  });
  (void)s;  // a read error ends the list early
  return out;
}

}  // namespace hoso
