#include "core/store.h"

#include <rocksdb/db.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "core/case_index.h"
#include "core/coding.h"
#include "core/event_schema.h"
#include "core/report.h"
#include "core/store_tuning.h"
#include "core/text.h"

namespace hoso {
namespace {

using namespace family;  // the column family ids

constexpr size_t kMaxBatchEvents = 10000;
constexpr size_t kMaxGroupWrites = kMaxAppendWrites;

// Meta keys.
constexpr std::string_view kMetaRoot = "root";
// The on-disk format (docs/storage-format.md). A store written by a newer format is refused
// rather than misread; an older one would be migrated here.
constexpr std::string_view kMetaFormat = "format";
constexpr std::string_view kStoreFormat = "1";
constexpr std::string_view kMetaHlc = "hlc";
constexpr std::string_view kMetaCaseCount = "case_count";
constexpr std::string_view kMetaIdentity = "identity";
constexpr std::string_view kMetaCommitCounter = "commit_counter";
const std::string kMetaPeerCounterPrefix = "peerseen/";
const std::string kMetaOriginPrefix = "origin/";
const std::string kMetaOriginCertPrefix = "origincert/";
const std::string kMetaFpPrefix = "fp/";
const std::string kMetaFrozenPrefix = "frozen/";
// revoked/<unit>#<epoch> -> u64be(ms): when this node stored that origin's revocation.
const std::string kMetaRevokedPrefix = "revoked/";
// ahead/<unit>#<epoch> -> latest_event_ms(8) max_ahead_ms(8) noticed_ms(8) events(8)
const std::string kMetaAheadPrefix = "ahead/";
const std::string kMetaPurgedPrefix = "purged/";    // channel -> at_ms(8) events(8) cases(8)
const std::string kMetaReceiptPrefix = "receipt/";  // holder 0x00 epoch(8) at(8) -> str sig
const std::string kMetaPeerPrefix = "peer/";        // peer 0x00 stream_key -> seq(8) id(32)

std::string PeerPrefix(std::string_view peer) {
  std::string key = kMetaPeerPrefix;
  key += peer;
  key.push_back('\0');
  return key;
}

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsNotFound()) return Status::NotFound(what + ": " + s.ToString());
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  return Status::IOError(what + ": " + s.ToString());
}

std::string EventKey(const StreamKey& stream, uint64_t seq) {
  std::string key = stream.Encode();
  PutBig64(&key, seq);
  return key;
}

std::string OriginMetaKey(std::string_view unit, uint64_t epoch) {
  std::string key = kMetaOriginPrefix;
  key += unit;
  key.push_back('\0');
  PutBig64(&key, epoch);
  return key;
}

std::string Big64String(uint64_t v) {
  std::string s;
  PutBig64(&s, v);
  return s;
}

// The smallest key greater than every key starting with `prefix`.
std::string PrefixUpperBound(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xFF) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

// seq(8) id(32) ver(8)
std::string HeadValue(const StreamHead& h) {
  std::string v = Big64String(h.seq);
  v.append(AsView(h.id));
  PutBig64(&v, h.ver);
  return v;
}

std::optional<StreamHead> ParseHead(std::string_view v) {
  if (v.size() != 48) return std::nullopt;
  return StreamHead{GetBig64(v), HashFromView(v.substr(8, 32)), false, GetBig64(v.substr(40))};
}

// A signatures-family record under the iterator: key stream_key seq(8), value id(32) sig(64).
SignedHead SignatureRecord(const StreamKey& stream, size_t prefix_size,
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
Result<CaseState> ParseCaseRecord(std::string_view value, Hash* digest, bool as_stored = false) {
  if (value.size() < 32) return Status::Corruption("case record shorter than its digest");
  if (digest) *digest = HashFromView(value.substr(0, 32));
  return CaseState::Decode(value.substr(32), as_stored);
}

void XorInto(Hash* acc, const Hash& h) {
  for (size_t i = 0; i < acc->size(); ++i) (*acc)[i] ^= h[i];
}

}  // namespace

std::vector<LocalWrite> DirectoryWrites(const std::vector<UnitRecord>& units, int64_t valid_from_ms,
                                        const std::string& officer) {
  std::vector<LocalWrite> writes;
  writes.reserve(units.size());
  for (const UnitRecord& u : units) {
    writes.push_back({std::string(kDirectoryChannel), u.code, "unit.set",
                      UnitSetBody(u, valid_from_ms), officer});
  }
  return writes;
}

// ------------------------------------------------------------------ StreamReader

StreamReader::StreamReader(std::unique_ptr<rocksdb::Iterator> it, std::string upper)
    : upper_(std::move(upper)), it_(std::move(it)) {}
StreamReader::~StreamReader() = default;
bool StreamReader::Valid() const { return it_->Valid(); }
uint64_t StreamReader::seq() const {
  rocksdb::Slice k = it_->key();
  return GetBig64(std::string_view(k.data() + k.size() - 8, 8));
}
std::string_view StreamReader::bytes() const {
  rocksdb::Slice v = it_->value();
  return {v.data(), v.size()};
}
void StreamReader::Next() { it_->Next(); }
Status StreamReader::status() const { return FromRocks(it_->status(), "reading stream"); }

// ------------------------------------------------------------------ staging

