// Store: the node's case log on RocksDB, and the only way anything is written to it.
//
// Everything that changes the log goes through one of two doors, and each commit is one
// RocksDB WriteBatch across all column families (docs/storage-format.md):
//   - Append: local writes by this node. Writers queue; the one at the front leads, folds
//     the whole queue into one batch, signs one head per stream it touched, and commits with
//     a synced WAL (group commit, as in leveldb's DBImpl::Write). Append returns only after
//     the commit is durable.
//   - Ingest: a remote batch of one stream ending at a signed head. It is validated in full
//     first (canonical bytes, chain continuity, the head's signature by a known origin key,
//     the write rule against the directory at each event's time, scope, no fork) and then
//     committed atomically, or rejected with a Status that says exactly why, having changed
//     nothing. The one exception is a fork, which is stored as evidence and freezes the
//     stream.
// Reads (cases, indexes, vectors, stream iterators) see committed data only.
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/base/clock.h"
#include "core/base/status.h"
#include "core/base/worker_pool.h"
#include "core/format/batch.h"
#include "core/format/crypto.h"
#include "core/format/document.h"
#include "core/format/event.h"
#include "core/format/hlc.h"
#include "core/log/case_state.h"
#include "core/log/directory.h"
#include "core/log/projection.h"
#include "core/log/revocations.h"

namespace rocksdb {
class DB;
class Env;
class ColumnFamilyHandle;
class Iterator;
class Slice;
class Status;
class WriteBatch;
struct DBOptions;
}  // namespace rocksdb

