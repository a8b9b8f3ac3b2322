// SyncSession: one side of a sync session, as a pure state machine (docs/sync-protocol.md).
//
// It consumes the peer's messages and produces its own; it never touches a socket, so tests
// drive two sessions over an in-memory duplex and the TLS transport is a thin layer under it.
// It reads and writes the node's Store: outgoing batches come from it, incoming ones go
// through Store::Ingest (which verifies them in full), and what the peer holds is kept in the
// store's meta (sync/peer_state.h), so a cut session resumes where it stopped.
// Thread-safety: a session is used by one thread at a time.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/log/store.h"
#include "sync/messages.h"
#include "sync/partial_chunks.h"
#include "sync/peer_state.h"

namespace hoso::sync {

class HealthBook;  // sync/health.h

// Decides whether an origin's key may be trusted (its certificate chains to the deployment's
// CA and names that unit and epoch). Returns the reason when not.
using OriginVerifier = std::function<Status(const OriginMsg&)>;

// The deployment's rule for OriginVerifier: the certificate chains to the CA, is valid at
// now_s and not revoked, and names that unit, epoch and key.
Status CheckOriginCertificate(const OriginMsg& origin, std::string_view ca_pem,
                              std::string_view crl_pem, int64_t now_s);

struct SessionOptions {
  size_t max_batch_events = 1000;
  size_t window = 8;  // batches in flight
  // Streams this node keeps knowledge of per peer: a peer announcing more ends the session.
  size_t max_peer_streams = 100000;
  // The largest frame the peer reads (its TlsConfig::max_frame): batches are cut to fit.
  size_t max_frame = kDefaultMaxFrame;
  // Office health (sync/health.h): with a book, the session announces the feature, keeps what
  // its children report, and reports to its parent (its own state and what it holds).
  std::shared_ptr<HealthBook> health;
  // Documents (docs/documents.md). The chunk bytes this side has asked the peer for and not
  // yet received are what a new batch from the peer can wait behind (the peer's transport
  // sends its other messages first, but what is already on the wire is ahead). The window
  // adapts to the measured rate: what the link's round trip holds, plus what takes about
  // document_delay_ms to arrive behind it, between the two bounds. 0 as the largest window:
  // this side fetches no chunks (it still serves).
  int64_t document_delay_ms = 1000;
  size_t document_min_window_bytes = 24 * 1024;
  size_t document_max_window_bytes = 2 << 20;
  // Chunks partly received when a session ended, for the next (sessions made from copies of
  // these options share it).
  std::shared_ptr<PartialChunks> partial_chunks = std::make_shared<PartialChunks>();
};

struct SessionStats {
  uint64_t batches_sent = 0, events_sent = 0;
  uint64_t batches_received = 0, events_received = 0, duplicates_received = 0;
  uint64_t change_entries_received = 0;
  uint64_t purged_channels = 0;
  uint64_t receipts_sent = 0, receipts_received = 0;
  uint64_t health_reports_sent = 0, health_reports_received = 0;
  uint64_t keys_sent = 0, keys_received = 0;
  // Documents: chunks received whole and stored, their bytes as received (pieces re-asked
  // after a cut count again), chunks the peer had not or would not serve; chunk pieces served.
  uint64_t chunks_received = 0, chunk_bytes_received = 0, chunks_unavailable = 0;
  uint64_t chunks_corrupt = 0;  // received whole, not hashing to their names: not stored
  uint64_t chunk_pieces_sent = 0, chunk_bytes_sent = 0, chunks_refused = 0;
  int64_t clock_skew_ms = 0;  // peer's wall clock minus ours, from HELLO
  uint64_t protocol = 0;      // the version both speak: the older of the two HELLOs (0 before)
};

class SyncSession {
 public:
  // `peer_unit` and `peer_epoch` are the identity the transport authenticated (certificate).
  SyncSession(Store* store, std::string peer_unit, uint64_t peer_epoch, OriginVerifier verifier,
              const Clock* clock, SessionOptions options = {});
  // Keeps the chunks partly received for the next session (SessionOptions::partial_chunks).
  ~SyncSession();
  SyncSession(const SyncSession&) = delete;
  SyncSession& operator=(const SyncSession&) = delete;

