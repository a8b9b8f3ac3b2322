// StoreTuning: the RocksDB options of a store's database and of each of its column families,
// and the encoding of the report counters its index family merges. The store opens its
// database with them; the core bench replays the store's commits into plain RocksDB with the
// same options, to measure what the schema alone costs. Its source also tells jemalloc how
// soon to give freed pages back. docs/storage-format.md gives the reasons behind each choice.
// Thread-safety: pure functions.
#pragma once

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hoso {

namespace family {
// A store's column families; each one's RocksDB id is its value here.
enum : size_t {
  kMeta = 0,
  kEvents,
  kHeads,
  kSignatures,
  kCases,
  kIndex,
  kForks,
  kDocuments,
  kCount
};
}  // namespace family

rocksdb::DBOptions StoreDbOptions();
// Every column family, in id order, sharing one block cache of `block_cache_mb`.
std::vector<rocksdb::ColumnFamilyDescriptor> StoreFamilies(size_t block_cache_mb);

// Opens the database with every family, by id in `handles`. When it may be written, missing
// families are created; read-only (as a secondary instance when `secondary` is set), a family
// the store does not have yet (one written by an earlier release) gets a null handle.
rocksdb::Status OpenStoreDb(const rocksdb::DBOptions& dbo, const std::string& path, bool read_only,
                            const std::string& secondary, size_t block_cache_mb,
                            std::vector<rocksdb::ColumnFamilyHandle*>* handles, rocksdb::DB** db);

// A secondary instance cannot read blob files (RocksDB's integrated BlobDB does not support
// secondary instances: reads crash), so a store opened as one reads document chunks through
// this: the database opened read-only with only the default and documents families. Opened
// after the secondary, it sees at least every chunk the secondary marks held.
rocksdb::Status OpenChunkReader(const rocksdb::DBOptions& dbo, const std::string& path,
                                size_t block_cache_mb,
                                std::vector<rocksdb::ColumnFamilyHandle*>* handles,
                                rocksdb::DB** db);

// Report counters: 8-byte little-endian signed counts in the index family; commits add
// deltas to them with merges, so no commit reads them.
std::string CounterDelta(int64_t delta);
int64_t CounterValue(std::string_view counter);

}  // namespace hoso