namespace hoso {

// The on-disk format a node's store has (docs/storage-format.md): "2", every file encrypted
// under the node's master key (core/log/store_cipher.h). This build also reads and writes format
// "1", the same bytes in plaintext files (stores opened without a key: tools' and tests'); a
// store of any other format is refused at Open with a message naming both.
std::string_view StoreFormat();
// The format of a store opened without a master key: "1".
std::string_view PlainStoreFormat();

struct Identity {
  std::string unit;
  uint64_t epoch = 0;
  SigningKey key;
};

struct StoreOptions {
  std::string path;
  std::string root_unit;             // the deployment's root authority (writes system channels)
  std::optional<Identity> identity;  // absent: a read-only or relay-less tool store
  const Clock* clock = SystemClock::Default();
  // The filesystem RocksDB uses (nullptr: the real one); tests inject faults through it.
  rocksdb::Env* env = nullptr;
  // The node's master key (32 bytes): the store is format 2, its files encrypted under it.
  // Empty: a plaintext store of format 1. Opening one kind with the other's options is refused
  // with a message saying what to do. Never logged.
  std::string master_key;
  int64_t max_drift_ms = HybridClock::kDefaultMaxDriftMs;
  // A node holds only its scope; tools that inspect any data turn this off.
  bool enforce_scope = true;
  bool sync_writes = true;  // false only for throwaway benchmark stores
  size_t block_cache_mb = 32;
  bool read_only = false;
  // With read_only: open as a RocksDB secondary instance whose own files go here, so the store
  // can be read while its node runs and writes it (the auditor's case).
  std::string secondary_path;
  // Called with the bytes of each commit's WriteBatch (local or remote) once it is durable, in
  // commit order, on the committing thread. The core bench replays them into plain RocksDB to
  // measure what the schema alone costs.
  std::function<void(std::string_view)> on_commit;
  // The domain's rules (core/domain/case_log.h sets the case log's). The schema every event must
  // meet before it is stored, local or remote (nullptr: none beyond the event format).
  std::function<Status(const Event&)> check_event;
  // How concurrent writes of a field rank, set on every state the store folds or returns
  // (nullptr: the last in fold order). Must outlive the store.
  const ConflictPolicy* conflict_policy = nullptr;
  // What the store keeps in its index family for each case state (core/log/projection.h). The
  // order is part of nothing; each must outlive the store.
  std::vector<const Projection*> projections;
  // The system channels beyond the log's own "$directory" and "$revocations" (the case log
  // adds "$catalogue" and "$calendar"): any other "$..." name is no channel at all, and no
  // link carries it.
  std::vector<std::string> system_channels;
  // Body fields that hold personal data: a local write seals them under its case's key
  // (core/format/sealed_field.h) before it signs the event; reads open them with
  // Store::OpenField. The case log names "applicant" and "return_address".
  std::vector<std::string> sealed_fields;
  // Body fields that hold a document reference (core/format/document.h). The store checks each
  // (an event with a malformed one is refused), records which channels' cases name each chunk
  // (a holder serves a chunk only to a peer that shares one of them), and wants every chunk it
  // does not hold (docs/documents.md). The case log names "document".
  std::vector<std::string> document_fields;
  // The chunks of documents attached longer ago than this are wanted only once asked for
  // (Store::FetchDocument); 0: every document is fetched as it is learned of.
  int64_t fetch_documents_within_ms = 0;
};

// A chunk this node wants: its name, its sealed size (what the docref implies) and a channel
// whose case names it (who may be asked for it).
struct WantedChunk {
  Hash name{};
  uint32_t size = 0;
  std::string channel;
  std::string key;  // its position, for the next scan
};

// A case key as sync and bundles carry it: the key that opens the case's sealed fields.
struct CaseKey {
  std::string case_code;
  std::string key;  // 32 bytes
};
// The most keys a node keeps for one case (a case is sealed under one; a few more arise when
// offices that had none sealed concurrently). Keys past it are not stored.
constexpr size_t kMaxKeysPerCase = 8;

// An erasure as this node recorded it (core/log/erasure.h): the first "$erasure" event naming
// the case. From then on the case's keys are gone here and none is stored again.
struct Erasure {
  std::string case_code;
  int64_t at_ms = 0;  // the erasure event's time
  std::string by;     // the root unit that signed it
  std::string decision, ground;
  Hash event{};
};

struct IngestStats {
  uint64_t applied = 0;
  uint64_t duplicates = 0;   // events already held (re-sent after a cut)
  uint64_t clock_ahead = 0;  // events stored but too far ahead to advance our clock
  int64_t max_ahead_ms = 0;  // how far the furthest of those was ahead of our wall clock
  uint64_t counter = 0;      // the commit counter of the commit that stored them (0: none)
};

struct LocalWrite {
  std::string channel;
  std::string case_code;
  std::string type;
  cbor::Value body = cbor::Value::Map();
  std::string officer;
};

// The local writes that load a units table into "$directory" (the root authority's job).
std::vector<LocalWrite> DirectoryWrites(const std::vector<UnitRecord>& units, int64_t valid_from_ms,
                                        const std::string& officer);

struct Appended {
  StreamKey stream;
  uint64_t seq = 0;
  Hash id{};
  uint64_t hlc = 0;
};

struct HistoryEntry {
  Hash id{};
  Event event;
  // Its recorded time is before that of an event it saw: its author's clock was wrong (or the
  // other's). It still folds after what it saw (docs/case-fold.md).
  bool recorded_before_deps = false;
};

struct CaseView {
  CaseState state;
  std::vector<HistoryEntry> history;  // in fold order
};

// Bounded-memory iteration over one stream's events from a seq on.
class StreamReader {
 public:
  ~StreamReader();
  bool Valid() const;
  uint64_t seq() const;
  std::string_view bytes() const;  // canonical event bytes
  void Next();
  Status status() const;

