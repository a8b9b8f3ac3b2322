// Store documents: sealed chunks in their own column family, with blob files (core/format/
// document.h, docs/documents.md, docs/storage-format.md "Documents"). Part of the store's
// implementation (core/log/store.h); shared internals in core/log/store_internal.h.
//
// The documents family:
//   'c' name(32)          -> sealed chunk            ; in a blob file
//   'h' name(32)          -> ""                      ; held: read by commits instead of the blob
//   'r' name(32) channel  -> ""                      ; a case of the channel names the chunk
//   'w' channel 0x00 name(32) -> be32(sealed size)   ; wanted: sync asks the peers that share
//                                                    ; the channel (by channel: a session
//                                                    ; skips the channels it does not share)
//   'd' name(32)          -> be32(sealed size) channel  ; deferred: wanted once asked for
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <set>

#include "core/log/store.h"
#include "core/log/store_internal.h"

namespace hoso {

using namespace store_internal;

namespace {

std::string DocKey(char kind, const Hash& name, std::string_view tail = {}) {
  std::string k(1, kind);
  k += AsView(name);
  k += tail;
  return k;
}

std::string WantValue(uint32_t size, std::string_view channel = {}) {
  std::string v;
  PutBig32(&v, size);
  v += channel;
  return v;
}

std::string WantKey(std::string_view channel, const Hash& name) {
  std::string k = "w";
  k += channel;
  k.push_back('\0');
  k += AsView(name);
  return k;
}

Status NoDocuments() {
  return Status::FailedPrecondition(
      "this store has no documents family (opened read-only, "
      "written by an earlier release)");
}

}  // namespace

namespace store_internal {
Status CheckDocumentFields(const std::vector<std::string>& fields, const Event& e) {
  if (IsSystemChannel(e.stream.channel)) return Status::Ok();
  for (const std::string& field : fields) {
    const cbor::Value* v = e.body.Find(field);
    if (!v || v->is_null()) continue;
    auto ref = ParseDocumentRef(*v);
    if (!ref.ok()) return ref.status().Annotate("field " + field + " of case " + e.case_code);
  }
  return Status::Ok();
}
}  // namespace store_internal

Status Store::StageDocuments(Pending& p, const Event& e) const {
  if (options_.document_fields.empty() || IsSystemChannel(e.stream.channel)) return Status::Ok();
  rocksdb::ColumnFamilyHandle* cf = cf_[kDocuments];
  for (const std::string& field : options_.document_fields) {
    const cbor::Value* v = e.body.Find(field);
    if (!v || v->is_null()) continue;
    auto ref = ParseDocumentRef(*v);
    if (!ref.ok()) return ref.status().Annotate("field " + field + " of case " + e.case_code);
    if (!cf) return NoDocuments();
    const int64_t within = options_.fetch_documents_within_ms;
    const bool eager = within <= 0 || HlcMillis(e.hlc) >= options_.clock->NowMs() - within;
    for (size_t i = 0; i < ref->chunks.size(); ++i) {
      const Hash& name = ref->chunks[i];
      p.wb.Put(cf, DocKey('r', name, e.stream.channel), "");
      if (HasChunk(name)) continue;
      const uint32_t size = static_cast<uint32_t>(SealedChunkSize(ref->size, i));
      if (eager) {
        p.wb.Put(cf, WantKey(e.stream.channel, name), WantValue(size));
      } else {
        p.wb.Put(cf, DocKey('d', name), WantValue(size, e.stream.channel));
      }
    }
  }
  return Status::Ok();
}

Result<SealedDocument> Store::PutDocument(std::string_view plaintext) {
  if (options_.read_only) return Status::FailedPrecondition("store opened read-only");
  if (!cf_[kDocuments]) return NoDocuments();
  HOSO_ASSIGN_OR_RETURN(SealedDocument doc, SealDocument(plaintext));
  // With RefetchDamagedChunks: a copy found damaged and this upload's fresh one are not
  // interleaved (the fresh one deleted as damaged).
  std::lock_guard lock(documents_mu_);
  rocksdb::WriteBatch wb;
  for (size_t i = 0; i < doc.sealed.size(); ++i) {
    const Hash& name = doc.ref.chunks[i];
    if (HasChunk(name) && HeldChunkVerifies(name)) continue;  // stored once; a rotted copy replaced
    wb.Put(cf_[kDocuments], DocKey('c', name), doc.sealed[i]);
    wb.Put(cf_[kDocuments], DocKey('h', name), "");
    HOSO_RETURN_IF_ERROR(DropWants(name, &wb));
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  HOSO_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &wb), "storing a document"));
  doc.sealed.clear();
  return doc;
}

