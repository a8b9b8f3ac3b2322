#include "core/log/store.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>

#include "core/log/store_cipher.h"
#include "core/log/store_internal.h"

namespace hoso {

using namespace store_internal;

std::string_view StoreFormat() { return kStoreFormat; }
std::string_view PlainStoreFormat() { return kPlainStoreFormat; }

std::string_view Store::format() const {
  return options_.master_key.empty() ? kPlainStoreFormat : kStoreFormat;
}

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

Store::Store(StoreOptions options)
    : options_(std::move(options)),
      hlc_(options_.clock, 0, options_.max_drift_ms),
      directory_(std::make_shared<Directory>(options_.root_unit)) {}

Store::~Store() {
  for (auto* h : chunk_cf_) chunk_db_->DestroyColumnFamilyHandle(h);
  if (chunk_db_) chunk_db_->Close();
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
  std::unique_ptr<Store> store(new Store(std::move(options)));
  HOSO_RETURN_IF_ERROR(store->Load());
  return store;
}

namespace {
// Formats are decimal numbers: "10" is newer than "2".
bool FormatIsNewer(std::string_view stored, std::string_view mine) {
  return stored.size() != mine.size() ? stored.size() > mine.size() : stored > mine;
}
}  // namespace

// With a master key, RocksDB reads and writes through the encrypted file system; a store of
// the other kind is refused before RocksDB would misread it.
Status Store::UseStoreCipher(rocksdb::DBOptions* dbo) {
  std::string key_id;
  HOSO_ASSIGN_OR_RETURN(StoreEncryption found, ProbeStoreEncryption(options_.path, &key_id));
  if (options_.master_key.empty()) {
    if (found == StoreEncryption::kEncrypted) {
      return Status::FailedPrecondition("store at " + options_.path +
                                        " is encrypted (format 2) under master key " + key_id +
                                        ": give that key");
    }
    return Status::Ok();
  }
  if (found == StoreEncryption::kPlain) {
    return Status::FailedPrecondition(
        "store at " + options_.path +
        " is not encrypted (format 1): hoso-node encrypts it when it starts, after a backup");
  }
  HOSO_ASSIGN_OR_RETURN(std::string given, MasterKeyId(options_.master_key));
  if (found == StoreEncryption::kEncrypted && key_id != given) {
    return Status::FailedPrecondition("store at " + options_.path +
                                      " is encrypted under master key " + key_id +
                                      ", not the key given (" + given + ")");
  }
  HOSO_ASSIGN_OR_RETURN(encrypted_env_, NewEncryptedStoreEnv(dbo->env, options_.master_key));
  dbo->env = encrypted_env_.get();
  HOSO_ASSIGN_OR_RETURN(dbo->info_log,
                        NewStoreInfoLog(encrypted_env_.get(), options_.path, options_.read_only));
  return Status::Ok();
}

Status Store::Load() {
  rocksdb::DBOptions dbo = StoreDbOptions();
  dbo.create_if_missing = !options_.read_only;
  dbo.create_missing_column_families = !options_.read_only;
  if (options_.env) dbo.env = options_.env;
  HOSO_RETURN_IF_ERROR(UseStoreCipher(&dbo));
  if (options_.read_only && !options_.secondary_path.empty()) {
    dbo.max_open_files = -1;  // required of a secondary instance
  }
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = OpenStoreDb(dbo, options_.path, options_.read_only, options_.secondary_path,
                                  options_.block_cache_mb, &cf_, &raw);
  if (!s.ok()) return FromRocks(s, "opening store at " + options_.path);
  db_.reset(raw);
  if (options_.read_only && !options_.secondary_path.empty() && cf_[kDocuments]) {
    s = OpenChunkReader(dbo, options_.path, options_.block_cache_mb, &chunk_cf_, &raw);
    if (!s.ok()) return FromRocks(s, "opening the documents of store at " + options_.path);
    chunk_db_.reset(raw);
  }

  rocksdb::ReadOptions ro;
  std::string value;
  // The root authority is fixed at creation; opening with another one is a configuration error.
  const std::string_view format = this->format();
  s = db_->Get(ro, cf_[kMeta], kMetaFormat, &value);
  if (s.ok() && value != format) {
    return Status::FailedPrecondition("store at " + options_.path + " has format " + value +
                                      "; this hoso reads format " + std::string(format) +
                                      (FormatIsNewer(value, format) ? ": upgrade hoso" : " here"));
  }
  if (s.IsNotFound() && !options_.read_only) {
    HOSO_RETURN_IF_ERROR(
        FromRocks(db_->Put({}, cf_[kMeta], kMetaFormat, format), "writing format"));
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
  HOSO_RETURN_IF_ERROR(Scan(kMeta, kMetaErasedPrefix, PrefixUpperBound(kMetaErasedPrefix),
                            [&](std::string_view, std::string_view) {
                              ++erasures_held_;
                              return true;
                            }));

  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, cf_[kHeads]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    auto key = StreamKey::Decode(std::string_view(it->key().data(), it->key().size()));
    auto head = DecodeHeadRecord(std::string_view(it->value().data(), it->value().size()));
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

}  // namespace hoso
