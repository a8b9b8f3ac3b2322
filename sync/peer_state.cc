#include "sync/peer_state.h"

#include "core/base/coding.h"

namespace hoso::sync {

namespace {

// The meta keys (docs/storage-format.md, "Meta"):
//   "peer/" peer 0x00 stream_key      -> u64be(seq) id u64be(ver)
//   "peerseen/" peer                  -> u64be(counter)
//   "receipt/" unit 0x00 u64be(epoch) u64be(at_ms) -> str(body) sig
constexpr std::string_view kKnowledgePrefix = "peer/";
constexpr std::string_view kCounterPrefix = "peerseen/";
constexpr std::string_view kReceiptPrefix = "receipt/";
constexpr std::string_view kFeaturesPrefix = "peerfeatures/";

std::string KnowledgePrefix(std::string_view peer) {
  std::string key(kKnowledgePrefix);
  key += peer;
  key.push_back('\0');
  return key;
}

std::string CounterKey(std::string_view peer) {
  std::string key(kCounterPrefix);
  key += peer;
  return key;
}

}  // namespace

std::string PeerKey(std::string_view unit, uint64_t epoch) {
  return std::string(unit) + "#" + std::to_string(epoch);
}

Result<VersionVector> PeerState::Knowledge(std::string_view peer) const {
  VersionVector out;
  const std::string prefix = KnowledgePrefix(peer);
  HOSO_RETURN_IF_ERROR(store_
                           ->ScanMeta(prefix,
                                      [&](std::string_view key, std::string_view value) {
                                        auto stream = StreamKey::Decode(key.substr(prefix.size()));
                                        auto head = DecodeHeadRecord(value);
                                        if (stream.ok() && head) out[*stream] = *head;
                                        return true;
                                      })
                           .Annotate("reading what peer " + std::string(peer) + " holds"));
  return out;
}

Result<uint64_t> PeerState::EventsBehind(std::string_view peer, const VersionVector& ours) const {
  const std::string prefix = KnowledgePrefix(peer);
  uint64_t behind = 0;
  std::string value;
  for (const auto& [stream, head] : ours) {
    Status s = store_->GetMeta(prefix + stream.Encode(), &value);
    if (!s.ok() && s.code() != Code::kNotFound) {
      return s.Annotate("reading what peer " + std::string(peer) + " holds");
    }
    auto known = s.ok() ? DecodeHeadRecord(value) : std::nullopt;
    uint64_t theirs = known ? known->seq : 0;
    if (head.seq > theirs) behind += head.seq - theirs;
  }
  return behind;
}

Status PeerState::UpdateKnowledge(std::string_view peer, const VersionVector& heads) {
  const std::string prefix = KnowledgePrefix(peer);
  MetaBatch batch;
  for (const auto& [stream, head] : heads) {
    batch.Put(prefix + stream.Encode(), EncodeHeadRecord(head));
  }
  return store_->WriteMeta(batch, /*sync=*/false).Annotate("recording peer knowledge");
}

Status PeerState::ForgetKnowledge(std::string_view peer,
                                  const std::function<bool(const std::string&)>& channels) {
  const std::string prefix = KnowledgePrefix(peer);
  MetaBatch batch;
  HOSO_RETURN_IF_ERROR(store_
                           ->ScanMeta(prefix,
                                      [&](std::string_view key, std::string_view) {
                                        auto stream = StreamKey::Decode(key.substr(prefix.size()));
                                        if (stream.ok() && channels(stream->channel))
                                          batch.Delete(key);
                                        return true;
                                      })
                           .Annotate("forgetting peer knowledge"));
  return store_->WriteMeta(batch, /*sync=*/false).Annotate("forgetting peer knowledge");
}

Result<uint64_t> PeerState::Counter(std::string_view peer) const {
  std::string value;
  Status s = store_->GetMeta(CounterKey(peer), &value);
  if (s.code() == Code::kNotFound) return uint64_t{0};
  if (!s.ok()) return s.Annotate("reading the counter of peer " + std::string(peer));
  return value.size() == 8 ? GetBig64(value) : 0;
}

Status PeerState::SetCounter(std::string_view peer, uint64_t counter) {
  std::string value;
  PutBig64(&value, counter);
  return store_->PutMeta(CounterKey(peer), value, /*sync=*/false)
      .Annotate("recording peer counter");
}

Result<std::optional<int64_t>> PeerState::Features(std::string_view peer) const {
  std::string value;
  Status s = store_->GetMeta(std::string(kFeaturesPrefix) + std::string(peer), &value);
  if (s.code() == Code::kNotFound) return std::optional<int64_t>();
  if (!s.ok()) return s.Annotate("reading the features of peer " + std::string(peer));
  if (value.size() != 8) return std::optional<int64_t>();
  return std::optional<int64_t>(static_cast<int64_t>(GetBig64(value)));
}

Status PeerState::SetFeatures(std::string_view peer, int64_t features) {
  std::string value;
  PutBig64(&value, static_cast<uint64_t>(features));
  return store_->PutMeta(std::string(kFeaturesPrefix) + std::string(peer), value, /*sync=*/false)
      .Annotate("recording peer features");
}

Status PeerState::AddReceipt(const StoredReceipt& r) {
  std::string key(kReceiptPrefix);
  key += r.holder;
  key.push_back('\0');
  PutBig64(&key, r.holder_epoch);
  PutBig64(&key, static_cast<uint64_t>(r.at_ms));
  std::string value;
  PutString(&value, r.body);
  value.append(r.signature);
  return store_->PutMeta(key, value, /*sync=*/true).Annotate("recording a receipt");
}

Result<std::vector<StoredReceipt>> PeerState::Receipts() const {
  std::vector<StoredReceipt> out;
  HOSO_RETURN_IF_ERROR(
      store_
          ->ScanMeta(kReceiptPrefix,
                     [&](std::string_view key, std::string_view value) {
                       std::string_view rest = key.substr(kReceiptPrefix.size());
                       size_t zero = rest.find('\0');
                       if (zero == std::string_view::npos || rest.size() != zero + 17) {
                         return true;
                       }
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
                     })
          .Annotate("reading the receipts"));
  return out;
}

}  // namespace hoso::sync
