#include "core/log/store_tuning.h"

#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <algorithm>

// jemalloc (linked when not sanitizing, see CMakeLists.txt) gives freed pages back to the OS
// after 1 s instead of 10 s, and at once instead of keeping them "muzzy": a node's resident
// memory follows its working set (the sync receiver's peak went from 220 to 191 MB at the same
// speed). jemalloc decays only when the process allocates, unless its background thread does
// it: an idle node kept what its self-check had freed (a commune holding 100k cases stayed at
// 177 MB 30 s after the check, hub_bench), so the thread is on. MALLOC_CONF in the
// environment still overrides it. Defined here because every process that opens a store links
// this file.
extern "C" {
__attribute__((used)) const char* malloc_conf =
    "dirty_decay_ms:1000,muzzy_decay_ms:0,background_thread:true";
}

namespace hoso {
namespace {

const char* const kFamilyNames[family::kCount] = {rocksdb::kDefaultColumnFamilyName.c_str(),
                                                  "events",
                                                  "heads",
                                                  "signatures",
                                                  "cases",
                                                  "index",
                                                  "forks",
                                                  "documents"};

class CounterMerge : public rocksdb::AssociativeMergeOperator {
 public:
  bool Merge(const rocksdb::Slice&, const rocksdb::Slice* existing, const rocksdb::Slice& value,
             std::string* new_value, rocksdb::Logger*) const override {
    int64_t before = existing ? CounterValue({existing->data(), existing->size()}) : 0;
    *new_value = CounterDelta(before + CounterValue({value.data(), value.size()}));
    return true;
  }
  const char* Name() const override { return "hoso.CounterMerge"; }
};

rocksdb::ColumnFamilyOptions FamilyOptions(size_t i, const std::shared_ptr<rocksdb::Cache>& cache,
                                           size_t block_cache_mb) {
  using namespace family;
  rocksdb::ColumnFamilyOptions cfo;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  if (i == kCases || i == kEvents || i == kSignatures) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  }
  if (i == kCases) {
    // Point lookups (every ingested event reads its case) use a hash index inside blocks.
    table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  }
  cfo.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (i == kDocuments) {
    // Document chunks (up to 256 KiB, sealed: incompressible) live in blob files, so
    // compactions of this family move small keys, not megabytes, and the event families never
    // share a file or a compaction with them (docs/storage-format.md, "Documents").
    cfo.enable_blob_files = true;
    cfo.min_blob_size = 4096;
    cfo.blob_file_size = 256 << 20;
    cfo.blob_compression_type = rocksdb::kNoCompression;
    // No blob GC: chunks are written once and deleted only when found damaged, so it would
    // only rewrite live blobs (doc_bench, 10 GiB stored through the API: 30 MB/s with it,
    // 97 MB/s without).
    cfo.enable_blob_garbage_collection = false;
    cfo.compression = rocksdb::kNoCompression;
    cfo.write_buffer_size = 16 << 20;
    return cfo;
  }
  if (i == kIndex) cfo.merge_operator = std::make_shared<CounterMerge>();
  if (i == kCases || i == kIndex) {
    // Rewritten families: every L0 -> L1 compaction rewrites all of L1, so gathering eight
    // flushes per compaction instead of four halves that work (ingest CPU -6% measured).
    cfo.level0_file_num_compaction_trigger = 8;
  }
  // Small memtables for the rewritten families keep their skiplists shallow (measured:
  // 16 MiB beat 32 and 8 on the ingest bench). Events are appended per stream, so 32 MiB
  // ingests as fast as 64 and bounds memory: up to two memtables per family are resident
  // while one flushes (sync receiver peak 200 -> 169 MB).
  cfo.write_buffer_size = (i == kEvents ? 32 : 16) << 20;
  if (block_cache_mb <= 16) {
    // A node set for a small machine (store_cache_mib <= 16): receiving a commune's 600k
    // events took a node from 34 to 111 MB with the sizes above (hub_bench), the memtables
    // being most of it. Every family, meta and signatures included (RocksDB's default is
    // 64 MiB), gets 4 MiB, events 8.
    cfo.write_buffer_size = (i == kEvents ? 8 : 4) << 20;
  }
  if (i == kCases) {
    // Every ingested event reads its case first; a memtable bloom filter answers "new
    // case" without searching the skiplist.
    cfo.memtable_whole_key_filtering = true;
    cfo.memtable_prefix_bloom_size_ratio = 0.1;
  }
  // Commits write these families' keys in sorted order but spread over the key space; with
  // a hint the skiplist fixes its splice partially instead of searching from the top.
  // Not on meta: RocksDB 7.8 shares one hint table between a memtable and its range
  // tombstones, so a DeleteRange whose start key has a prefix corrupts later hinted
  // inserts. Here the only range deletions start at "" (outside the 1-byte domain).
  if (i == kEvents || i == kCases || i == kIndex) {
    cfo.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(1));
  }
  // The top levels are rewritten soon anyway: compressing them costs CPU the two cores need
  // for ingest. Deeper, colder levels are LZ4.
  cfo.compression_per_level = {rocksdb::kNoCompression,  rocksdb::kNoCompression,
                               rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                               rocksdb::kLZ4Compression, rocksdb::kLZ4Compression,
                               rocksdb::kLZ4Compression};
  return cfo;
}

}  // namespace