// A remote batch after the checks that need no store state: decoded, hashed, chained, and
// its head's signature verified.
struct Store::Prepared {
  const Batch* batch = nullptr;
  std::vector<Event> events;
  std::vector<Hash> ids;
  std::string origin_key;
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
  IndexedFields old_fields;
  std::optional<std::string> old_bucket;  // the report bucket before this commit
  std::vector<size_t> events;             // remote commits: indexes into Prepared::events
  // Set by FinishCase.
  bool finished = false;
  bool changed = false;
  Hash digest{};
  std::string record;
  std::vector<IndexOp> index_ops;
  std::vector<std::pair<std::string, int64_t>> report_ops;
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

// ------------------------------------------------------------------ open

Store::Store(StoreOptions options)
    : options_(std::move(options)),
      hlc_(options_.clock, 0, options_.max_drift_ms),
      directory_(std::make_shared<Directory>(options_.root_unit)) {}

Store::~Store() {
  for (auto* h : cf_) {
    if (h) db_->DestroyColumnFamilyHandle(h);
  }
  if (db_) db_->Close();
}

Result<std::unique_ptr<Store>> Store::Open(StoreOptions options) {
  if (options.path.empty()) return Status::InvalidArgument("store path is empty");
  if (options.identity) {
    HOSO_RETURN_IF_ERROR(ValidateName("node unit", options.identity->unit));
    if (options.identity->epoch == 0) return Status::InvalidArgument("node epoch must be >= 1");
  }
  if (!options.check_event) options.check_event = CheckEventSchema;
  std::unique_ptr<Store> store(new Store(std::move(options)));
  HOSO_RETURN_IF_ERROR(store->Load());
  return store;
}

Status Store::Load() {
  rocksdb::DBOptions dbo = StoreDbOptions();
  dbo.create_if_missing = !options_.read_only;
  dbo.create_missing_column_families = !options_.read_only;
  if (options_.env) dbo.env = options_.env;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs = StoreFamilies(options_.block_cache_mb);
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (options_.read_only && !options_.secondary_path.empty()) {
    dbo.max_open_files = -1;  // required of a secondary instance
    s = rocksdb::DB::OpenAsSecondary(dbo, options_.path, options_.secondary_path, cfs, &cf_, &raw);
  } else if (options_.read_only) {
    s = rocksdb::DB::OpenForReadOnly(dbo, options_.path, cfs, &cf_, &raw);
  } else {
    s = rocksdb::DB::Open(dbo, options_.path, cfs, &cf_, &raw);
  }
  if (!s.ok()) return FromRocks(s, "opening store at " + options_.path);
  db_.reset(raw);

  rocksdb::ReadOptions ro;
  std::string value;
  // The root authority is fixed at creation; opening with another one is a configuration error.
  s = db_->Get(ro, cf_[kMeta], kMetaFormat, &value);
  if (s.ok() && value != kStoreFormat) {
    return Status::FailedPrecondition("store at " + options_.path + " has format " + value +
                                      "; this hoso reads format " + std::string(kStoreFormat) +
                                      ": upgrade hoso");
  }
  if (s.IsNotFound() && !options_.read_only) {
    HOSO_RETURN_IF_ERROR(
        FromRocks(db_->Put({}, cf_[kMeta], kMetaFormat, kStoreFormat), "writing format"));
  }
  s = db_->Get(ro, cf_[kMeta], kMetaRoot, &value);
  if (s.IsNotFound()) {
    if (options_.root_unit.empty()) {
      return Status::InvalidArgument("a new store needs the deployment's root unit");
    }
    HOSO_RETURN_IF_ERROR(ValidateName("root unit", options_.root_unit));
    if (!options_.read_only) {
      HOSO_RETURN_IF_ERROR(
          FromRocks(db_->Put({}, cf_[kMeta], kMetaRoot, options_.root_unit), "writing root"));
    }
  } else if (s.ok()) {
    if (!options_.root_unit.empty() && value != options_.root_unit) {
      return Status::InvalidArgument("store at " + options_.path + " belongs to root " + value +
                                     ", not " + options_.root_unit);
    }
    options_.root_unit = value;
  } else {
    return FromRocks(s, "reading root");
  }

  if (db_->Get(ro, cf_[kMeta], kMetaHlc, &value).ok() && value.size() == 8) {
    hlc_.Restore(GetBig64(value));
  }
  if (db_->Get(ro, cf_[kMeta], kMetaCaseCount, &value).ok() && value.size() == 8) {
    case_count_ = GetBig64(value);
  }
  if (db_->Get(ro, cf_[kMeta], kMetaCommitCounter, &value).ok() && value.size() == 8) {
    commit_counter_ = GetBig64(value);
  }

  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_[kHeads]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto key = StreamKey::Decode(std::string_view(it->key().data(), it->key().size()));
    auto head = ParseHead(std::string_view(it->value().data(), it->value().size()));
    if (!key.ok() || !head) return Status::Corruption("bad head record");
    heads_[*key] = *head;
  }
  std::map<std::string, int64_t> learned;  // revocations' evidence, applied after their fold
  it.reset(db_->NewIterator(ro, cf_[kMeta]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view k(it->key().data(), it->key().size());
    std::string_view v(it->value().data(), it->value().size());
    if (k.starts_with(kMetaFpPrefix) && v.size() == 32) {
      channel_fp_[std::string(k.substr(kMetaFpPrefix.size()))] = HashFromView(v);
    } else if (k.starts_with(kMetaFrozenPrefix)) {
      auto key = StreamKey::Decode(k.substr(kMetaFrozenPrefix.size()));
      if (key.ok()) heads_[*key].frozen = true;
    } else if (k.starts_with(kMetaOriginPrefix)) {
      origin_keys_[std::string(k.substr(kMetaOriginPrefix.size()))] = std::string(v);
    } else if (k.starts_with(kMetaAheadPrefix)) {
      origins_ahead_.emplace(k.substr(kMetaAheadPrefix.size()));
    } else if (k.starts_with(kMetaRevokedPrefix) && v.size() == 8) {
      learned[std::string(k.substr(kMetaRevokedPrefix.size()))] = static_cast<int64_t>(GetBig64(v));
    }
  }

  // The directory and the revocations are the folds of their system channels.
  auto directory = std::make_shared<Directory>(options_.root_unit);
  HOSO_RETURN_IF_ERROR(ForEachEvent(kDirectoryChannel, [&](const Event& e) {
                         return directory->Apply(e);
                       }).Annotate("loading the directory"));
  directory_ = std::move(directory);
  auto revocations = std::make_shared<Revocations>();
  HOSO_RETURN_IF_ERROR(ForEachEvent(kRevocationsChannel, [&](const Event& e) {
                         return revocations->Apply(e);
                       }).Annotate("loading the revocations"));
  for (const auto& [key, ms] : learned) revocations->SetLearned(key, ms);
  revocations_ = std::move(revocations);

  if (options_.identity && !options_.read_only) {
    const Identity& id = *options_.identity;
    HOSO_RETURN_IF_ERROR(TrustOrigin(id.unit, id.epoch, id.key.public_key()));
    std::string ident = id.unit;
    ident.push_back('\0');
    PutBig64(&ident, id.epoch);
    HOSO_RETURN_IF_ERROR(
        FromRocks(db_->Put({}, cf_[kMeta], kMetaIdentity, ident), "writing identity"));
  }
  return Status::Ok();
}

Status Store::TrustOrigin(std::string_view unit, uint64_t epoch, std::string_view public_key,
                          std::string_view certificate) {
  HOSO_RETURN_IF_ERROR(ValidateName("origin unit", unit));
  if (public_key.size() != kPublicKeySize) {
    return Status::InvalidArgument("origin public key must be 32 bytes");
  }
  std::string key = OriginMetaKey(unit, epoch);
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  rocksdb::WriteBatch wb;
  wb.Put(cf_[kMeta], key, rocksdb::Slice(public_key.data(), public_key.size()));
  if (!certificate.empty()) {
    wb.Put(cf_[kMeta], kMetaOriginCertPrefix + key.substr(kMetaOriginPrefix.size()),
           rocksdb::Slice(certificate.data(), certificate.size()));
  }
  HOSO_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &wb), "writing origin key"));
  std::unique_lock lock(cache_mu_);
  origin_keys_[key.substr(kMetaOriginPrefix.size())] = std::string(public_key);
  return Status::Ok();
}