Result<std::string> Store::GetChunk(const Hash& name) const {
  if (!cf_[kDocuments]) return NoDocuments();
  std::string value;
  // A secondary instance reads chunks through its reader (store_tuning.h OpenChunkReader).
  rocksdb::Status s = chunk_db_ ? chunk_db_->Get({}, chunk_cf_[1], DocKey('c', name), &value)
                                : db_->Get({}, cf_[kDocuments], DocKey('c', name), &value);
  if (s.IsNotFound()) return Status::NotFound("chunk " + Hex(name) + " is not held here");
  HOSO_RETURN_IF_ERROR(FromRocks(s, "reading chunk " + Hex(name)));
  return value;
}

bool Store::HasChunk(const Hash& name) const {
  if (!cf_[kDocuments]) return false;
  rocksdb::PinnableSlice value;
  return db_->Get({}, cf_[kDocuments], DocKey('h', name), &value).ok();
}

bool Store::HeldChunkVerifies(const Hash& name) const {
  auto chunk = GetChunk(name);
  return chunk.ok() && Sha256(*chunk) == name;
}

Result<size_t> Store::RefetchDamagedChunks(const DocumentRef& ref) {
  if (options_.read_only) return Status::FailedPrecondition("store opened read-only");
  if (!cf_[kDocuments]) return NoDocuments();
  rocksdb::ColumnFamilyHandle* cf = cf_[kDocuments];
  std::lock_guard lock(documents_mu_);
  rocksdb::WriteBatch wb;
  size_t damaged = 0;
  for (size_t i = 0; i < ref.chunks.size(); ++i) {
    const Hash& name = ref.chunks[i];
    if (!HasChunk(name) || HeldChunkVerifies(name)) continue;
    ++damaged;
    wb.Delete(cf, DocKey('c', name));
    wb.Delete(cf, DocKey('h', name));
    const std::string refs = DocKey('r', name);
    const std::string size = WantValue(static_cast<uint32_t>(SealedChunkSize(ref.size, i)));
    HOSO_RETURN_IF_ERROR(
        Scan(kDocuments, refs, PrefixUpperBound(refs), [&](std::string_view key, std::string_view) {
          wb.Put(cf, WantKey(key.substr(refs.size()), name), size);
          return true;
        }));
  }
  if (damaged == 0) return damaged;
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_writes;
  HOSO_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &wb), "wanting damaged chunks again"));
  NotifyListeners({});
  return damaged;
}

size_t Store::HeldChunks(const DocumentRef& ref) const {
  size_t n = 0;
  for (const Hash& name : ref.chunks) n += HasChunk(name);
  return n;
}

Result<std::string> Store::ReadDocument(const DocumentRef& ref, std::string_view key) const {
  return OpenDocument(ref, key, [&](size_t i, const Hash& name) -> Result<std::string> {
    auto chunk = GetChunk(name);
    if (chunk.status().code() == Code::kNotFound) {
      return Status::NotFound("chunk " + std::to_string(i + 1) + " of " +
                              std::to_string(ref.chunks.size()) + " has not arrived yet");
    }
    return chunk;
  });
}

Status Store::DropWants(const Hash& name, rocksdb::WriteBatch* wb, uint32_t* size) const {
  rocksdb::ColumnFamilyHandle* cf = cf_[kDocuments];
  const std::string refs = DocKey('r', name);
  std::string value;
  rocksdb::Status s = db_->Get({}, cf, DocKey('d', name), &value);
  if (s.ok() && value.size() >= 4 && size) *size = GetBig32(value);
  if (s.ok()) wb->Delete(cf, DocKey('d', name));
  HOSO_RETURN_IF_ERROR(
      Scan(kDocuments, refs, PrefixUpperBound(refs), [&](std::string_view key, std::string_view) {
        const std::string want = WantKey(key.substr(refs.size()), name);
        if (size && *size == 0 && db_->Get({}, cf, want, &value).ok() && value.size() >= 4) {
          *size = GetBig32(value);
        }
        wb->Delete(cf, want);
        return true;
      }));
  return Status::Ok();
}