rocksdb::DBOptions StoreDbOptions() {
  rocksdb::DBOptions dbo;
  dbo.IncreaseParallelism(2);
  dbo.max_total_wal_size = 256 << 20;
  // wal_compression stays off: broken recovery on RocksDB 7.8.
  return dbo;
}

std::vector<rocksdb::ColumnFamilyDescriptor> StoreFamilies(size_t block_cache_mb) {
  auto cache = rocksdb::NewLRUCache(block_cache_mb << 20);
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (size_t i = 0; i < family::kCount; ++i) {
    cfs.emplace_back(kFamilyNames[i], FamilyOptions(i, cache, block_cache_mb));
  }
  return cfs;
}

rocksdb::Status OpenStoreDb(const rocksdb::DBOptions& dbo, const std::string& path, bool read_only,
                            const std::string& secondary, size_t block_cache_mb,
                            std::vector<rocksdb::ColumnFamilyHandle*>* handles, rocksdb::DB** db) {
  std::vector<rocksdb::ColumnFamilyDescriptor> all = StoreFamilies(block_cache_mb);
  std::vector<rocksdb::ColumnFamilyDescriptor> open;
  std::vector<size_t> ids;
  std::vector<std::string> present;
  if (read_only) {
    rocksdb::Status s = rocksdb::DB::ListColumnFamilies(dbo, path, &present);
    if (!s.ok()) return s;
  }
  for (size_t i = 0; i < all.size(); ++i) {
    if (read_only && std::find(present.begin(), present.end(), all[i].name) == present.end()) {
      continue;
    }
    open.push_back(all[i]);
    ids.push_back(i);
  }
  std::vector<rocksdb::ColumnFamilyHandle*> opened;
  rocksdb::Status s;
  if (read_only && !secondary.empty()) {
    s = rocksdb::DB::OpenAsSecondary(dbo, path, secondary, open, &opened, db);
  } else if (read_only) {
    s = rocksdb::DB::OpenForReadOnly(dbo, path, open, &opened, db);
  } else {
    s = rocksdb::DB::Open(dbo, path, open, &opened, db);
  }
  if (!s.ok()) return s;
  handles->assign(all.size(), nullptr);
  for (size_t k = 0; k < ids.size(); ++k) (*handles)[ids[k]] = opened[k];
  return s;
}

rocksdb::Status OpenChunkReader(const rocksdb::DBOptions& dbo, const std::string& path,
                                size_t block_cache_mb,
                                std::vector<rocksdb::ColumnFamilyHandle*>* handles,
                                rocksdb::DB** db) {
  std::vector<rocksdb::ColumnFamilyDescriptor> all = StoreFamilies(block_cache_mb);
  std::vector<rocksdb::ColumnFamilyDescriptor> open;
  for (const auto& f : all) {
    if (f.name == rocksdb::kDefaultColumnFamilyName) open.push_back(f);
  }
  open.push_back(all[family::kDocuments]);
  return rocksdb::DB::OpenForReadOnly(dbo, path, open, handles, db);
}

std::string CounterDelta(int64_t delta) {
  std::string v(8, '\0');
  for (int i = 0; i < 8; ++i) v[i] = static_cast<char>(static_cast<uint64_t>(delta) >> (8 * i));
  return v;
}

int64_t CounterValue(std::string_view counter) {
  if (counter.size() != 8) return 0;
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(counter[i]);
  return static_cast<int64_t>(n);
}

}  // namespace hoso