std::string Store::OriginCertificate(std::string_view unit, uint64_t epoch) const {
  std::string value;
  std::string key =
      kMetaOriginCertPrefix + OriginMetaKey(unit, epoch).substr(kMetaOriginPrefix.size());
  if (!db_->Get({}, cf_[kMeta], key, &value).ok()) return "";
  return value;
}

Result<std::string> Store::OriginKey(std::string_view unit, uint64_t epoch) const {
  std::string key = OriginMetaKey(unit, epoch).substr(kMetaOriginPrefix.size());
  std::shared_lock lock(cache_mu_);
  auto it = origin_keys_.find(key);
  if (it == origin_keys_.end()) {
    return Status::PermissionDenied("unknown origin " + std::string(unit) + "#" +
                                    std::to_string(epoch) +
                                    ": no key for it (its certificate was never received)");
  }
  return it->second;
}

// ------------------------------------------------------------------ group commit

Status Store::Submit(Writer* w) {
  if (options_.read_only) return Status::FailedPrecondition("store opened read-only");
  std::unique_lock lock(queue_mu_);
  writers_.push_back(w);
  while (!w->done && w != writers_.front()) w->cv.wait(lock);
  if (w->done) return w->status;

  // w leads: it commits itself and, for local writes, every local writer queued behind it.
  std::deque<Writer*> group;
  size_t writes = 0;
  for (Writer* q : writers_) {
    // Remote batches commit alone; an exclusive writer (rebuild, purge) ends a group.
    if (!q->local && !q->remote) break;
    if (!group.empty() && (q->remote || group.front()->remote)) break;
    if (!group.empty() && writes + q->local->size() > kMaxGroupWrites) break;
    group.push_back(q);
    writes += q->local ? q->local->size() : 0;
  }
  lock.unlock();
  std::shared_ptr<InFlight> handoff;
  Status s;
  if (w->remote) {
    s = StageRemote(*w->remote, w->stats, &handoff);
  } else {
    s = AwaitInFlight();  // local writes fold against committed data only
    if (s.ok()) s = CommitLocal(group);
    // The last handed-off commit no longer describes the newest states.
    std::lock_guard flight(flight_mu_);
    inflight_.reset();
  }
  lock.lock();
  for (Writer* g : group) {
    writers_.pop_front();
    if (!s.ok()) g->status = s;
    if (w->remote) g->status = s;
    g->done = true;
    if (g != w) g->cv.notify_one();
  }
  if (!writers_.empty()) writers_.front()->cv.notify_one();
  lock.unlock();
  if (handoff) {
    // Leadership has passed on: the next commit is being staged while this one is written.
    Status written = Write(*handoff->pending);
    if (written.ok()) {
      w->stats->applied += handoff->pending->applied;
      w->stats->counter = handoff->pending->counter;
    }
    handoff->Finish(written);
    handoff->predecessor.reset();
    w->status = written;
  }
  return w->status;
}

Status Store::AwaitInFlight() {
  std::shared_ptr<InFlight> last;
  {
    std::lock_guard lock(flight_mu_);
    last = inflight_;
  }
  return last ? last->Wait() : Status::Ok();
}

Result<Appended> Store::Append(LocalWrite write) {
  std::vector<LocalWrite> writes;
  writes.push_back(std::move(write));
  HOSO_ASSIGN_OR_RETURN(auto appended, Append(std::move(writes)));
  return appended.front();
}

Result<std::vector<Appended>> Store::Append(std::vector<LocalWrite> writes) {
  if (writes.empty()) return Status::InvalidArgument("nothing to append");
  if (writes.size() > kMaxGroupWrites) {
    return Status::OutOfRange("at most " + std::to_string(kMaxGroupWrites) +
                              " writes in one append");
  }
  Writer w;
  w.local = &writes;
  HOSO_RETURN_IF_ERROR(Submit(&w));
  return std::move(w.appended);
}

Status Store::Ingest(const Batch& batch, IngestStats* stats) {
  // The checks that need no store state run here, in the caller's thread, so callers with
  // several batches in flight decode and verify in parallel with the commit in progress.
  Prepared prepared;
  HOSO_RETURN_IF_ERROR(Prepare(batch, &prepared));
  IngestStats local_stats;
  Writer w;
  w.remote = &prepared;
  w.stats = stats ? stats : &local_stats;
  return Submit(&w);
}