Status Store::PutReceivedChunk(const Hash& name, std::string_view sealed) {
  if (options_.read_only) return Status::FailedPrecondition("store opened read-only");
  if (!cf_[kDocuments]) return NoDocuments();
  if (HasChunk(name)) return Status::Ok();  // two peers sent it
  rocksdb::WriteBatch wb;
  uint32_t size = 0;
  HOSO_RETURN_IF_ERROR(DropWants(name, &wb, &size));
  if (size == 0) return Status::FailedPrecondition("chunk " + Hex(name) + " was not asked for");
  if (size != sealed.size()) {
    return Status::Corruption("chunk " + Hex(name) + " has " + std::to_string(sealed.size()) +
                              " bytes, not the " + std::to_string(size) + " its document implies");
  }
  if (Sha256(sealed) != name) {
    return Status::Corruption("chunk " + Hex(name) + " does not hash to its name");
  }
  wb.Put(cf_[kDocuments], DocKey('c', name), sealed);
  wb.Put(cf_[kDocuments], DocKey('h', name), "");
  HOSO_RETURN_IF_ERROR(FromRocks(db_->Write({}, &wb), "storing chunk " + Hex(name)));
  NotifyListeners({});  // a relay's other peers may want it now
  return Status::Ok();
}

Status Store::ScanWantedChunks(const std::string& after,
                               const std::function<bool(const std::string&)>& shared, size_t limit,
                               std::vector<WantedChunk>* out) const {
  out->clear();
  if (!cf_[kDocuments] || limit == 0) return Status::Ok();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator({}, cf_[kDocuments]));
  const std::string start = after.empty() ? std::string("w") : after + std::string(1, '\0');
  for (it->Seek(start); it->Valid() && out->size() < limit;) {
    std::string_view key(it->key().data(), it->key().size());
    if (key.empty() || key[0] != 'w') break;
    const size_t zero = key.find('\0');
    if (zero == std::string_view::npos || key.size() != zero + 33 || it->value().size() < 4) {
      it->Next();
      continue;
    }
    std::string channel(key.substr(1, zero - 1));
    if (!shared(channel)) {
      it->Seek("w" + channel + std::string(1, '\x01'));  // the next channel
      continue;
    }
    WantedChunk w;
    w.name = HashFromView(key.substr(zero + 1));
    w.key = std::string(key);
    // A chunk that arrived while a commit wanted it again (both read it as missing).
    if (!HasChunk(w.name)) {
      w.size = GetBig32(std::string_view(it->value().data(), it->value().size()));
      w.channel = std::move(channel);
      out->push_back(std::move(w));
    }
    it->Next();
  }
  return FromRocks(it->status(), "scanning wanted chunks");
}

uint64_t Store::WantedChunkCount() const {
  if (!cf_[kDocuments]) return 0;
  std::set<Hash> names;
  Status s = Scan(kDocuments, "w", "x", [&](std::string_view key, std::string_view) {
    if (key.size() < 33) return true;
    Hash name = HashFromView(key.substr(key.size() - 32));
    if (!HasChunk(name)) names.insert(name);
    return true;
  });
  return s.ok() ? names.size() : 0;
}

bool Store::ChunkNamedIn(const Hash& name,
                         const std::function<bool(const std::string&)>& in_scope) const {
  if (!cf_[kDocuments]) return false;
  bool named = false;
  const std::string prefix = DocKey('r', name);
  Status s = Scan(kDocuments, prefix, PrefixUpperBound(prefix),
                  [&](std::string_view key, std::string_view) {
                    named = in_scope(std::string(key.substr(prefix.size())));
                    return !named;
                  });
  return s.ok() && named;
}

Status Store::FetchDocument(const DocumentRef& ref) {
  if (options_.read_only) return Status::FailedPrecondition("store opened read-only");
  if (!cf_[kDocuments]) return NoDocuments();
  rocksdb::WriteBatch wb;
  for (const Hash& name : ref.chunks) {
    std::string want;
    rocksdb::Status s = db_->Get({}, cf_[kDocuments], DocKey('d', name), &want);
    if (s.IsNotFound()) continue;
    HOSO_RETURN_IF_ERROR(FromRocks(s, "reading the want of chunk " + Hex(name)));
    if (want.size() < 4) return Status::Corruption("want record of chunk " + Hex(name));
    wb.Put(cf_[kDocuments], WantKey(std::string_view(want).substr(4), name), want.substr(0, 4));
    wb.Delete(cf_[kDocuments], DocKey('d', name));
  }
  HOSO_RETURN_IF_ERROR(FromRocks(db_->Write({}, &wb), "fetching a document"));
  NotifyListeners({});
  return Status::Ok();
}

}  // namespace hoso