  // The peer's key and certificate as the transport authenticated them: the peer becomes a
  // trusted origin (its receipts are verified with that key).
  void SetPeerIdentity(std::string public_key, std::string certificate);

  // The opening HELLO, appended to *out with what can be sent before the peer's. A non-OK
  // Status (what is known of the peer could not be read) ends the session; *out then ends
  // with the ERROR to send.
  Status Start(std::vector<Message>* out);
  // Handles one message from the peer, appending replies to *out. A non-OK Status ends the
  // session; *out then ends with the ERROR to send. Taken by value: a BATCH moves on to the
  // ingest sink without a copy of its events.
  Status Handle(Message in, std::vector<Message>* out);
  // New commits in the store: pushes what the peer lacks.
  void OnCommit(std::vector<Message>* out);
  // A commit moved `moved` (the store's commit listener says which): pushes what the peer
  // lacks of those streams alone. A hub's every session is woken by every commit, most of
  // which move one commune's stream no other session carries: looking at every stream the
  // store holds at each (OnCommit above) made 200 sessions x 200 streams per commit, and the
  // io thread could no longer read (hub_bench). A system channel's move (a directory may
  // change what the link carries) looks at every stream again.
  void OnCommit(const std::vector<StreamKey>& moved, std::vector<Message>* out);

  // By default Handle ingests each BATCH inline. A transport that ingests on worker threads
  // sets a sink instead, and reports each outcome with OnIngested, in order per stream. The
  // sink gets the message itself (its hold with it); OnIngested needs only its stream and head.
  void SetIngestSink(std::function<void(BatchMsg)> sink) { ingest_sink_ = std::move(sink); }
  Status OnIngested(const Batch& b, const Status& result, const IngestStats& st,
                    std::vector<Message>* out);

  // True when the HELLOs were exchanged and nothing is queued, in flight or awaited (chunk
  // pieces included).
  bool Settled() const;
  // No chunk piece asked and unanswered, and none this side could ask the peer for now.
  bool DocumentsSettled() const;
  // The documents lane's current window (bytes asked and unanswered at most).
  size_t document_window() const { return chunk_window_; }
  const SessionStats& stats() const { return stats_; }

  // May this link carry `channel`? Both ends' scopes must contain it (system channels always).
  bool Shared(const std::string& channel) const;

 private:
  std::function<bool(const std::string&)> SharedFilter() const;
  Status OnHello(const Hello& h, std::vector<Message>* out);
  Status OnChanges(const Changes& c, std::vector<Message>* out);
  void Schedule();
  // Queues `stream` when the peer lacks events of it up to `head_seq`.
  void Enqueue(const StreamKey& stream, uint64_t head_seq);
  void Pump(std::vector<Message>* out);
  // Whether the peer reads `batch` in one frame: within kMaxBatchPlainBytes decompressed, and
  // its compressed events within kMaxBatchCompressedBytes and max_frame.
  bool FitsAFrame(const Batch& batch) const;
  Status OnBatch(BatchMsg m, std::vector<Message>* out);
  // Case keys (docs/privacy.md): those of a batch's sealed values go just before it.
  void SendKeys(const std::vector<std::string>& events, std::vector<Message>* out);
  Status OnKeys(KeysMsg m, std::vector<Message>* out);
  Status OnAck(const Ack& a, std::vector<Message>* out);
  Status OnOrigin(const OriginMsg& o, std::vector<Message>* out);
  Status OnReceiptRequest(std::vector<Message>* out);
  bool PeerIsParent() const;  // an ancestor: it owes us receipts
  Status OnReceipt(const ReceiptMsg& m, std::vector<Message>* out);
  Status Fail(Status s, std::vector<Message>* out);
  // Office health (sync/session_health.cc).
  Status HandleMessage(Message in, std::vector<Message>* out);
  Status OnHealth(const HealthMsg& m, std::vector<Message>* out);
  void MaybeSendHealth(std::vector<Message>* out);

  Store* store_;
  PeerState peers_;
  std::string peer_unit_;
  uint64_t peer_epoch_;
  OriginVerifier verifier_;
  const Clock* clock_;
  SessionOptions options_;
  std::string me_;
  std::string peer_key_;  // unit#epoch