// ------------------------------------------------------------------ folding and writing

Status Store::LoadCase(const std::string& code, const std::string& channel, Touched* t) const {
  std::string value;
  rocksdb::Status s = db_->Get({}, cf_[kCases], code, &value);
  return InitCase(code, channel, s, value, t);
}

Status Store::InitCase(const std::string& code, const std::string& channel,
                       const rocksdb::Status& read, std::string_view value, Touched* t) const {
  if (read.IsNotFound()) {
    t->state = CaseState(code, channel);
  } else if (read.ok()) {
    // The index keys and report bucket in the store came from the state as stored.
    HOSO_ASSIGN_OR_RETURN(t->state, ParseCaseRecord(value, &t->old_digest, /*as_stored=*/true));
    t->old_fields = Indexed(t->state);
    t->old_bucket = ReportBucketKey(t->state);
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

void Store::FinishCase(Touched* t) {
  t->finished = true;
  t->record.assign(32, '\0');  // the digest goes in front of the state
  t->state.EncodeTo(&t->record);
  t->digest = Sha256(std::string_view(t->record).substr(32));
  std::copy(t->digest.begin(), t->digest.end(), t->record.begin());
  t->changed = !t->existed || t->digest != t->old_digest;
  if (!t->changed) return;
  IndexDelta(t->existed ? &t->old_fields : nullptr, t->state, &t->index_ops);
  std::optional<std::string> bucket = ReportBucketKey(t->state);
  if (bucket != t->old_bucket) {
    if (t->old_bucket) t->report_ops.emplace_back(*t->old_bucket, -1);
    if (bucket) t->report_ops.emplace_back(std::move(*bucket), 1);
  }
}

Status Store::FoldInto(Pending& p, const Event& e, const Hash& id) {
  if (IsSystemChannel(e.stream.channel)) {
    if (e.stream.channel == kDirectoryChannel) p.directory_events.push_back(e);
    if (e.stream.channel == kRevocationsChannel) p.revocation_events.push_back(e);
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
      continue;
    }
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
  for (size_t k = 0; k < work.size(); ++k) {
    if (staged[k]) found[k] = *staged[k];  // reads[k] is OK by default
  }
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
      FinishCase(t);
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

void Store::SealCases(Pending& p) const {
  std::vector<IndexOp> index_ops;
  // Cases of one commit mostly share report buckets: one merge per bucket, not per case.
  std::map<std::string, int64_t> report;
  for (auto& [code, t] : p.cases) {
    if (!t.finished) FinishCase(&t);
    if (!t.changed) continue;
    Hash& fp_change = p.fp_delta[t.channel];
    if (t.existed) {
      XorInto(&fp_change, t.old_digest);
    } else {
      ++p.new_cases;
    }
    XorInto(&fp_change, t.digest);
    p.wb.Put(cf_[kCases], code, t.record);
    for (auto& op : t.index_ops) index_ops.push_back(std::move(op));
    for (auto& [key, delta] : t.report_ops) report[std::move(key)] += delta;
  }
  for (const auto& [key, delta] : report) {
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

Status Store::Write(Pending& p) {
  // The fingerprints are the one part of the case writes that depends on the commits before
  // this one: their XOR deltas go onto the fingerprints as committed now.
  std::map<std::string, Hash> fps = std::move(p.fp_delta);
  {
    std::shared_lock lock(cache_mu_);
    for (auto& [channel, fp] : fps) {
      auto f = channel_fp_.find(channel);
      if (f != channel_fp_.end()) XorInto(&fp, f->second);
    }
  }
  for (const auto& [channel, fp] : fps) {
    p.wb.Put(cf_[kMeta], kMetaFpPrefix + channel, rocksdb::Slice(AsView(fp).data(), 32));
  }
  // Write runs for one commit at a time (the pipeline waits for its predecessor).
  const uint64_t ver = commit_counter_ + 1;
  p.counter = ver;
  for (auto& [stream, head] : p.heads) {
    head.ver = ver;
    p.wb.Put(cf_[kHeads], stream.Encode(), HeadValue(head));
  }
  p.wb.Put(cf_[kMeta], kMetaCommitCounter, Big64String(ver));
  p.wb.Put(cf_[kMeta], kMetaHlc, Big64String(hlc_.high_water()));
  if (p.new_cases) {
    p.wb.Put(cf_[kMeta], kMetaCaseCount, Big64String(case_count_ + p.new_cases));
  }
  std::shared_ptr<Revocations> revoked;
  if (!p.revocation_events.empty()) {
    // What this node learns now is evidence: it held everything of that origin before.
    revoked = std::make_shared<Revocations>(*RevocationsSnapshot());
    const int64_t now = options_.clock->NowMs();
    for (const Event& e : p.revocation_events) {
      Status s = revoked->Apply(e);
      (void)s;  // validated before the commit
      auto r = revoked->all().find(e.case_code);
      if (r != revoked->all().end() && r->second.learned_ms == 0) {
        revoked->SetLearned(e.case_code, now);
        p.wb.Put(cf_[kMeta], kMetaRevokedPrefix + e.case_code, Big64String(now));
      }
    }
  }

  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  HOSO_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &p.wb), "committing"));
  if (options_.on_commit) options_.on_commit(p.wb.Data());

  std::unique_lock lock(cache_mu_);
  commit_counter_ = ver;
  for (const auto& [stream, head] : p.heads) heads_[stream] = head;
  for (const auto& [channel, fp] : fps) channel_fp_[channel] = fp;
  if (!p.directory_events.empty()) {
    // Copy on write: readers keep the snapshot they hold.
    auto next = std::make_shared<Directory>(*directory_);
    for (const Event& e : p.directory_events) {
      Status s = next->Apply(e);
      (void)s;  // validated before the commit
    }
    directory_ = std::move(next);
  }
  if (revoked) revocations_ = std::move(revoked);
  case_count_ += p.new_cases;
  lock.unlock();
  std::vector<StreamKey> moved;
  for (const auto& [stream, head] : p.heads) moved.push_back(stream);
  std::vector<CommitListener> listeners;
  {
    std::lock_guard l(listeners_mu_);
    for (const auto& [id, fn] : listeners_) listeners.push_back(fn);
  }
  for (const auto& fn : listeners) fn(moved);
  return Status::Ok();
}

uint64_t Store::AddCommitListener(CommitListener listener) {
  std::lock_guard lock(listeners_mu_);
  listeners_[++next_listener_] = std::move(listener);
  return next_listener_;
}

void Store::RemoveCommitListener(uint64_t id) {
  std::lock_guard lock(listeners_mu_);
  listeners_.erase(id);
}

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

Status Store::CommitLocal(std::deque<Writer*>& group) {
  if (!options_.identity) return Status::FailedPrecondition("store has no node identity");
  const Identity& me = *options_.identity;
  Pending p;
  std::map<StreamKey, StreamHead> tips;
  auto tip_of = [&](const StreamKey& k) -> StreamHead& {
    auto it = tips.find(k);
    if (it != tips.end()) return it->second;
    std::shared_lock lock(cache_mu_);
    auto h = heads_.find(k);
    return tips[k] = h == heads_.end() ? StreamHead{} : h->second;
  };
  for (Writer* w : group) {
    // Validate every write of this writer before staging any, so a refused writer leaves
    // nothing behind and the rest of the group still commits.
    std::vector<Event> events;
    Status s;
    for (LocalWrite& lw : *w->local) {
      s = ValidateLocalWrite(lw);
      StreamKey stream{lw.channel, me.unit, me.epoch};
      if (s.ok() && tip_of(stream).frozen) {
        s = Status::Frozen("stream " + stream.ToString() + " is frozen after a fork");
      }
      if (!s.ok()) break;
      Event e;
      e.stream = stream;
      e.hlc = hlc_.Now();
      e.case_code = lw.case_code;
      e.type = lw.type;
      e.body = lw.body;
      e.officer = lw.officer;
      {
        std::shared_lock lock(cache_mu_);
        s = directory_->CheckWrite(me.unit, lw.channel, HlcMillis(e.hlc));
      }
      if (s.ok() && e.stream.channel == kDirectoryChannel) s = Directory::ValidateEvent(e);
      if (s.ok()) s = options_.check_event(e);
      if (s.ok() && !IsSystemChannel(e.stream.channel)) {
        s = CheckCaseChannel(p, events, e.case_code, e.stream.channel);
      }
      if (!s.ok()) break;
      events.push_back(std::move(e));
    }
    if (!s.ok()) {
      w->status = s;
      continue;
    }
    for (Event& e : events) {
      // Deps are the case's frontier as this node holds it, pending writes included.
      if (!IsSystemChannel(e.stream.channel)) {
        auto it = p.cases.find(e.case_code);
        if (it != p.cases.end()) {
          e.deps = it->second.state.Heads();
        } else {
          auto st = GetCaseState(e.case_code);
          if (st.ok()) e.deps = st->Heads();
        }
      }
      StreamHead& tip = tip_of(e.stream);
      e.seq = tip.seq + 1;
      e.prev = tip.id;
      std::string bytes = EncodeEvent(e);
      Hash id = Sha256(bytes);
      // A failure here is an I/O error reading a case: the whole group fails, nothing written.
      HOSO_RETURN_IF_ERROR(FoldInto(p, e, id));
      p.wb.Put(cf_[kEvents], EventKey(e.stream, e.seq), bytes);
      tip.seq = e.seq;
      tip.id = id;
      w->appended.push_back(Appended{e.stream, e.seq, id, e.hlc});
    }
  }
  // One signature per stream touched authenticates everything this commit wrote.
  for (auto& [stream, tip] : tips) {
    std::optional<StreamHead> committed = Head(stream);
    if (tip.seq == (committed ? committed->seq : 0)) continue;
    HOSO_ASSIGN_OR_RETURN(SignedHead head, SignHead(stream, tip.seq, tip.id, me.key));
    std::string sig(AsView(head.id));
    sig += head.signature;
    p.wb.Put(cf_[kSignatures], EventKey(stream, tip.seq), sig);
    p.heads[stream] = tip;
  }
  if (p.heads.empty()) return Status::Ok();
  SealCases(p);
  return Write(p);
}

Status Store::ValidateLocalWrite(const LocalWrite& lw) const {
  HOSO_RETURN_IF_ERROR(ValidateName("channel", lw.channel));
  if (lw.case_code.empty() || lw.case_code.size() > 128) {
    return Status::InvalidArgument("case code must be 1 to 128 bytes");
  }
  if (lw.type.empty() || lw.type.size() > 64) {
    return Status::InvalidArgument("event type must be 1 to 64 bytes");
  }
  if (lw.officer.size() > 128) return Status::InvalidArgument("officer must be at most 128 bytes");
  if (!lw.body.is_map()) return Status::InvalidArgument("event body must be a map");
  for (size_t i = 0; i < lw.body.items().size(); i += 2) {
    if (!lw.body.items()[i].is_text()) {
      return Status::InvalidArgument("event body keys must be text strings");
    }
  }
  // The envelope adds at most ~3 KiB (64 deps of 33 bytes and bounded strings).
  size_t body_bytes = cbor::Encode(lw.body).size();
  if (body_bytes > kMaxEventBytes - 4096) {
    return Status::OutOfRange("event body of " + std::to_string(body_bytes) +
                              " bytes exceeds the limit of " +
                              std::to_string(kMaxEventBytes - 4096));
  }
  return Status::Ok();
}

Status Store::CheckCaseChannel(const Pending& p, const std::vector<Event>& staged,
                               const std::string& case_code, const std::string& channel) const {
  std::optional<std::string> held;
  if (auto it = p.cases.find(case_code); it != p.cases.end()) {
    held = it->second.state.channel();
  } else {
    for (const Event& e : staged) {
      if (e.case_code == case_code) held = e.stream.channel;
    }
    if (!held) {
      auto st = GetCaseState(case_code);
      if (st.ok()) {
        held = st->channel();
      } else if (st.status().code() != Code::kNotFound) {
        return st.status();
      }
    }
  }
  if (held && *held != channel) {
    return Status::InvalidArgument("case " + case_code + " belongs to channel " + *held + ", not " +
                                   channel);
  }
  return Status::Ok();
}

Result<Hash> Store::StoredId(const StreamKey& stream, uint64_t seq) const {
  std::string value;
  HOSO_RETURN_IF_ERROR(FromRocks(db_->Get({}, cf_[kEvents], EventKey(stream, seq), &value),
                                 "event " + stream.ToString() + " seq " + std::to_string(seq)));
  return Sha256(value);
}

Status Store::RecordFork(const Batch& batch, size_t index, const Hash& stored,
                         const Hash& incoming) {
  const std::string& bytes = batch.events[index];
  auto e = DecodeEvent(bytes);
  uint64_t seq = e.ok() ? e->seq : 0;
  std::string key = EventKey(batch.stream, seq);
  key.append(AsView(incoming));
  // Evidence: the incoming event and the signed head that covers it.
  std::string evidence;
  PutString(&evidence, bytes);
  PutString(&evidence, batch.head.Message());
  PutString(&evidence, batch.head.signature);
  rocksdb::WriteBatch wb;
  wb.Put(cf_[kForks], key, evidence);
  wb.Put(cf_[kMeta], kMetaFrozenPrefix + batch.stream.Encode(), Hex(stored));
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  HOSO_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &wb), "recording fork evidence"));
  std::unique_lock lock(cache_mu_);
  heads_[batch.stream].frozen = true;
  return Status::Fork("fork in stream " + batch.stream.ToString() + " at seq " +
                      std::to_string(seq) + ": held " + Hex(stored).substr(0, 16) + ", received " +
                      Hex(incoming).substr(0, 16) + "; evidence stored and the stream is frozen");
}

