#include "sync/bundle.h"

#include <algorithm>
#include <map>
#include <set>

#include "core/format/chain_verifier.h"
#include "core/format/node_seal.h"
#include "core/format/sealed_field.h"
#include "core/log/directory.h"

namespace hoso::sync {
namespace {

constexpr std::string_view kMagic = "hoso/bundle/v1";
// v2: a bundle with case keys (record kind 4), which a v1 reader would refuse.
constexpr std::string_view kMagicKeys = "hoso/bundle/v2";
// v3: the file holds chunk records (keys records too, maybe).
constexpr std::string_view kMagicChunks = "hoso/bundle/v3";
constexpr uint64_t kOrigin = 1, kBatch = 2, kTrailer = 3, kKeys = 4, kChunk = 5;
constexpr size_t kMaxKeyRecipients = 16;
constexpr size_t kBatchEvents = 1000;

cbor::Limits ItemLimits() {
  cbor::Limits l;
  l.max_input = 128u << 20;
  l.max_depth = 4;
  // An event is at most kMaxEventBytes (checked again below); a keys record holds up to a
  // batch's 1,000 keys, some 70 KB sealed.
  l.max_string = std::max<size_t>({kMaxEventBytes, 128 * 1024, kMaxSealedChunkBytes});
  l.max_collection = 4096;
  l.max_items = 1u << 16;
  return l;
}

struct SealedFor {
  std::string recipient;
  uint64_t recipient_epoch = 0;
  std::string sealed;
};
using SealedKeys = std::vector<SealedFor>;  // empty when the batch has none

struct Parsed {
  BundleSummary summary;
  std::vector<OriginMsg> origins;
  std::vector<Batch> batches;
  std::vector<SealedKeys> keys;                      // one per batch
  std::vector<std::pair<Hash, std::string>> chunks;  // sealed chunks by name, unchecked
};

// What a keys record's seal authenticates besides its bytes: whom it is for.
std::string KeysAad(const std::string& recipient, uint64_t epoch) {
  return "hoso/bundle/keys" + std::string(1, '\0') + recipient + std::string(1, '\0') +
         std::to_string(epoch);
}

Status Bad(size_t offset, const std::string& what) {
  return Status::InvalidArgument("bundle: item at byte " + std::to_string(offset) + ": " + what);
}

bool IsText(const cbor::Value& v) { return v.is_text(); }

Result<Parsed> Parse(std::string_view bytes) {
  Parsed out;
  size_t pos = 0;
  bool header = false, trailer = false, v2 = false, v3 = false;
  uint64_t events = 0;
  std::optional<SealedKeys> pending_keys;  // a keys record, for the batch that follows
  const cbor::Limits limits = ItemLimits();
  while (pos < bytes.size()) {
    if (trailer) return Bad(pos, "bytes after the trailer");
    size_t used = 0;
    auto item = cbor::DecodePrefix(bytes.substr(pos), &used, limits);
    if (!item.ok()) return Bad(pos, item.status().message());
    const auto& v = *item;
    if (!v.is_array() || v.size() == 0) return Bad(pos, "not an array record");
    const auto& f = v.items();
    if (!header) {
      if (f.size() != 5 || !IsText(f[0]) ||
          (f[0].str() != kMagic && f[0].str() != kMagicKeys && f[0].str() != kMagicChunks) ||
          !IsText(f[1]) || !IsText(f[2]) || !f[3].is_uint() || !f[4].is_uint()) {
        return Bad(pos, "not a hoso bundle header (hoso/bundle/v1, v2 or v3)");
      }
      v3 = f[0].str() == kMagicChunks;
      v2 = v3 || f[0].str() == kMagicKeys;
      out.summary.scope = f[1].str();
      out.summary.exporter = f[2].str();
      out.summary.exporter_epoch = f[3].uint();
      out.summary.created_ms = static_cast<int64_t>(f[4].uint());
      header = true;
    } else if (!f[0].is_uint()) {
      return Bad(pos, "record without a kind");
    } else if (f[0].uint() == kOrigin) {
      if (f.size() != 5 || !IsText(f[1]) || !f[2].is_uint() || !f[3].is_bytes() ||
          f[3].str().size() != 32 || !IsText(f[4])) {
        return Bad(pos, "malformed origin record");
      }
      out.origins.push_back({f[1].str(), f[2].uint(), f[3].str(), f[4].str()});
    } else if (f[0].uint() == kBatch) {
      if (f.size() != 7 || !IsText(f[1]) || !IsText(f[2]) || !f[3].is_uint() || !f[4].is_uint() ||
          !f[5].is_bytes() || f[5].str().size() != 64 || !f[6].is_array() || f[6].size() == 0) {
        return Bad(pos, "malformed batch record");
      }
      Batch b;
      b.stream = {f[1].str(), f[2].str(), f[3].uint()};
      for (const auto& e : f[6].items()) {
        if (!e.is_bytes()) return Bad(pos, "an event that is not a byte string");
        if (e.str().size() > kMaxEventBytes) return Bad(pos, "an event over the size limit");
        b.events.push_back(e.str());
      }
      b.head = {b.stream, f[4].uint(), Sha256(b.events.back()), f[5].str()};
      if (b.head.seq < b.events.size()) return Bad(pos, "head seq below the batch's size");
      events += b.events.size();
      out.batches.push_back(std::move(b));
      out.keys.push_back(pending_keys.value_or(SealedKeys()));
      pending_keys.reset();
    } else if (f[0].uint() == kKeys) {
      if (!v2 || pending_keys || f.size() != 2 || !f[1].is_array() || f[1].size() == 0 ||
          f[1].size() > kMaxKeyRecipients) {
        return Bad(pos, "malformed keys record (one, in a v2 bundle, before its batch)");
      }
      SealedKeys k;
      for (const auto& r : f[1].items()) {
        if (!r.is_array() || r.size() != 3 || !IsText(r.items()[0]) || !r.items()[1].is_uint() ||
            !r.items()[2].is_bytes() || r.items()[2].str().empty()) {
          return Bad(pos, "malformed keys record entry");
        }
        k.push_back({r.items()[0].str(), r.items()[1].uint(), r.items()[2].str()});
      }
      pending_keys = std::move(k);
      ++out.summary.key_records;
    } else if (f[0].uint() == kChunk) {
      if (!v3 || f.size() != 3 || !f[1].is_bytes() || f[1].str().size() != 32 || !f[2].is_bytes() ||
          f[2].str().empty() || f[2].str().size() > kMaxSealedChunkBytes) {
        return Bad(pos, "malformed chunk record (in a v3 bundle: a 32-byte name, its bytes)");
      }
      out.chunks.emplace_back(HashFromView(f[1].str()), f[2].str());
      out.summary.chunk_bytes += f[2].str().size();
    } else if (f[0].uint() == kTrailer) {
      if (pending_keys) return Bad(pos, "a keys record with no batch after it");
      if (f.size() != 4 || !f[1].is_uint() || !f[2].is_uint() || !f[3].is_bytes()) {
        return Bad(pos, "malformed trailer");
      }
      if (f[1].uint() != out.batches.size() || f[2].uint() != events) {
        return Bad(pos, "the trailer counts other batches or events than the file holds");
      }
      if (f[3].str() != AsView(Sha256(bytes.substr(0, pos)))) {
        return Bad(pos, "digest mismatch: the file was altered or damaged");
      }
      trailer = true;
    } else {
      return Bad(pos, "unknown record kind " + std::to_string(f[0].uint()));
    }
    pos += used;
  }
  if (!header) return Status::InvalidArgument("bundle: empty file");
  if (!trailer) return Status::InvalidArgument("bundle: no trailer: the file is truncated");
  std::set<StreamKey> streams;
  for (const auto& b : out.batches) streams.insert(b.stream);
  out.summary.origins = out.origins.size();
  out.summary.streams = streams.size();
  out.summary.batches = out.batches.size();
  out.summary.events = events;
  out.summary.chunks = out.chunks.size();
  return out;
}

void Append(std::string* out, const cbor::Value& v) { out->append(cbor::Encode(v)); }

struct Recipient {
  std::string unit;
  uint64_t epoch = 0;
  std::string public_key;
};

// The nodes that may hold the scope's cases (the scope rule: its unit and the unit's
// ancestors), each at its newest epoch whose key this store holds.
std::vector<Recipient> Recipients(const Store& store, const std::string& scope, int64_t now) {
  std::vector<Recipient> out;
  auto dir = store.DirectorySnapshot();
  std::string unit = scope;
  for (int depth = 0; depth < 64 && !unit.empty() && dir->Exists(unit, now); ++depth) {
    std::optional<Recipient> newest;
    std::string prefix = "origin/" + unit + std::string(1, '\0');
    Status s = store.ScanMeta(prefix, [&](std::string_view key, std::string_view value) {
      if (key.size() == prefix.size() + 8 && value.size() == 32) {
        newest = Recipient{unit, GetBig64(key.substr(prefix.size())), std::string(value)};
      }
      return true;
    });
    // A revoked node key may be in a thief's hands: nothing is sealed to it.
    if (s.ok() && newest && out.size() < kMaxKeyRecipients &&
        !store.RevocationsSnapshot()->Find(newest->unit, newest->epoch)) {
      out.push_back(std::move(*newest));
    }
    auto parent = dir->ParentAt(unit, now);
    if (!parent) break;
    unit = *parent;
  }
  return out;
}

// The keys record of a batch: the keys of its sealed values, sealed to each recipient.
Result<std::optional<cbor::Value>> KeysRecord(const Store& store, const Batch& b,
                                              const std::vector<Recipient>& recipients,
                                              uint64_t* count) {
  if (recipients.empty()) return std::optional<cbor::Value>();
  HOSO_ASSIGN_OR_RETURN(std::vector<CaseKey> keys, store.KeysForEvents(b.events));
  if (keys.empty()) return std::optional<cbor::Value>();
  cbor::Value list = cbor::Value::Array();
  for (const CaseKey& k : keys) {
    cbor::Value e = cbor::Value::Array();
    e.Append(cbor::Value::Text(k.case_code));
    e.Append(cbor::Value::Bytes(k.key));
    list.Append(std::move(e));
  }
  const std::string plain = cbor::Encode(list);
  cbor::Value sealed_for = cbor::Value::Array();
  for (const Recipient& to : recipients) {
    HOSO_ASSIGN_OR_RETURN(std::string sealed,
                          SealToNode(to.public_key, plain, KeysAad(to.unit, to.epoch)));
    cbor::Value e = cbor::Value::Array();
    e.Append(cbor::Value::Text(to.unit));
    e.Append(cbor::Value::Uint(to.epoch));
    e.Append(cbor::Value::Bytes(sealed));
    sealed_for.Append(std::move(e));
  }
  *count += keys.size();
  cbor::Value r = cbor::Value::Array();
  r.Append(cbor::Value::Uint(kKeys));
  r.Append(std::move(sealed_for));
  return std::optional<cbor::Value>(std::move(r));
}

// The keys of a batch's record, opened with this node's key; none when it is for another.
Result<std::vector<CaseKey>> OpenKeys(const Store& store, const SealedKeys& keys) {
  std::vector<CaseKey> out;
  const auto& me = store.options().identity;
  const SealedFor* mine = nullptr;
  for (const SealedFor& k : keys) {
    if (me && me->unit == k.recipient && me->epoch == k.recipient_epoch) mine = &k;
  }
  if (!mine) return out;
  HOSO_ASSIGN_OR_RETURN(
      std::string plain,
      OpenAsNode(me->key, mine->sealed, KeysAad(mine->recipient, mine->recipient_epoch)));
  cbor::Limits limits;
  limits.max_depth = 3;  // the list, an entry, its items
  limits.max_collection = kMaxKeysPerMessage;
  HOSO_ASSIGN_OR_RETURN(cbor::Value list, cbor::Decode(plain, limits));
  if (!list.is_array()) return Status::InvalidArgument("keys record: not an array");
  for (const cbor::Value& e : list.items()) {
    if (!e.is_array() || e.items().size() != 2 || !e.items()[0].is_text() ||
        !e.items()[1].is_bytes() || e.items()[1].str().size() != kCaseKeySize ||
        !ValidateName("case", e.items()[0].str()).ok()) {
      return Status::InvalidArgument("keys record: malformed entry");
    }
    out.push_back({e.items()[0].str(), e.items()[1].str()});
  }
  return out;
}

// The streams `held` beyond `since`, labelled `scope` in the header.
// The chunk records of the documents the batches' events name, each once, as held here and
// only if they verify (a rotted copy is not passed on).
std::string ChunkRecords(const Store& store, const std::vector<Batch>& batches,
                         BundleSummary* sum) {
  std::string out;
  std::set<Hash> seen;
  for (const auto& b : batches) {
    if (IsSystemChannel(b.stream.channel)) continue;
    for (const auto& bytes : b.events) {
      auto e = DecodeEvent(bytes);
      if (!e.ok()) continue;  // the importer refuses the batch anyway
      for (const std::string& field : store.options().document_fields) {
        const cbor::Value* v = e->body.Find(field);
        if (!v || v->is_null()) continue;
        auto ref = ParseDocumentRef(*v);
        if (!ref.ok()) continue;
        for (const Hash& name : ref->chunks) {
          if (!seen.insert(name).second) continue;
          auto chunk = store.GetChunk(name);
          if (!chunk.ok() || Sha256(*chunk) != name) {
            ++sum->chunks_missing;
            continue;
          }
          cbor::Value r = cbor::Value::Array();
          r.Append(cbor::Value::Uint(kChunk));
          r.Append(cbor::Value::Bytes(AsView(name)));
          r.Append(cbor::Value::Bytes(*chunk));
          Append(&out, r);
          ++sum->chunks;
          sum->chunk_bytes += chunk->size();
        }
      }
    }
  }
  return out;
}

Result<std::string> Export(const Store& store, const std::string& scope, const VersionVector& held,
                           const VersionVector& since, int64_t now, bool with_documents,
                           BundleSummary* summary) {
  std::vector<StreamKey> order;
  for (const auto& [stream, head] : held) order.push_back(stream);
  // The directory first, then the other system channels, then the units' channels: an
  // importer judges every other event by the directory, the root's succession included.
  std::stable_sort(order.begin(), order.end(), [](const StreamKey& a, const StreamKey& b) {
    auto rank = [](const StreamKey& s) {
      return s.channel == kDirectoryChannel ? 0 : IsSystemChannel(s.channel) ? 1 : 2;
    };
    return rank(a) < rank(b);
  });
  const Identity* me = store.options().identity ? &*store.options().identity : nullptr;
  BundleSummary sum{scope, me ? me->unit : "", me ? me->epoch : 0, now};
  std::string out;  // the origins, then the records of the batches
  std::vector<Batch> batches;
  std::set<std::pair<std::string, uint64_t>> origins;
  for (const auto& stream : order) {
    uint64_t head = held.at(stream).seq;
    auto known = since.find(stream);
    uint64_t next = known == since.end() ? 1 : known->second.seq + 1;
    if (next > head) continue;
    ++sum.streams;
    origins.insert({stream.origin, stream.epoch});
    while (next <= head) {
      HOSO_ASSIGN_OR_RETURN(Batch b, store.ReadBatch(stream, next, kBatchEvents));
      next = b.head.seq + 1;
      batches.push_back(std::move(b));
    }
  }
  for (const auto& [unit, epoch] : origins) {
    HOSO_ASSIGN_OR_RETURN(std::string key, store.OriginKey(unit, epoch));
    cbor::Value o = cbor::Value::Array();
    o.Append(cbor::Value::Uint(kOrigin));
    o.Append(cbor::Value::Text(unit));
    o.Append(cbor::Value::Uint(epoch));
    o.Append(cbor::Value::Bytes(key));
    o.Append(cbor::Value::Text(store.OriginCertificate(unit, epoch)));
    Append(&out, o);
  }
  // The case keys of each batch go just before it, sealed to the node of the unit the bundle
  // is for (none when this store holds no key of that unit: its names stay unreadable there
  // until it syncs).
  const std::vector<Recipient> recipients =
      scope == kSystemScope ? std::vector<Recipient>() : Recipients(store, scope, now);
  std::string records;
  for (const auto& b : batches) {
    HOSO_ASSIGN_OR_RETURN(auto keys, KeysRecord(store, b, recipients, &sum.keys));
    if (keys) {
      Append(&records, *keys);
      ++sum.key_records;
    }
    cbor::Value r = cbor::Value::Array();
    r.Append(cbor::Value::Uint(kBatch));
    r.Append(cbor::Value::Text(b.stream.channel));
    r.Append(cbor::Value::Text(b.stream.origin));
    r.Append(cbor::Value::Uint(b.stream.epoch));
    r.Append(cbor::Value::Uint(b.head.seq));
    r.Append(cbor::Value::Bytes(b.head.signature));
    cbor::Value events = cbor::Value::Array();
    for (const auto& e : b.events) events.Append(cbor::Value::Bytes(e));
    r.Append(std::move(events));
    Append(&records, r);
    sum.events += b.events.size();
  }
  out += records;
  if (with_documents) {
    out += ChunkRecords(store, batches, &sum);
    if (out.size() > kMaxBundleBytes) {
      return Status::OutOfRange(
          "the bundle with its files would hold " + std::to_string(out.size() >> 20) +
          " MiB, over the " + std::to_string(kMaxBundleBytes >> 20) +
          " MiB a node imports: export with a more recent --since, or without --with-documents");
    }
  }
  // A v1 reader refuses a keys record: a bundle with some says it is v2; one with chunk
  // records, v3 (which v2 readers refuse).
  cbor::Value header = cbor::Value::Array();
  header.Append(cbor::Value::Text(sum.chunks > 0        ? kMagicChunks
                                  : sum.key_records > 0 ? kMagicKeys
                                                        : kMagic));
  header.Append(cbor::Value::Text(scope));
  header.Append(cbor::Value::Text(sum.exporter));
  header.Append(cbor::Value::Uint(sum.exporter_epoch));
  header.Append(cbor::Value::Uint(static_cast<uint64_t>(now)));
  out = cbor::Encode(header) + out;
  sum.batches = batches.size();
  sum.origins = origins.size();
  cbor::Value trailer = cbor::Value::Array();
  trailer.Append(cbor::Value::Uint(kTrailer));
  trailer.Append(cbor::Value::Uint(sum.batches));
  trailer.Append(cbor::Value::Uint(sum.events));
  trailer.Append(cbor::Value::Bytes(AsView(Sha256(out))));
  Append(&out, trailer);
  if (summary) *summary = sum;
  return out;
}

}  // namespace

Result<std::string> ExportBundle(const Store& store, const std::string& scope_unit,
                                 const VersionVector& since, BundleSummary* summary,
                                 bool with_documents) {
  auto dir = store.DirectorySnapshot();
  int64_t now = SystemClock::Default()->NowMs();
  if (!dir->Exists(scope_unit, now)) {
    return Status::NotFound("unit " + scope_unit + " is not in the directory");
  }
  VersionVector held = store.Vector([&](const std::string& c) {
    return IsSystemChannel(c) || dir->IsAncestorOrSelf(scope_unit, c, now);
  });
  return Export(store, scope_unit, held, since, now, with_documents, summary);
}

Result<std::string> ExportSystemBundle(const Store& store, BundleSummary* summary) {
  VersionVector held =
      store.Vector([&](const std::string& c) { return store.IsKnownSystemChannel(c); });
  return Export(store, std::string(kSystemScope), held, {}, SystemClock::Default()->NowMs(),
                /*with_documents=*/false, summary);
}

Result<std::set<std::string>> CheckSystemBundle(std::string_view bytes,
                                                const OriginVerifier& verify,
                                                std::string_view root_unit,
                                                BundleSummary* summary) {
  HOSO_ASSIGN_OR_RETURN(Parsed p, Parse(bytes));
  if (summary) *summary = p.summary;
  std::set<std::string> channels;
  for (const auto& b : p.batches) {
    if (!IsSystemChannel(b.stream.channel)) {
      return Status::InvalidArgument("not a set-up bundle: it carries channel " + b.stream.channel +
                                     ", not only the system channels");
    }
    channels.insert(b.stream.channel);
  }
  HOSO_ASSIGN_OR_RETURN(std::vector<std::string> problems, VerifyBundle(bytes, verify, nullptr));
  if (!problems.empty()) {
    return Status::PermissionDenied(
        problems.front() +
        (problems.size() > 1 ? " (and " + std::to_string(problems.size() - 1) + " more)" : ""));
  }
  // The write rule as Store::Ingest applies it, against the directory the file carries: the
  // root authority at each event's time (the founding root, or its successor) alone writes.
  Directory dir{std::string(root_unit)};
  std::vector<Event> events;
  for (const auto& b : p.batches) {
    for (const auto& e : b.events) {
      HOSO_ASSIGN_OR_RETURN(Event event, DecodeEvent(e));  // VerifyBundle decoded it
      if (event.stream.channel == kDirectoryChannel && Directory::ValidateEvent(event).ok()) {
        HOSO_RETURN_IF_ERROR(dir.Apply(event));
      }
      events.push_back(std::move(event));
    }
  }
  for (const auto& e : events) {
    if (Status rule = dir.CheckWrite(e.stream.origin, e.stream.channel, HlcMillis(e.hlc));
        !rule.ok()) {
      return Status::PermissionDenied("stream " + e.stream.ToString() + " seq " +
                                      std::to_string(e.seq) + ": " + rule.message());
    }
  }
  return channels;
}

Result<ImportStats> ImportSystemBundle(Store& store, std::string_view bytes,
                                       const OriginVerifier& verify) {
  HOSO_RETURN_IF_ERROR(CheckSystemBundle(bytes, verify, store.options().root_unit).status());
  return ImportBundle(store, bytes, verify);
}

Result<ImportStats> ImportBundle(Store& store, std::string_view bytes,
                                 const OriginVerifier& verify) {
  HOSO_ASSIGN_OR_RETURN(Parsed p, Parse(bytes));
  ImportStats stats;
  stats.bundle = p.summary;
  for (const auto& o : p.origins) {
    Status s = verify(o);
    if (s.ok()) s = store.TrustOrigin(o.unit, o.epoch, o.public_key, o.certificate);
    if (!s.ok()) {
      stats.refused.push_back("origin " + o.unit + "#" + std::to_string(o.epoch) + ": " +
                              s.message());
    }
  }
  for (size_t i = 0; i < p.batches.size(); ++i) {
    const Batch& b = p.batches[i];
    IngestStats st;
    auto keys = OpenKeys(store, p.keys[i]);
    if (!keys.ok()) {
      stats.refused.push_back("case keys before " + b.stream.ToString() + " up to seq " +
                              std::to_string(b.head.seq) + ": " + keys.status().message());
    } else {
      stats.keys += keys->size();
    }
    if (!p.keys[i].empty() && keys.ok() && keys->empty()) ++stats.keys_for_another;
    Status s = store.Ingest(b, &st, keys.ok() ? std::move(keys).value() : std::vector<CaseKey>{});
    if (!s.ok()) {
      stats.refused.push_back(b.stream.ToString() + " up to seq " + std::to_string(b.head.seq) +
                              ": " + s.message());
      continue;
    }
    stats.applied += st.applied;
    stats.duplicates += st.duplicates;
  }
  // The files' chunks once their events are in: each is stored only if a case of this
  // store's scope names it and its bytes hash to its name and have the size its docref says.
  for (const auto& [name, sealed] : p.chunks) {
    if (store.HasChunk(name)) {
      ++stats.chunk_duplicates;
      continue;
    }
    Status s = store.PutReceivedChunk(name, sealed);
    if (s.ok()) {
      ++stats.chunks;
    } else if (s.code() == Code::kFailedPrecondition) {
      ++stats.chunks_unwanted;
    } else {
      stats.refused.push_back("chunk " + Hex(name) + ": " + s.message());
    }
  }
  return stats;
}

Result<std::vector<std::string>> VerifyBundle(std::string_view bytes, const OriginVerifier& verify,
                                              BundleSummary* summary) {
  HOSO_ASSIGN_OR_RETURN(Parsed p, Parse(bytes));
  if (summary) *summary = p.summary;
  std::vector<std::string> problems;
  std::map<std::pair<std::string, uint64_t>, std::string> keys;
  for (const auto& o : p.origins) {
    Status s = verify(o);
    if (!s.ok()) {
      problems.push_back("origin " + o.unit + "#" + std::to_string(o.epoch) + ": " + s.message());
    }
    keys[{o.unit, o.epoch}] = o.public_key;
  }
  std::map<StreamKey, ChainVerifier> chains;  // each stream's chain as checked so far
  for (const auto& b : p.batches) {
    std::string where = b.stream.ToString();
    uint64_t seq = b.head.seq - b.events.size() + 1;
    auto it = chains.find(b.stream);
    if (it == chains.end()) {
      // A bundle made after a version vector starts a stream where the reader left off.
      it = chains
               .emplace(b.stream,
                        seq == 1 ? ChainVerifier(b.stream) : ChainVerifier::Unanchored(b.stream))
               .first;
    }
    ChainVerifier& chain = it->second;
    for (const auto& bytes_i : b.events) {
      const Hash id = Sha256(bytes_i);
      auto e = DecodeEvent(bytes_i);
      if (!e.ok()) {
        problems.push_back(where + " seq " + std::to_string(seq) + ": " + e.status().message());
        chain.Skip(seq, id);
      } else if (Status s = chain.Add(seq, *e, id); !s.ok()) {
        problems.push_back(where + ": " + s.message());
      }
      ++seq;
    }
    auto key = keys.find({b.stream.origin, b.stream.epoch});
    if (key == keys.end()) {
      problems.push_back(where + ": no origin record for its signer");
    } else if (!b.head.Verify(key->second).ok()) {
      problems.push_back(where + " seq " + std::to_string(b.head.seq) +
                         ": the signed head does not verify");
    }
  }
  for (const auto& [name, sealed] : p.chunks) {
    if (Sha256(sealed) != name) {
      problems.push_back("chunk " + Hex(name) + ": its bytes do not hash to its name");
    }
  }
  return problems;
}

}  // namespace hoso::sync
