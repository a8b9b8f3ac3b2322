// PeerState: sync's records of its peers, kept in the store's meta key-value space
// (Store::GetMeta and the rest; the keys are in docs/storage-format.md, "Meta"):
//   - knowledge (`peer/`): what each peer holds as far as this node knows, stream by stream,
//     from its CHANGES and ACKs and the batches it sent, so a cut session resumes where it
//     stopped;
//   - counters (`peerseen/`): the peer's last commit counter whose changes this node applied;
//   - features (`peerfeatures/`): what the peer announced it reads (sync/messages.h), so the
//     next session sends at once what it may;
//   - receipts (`receipt/`): what a parent signed for what this node delivered
//     (sync/receipt.h), kept opaque as evidence.
// The log knows nothing of these: they are written outside its commits and no purge touches
// them. Knowledge and counters are written without a WAL sync (a lost update costs a re-sent
// batch, never data); receipts are WAL-synced. A peer is named "unit#epoch" (PeerKey):
// knowledge is per peer epoch, so nothing known of a node is assumed of its restored self.
// Every read returns the store's error; a record of the wrong shape is skipped (knowledge,
// receipts) or read as none (a counter).
// Thread-safety: as the Store's: any method from any thread (a PeerState holds only the
// store's pointer; two writers of one peer's records are sync's to avoid, one session per
// peer identity).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/format/batch.h"
#include "core/log/store.h"

namespace hoso::sync {

// The name sync keeps a peer's records under: unit "#" epoch in decimal, e.g. "883#1".
std::string PeerKey(std::string_view unit, uint64_t epoch);

struct StoredReceipt {
  std::string holder;  // the signing node's unit
  uint64_t holder_epoch = 0;
  int64_t at_ms = 0;
  std::string body, signature;  // the signed body (sync/receipt.h) and its signature
};

class PeerState {
 public:
  explicit PeerState(Store* store) : store_(store) {}

  // What this node knows the peer holds.
  [[nodiscard]] Result<VersionVector> Knowledge(std::string_view peer) const;
  // How many events of `ours` the peer lacks as far as this node knows. Reads one record per
  // stream of `ours`, never the peer's whole knowledge, which its announcements can fill up
  // to SessionOptions::max_peer_streams: the cost is bounded by what this node holds.
  [[nodiscard]] Result<uint64_t> EventsBehind(std::string_view peer,
                                              const VersionVector& ours) const;
  // Records heads the peer holds (replacing what was known of those streams).
  [[nodiscard]] Status UpdateKnowledge(std::string_view peer, const VersionVector& heads);
  // Forgets what is known of the peer's streams in the channels `channels` accepts.
  [[nodiscard]] Status ForgetKnowledge(std::string_view peer,
                                       const std::function<bool(const std::string&)>& channels);

  // The peer's last commit counter whose changes this node applied (0: none).
  [[nodiscard]] Result<uint64_t> Counter(std::string_view peer) const;
  [[nodiscard]] Status SetCounter(std::string_view peer, uint64_t counter);

  // The features the peer announced in its last session (`peerfeatures/`): nullopt before any.
  [[nodiscard]] Result<std::optional<int64_t>> Features(std::string_view peer) const;
  [[nodiscard]] Status SetFeatures(std::string_view peer, int64_t features);

  [[nodiscard]] Status AddReceipt(const StoredReceipt& receipt);  // WAL-synced
  // Every receipt kept, by holder, holder epoch and time.
  [[nodiscard]] Result<std::vector<StoredReceipt>> Receipts() const;

 private:
  Store* store_;
};

}  // namespace hoso::sync