Status Store::Prepare(const Batch& batch, Prepared* out) const {
  const StreamKey& stream = batch.stream;
  const std::string where = "batch for " + stream.ToString();
  if (options_.read_only) return Status::FailedPrecondition("store opened read-only");
  if (batch.events.empty()) return Status::InvalidArgument(where + ": no events");
  if (batch.events.size() > kMaxBatchEvents) {
    return Status::OutOfRange(where + ": more than " + std::to_string(kMaxBatchEvents) + " events");
  }
  if (!(batch.head.stream == stream)) {
    return Status::InvalidArgument(where + ": signed head is for another stream");
  }
  HOSO_ASSIGN_OR_RETURN(out->origin_key, OriginKey(stream.origin, stream.epoch));
  out->batch = &batch;
  auto& events = out->events;
  auto& ids = out->ids;
  events.reserve(batch.events.size());
  ids.reserve(batch.events.size());
  for (size_t i = 0; i < batch.events.size(); ++i) {
    auto e = DecodeEvent(batch.events[i]);
    if (!e.ok()) return e.status().Annotate(where + ", event " + std::to_string(i));
    if (!(e->stream == stream)) {
      return Status::InvalidArgument(where + ": event " + std::to_string(i) +
                                     " belongs to stream " + e->stream.ToString());
    }
    if (i > 0 && e->seq != events.back().seq + 1) {
      return Status::InvalidArgument(where + ": seq " + std::to_string(e->seq) + " follows " +
                                     std::to_string(events.back().seq));
    }
    if (i > 0 && e->prev != ids.back()) {
      return Status::Corruption(where + ": chain broken at seq " + std::to_string(e->seq) +
                                " (prev does not name the event before it)");
    }
    ids.push_back(Sha256(batch.events[i]));
    events.push_back(std::move(e).value());
  }
  if (batch.head.seq != events.back().seq || batch.head.id != ids.back()) {
    return Status::Corruption(where + ": signed head does not cover the last event (seq " +
                              std::to_string(events.back().seq) + ")");
  }
  return batch.head.Verify(out->origin_key).Annotate(where);
}