 private:
  friend class Store;
  StreamReader(std::unique_ptr<rocksdb::Iterator> it, std::string upper);
  std::string upper_;
  std::unique_ptr<rocksdb::Slice> upper_slice_;  // outlives it_, which points at it
  std::unique_ptr<rocksdb::Iterator> it_;
};

// The most local writes one Append takes (one commit).
constexpr size_t kMaxAppendWrites = 1000;
// The most events one case may hold; an event past it is refused (its batch with it).
constexpr size_t kMaxCaseEvents = 4096;
// The most fields a case may have, and the most bytes its stored state may take: a case's
// state is rewritten whole by every commit that touches it. Remote events past them are
// refused (local writes are held to the fields bound only).
constexpr size_t kMaxCaseFields = 256;
constexpr size_t kMaxCaseStateBytes = 1 << 20;

// Puts and deletes of meta keys that Store::WriteMeta writes together.
class MetaBatch {
 public:
  void Put(std::string_view key, std::string_view value) {
    ops_.push_back({std::string(key), std::string(value), true});
  }
  void Delete(std::string_view key) { ops_.push_back({std::string(key), {}, false}); }
  bool empty() const { return ops_.empty(); }

 private:
  friend class Store;
  struct Op {
    std::string key, value;
    bool put;
  };
  std::vector<Op> ops_;
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> Open(StoreOptions options);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // ---- writes
  Result<Appended> Append(LocalWrite write);
  Result<std::vector<Appended>> Append(std::vector<LocalWrite> writes);
  // `keys`: case keys the peer sent with the batch. Those of cases the batch carries are
  // stored in its commit (unless erased, or already held, or past kMaxKeysPerCase); the rest
  // are ignored.
  Status Ingest(const Batch& batch, IngestStats* stats = nullptr, std::vector<CaseKey> keys = {});
  // Records the public key of an origin (its certificate was verified by the caller), and the
  // certificate itself when given, so it can travel with the origin's streams.
  Status TrustOrigin(std::string_view unit, uint64_t epoch, std::string_view public_key,
                     std::string_view certificate = {});
  // The certificate recorded for an origin ("" when none was).
  std::string OriginCertificate(std::string_view unit, uint64_t epoch) const;

  // ---- documents (core/format/document.h, docs/documents.md)
  // Seals a file and stores its chunks (identical ones once), synced, before the event that
  // attaches it is appended: that event carries the returned ref and key (the key as a sealed
  // field). Chunks no event ever names stay until a purge (docs/documents.md, "Limits").
  Result<SealedDocument> PutDocument(std::string_view plaintext);
  // The file, each chunk checked against its name and the whole against its digest. NotFound
  // names the first chunk not held here yet; Corruption the first that does not verify.
  Result<std::string> ReadDocument(const DocumentRef& ref, std::string_view key) const;
  // A sealed chunk as stored (NotFound when not held), unchecked: the caller verifies it.
  Result<std::string> GetChunk(const Hash& name) const;
  bool HasChunk(const Hash& name) const;
  // How many of a document's chunks are held here.
  size_t HeldChunks(const DocumentRef& ref) const;
  // Drops the held chunks of the document whose bytes no longer hash to their names (rotted,
  // altered) and wants them again from the peers that share a case naming them: a damaged
  // chunk is fetched again, never the whole file. Returns how many were dropped.
  Result<size_t> RefetchDamagedChunks(const DocumentRef& ref);
  // Stores a chunk a peer sent. It must be wanted (FailedPrecondition otherwise: nobody
  // pushes bytes this node did not ask for), of the wanted size and hash to its name
  // (Corruption). Not synced: a chunk lost in a crash is wanted again.
  Status PutReceivedChunk(const Hash& name, std::string_view sealed);
  // Wanted chunks of the channels passing `shared`, at most `limit`, from the position after
  // `after` (a WantedChunk::key; "" from the start). A channel not shared costs one seek.
  Status ScanWantedChunks(const std::string& after,
                          const std::function<bool(const std::string&)>& shared, size_t limit,
                          std::vector<WantedChunk>* out) const;
  uint64_t WantedChunkCount() const;
  // Whether a case of a channel passing `in_scope` names the chunk.
  bool ChunkNamedIn(const Hash& name,
                    const std::function<bool(const std::string&)>& in_scope) const;
  // Wants the chunks of a document that were left to be asked for (an old case, on a node
  // that fetches recent ones only).
  Status FetchDocument(const DocumentRef& ref);

