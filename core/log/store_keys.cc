// Store personal data: sealed fields, case keys and erasures (core/format/sealed_field.h,
// core/log/erasure.h, docs/privacy.md). Part of the store's implementation (core/log/store.h);
// shared internals in core/log/store_internal.h.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "core/format/sealed_field.h"
#include "core/log/erasure.h"
#include "core/log/store.h"
#include "core/log/store_internal.h"

namespace hoso {

using namespace store_internal;

namespace {

// The sealed bytes in a field's canonical CBOR, and their key id; nullopt when not sealed.
std::optional<std::string_view> SealedBytes(std::string_view raw, std::string* key_id) {
  auto bytes = cbor::BytesItem(raw);
  if (!bytes || !ParseSealedField(*bytes, key_id)) return std::nullopt;
  return bytes;
}

// Whether an event's bytes may hold a sealed value: a byte string long enough, starting with
// the version byte. Hashes (32 bytes) never match, so most events skip the decode.
bool MayHoldSealed(std::string_view event) {
  for (size_t i = 0; i + 3 < event.size(); ++i) {
    auto c = static_cast<uint8_t>(event[i]);
    if (c == 0x58 && static_cast<uint8_t>(event[i + 1]) > kSealedFieldOverhead &&
        static_cast<uint8_t>(event[i + 2]) == kSealedVersion) {
      return true;
    }
    if (c == 0x59 && static_cast<uint8_t>(event[i + 3]) == kSealedVersion) return true;
  }
  return false;
}

std::string EncodeErasure(const Event& e, const Hash& id) {
  cbor::Value v = cbor::Value::Map();
  v.Set("at", cbor::Value::Uint(static_cast<uint64_t>(HlcMillis(e.hlc))));
  v.Set("by", cbor::Value::Text(e.stream.origin));
  v.Set("decision", cbor::Value::Text(e.body.Find("decision")->str()));
  v.Set("ground", cbor::Value::Text(e.body.Find("ground")->str()));
  v.Set("event", cbor::Value::Bytes(AsView(id)));
  return cbor::Encode(v);
}

Result<Erasure> DecodeErasure(std::string_view case_code, std::string_view value) {
  auto v = cbor::Decode(value);
  if (!v.ok()) return v.status().Annotate("erasure record of " + std::string(case_code));
  const cbor::Value *at = v->Find("at"), *by = v->Find("by"), *decision = v->Find("decision"),
                    *ground = v->Find("ground"), *event = v->Find("event");
  if (!at || !at->is_uint() || !by || !by->is_text() || !decision || !decision->is_text() ||
      !ground || !ground->is_text() || !event || !event->is_bytes() || event->str().size() != 32) {
    return Status::Corruption("erasure record of " + std::string(case_code) + " is malformed");
  }
  Erasure out;
  out.case_code = std::string(case_code);
  out.at_ms = static_cast<int64_t>(at->uint());
  out.by = by->str();
  out.decision = decision->str();
  out.ground = ground->str();
  out.event = HashFromView(event->str());
  return out;
}

}  // namespace

// ------------------------------------------------------------------ KeyView

std::optional<std::string> Store::KeyView::Key(const std::string& case_code,
                                               const std::string& key_id) const {
  for (const Pending* p : {self_, overlay_}) {
    if (!p) continue;
    if (p->erased.count(case_code)) return std::nullopt;
    auto c = p->added_keys.find(case_code);
    if (c == p->added_keys.end()) continue;
    auto k = c->second.find(key_id);
    if (k != c->second.end()) return k->second;
  }
  if (store_->IsErased(case_code)) return std::nullopt;
  std::string key;
  rocksdb::Status s =
      store_->db_->Get({}, store_->cf_[kMeta], CaseKeysPrefix(case_code) + key_id, &key);
  if (!s.ok() || key.size() != kCaseKeySize) return std::nullopt;
  return key;
}

bool Store::KeyView::Erased(const std::string& case_code) const {
  for (const Pending* p : {self_, overlay_}) {
    if (p && p->erased.count(case_code)) return true;
  }
  return store_->IsErased(case_code);
}

std::optional<std::string> Store::KeyView::Open(std::string_view case_code, std::string_view field,
                                                std::string_view raw) const {
  std::string key_id;
  auto sealed = SealedBytes(raw, &key_id);
  // A personal field written in clear (before sealing) is hidden by an erasure all the same.
  if (!sealed) {
    if (store_->IsSealedField(field) && Erased(std::string(case_code))) return std::nullopt;
    return std::string(raw);
  }
  if (self_ && !self_->erased.count(std::string(case_code))) {
    auto done = self_->opened.find({std::string(case_code), std::string(field)});
    if (done != self_->opened.end() && done->second.first == *sealed) return done->second.second;
  }
  auto key = Key(std::string(case_code), key_id);
  if (!key) return std::nullopt;
  auto plain = OpenSealedField(*key, case_code, field, *sealed);
  if (!plain.ok()) return std::nullopt;
  return std::move(plain).value();
}

bool Store::KeyView::Moves(const std::string& case_code) const {
  return self_ && (self_->added_keys.count(case_code) || self_->erased.count(case_code));
}

// ------------------------------------------------------------------ reads

Status Store::ErasedMessage(std::string_view case_code) const {
  HOSO_ASSIGN_OR_RETURN(auto erasure, ErasureOf(case_code));
  if (!erasure) return Status::Ok();
  return Status::FailedPrecondition("the personal data of case " + std::string(case_code) +
                                    " were erased at " + std::to_string(erasure->at_ms) +
                                    " ms by decision " + erasure->decision + " (" +
                                    erasure->ground + ")");
}

bool Store::IsSealedField(std::string_view field) const {
  return std::find(options_.sealed_fields.begin(), options_.sealed_fields.end(), field) !=
         options_.sealed_fields.end();
}

bool Store::IsErased(const std::string& case_code) const {
  if (erasures_held_.load() == 0) return false;
  std::string value;
  return db_->Get({}, cf_[kMeta], kMetaErasedPrefix + case_code, &value).ok();
}

Result<std::string> Store::OpenField(std::string_view case_code, std::string_view field,
                                     std::string_view raw) const {
  std::string key_id;
  auto sealed = SealedBytes(raw, &key_id);
  if (!sealed) {
    if (IsSealedField(field)) HOSO_RETURN_IF_ERROR(ErasedMessage(case_code));
    return std::string(raw);
  }
  auto key = KeyView(this).Key(std::string(case_code), key_id);
  if (!key) {
    HOSO_RETURN_IF_ERROR(ErasedMessage(case_code));
    return Status::NotFound("this node does not hold the key of case " + std::string(case_code));
  }
  return OpenSealedField(*key, case_code, field, *sealed);
}

Result<std::vector<CaseKey>> Store::KeysForEvents(const std::vector<std::string>& events) const {
  std::vector<CaseKey> out;
  std::set<std::pair<std::string, std::string>> seen;  // (case, key id)
  KeyView held(this);
  for (const std::string& bytes : events) {
    if (!MayHoldSealed(bytes)) continue;
    auto e = DecodeEvent(bytes);
    if (!e.ok() || !e->body.is_map()) continue;
    for (size_t i = 1; i < e->body.items().size(); i += 2) {
      const cbor::Value& v = e->body.items()[i];
      std::string key_id;
      if (!v.is_bytes() || !ParseSealedField(v.str(), &key_id)) continue;
      if (!seen.emplace(e->case_code, key_id).second) continue;
      if (auto key = held.Key(e->case_code, key_id)) out.push_back({e->case_code, *key});
    }
  }
  return out;
}

Result<std::optional<Erasure>> Store::ErasureOf(std::string_view case_code) const {
  if (erasures_held_.load() == 0) return std::optional<Erasure>();
  std::string value;
  rocksdb::Status s = db_->Get({}, cf_[kMeta], kMetaErasedPrefix + std::string(case_code), &value);
  if (s.IsNotFound()) return std::optional<Erasure>();
  HOSO_RETURN_IF_ERROR(FromRocks(s, "reading the erasure of " + std::string(case_code)));
  HOSO_ASSIGN_OR_RETURN(Erasure e, DecodeErasure(case_code, value));
  return std::optional<Erasure>(std::move(e));
}

Result<std::vector<Erasure>> Store::Erasures() const {
  std::vector<Erasure> out;
  Status bad;
  HOSO_RETURN_IF_ERROR(Scan(kMeta, kMetaErasedPrefix, PrefixUpperBound(kMetaErasedPrefix),
                            [&](std::string_view key, std::string_view value) {
                              auto e = DecodeErasure(key.substr(kMetaErasedPrefix.size()), value);
                              if (!e.ok()) {
                                bad = e.status();
                                return false;
                              }
                              out.push_back(std::move(e).value());
                              return true;
                            }));
  HOSO_RETURN_IF_ERROR(bad);
  return out;
}

Status Store::ScrubErasedKeys() {
  if (options_.read_only) return Status::FailedPrecondition("store opened read-only");
  HOSO_RETURN_IF_ERROR(Flush());
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  return FromRocks(db_->CompactRange(co, cf_[kMeta], nullptr, nullptr),
                   "compacting the meta family");
}

// ------------------------------------------------------------------ commits

Result<std::string> Store::LocalCaseKey(Pending& p, const std::string& case_code) const {
  if (p.erased.count(case_code)) HOSO_RETURN_IF_ERROR(ErasedMessage(case_code));
  auto staged = p.added_keys.find(case_code);
  if (staged != p.added_keys.end() && !staged->second.empty()) {
    return staged->second.begin()->second;
  }
  std::string held;
  // A case this node does not hold yet has no key here (keys are stored with their cases'
  // events): a reception need not look.
  auto touched = p.cases.find(case_code);
  bool known = touched != p.cases.end() && touched->second.existed;
  if (touched == p.cases.end()) {
    rocksdb::PinnableSlice record;
    rocksdb::Status read = db_->Get({}, cf_[kCases], case_code, &record);
    if (!read.ok() && !read.IsNotFound()) return FromRocks(read, "reading case " + case_code);
    known = read.ok();
  }
  if (known) {
    HOSO_RETURN_IF_ERROR(Scan(kMeta, CaseKeysPrefix(case_code),
                              PrefixUpperBound(CaseKeysPrefix(case_code)),
                              [&](std::string_view, std::string_view value) {
                                held = std::string(value);
                                return held.size() != kCaseKeySize;
                              }));
  }
  if (held.size() == kCaseKeySize) return held;
  HOSO_RETURN_IF_ERROR(ErasedMessage(case_code).Annotate("no personal field may be written"));
  HOSO_ASSIGN_OR_RETURN(std::string key, NewCaseKey());
  std::string id = CaseKeyId(key);
  p.wb.Put(cf_[kMeta], CaseKeysPrefix(case_code) + id, key);
  p.added_keys[case_code][id] = key;
  return key;
}

Status Store::SealLocalFields(Pending& p, Event& e) const {
  if (options_.sealed_fields.empty() || IsSystemChannel(e.stream.channel)) return Status::Ok();
  for (const std::string& field : options_.sealed_fields) {
    const cbor::Value* v = e.body.Find(field);
    // Null says "none"; a sealed value's bytes were sealed already (by whoever copied them
    // here). Other bytes (a file's key) are sealed like any value.
    if (!v || v->is_null() || (v->is_bytes() && ParseSealedField(v->str()))) continue;
    HOSO_ASSIGN_OR_RETURN(std::string key, LocalCaseKey(p, e.case_code));
    std::string plain = cbor::Encode(*v);
    HOSO_ASSIGN_OR_RETURN(std::string sealed, SealField(key, e.case_code, field, plain));
    p.opened[{e.case_code, field}] = {sealed, std::move(plain)};
    e.body.Set(field, cbor::Value::Bytes(sealed));
  }
  return Status::Ok();
}

Status Store::StageKeys(Pending& p, const std::vector<CaseKey>& keys, const Pending* overlay,
                        const std::set<std::string>& held_cases, const std::vector<Event>& events,
                        size_t skip) const {
  // The sealed values the batch brings, by case and key id: a key is kept only if it opens
  // one. So a peer, or whoever carries a bundle, cannot plant a key of their own choosing
  // for a case (which later local writes would seal under), nor keys of nothing.
  struct Sealed {
    std::string_view field, bytes;
  };
  std::map<std::pair<std::string_view, std::string>, Sealed> sealed;
  for (size_t i = skip; i < events.size(); ++i) {
    const Event& e = events[i];
    if (IsSystemChannel(e.stream.channel) || !e.body.is_map()) continue;
    for (size_t j = 0; j + 1 < e.body.items().size(); j += 2) {
      const cbor::Value& k = e.body.items()[j];
      const cbor::Value& v = e.body.items()[j + 1];
      std::string key_id;
      if (!k.is_text() || !v.is_bytes() || !ParseSealedField(v.str(), &key_id)) continue;
      sealed.emplace(std::make_pair(std::string_view(e.case_code), key_id),
                     Sealed{k.str(), v.str()});
    }
  }
  KeyView held(this, &p, overlay);
  for (const CaseKey& k : keys) {
    if (k.key.size() != kCaseKeySize) continue;
    std::string id = CaseKeyId(k.key);
    auto opens = sealed.find({std::string_view(k.case_code), id});
    if (opens == sealed.end()) continue;
    auto plain = OpenSealedField(k.key, k.case_code, opens->second.field, opens->second.bytes);
    if (!plain.ok()) continue;
    auto staged = p.added_keys.find(k.case_code);
    if (staged != p.added_keys.end() && staged->second.count(id)) continue;
    // A case new to this node has no key stored here: only a held one needs the reads.
    const bool was_held = held_cases.count(k.case_code) > 0;
    if (was_held && held.Key(k.case_code, id)) continue;
    HOSO_ASSIGN_OR_RETURN(auto erasure, ErasureOf(k.case_code));
    if (erasure) continue;
    size_t count = staged == p.added_keys.end() ? 0 : staged->second.size();
    if (was_held) {
      HOSO_RETURN_IF_ERROR(
          Scan(kMeta, CaseKeysPrefix(k.case_code), PrefixUpperBound(CaseKeysPrefix(k.case_code)),
               [&](std::string_view, std::string_view) { return ++count < kMaxKeysPerCase; }));
    }
    if (count >= kMaxKeysPerCase) continue;
    p.wb.Put(cf_[kMeta], CaseKeysPrefix(k.case_code) + id, k.key);
    p.added_keys[k.case_code][id] = k.key;
    p.opened[{k.case_code, std::string(opens->second.field)}] = {std::string(opens->second.bytes),
                                                                 std::move(plain).value()};
  }
  return Status::Ok();
}

Status Store::StageErasures(Pending& p) const {
  for (const Event& e : p.erasure_events) {
    const std::string& code = e.case_code;
    if (!p.erased.insert(code).second) continue;
    HOSO_ASSIGN_OR_RETURN(auto erasure, ErasureOf(code));
    if (!erasure) {
      p.wb.Put(cf_[kMeta], kMetaErasedPrefix + code, EncodeErasure(e, Sha256(EncodeEvent(e))));
      ++p.new_erasures;
    }
    const std::string prefix = CaseKeysPrefix(code);
    HOSO_RETURN_IF_ERROR(
        Scan(kMeta, prefix, PrefixUpperBound(prefix), [&](std::string_view key, std::string_view) {
          p.wb.Delete(cf_[kMeta], rocksdb::Slice(key.data(), key.size()));
          return true;
        }));
    // Keys this commit itself made (a local write sealed in the same group) go too.
    if (auto staged = p.added_keys.find(code); staged != p.added_keys.end()) {
      for (const auto& [id, key] : staged->second) p.wb.Delete(cf_[kMeta], prefix + id);
      p.added_keys.erase(staged);
    }
    if (p.cases.count(code)) continue;
    // A held case's index is taken again without the keys (its name leaves the search).
    std::string value;
    rocksdb::Status read = db_->Get({}, cf_[kCases], code, &value);
    if (read.IsNotFound()) continue;
    HOSO_RETURN_IF_ERROR(FromRocks(read, "reading case " + code));
    HOSO_ASSIGN_OR_RETURN(CaseState st, ParseCaseRecord(value, nullptr));
    Touched t;
    HOSO_RETURN_IF_ERROR(InitCase(code, st.channel(), read, value, &t));
    p.cases.emplace(code, std::move(t));
  }
  return Status::Ok();
}

}  // namespace hoso