Status Store::StageRemote(Prepared& prep, IngestStats* stats, std::shared_ptr<InFlight>* handoff) {
  const Batch& batch = *prep.batch;
  const StreamKey& stream = batch.stream;
  const std::string where = "batch for " + stream.ToString();
  const auto& events = prep.events;
  const auto& ids = prep.ids;
  // The commit before ours may still be being written. We fold on top of its staged states,
  // unless it changes what our checks read (our stream's head and chain, or the directory):
  // then we wait for it first.
  std::shared_ptr<InFlight> prev;
  {
    std::lock_guard lock(flight_mu_);
    prev = inflight_;
  }
  if (prev && (!prev->pending->directory_events.empty() ||
               !prev->pending->revocation_events.empty() || prev->pending->heads.count(stream))) {
    HOSO_RETURN_IF_ERROR(AwaitPredecessor(prev));
  }
  auto settle = [&](Status s) -> Status {
    // Nothing we say may rest on a commit that then fails.
    if (!prev) return s;
    Status before = AwaitPredecessor(prev);
    return before.ok() ? s : before;
  };
  StreamHead cur;
  {
    std::shared_lock lock(cache_mu_);
    auto it = heads_.find(stream);
    if (it != heads_.end()) cur = it->second;
  }
  if (cur.frozen) return settle(Status::Frozen(where + ": stream is frozen after a fork"));
  const uint64_t first = events.front().seq, last = events.back().seq;
  if (first > cur.seq + 1) {
    return Status::FailedPrecondition(where + ": starts at seq " + std::to_string(first) +
                                      " but only seq 1.." + std::to_string(cur.seq) + " is held");
  }
  if (first > 1) {
    Hash before{};
    if (first - 1 == cur.seq) {
      before = cur.id;
    } else {
      HOSO_ASSIGN_OR_RETURN(before, StoredId(stream, first - 1));
    }
    // A signed batch continuing a different history than ours is a fork.
    if (events.front().prev != before) return RecordFork(batch, 0, before, events.front().prev);
  }

  // Events already held: identical ones are duplicates of a resent batch, different ones a fork.
  size_t skip = 0;
  if (first <= cur.seq) {
    uint64_t overlap_last = std::min(last, cur.seq);
    size_t idx = overlap_last - first;
    Hash held{};
    if (overlap_last == cur.seq) {
      held = cur.id;
    } else {
      HOSO_ASSIGN_OR_RETURN(held, StoredId(stream, overlap_last));
    }
    if (held != ids[idx]) return RecordFork(batch, idx, held, ids[idx]);
    skip = idx + 1;
  }
  stats->duplicates += skip;
  if (skip == events.size()) return settle(Status::Ok());

  // Write rule, scope and directory event shape.
  const int64_t now = options_.clock->NowMs();
  {
    std::shared_lock lock(cache_mu_);
    for (size_t i = skip; i < events.size(); ++i) {
      const Event& e = events[i];
      Status rule = directory_->CheckWrite(e.stream.origin, e.stream.channel, HlcMillis(e.hlc));
      if (!rule.ok()) return rule.Annotate(where + ", seq " + std::to_string(e.seq));
      if (e.stream.channel == kDirectoryChannel) {
        HOSO_RETURN_IF_ERROR(Directory::ValidateEvent(e));
      }
      Status shape = options_.check_event(e);
      if (!shape.ok()) return shape.Annotate(where + ", seq " + std::to_string(e.seq));
    }
    if (const Revocation* r = revocations_->Find(stream.origin, stream.epoch)) {
      return Status::PermissionDenied(where + ": origin " + RevocationKey(r->unit, r->epoch) +
                                      " was revoked by the root (" +
                                      (r->reason.empty() ? "no reason given" : r->reason) +
                                      "): its events this node did not hold are refused");
    }
    if (options_.enforce_scope && options_.identity &&
        !directory_->InScope(options_.identity->unit, stream.channel, now)) {
      return Status::PermissionDenied(where + ": channel " + stream.channel +
                                      " is outside the scope of unit " + options_.identity->unit);
    }
  }
  auto staged = std::make_unique<Pending>();
  Pending& p = *staged;
  const Pending* overlay = prev ? prev->pending.get() : nullptr;
  Status folded = FoldRemote(p, prep, skip, overlay, prev && !prev->Done()).Annotate(where);
  if (!folded.ok()) return settle(folded);
  SealCases(p);
  int64_t latest_ahead_ms = 0;
  for (size_t i = skip; i < events.size(); ++i) {
    if (!hlc_.Observe(events[i].hlc)) {
      ++stats->clock_ahead;
      latest_ahead_ms = std::max(latest_ahead_ms, HlcMillis(events[i].hlc));
    }
    p.wb.Put(cf_[kEvents], EventKey(stream, events[i].seq), batch.events[i]);
  }
  if (stats->clock_ahead) {
    stats->max_ahead_ms = latest_ahead_ms - now;
    NoteClockAhead(p, stream, latest_ahead_ms, now, stats->clock_ahead);
  } else if (!events.empty()) {
    // The origin writes with a sane clock again: its record goes.
    std::string origin = RevocationKey(stream.origin, stream.epoch);
    std::lock_guard lock(ahead_mu_);
    if (origins_ahead_.erase(origin)) p.wb.Delete(cf_[kMeta], kMetaAheadPrefix + origin);
  }
  std::string sig(AsView(batch.head.id));
  sig += batch.head.signature;
  p.wb.Put(cf_[kSignatures], EventKey(stream, last), sig);
  p.heads[stream] = StreamHead{last, ids.back(), false};
  p.applied = events.size() - skip;
  HOSO_RETURN_IF_ERROR(settle(Status::Ok()));
  *handoff = std::make_shared<InFlight>();
  (*handoff)->pending = std::move(staged);
  (*handoff)->predecessor = std::move(prev);
  std::lock_guard lock(flight_mu_);
  inflight_ = *handoff;
  return Status::Ok();
}