  // ---- reads
  const StoreOptions& options() const { return options_; }
  // This store's format: StoreFormat() when encrypted, else PlainStoreFormat().
  std::string_view format() const;
  // "$directory", "$revocations" or one of options().system_channels.
  bool IsKnownSystemChannel(std::string_view channel) const;
  Result<std::string> OriginKey(std::string_view unit, uint64_t epoch) const;
  Result<CaseView> GetCase(std::string_view case_code) const;
  // ---- personal data (core/format/sealed_field.h)
  // A field's value (canonical CBOR) as plaintext CBOR: itself when not sealed, opened with the
  // case's key when sealed. FailedPrecondition when the case was erased (the message says when
  // and by which decision), NotFound when this node does not hold the key, Corruption when it
  // does not open.
  Result<std::string> OpenField(std::string_view case_code, std::string_view field,
                                std::string_view raw) const;
  // The keys held for the sealed values of these events (canonical bytes), once each: what a
  // peer receiving them needs to read them.
  Result<std::vector<CaseKey>> KeysForEvents(const std::vector<std::string>& events) const;
  // The erasure of a case, if one was stored; every erasure stored, by case code.
  Result<std::optional<Erasure>> ErasureOf(std::string_view case_code) const;
  Result<std::vector<Erasure>> Erasures() const;
  uint64_t ErasureCount() const { return erasures_held_.load(); }
  // Leaves no copy of an erased key in the store's files: flushes every family (the WAL that
  // held the key is then deleted) and compacts the meta family. Called after erasures commit.
  Status ScrubErasedKeys();
  Result<CaseState> GetCaseState(std::string_view case_code) const;
  // The cases of a channel, at most `limit`, in code order.
  Result<std::vector<std::string>> CasesOfChannel(std::string_view channel, size_t limit) const;
  // The index family's keys in [lower, upper) with their values, until `fn` returns false: the
  // entries of the projections (core/log/projection.h).
  Status ScanIndex(
      std::string_view lower, std::string_view upper,
      const std::function<bool(std::string_view key, std::string_view value)>& fn) const;
  // The counters of counters projections in [lower, upper): key and count.
  Status ScanIndexCounters(std::string_view lower, std::string_view upper,
                           const std::function<void(std::string_view, int64_t)>& fn) const;
  // Case codes starting with `prefix`, in byte order, at most `limit`.
  Result<std::vector<std::string>> CaseCodes(std::string_view prefix, size_t limit) const;

  std::optional<StreamHead> Head(const StreamKey& stream) const;
  // Every stream whose channel passes `in_scope`.
  VersionVector Vector(const std::function<bool(const std::string&)>& in_scope) const;
  // The highest signed head at or below seq, the lowest at or above it (sync batches end at
  // signed heads).
  Result<SignedHead> SignedHeadAtOrBefore(const StreamKey& stream, uint64_t seq) const;
  Result<SignedHead> SignedHeadAtOrAfter(const StreamKey& stream, uint64_t seq) const;
  // Every signed head stored for a stream, by seq. Records of the wrong size are returned
  // with an empty signature, for the auditor to report.
  Result<std::vector<SignedHead>> SignedHeads(const StreamKey& stream) const;
  // The same records one at a time, in key order, until `fn` returns false: a counter's node
  // has a signed head per event, and its self-check peaked at 239 MB holding 600k of them as
  // a vector (hub_bench); the auditor checks each as it goes by.
  Status ForEachSignedHead(const StreamKey& stream,
                           const std::function<bool(const SignedHead&)>& fn) const;
  // Events from_seq.. of a stream as a batch ending at a signed head: the last one within
  // max_events if there is one, else the first one after (a batch as its origin signed it).
  Result<Batch> ReadBatch(const StreamKey& stream, uint64_t from_seq, size_t max_events) const;

