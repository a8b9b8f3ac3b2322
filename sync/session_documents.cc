// SyncSession's documents lane (docs/documents.md, docs/sync-protocol.md "Documents"): it asks
// the peer for the chunks this node wants, piece by piece within a window, and answers the
// peer's asks. Events never wait for it: the lane only ever has a window of bytes asked, the
// peer's transport sends its other messages before chunk pieces, and a received chunk is
// stored on its own, outside any group commit.
#include <algorithm>

#include "core/format/crypto.h"
#include "core/format/document.h"
#include "sync/session.h"

namespace hoso::sync {
namespace {

// Chunks whose pieces are being received, held in memory until whole: bounds what a session
// holds (with the largest window, its pieces span about this many chunks).
constexpr size_t kMaxAssembling = 10;
// How many wants one scan of the store reads.
constexpr size_t kWantScan = 64;
// A rate sample lasts at least this long.
constexpr int64_t kRateSampleMs = 500;
// A chunk the peer did not serve is asked again after this long (a relay may have it by then).
constexpr int64_t kUnavailableRetryMs = 60 * 1000;
// Chunk bytes a holder reads beyond four times what it sends before it ends the session:
// an honest asker resuming chunks after a cut reads a few whole chunks for their tails.
constexpr uint64_t kMaxChunkReadSlack = 4 << 20;

}  // namespace

bool SyncSession::ChunkLaneOpen() const {
  return hello_received_ && features_checked_ && !failed_ &&
         (peer_features_ & kFeatureDocuments) != 0 && options_.document_max_window_bytes > 0;
}

bool SyncSession::DocumentsSettled() const {
  if (!asked_.empty()) return false;
  if (!ChunkLaneOpen()) return true;
  std::vector<WantedChunk> wanted;
  // What the lane would ask for now: a want of a shared channel it has not found unavailable.
  std::string after;
  auto shared = SharedFilter();
  for (;;) {
    wanted.clear();
    if (!store_->ScanWantedChunks(after, shared, kWantScan, &wanted).ok()) return true;
    for (const WantedChunk& w : wanted) {
      if (!unavailable_.count(w.name)) return false;
    }
    if (wanted.size() < kWantScan) return true;
    after = wanted.back().key;
  }
}

std::optional<WantedChunk> SyncSession::NextWantedChunk() {
  for (int scans = 0; scans < 16; ++scans) {
    while (!candidates_.empty()) {
      WantedChunk w = std::move(candidates_.front());
      candidates_.pop_front();
      if (unavailable_.count(w.name) || assembling_.count(w.name) || store_->HasChunk(w.name)) {
        continue;
      }
      return w;
    }
    if (wants_exhausted_) {
      if (!wants_changed_) return std::nullopt;
      wants_changed_ = false;
      wants_exhausted_ = false;
      want_cursor_.clear();
    }
    std::vector<WantedChunk> found;
    if (!store_->ScanWantedChunks(want_cursor_, SharedFilter(), kWantScan, &found).ok()) {
      return std::nullopt;  // asked again at the next message or commit
    }
    if (found.size() < kWantScan) wants_exhausted_ = true;
    if (!found.empty()) want_cursor_ = found.back().key;
    for (auto& w : found) candidates_.push_back(std::move(w));
  }
  return std::nullopt;  // many unservable wants in a row: the rest at the next pump
}

SyncSession::~SyncSession() {
  if (!options_.partial_chunks) return;
  for (auto& [name, a] : assembling_) {
    if (!a.bytes.empty() && a.bytes.size() < a.size) {
      options_.partial_chunks->Put(name, std::move(a.bytes));
    }
  }
}

void SyncSession::PumpChunks(std::vector<Message>* out) {
  if (!ChunkLaneOpen()) return;
  const int64_t now = clock_->NowMs();
  if (!unavailable_.empty() &&
      (now - unavailable_since_ms_ >= kUnavailableRetryMs || now < unavailable_since_ms_)) {
    unavailable_.clear();
    wants_changed_ = true;
  }
  if (chunk_window_ == 0) {
    chunk_window_ =
        std::min(options_.document_min_window_bytes, options_.document_max_window_bytes);
  }
  // A third of the window per piece: the link stays busy while a piece is answered.
  const size_t piece = std::clamp<size_t>(chunk_window_ / 3, 1024, kMaxChunkPiece);
  window_limited_ = false;
  for (;;) {
    Assembly* a = nullptr;
    Hash name{};
    for (auto& [n, as] : assembling_) {
      if (as.asked_to < as.size) {
        a = &as;
        name = n;
        break;
      }
    }
    if (!a) {
      if (assembling_.size() >= kMaxAssembling) {
        window_limited_ = true;
        return;
      }
      if (asked_bytes_ + piece > chunk_window_ && asked_bytes_ > 0) {
        window_limited_ = true;
        return;
      }
      auto next = NextWantedChunk();
      if (!next) return;
      name = next->name;
      a = &assembling_[name];
      a->size = next->size;
      // What an earlier session received of it: asked from where it stopped.
      if (options_.partial_chunks) a->bytes = options_.partial_chunks->Take(name);
      if (a->bytes.size() >= a->size) a->bytes.clear();
      a->asked_to = a->bytes.size();
    }
    const uint64_t length = std::min<uint64_t>(piece, a->size - a->asked_to);
    if (asked_bytes_ + length > chunk_window_ && asked_bytes_ > 0) {
      window_limited_ = true;
      return;
    }
    out->push_back(ChunkWant{name, a->asked_to, length});
    asked_.push_back({name, a->asked_to, length, now});
    asked_bytes_ += length;
    a->asked_to += length;
  }
}

void SyncSession::MeasureChunkRate(size_t bytes) {
  const int64_t now = clock_->NowMs();
  if (rate_since_ms_ == 0 || now < rate_since_ms_) {
    rate_since_ms_ = now;
    rate_bytes_ = 0;
    return;
  }
  rate_bytes_ += bytes;
  const int64_t elapsed = now - rate_since_ms_;
  if (elapsed < kRateSampleMs) return;
  // Only a lane held back by its window measures the link; an idle one measures its wants.
  if (window_limited_ || rate_bytes_ >= chunk_window_) {
    // What the link holds in flight (rate x round trip) delays no event; what is queued
    // beyond it should take about document_delay_ms to drain.
    const double rate = static_cast<double>(rate_bytes_) / static_cast<double>(elapsed);
    const double target = rate * static_cast<double>(std::max<int64_t>(min_piece_ms_, 0) +
                                                     options_.document_delay_ms);
    // Never past the maximum, even one set below the minimum.
    const size_t hi = options_.document_max_window_bytes;
    const size_t lo = std::min(options_.document_min_window_bytes, hi);
    chunk_window_ =
        static_cast<size_t>(std::clamp(target, static_cast<double>(lo), static_cast<double>(hi)));
  }
  rate_since_ms_ = now;
  rate_bytes_ = 0;
}

Status SyncSession::OnChunk(ChunkMsg m, std::vector<Message>* out) {
  if (asked_.empty() || asked_.front().name != m.name || asked_.front().offset != m.offset) {
    return Fail(Status::InvalidArgument("CHUNK " + Hex(m.name).substr(0, 16) + " at " +
                                        std::to_string(m.offset) + " was not asked for next"),
                out);
  }
  const AskedPiece piece = asked_.front();
  asked_.pop_front();
  asked_bytes_ -= piece.length;
  const int64_t took = clock_->NowMs() - piece.asked_ms;
  if (took >= 0 && (min_piece_ms_ < 0 || took < min_piece_ms_)) min_piece_ms_ = took;
  auto it = assembling_.find(m.name);
  if (!m.bytes) {
    if (it != assembling_.end()) {
      ++stats_.chunks_unavailable;
      assembling_.erase(it);
      if (unavailable_.empty()) unavailable_since_ms_ = clock_->NowMs();
      unavailable_.insert(m.name);
    }
    PumpChunks(out);
    return Status::Ok();
  }
  if (m.bytes->size() != piece.length) {
    return Fail(Status::InvalidArgument("CHUNK " + Hex(m.name).substr(0, 16) + " carries " +
                                        std::to_string(m.bytes->size()) + " bytes, " +
                                        std::to_string(piece.length) + " were asked"),
                out);
  }
  stats_.chunk_bytes_received += piece.length;
  MeasureChunkRate(piece.length);
  if (it != assembling_.end()) {  // else the chunk was refused in an earlier piece
    Assembly& a = it->second;
    a.bytes += *m.bytes;
    if (a.bytes.size() == a.size) {
      Status s = store_->PutReceivedChunk(m.name, a.bytes);
      assembling_.erase(it);
      if (s.code() == Code::kCorruption) {
        // Not stored, and not asked of this peer again for a while. An honest holder checks
        // its copy before serving it, so the bytes lie, or the size this store wants does (a
        // hostile docref naming the chunk at another size): the session goes on either way,
        // so one bad file cannot stop a link's events.
        ++stats_.chunks_corrupt;
        if (unavailable_.empty()) unavailable_since_ms_ = clock_->NowMs();
        unavailable_.insert(m.name);
        PumpChunks(out);
        return Status::Ok();
      }
      // FailedPrecondition: no longer wanted (another session brought it, or a purge).
      if (!s.ok() && s.code() != Code::kFailedPrecondition) return Fail(s, out);
      if (s.ok()) ++stats_.chunks_received;
    }
  }
  PumpChunks(out);
  return Status::Ok();
}

Status SyncSession::OnChunkWant(const ChunkWant& w, std::vector<Message>* out) {
  // The last chunk served is kept for the pieces asked next; a refusal is not (asked again
  // later, the chunk may have arrived since).
  if (!served_name_ || *served_name_ != w.name || !served_chunk_) {
    served_name_ = w.name;
    served_chunk_.reset();
    // Served only to a peer that shares a channel whose case names it, and only if it
    // verifies (a rotted copy is not passed on; audit names it).
    if (store_->ChunkNamedIn(w.name, SharedFilter())) {
      auto chunk = store_->GetChunk(w.name);
      if (chunk.ok()) chunk_bytes_read_ += chunk->size();
      if (chunk.ok() && Sha256(*chunk) == w.name) served_chunk_ = std::move(chunk).value();
    }
    // An asker fetches a chunk piece after piece: reads far beyond what is sent are a peer
    // making every tiny ask cost a whole chunk.
    if (chunk_bytes_read_ > 4 * stats_.chunk_bytes_sent + kMaxChunkReadSlack) {
      return Fail(Status::InvalidArgument(
                      "the peer asks for pieces of " + std::to_string(chunk_bytes_read_) +
                      " bytes of chunks and fetches " + std::to_string(stats_.chunk_bytes_sent)),
                  out);
    }
  }
  if (!served_chunk_) {
    ++stats_.chunks_refused;
    out->push_back(ChunkMsg{w.name, w.offset, std::nullopt});
    return Status::Ok();
  }
  if (w.offset + w.length > served_chunk_->size()) {
    // The asker's store wants the chunk at another size than it has (a hostile docref may
    // name a real chunk at any size): refused, as a chunk not held would be.
    ++stats_.chunks_refused;
    out->push_back(ChunkMsg{w.name, w.offset, std::nullopt});
    return Status::Ok();
  }
  ++stats_.chunk_pieces_sent;
  stats_.chunk_bytes_sent += w.length;
  out->push_back(ChunkMsg{w.name, w.offset, served_chunk_->substr(w.offset, w.length)});
  return Status::Ok();
}

}  // namespace hoso::sync