Status Store::AwaitPredecessor(const std::shared_ptr<InFlight>& prev) {
  Status s = prev->Wait();
  if (s.ok()) return s;
  return Status(s.code(), "aborted: the commit before this one failed: " + s.message());
}

// ------------------------------------------------------------------ reads

Result<CaseState> Store::GetCaseState(std::string_view case_code) const {
  std::string value;
  HOSO_RETURN_IF_ERROR(
      FromRocks(db_->Get({}, cf_[kCases], case_code, &value), "case " + std::string(case_code)));
  return ParseCaseRecord(value, nullptr);
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

std::vector<std::string> Store::ScanIndex(const std::string& lower, const std::string& upper,
                                          size_t limit) const {
  std::vector<std::string> out;
  Status s = Scan(kIndex, lower, upper, [&](std::string_view key, std::string_view) {
    out.emplace_back(CaseOfIndexKey(key));
    return out.size() < limit;
  });
  (void)s;  // a read error ends the list early; callers see what was found
  return out;
}

std::vector<std::string> Store::CasesByStatus(std::string_view status, size_t limit) const {
  std::string prefix = StatusIndexPrefix(status);
  return ScanIndex(prefix, PrefixUpperBound(prefix), limit);
}

std::vector<std::string> Store::CasesByOffice(std::string_view office, size_t limit) const {
  std::string prefix = OfficeIndexPrefix(office);
  return ScanIndex(prefix, PrefixUpperBound(prefix), limit);
}

std::vector<std::string> Store::CasesByApplicant(std::string_view name, size_t limit) const {
  // A prefix of the folded name: "nguyen van" finds "Nguyễn Văn An" and "Nguyễn Văn Bình".
  std::string prefix = ApplicantIndexPrefix(name);
  return ScanIndex(prefix, PrefixUpperBound(prefix), limit);
}

Status Store::ScanReportCounters(const std::function<void(std::string_view, int64_t)>& fn) const {
  return Scan(kIndex, "R", "S", [&](std::string_view key, std::string_view value) {
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

std::vector<std::string> Store::CasesDueBetween(int64_t from_ms, int64_t to_ms,
                                                size_t limit) const {
  if (to_ms <= from_ms) return {};
  return ScanIndex(DueIndexKey(from_ms), DueIndexKey(to_ms), limit);
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
  if (!it->Valid() || !it->key().starts_with(prefix) || it->value().size() != 96) {
    HOSO_RETURN_IF_ERROR(FromRocks(it->status(), "reading signatures"));
    return Status::NotFound("no signed head of " + stream.ToString() + " at or before seq " +
                            std::to_string(seq));
  }
  return SignatureRecord(stream, prefix.size(), *it);
}

Result<std::vector<SignedHead>> Store::SignedHeads(const StreamKey& stream) const {
  std::vector<SignedHead> out;
  std::string prefix = stream.Encode();
  HOSO_RETURN_IF_ERROR(
      Scan(kSignatures, prefix, PrefixUpperBound(prefix), [&](std::string_view key, auto value) {
        SignedHead h;
        h.stream = stream;
        h.seq = key.size() == prefix.size() + 8 ? GetBig64(key.substr(prefix.size(), 8)) : 0;
        if (value.size() == 96) {
          h.id = HashFromView(value.substr(0, 32));
          h.signature = std::string(value.substr(32));
        }
        out.push_back(std::move(h));
        return true;
      }));
  return out;
}

Result<SignedHead> Store::SignedHeadAtOrAfter(const StreamKey& stream, uint64_t seq) const {
  std::string prefix = stream.Encode();
  std::string upper = PrefixUpperBound(prefix);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_[kSignatures]));
  it->Seek(EventKey(stream, seq));
  if (!it->Valid() || it->value().size() != 96) {
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

Status Store::VerifyStream(const StreamKey& stream) const {
  const std::string where = "stream " + stream.ToString();
  HOSO_ASSIGN_OR_RETURN(std::string key, OriginKey(stream.origin, stream.epoch));
  std::optional<StreamHead> head = Head(stream);
  HOSO_ASSIGN_OR_RETURN(auto reader, ReadStream(stream, 1));
  uint64_t expect = 1;
  Hash prev{};
  std::map<uint64_t, Hash> ids;  // only at signed seqs
  std::set<uint64_t> signed_seqs;
  const std::string prefix = stream.Encode();
  HOSO_RETURN_IF_ERROR(
      Scan(kSignatures, prefix, PrefixUpperBound(prefix), [&](std::string_view key, auto) {
        signed_seqs.insert(GetBig64(key.substr(prefix.size(), 8)));
        return true;
      }));
  for (; reader->Valid(); reader->Next(), ++expect) {
    std::string at = where + " seq " + std::to_string(expect);
    if (reader->seq() != expect) {
      return Status::Corruption(at + ": missing (next held is seq " +
                                std::to_string(reader->seq()) + ")");
    }
    auto e = DecodeEvent(reader->bytes());
    if (!e.ok()) return e.status().Annotate(at);
    if (!(e->stream == stream) || e->seq != expect) {
      return Status::Corruption(at + ": event claims " + e->stream.ToString() + " seq " +
                                std::to_string(e->seq));
    }
    if (e->prev != prev) return Status::Corruption(at + ": chain broken (prev mismatch)");
    prev = Sha256(reader->bytes());
    if (signed_seqs.count(expect)) ids[expect] = prev;
  }
  HOSO_RETURN_IF_ERROR(reader->status());
  uint64_t held = expect - 1;
  if (!head || head->seq != held || head->id != prev) {
    return Status::Corruption(where + ": head record does not match the last event (seq " +
                              std::to_string(held) + ")");
  }
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
  for (const std::string& code : CasesByOffice(channel, SIZE_MAX)) {
    auto st = GetCaseState(code);
    if (st.ok()) {
      std::vector<IndexOp> keys;
      IndexDelta(nullptr, *st, &keys);
      for (const auto& [key, put] : keys) wb.Delete(cf_[kIndex], key);
      if (auto bucket = ReportBucketKey(*st)) wb.Merge(cf_[kIndex], *bucket, CounterDelta(-1));
    }
    wb.Delete(cf_[kCases], code);
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

void Store::NoteClockAhead(Pending& p, const StreamKey& stream, int64_t latest_event_ms,
                           int64_t now_ms, uint64_t events) {
  const std::string origin = RevocationKey(stream.origin, stream.epoch);
  const std::string key = kMetaAheadPrefix + origin;
  {
    std::lock_guard lock(ahead_mu_);
    origins_ahead_.insert(origin);
  }
  int64_t latest = latest_event_ms, max_ahead = latest_event_ms - now_ms;
  std::string old;
  if (db_->Get({}, cf_[kMeta], key, &old).ok() && old.size() == 32) {
    latest = std::max(latest, static_cast<int64_t>(GetBig64(old)));
    max_ahead = std::max(max_ahead, static_cast<int64_t>(GetBig64(old.substr(8))));
    events += GetBig64(old.substr(24));
  }
  p.wb.Put(cf_[kMeta], key,
           Big64String(latest) + Big64String(max_ahead) + Big64String(now_ms) +
               Big64String(events));
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
                    a.epoch = std::strtoull(std::string(origin.substr(hash + 1)).c_str(), nullptr, 10);
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

std::vector<Store::Purge> Store::Purges() const {
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
  (void)s;
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
    FinishCase(&t);
    XorInto(fp, t.digest);
    for (const auto& [key, put] : t.index_ops) wb.Put(cf_[kIndex], key, "");
    for (const auto& [key, delta] : t.report_ops) wb.Merge(cf_[kIndex], key, CounterDelta(delta));
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