  // ---- meta: a small key-value space of the store's users, beside the log
  // Keys and values are bytes, kept in the meta family (docs/storage-format.md, "Meta") and
  // written outside the log's commits; the log reads none of them, and no purge, rebuild or
  // sync of the log touches them. Sync keeps its records of its peers there
  // (sync/peer_state.h). The store's own meta records (format, counters, origins,
  // fingerprints, marks) are not writable here: a write naming one is refused
  // (InvalidArgument), as is any write to a read-only store. As in leveldb: GetMeta answers
  // NotFound for an absent key, a MetaBatch is written atomically, and a `sync` write returns
  // once the WAL is synced (unless the store was opened with sync_writes off).
  Status GetMeta(std::string_view key, std::string* value) const;
  Status PutMeta(std::string_view key, std::string_view value, bool sync);
  Status WriteMeta(const MetaBatch& batch, bool sync);
  // Calls fn(key, value) for the meta keys starting with `prefix`, in byte order, until it
  // returns false.
  Status ScanMeta(
      std::string_view prefix,
      const std::function<bool(std::string_view key, std::string_view value)>& fn) const;

  // Called after every commit with the streams whose heads moved (from the committing
  // thread, outside the store's locks), and with none when only documents changed (a chunk
  // arrived, a document was asked for). Returns an id for RemoveCommitListener.
  using CommitListener = std::function<void(const std::vector<StreamKey>&)>;
  uint64_t AddCommitListener(CommitListener listener);
  void RemoveCommitListener(uint64_t id);
  Result<std::unique_ptr<StreamReader>> ReadStream(const StreamKey& stream,
                                                   uint64_t from_seq) const;

  // XOR of SHA-256(case, state) over the channel's cases; all zero when empty.
  Hash ChannelFingerprint(std::string_view channel) const;
  // SHA-256 over (channel, fingerprint) of the non-empty channels passing `in_scope`.
  Hash ScopeFingerprint(const std::function<bool(const std::string&)>& in_scope) const;
  // The same combination over given channel fingerprints (zero ones are skipped).
  static Hash CombineChannelFingerprints(std::vector<std::pair<std::string, Hash>> channels);
  uint64_t CaseCount() const;
  // Incremented by every commit; heads record the value at which they last moved, so a peer
  // can be told what changed since a counter it saw.
  uint64_t CommitCounter() const;

  // The directory as folded from "$directory": an immutable snapshot, shared, not copied.
  std::shared_ptr<const Directory> DirectorySnapshot() const;
  // The revocations as folded from "$revocations", with when this node learned of each.
  std::shared_ptr<const Revocations> RevocationsSnapshot() const;
  uint64_t ClockHighWater() const { return hlc_.high_water(); }
  HybridClock& clock() { return hlc_; }

  // Checks one stream as held: canonical events, seq 1..head without gaps, the prev chain,
  // the head record, and every stored signature against the origin key and the event at its
  // seq. Names the first problem found.
  Status VerifyStream(const StreamKey& stream) const;

  struct ForkRecord {
    StreamKey stream;
    uint64_t seq;
    Hash incoming;
  };
  std::vector<ForkRecord> Forks() const;

  // Purges every channel the directory has moved out of this node's scope (events, heads,
  // signatures, cases, indexes) and records each purge. Returns the purged channels.
  struct Purge {
    std::string channel;
    int64_t at_ms = 0;
    uint64_t events = 0, cases = 0;
  };
  Result<std::vector<Purge>> PurgeOutOfScope();
  Result<std::vector<Purge>> Purges() const;

