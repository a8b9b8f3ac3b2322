// Store's meta key-value space for its users (core/log/store.h, "meta"): the records the
// store keeps for others in its meta family, outside the log's commits.
// Part of the store's implementation; shared internals in core/log/store_internal.h.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include "core/log/store.h"
#include "core/log/store_internal.h"

namespace hoso {

using namespace store_internal;

Status Store::GetMeta(std::string_view key, std::string* value) const {
  return FromRocks(db_->Get({}, cf_[kMeta], rocksdb::Slice(key.data(), key.size()), value),
                   "reading meta key");
}

Status Store::PutMeta(std::string_view key, std::string_view value, bool sync) {
  MetaBatch batch;
  batch.Put(key, value);
  return WriteMeta(batch, sync);
}

Status Store::WriteMeta(const MetaBatch& batch, bool sync) {
  if (options_.read_only) return Status::FailedPrecondition("store opened read-only");
  if (batch.empty()) return Status::Ok();
  rocksdb::WriteBatch wb;
  for (const auto& op : batch.ops_) {
    if (IsStoreMetaKey(op.key)) {
      // The store's own keys are text up to their first 0x00.
      return Status::InvalidArgument("meta key '" + op.key.substr(0, op.key.find('\0')) +
                                     "' is one of the store's own records");
    }
    rocksdb::Status s =
        op.put ? wb.Put(cf_[kMeta], op.key, op.value) : wb.Delete(cf_[kMeta], op.key);
    if (!s.ok()) return FromRocks(s, "staging meta");
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync && options_.sync_writes;
  return FromRocks(db_->Write(wo, &wb), "writing meta");
}

Status Store::ScanMeta(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  return Scan(kMeta, prefix, PrefixUpperBound(std::string(prefix)), fn);
}

}  // namespace hoso