  bool hello_sent_ = false, hello_received_ = false, failed_ = false;
  bool awaiting_changes_ = false;  // the peer changed since we last saw it: CHANGES will come
  VersionVector known_;            // what the peer holds, as far as we know
  std::deque<StreamKey> queue_;    // streams with events to send
  std::map<StreamKey, uint64_t> next_seq_;
  std::map<std::pair<StreamKey, uint64_t>, Hash> in_flight_;  // (stream, head seq) -> head id
  std::set<std::pair<std::string, uint64_t>> origins_sent_;
  std::set<uint64_t> acked_counters_;  // the peer's commit counters our ACKs reported
  std::set<StreamKey> delivered_;      // streams the peer delivered since our last receipt
  SessionStats stats_;
  std::function<void(BatchMsg)> ingest_sink_;
  size_t ingests_pending_ = 0;
  // Office health: the peer announced it reads HEALTH; when our own report last went; the
  // book's generation last looked at; what of each unit we sent (epoch, seq).
  bool peer_reads_health_ = false;
  // What the peer reads, as its last session announced it: known from the start when it
  // announced it before (batches then go with the HELLO), else from the PONG that follows its
  // HELLO (or its absence). Nothing is sent before, so that no batch goes without its keys.
  bool features_known_ = false, features_checked_ = false;
  int64_t peer_features_ = 0;
  bool peer_reads_keys_ = false;
  Status NoteFeatures(int64_t features, std::vector<Message>* out);
  // The keys the peer sent for its next BATCH.
  static constexpr size_t kMaxPendingKeys = 4 * kMaxKeysPerMessage;
  std::vector<CaseKey> pending_keys_;
  int64_t health_own_sent_ms_ = 0;
  bool health_own_sent_ = false;
  uint64_t health_generation_ = 0;
  std::map<std::string, std::pair<uint64_t, uint64_t>> health_sent_;

  // Documents (sync/session_documents.cc): the lane that asks the peer for wanted chunks,
  // piece by piece, within a window, and answers its asks.
  Status OnChunkWant(const ChunkWant& w, std::vector<Message>* out);
  Status OnChunk(ChunkMsg m, std::vector<Message>* out);
  void PumpChunks(std::vector<Message>* out);
  bool ChunkLaneOpen() const;
  // The next wanted chunk to start, if any (scans the store's wants as needed).
  std::optional<WantedChunk> NextWantedChunk();
  void MeasureChunkRate(size_t bytes);
  struct AskedPiece {
    Hash name;
    uint64_t offset, length;
    int64_t asked_ms;
  };
  struct Assembly {
    uint32_t size = 0;
    uint64_t asked_to = 0;  // the next offset to ask for
    std::string bytes;      // received so far (answers come in order)
  };
  std::deque<AskedPiece> asked_;  // in the order asked, the order the peer answers
  size_t asked_bytes_ = 0;
  std::map<Hash, Assembly> assembling_;
  std::set<Hash> unavailable_;  // answered null this session (asked again after a while)
  int64_t unavailable_since_ms_ = 0;
  std::deque<WantedChunk> candidates_;
  std::string want_cursor_;  // the store's wants scanned up to here
  bool wants_exhausted_ = false, wants_changed_ = false;
  size_t chunk_window_ = 0;
  int64_t rate_since_ms_ = 0;  // the current rate sample: since when, bytes received
  size_t rate_bytes_ = 0;
  bool window_limited_ = false;  // the lane stopped at the window, not for want of chunks
  // The shortest time a piece took from its CHUNK_WANT to its CHUNK this session: the link's
  // round trip (and a piece's transmission), bytes in flight that delay nothing queued.
  int64_t min_piece_ms_ = -1;
  // The chunk last served (a peer asks for it piece by piece): its name and bytes, or none.
  std::optional<Hash> served_name_;
  std::optional<std::string> served_chunk_;
  // Chunk bytes read from the store to answer the peer: bounded by what is sent (a peer
  // switching chunks at every tiny ask would make each answer cost a chunk's read).
  uint64_t chunk_bytes_read_ = 0;
};

}  // namespace hoso::sync
