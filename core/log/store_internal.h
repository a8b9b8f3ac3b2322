// The store's internals shared by its implementation files (core/store*.cc): the meta keys,
// the key and value codecs of every column family (docs/storage-format.md is their grammar),
// and the staging structs of a commit. Not part of the store's interface: nothing outside
// core/store*.cc includes it.
// Thread-safety: constants and pure functions; the staging structs follow core/log/store.h's
// rules (a commit's Pending is owned by its committer).
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/base/coding.h"
#include "core/base/text.h"
#include "core/log/store.h"
#include "core/log/store_tuning.h"

namespace hoso {
namespace store_internal {
using namespace family;  // the column family ids

constexpr size_t kMaxBatchEvents = 10000;
constexpr size_t kMaxGroupWrites = kMaxAppendWrites;

// Meta keys.
constexpr std::string_view kMetaRoot = "root";
// The on-disk format (docs/storage-format.md). A store written by a newer format is refused
// rather than misread; an older one would be migrated here.
constexpr std::string_view kMetaFormat = "format";
constexpr std::string_view kStoreFormat = "2";       // StoreFormat() in store.h
constexpr std::string_view kPlainStoreFormat = "1";  // PlainStoreFormat()
constexpr std::string_view kMetaHlc = "hlc";
constexpr std::string_view kMetaCaseCount = "case_count";
constexpr std::string_view kMetaIdentity = "identity";
constexpr std::string_view kMetaCommitCounter = "commit_counter";
inline const std::string kMetaOriginPrefix = "origin/";
inline const std::string kMetaOriginCertPrefix = "origincert/";
inline const std::string kMetaFpPrefix = "fp/";
inline const std::string kMetaFrozenPrefix = "frozen/";
// revoked/<unit>#<epoch> -> u64be(ms): when this node stored that origin's revocation.
inline const std::string kMetaRevokedPrefix = "revoked/";
// ahead/<unit>#<epoch> -> latest_event_ms(8) max_ahead_ms(8) noticed_ms(8) events(8)
inline const std::string kMetaAheadPrefix = "ahead/";
inline const std::string kMetaPurgedPrefix = "purged/";  // channel -> at_ms(8) events(8) cases(8)
// casekey/<case> 0x00 key_id(16) -> key(32): the keys of a case's sealed fields.
inline const std::string kMetaCaseKeyPrefix = "casekey/";
// erased/<case> -> {"at": ms, "by": unit, "decision": tstr, "ground": tstr, "event": id(32)}
inline const std::string kMetaErasedPrefix = "erased/";

// Whether a meta key is one of the store's own records (the keys above, and those starting
// with a prefix above): the meta API (Store::PutMeta, WriteMeta) refuses to write them. The
// rest of the family is its users' (sync's `peer/`, `peerseen/` and `receipt/` records).
inline bool IsStoreMetaKey(std::string_view key) {
  for (std::string_view own :
       {kMetaRoot, kMetaFormat, kMetaHlc, kMetaCaseCount, kMetaIdentity, kMetaCommitCounter}) {
    if (key == own) return true;
  }
  for (const std::string* prefix : {&kMetaOriginPrefix, &kMetaOriginCertPrefix, &kMetaFpPrefix,
                                    &kMetaFrozenPrefix, &kMetaRevokedPrefix, &kMetaAheadPrefix,
                                    &kMetaPurgedPrefix, &kMetaCaseKeyPrefix, &kMetaErasedPrefix}) {
    if (key.starts_with(*prefix)) return true;
  }
  return false;
}

inline Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsNotFound()) return Status::NotFound(what + ": " + s.ToString());
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  return Status::IOError(what + ": " + s.ToString());
}

inline std::string EventKey(const StreamKey& stream, uint64_t seq) {
  std::string key = stream.Encode();
  PutBig64(&key, seq);
  return key;
}

inline std::string CaseKeysPrefix(std::string_view case_code) {
  std::string key = kMetaCaseKeyPrefix;
  key += case_code;
  key.push_back('\0');
  return key;
}

inline std::string OriginMetaKey(std::string_view unit, uint64_t epoch) {
  std::string key = kMetaOriginPrefix;
  key += unit;
  key.push_back('\0');
  PutBig64(&key, epoch);
  return key;
}

inline std::string Big64String(uint64_t v) {
  std::string s;
  PutBig64(&s, v);
  return s;
}

// A signatures-family record under the iterator: key stream_key seq(8), value id(32) sig(64).
inline SignedHead SignatureRecord(const StreamKey& stream, size_t prefix_size,
                                  const rocksdb::Iterator& it) {
  SignedHead head;
  head.stream = stream;
  head.seq = GetBig64(std::string_view(it.key().data() + prefix_size, 8));
  head.id = HashFromView(std::string_view(it.value().data(), 32));
  head.signature.assign(it.value().data() + 32, 64);
  return head;
}