  // Origins whose events arrived stamped too far ahead of this node's clock (beyond the HLC's
  // drift): a commune's wrong clock, seen by every node its events reach, not only its parent.
  // One record per origin, kept until the origin writes with a sane clock again.
  struct ClockAhead {
    std::string unit;
    uint64_t epoch = 0;
    int64_t latest_event_ms = 0;  // the latest time such an event of it claimed
    int64_t max_ahead_ms = 0;     // the most one was ahead of our wall clock when it arrived
    int64_t noticed_ms = 0;       // our wall clock when the last one arrived
    uint64_t events = 0;          // such events received (a batch re-sent after a cut counts again)
  };
  Result<std::vector<ClockAhead>> OriginsAhead() const;

  // Writes the memtables of every family to SST files (a clean shutdown: the next open has
  // no WAL to replay). Durability never depends on it: commits are WAL-synced.
  Status Flush();

  // True while RocksDB has a flush or compaction pending or running in any family.
  bool BackgroundWorkPending() const;
  // Flushes and waits, at most `timeout`, until no background work is pending or running: a
  // store at rest (before copying its directory; benchmarks start from such a store).
  Status Settle(std::chrono::milliseconds timeout);

  // A consistent copy of the store in `dir` (must not exist), openable as a store: a backup.
  Status Checkpoint(const std::string& dir) const;

  // Re-folds every case state and index from the log. Returns the number of events folded.
  Result<uint64_t> RebuildStates();

 private:
  struct Writer;
  struct Pending;
  struct Prepared;
  struct Touched;
  class KeyView;
  explicit Store(StoreOptions options);
  Status Load();
  Status UseStoreCipher(rocksdb::DBOptions* dbo);
  Status Submit(Writer* w);
  Status CommitLocal(std::deque<Writer*>& group);
  struct InFlight;
  Status Prepare(const Batch& batch, Prepared* out) const;
  Status StageRemote(Prepared& prep, IngestStats* stats, std::shared_ptr<InFlight>* handoff);
  // `writing`: the commit before is still being written (fold on this thread only).
  Status FoldRemote(Pending& p, Prepared& prep, size_t skip, const Pending* overlay, bool writing);
  static Status AwaitPredecessor(const std::shared_ptr<InFlight>& prev);
  // Records (in the commit) that the origin of `stream` wrote `events` too far ahead.
  void NoteClockAhead(Pending& p, const StreamKey& stream, int64_t latest_event_ms, int64_t now_ms,
                      uint64_t events);
  Status AwaitInFlight();
  Status ValidateLocalWrite(const LocalWrite& lw) const;
  Status CheckCaseChannel(const Pending& p, const std::vector<Event>& staged,
                          const std::string& case_code, const std::string& channel) const;
  Status LoadCase(const std::string& code, const std::string& channel, Touched* t) const;
  Status InitCase(const std::string& code, const std::string& channel, const rocksdb::Status& read,
                  std::string_view value, Touched* t) const;
  // `before` and `after` see the case keys as held before and after this commit.
  void FinishCase(Touched* t, const KeyView& before, const KeyView& after) const;
  // Takes a case out of the index family: its channel entry and every projection's keys.
  void Unproject(const CaseState& state, rocksdb::WriteBatch* wb) const;
  Status FoldInto(Pending& p, const Event& e, const Hash& id);
  static Status ApplyBounded(CaseState& state, const Event& e, const Hash& id);
  // Puts a staged commit's case records, index changes and report counters into its batch
  // while the commit before it may still be written; Write adds what depends on that one.
  void SealCases(Pending& p, const Pending* overlay = nullptr) const;
  // Personal data (core/log/store_keys.cc): seals a local event's personal fields, creating
  // the case's key in the commit when it has none; stores the keys a remote batch brought for
  // its cases; destroys the keys of the cases the commit's erasures name.
  Status SealLocalFields(Pending& p, Event& e) const;
  Result<std::string> LocalCaseKey(Pending& p, const std::string& case_code) const;
  // `held`: the batch's cases held before it (the others have no key stored yet). A key is
  // kept only if it opens a sealed value of its case among events[skip..].
  Status StageKeys(Pending& p, const std::vector<CaseKey>& keys, const Pending* overlay,
                   const std::set<std::string>& held, const std::vector<Event>& events,
                   size_t skip) const;
  Status StageErasures(Pending& p) const;
  // Records the chunks a case event's documents name, and wants those not held
  // (core/log/store_documents.cc).
  Status StageDocuments(Pending& p, const Event& e) const;
  bool HeldChunkVerifies(const Hash& name) const;
  // Puts into `wb` the deletes of every want of the chunk; `size`, when given, gets the
  // wanted size (0 when none).
  Status DropWants(const Hash& name, rocksdb::WriteBatch* wb, uint32_t* size = nullptr) const;
  Status ErasedMessage(std::string_view case_code) const;
  bool IsSealedField(std::string_view field) const;
  bool IsErased(const std::string& case_code) const;  // committed
  Status Write(Pending& p);
  void NotifyListeners(const std::vector<StreamKey>& moved) const;
  Result<Hash> StoredId(const StreamKey& stream, uint64_t seq) const;
  Status RecordFork(const Batch& batch, size_t index, const Hash& stored, const Hash& incoming);
  // Calls fn(key, value) for the keys of a family in [lower, upper) until it returns false.
  Status Scan(size_t family, std::string_view lower, std::string_view upper,
              const std::function<bool(std::string_view, std::string_view)>& fn) const;
  Status ListChannels(std::vector<std::string>* out) const;
  // Calls fn with every event of a (system) channel, stream after stream, until an error.
  Status ForEachEvent(std::string_view channel,
                      const std::function<Status(const Event&)>& fn) const;
  Status RebuildChannel(const std::string& channel, Hash* fp, uint64_t* cases, uint64_t* folded);
  Result<Purge> PurgeChannel(const std::string& channel);
  // Waits to be the only writer (front of the queue, nothing in flight); returns the release.
  std::function<void()> Exclusive();