// A cases-family value is the state's digest, then the state (FinishCase builds it), so a
// commit can update the channel fingerprint without rehashing the old state.
inline Result<CaseState> ParseCaseRecord(std::string_view value, Hash* digest,
                                         bool as_stored = false) {
  if (value.size() < 32) return Status::Corruption("case record shorter than its digest");
  if (digest) *digest = HashFromView(value.substr(0, 32));
  return CaseState::Decode(value.substr(32), as_stored);
}

// One index change: the key, and whether it is put (else deleted).
using IndexOp = std::pair<std::string, bool>;

// The store's own index entries: 'o' channel 0x00 case (docs/storage-format.md).
inline std::string ChannelIndexPrefix(std::string_view channel) {
  std::string k = "o";
  k += channel;
  k.push_back('\0');
  return k;
}

// Every document reference an event carries in `fields` parses (core/format/document.h);
// InvalidArgument names the field and what is wrong.
Status CheckDocumentFields(const std::vector<std::string>& fields, const Event& e);

}  // namespace store_internal

// ------------------------------------------------------------------ staging

// The case keys as held before or after a commit: the store's, then those of the commit in
// flight (`overlay`), then those the commit itself (`self`) stores or destroys.
class Store::KeyView final : public FieldOpener {
 public:
  explicit KeyView(const Store* store, const Pending* self = nullptr,
                   const Pending* overlay = nullptr)
      : store_(store), self_(self), overlay_(overlay) {}
  std::optional<std::string> Open(std::string_view case_code, std::string_view field,
                                  std::string_view raw) const override;
  // The key with that id, if held.
  std::optional<std::string> Key(const std::string& case_code, const std::string& key_id) const;
  // Whether `self` changes the keys of the case (its projections are then taken again).
  bool Moves(const std::string& case_code) const;
  // Erased as this view sees it (committed, in flight or in this commit).
  bool Erased(const std::string& case_code) const;

 private:
  const Store* store_;
  const Pending* self_;
  const Pending* overlay_;
};

// A remote batch after the checks that need no store state: decoded, hashed, chained, and
// its head's signature verified.
struct Store::Prepared {
  const Batch* batch = nullptr;
  std::vector<Event> events;
  std::vector<Hash> ids;
  std::string origin_key;
  std::vector<CaseKey> keys;  // sent with the batch
};

struct Store::Writer {
  std::vector<LocalWrite>* local = nullptr;
  Prepared* remote = nullptr;
  IngestStats* stats = nullptr;
  std::vector<Appended> appended;
  Status status;
  bool done = false;
  std::condition_variable cv;
};

// One case a commit touches: its state before and after, and what the commit writes for it.
struct Store::Touched {
  std::string channel;
  CaseState state;  // remote commits free it once the record is built
  bool existed = false;
  Hash old_digest{};
  std::vector<std::string> old_summaries;  // each projection's, before this commit
  std::vector<size_t> events;              // remote commits: indexes into Prepared::events
  // Set by FinishCase.
  bool finished = false;
  bool changed = false;
  Hash digest{};
  std::string record;
  std::vector<store_internal::IndexOp> index_ops;            // entries put or deleted
  std::vector<std::pair<std::string, int64_t>> counter_ops;  // counters moved
};

// Everything one commit changes, staged until the WriteBatch is durable.
struct Store::Pending {
  rocksdb::WriteBatch wb;
  std::map<StreamKey, StreamHead> heads;
  // Ordered by case code: the memtable inserts of a commit then run in key order, which
  // keeps RocksDB's skiplist splice warm.
  std::map<std::string, Touched> cases;
  std::vector<Event> directory_events;
  std::vector<Event> revocation_events;
  std::vector<Event> erasure_events;
  // Case keys this commit stores (case -> key id -> key), and the cases whose keys it
  // destroys: states are projected through them (Store::KeyView).
  std::map<std::string, std::map<std::string, std::string>> added_keys;
  std::set<std::string> erased;
  uint64_t new_erasures = 0;  // erasure records this commit writes
  // Sealed values this commit sealed or already opened, (case, field) -> (sealed, plaintext):
  // indexing them needs no second AES-GCM pass.
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> opened;
  // Set by SealCases: what the commit's case records change in each channel's fingerprint
  // (fingerprints are XORs of case digests) and how many cases it adds.
  std::map<std::string, Hash> fp_delta;
  uint64_t new_cases = 0;
  uint64_t applied = 0;  // new events in this commit
  uint64_t counter = 0;  // set by Write: this commit's commit counter
};

// A commit handed off by its leader: staged, possibly still being written. The next leader
// folds on top of it (reading its staged case records) while it is written, and waits for it
// before writing its own, so commits stay in order and a failed one aborts its successor.
struct Store::InFlight {
  std::unique_ptr<Pending> pending;
  // The commit this one was staged on (its case records are what this one folded on).
  // Freeing it is left to whoever wrote this one, after the write, instead of delaying the
  // hand-off of this one.
  std::shared_ptr<InFlight> predecessor;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  Status status;

  void Finish(Status s) {
    std::lock_guard lock(mu);
    done = true;
    status = std::move(s);
    cv.notify_all();
  }
  Status Wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done; });
    return status;
  }
  bool Done() {
    std::lock_guard lock(mu);
    return done;
  }
};

}  // namespace hoso