  StoreOptions options_;
  HybridClock hlc_;
  std::unique_ptr<rocksdb::Env> encrypted_env_;  // set with a master key; outlives db_
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> cf_;
  // A secondary instance's reader of document chunks (OpenChunkReader): default and
  // documents families; null otherwise.
  std::unique_ptr<rocksdb::DB> chunk_db_;
  // Held by the API's writers of chunks (PutDocument, RefetchDamagedChunks), never by sync.
  std::mutex documents_mu_;
  std::vector<rocksdb::ColumnFamilyHandle*> chunk_cf_;
  // Folds the other half of a large commit, and rebuilds channels beside the caller.
  WorkerPool helper_{1};

  // The writer queue (group commit) and the single committer's exclusivity.
  std::mutex queue_mu_;
  std::deque<Writer*> writers_;
  // The newest commit handed off by a leader; it may still be being written.
  std::mutex flight_mu_;
  std::shared_ptr<InFlight> inflight_;

  // Caches of committed state, read by everyone, written only by the committer.
  mutable std::shared_mutex cache_mu_;
  std::map<StreamKey, StreamHead> heads_;
  std::unordered_map<std::string, Hash> channel_fp_;
  std::unordered_map<std::string, std::string> origin_keys_;  // unit\0epoch -> key
  mutable std::mutex listeners_mu_;
  uint64_t next_listener_ = 0;
  std::map<uint64_t, CommitListener> listeners_;
  std::shared_ptr<const Directory> directory_;  // replaced, never changed in place
  std::shared_ptr<const Revocations> revocations_ = std::make_shared<Revocations>();
  uint64_t case_count_ = 0;
  // Erasure records held: while none is, no commit reads one (the sealing of every reception
  // would otherwise look for its case's).
  std::atomic<uint64_t> erasures_held_{0};
  uint64_t commit_counter_ = 0;
  std::mutex ahead_mu_;
  std::set<std::string> origins_ahead_;  // guarded by ahead_mu_; RevocationKey of each
};

}  // namespace hoso
