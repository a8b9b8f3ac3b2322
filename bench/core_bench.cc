// Core bench: ingest of verified remote batches against plain RocksDB puts of the same bytes,
// hashing, re-folding, and durable local commits, on the "cases" workload (WORKLOAD.md). Also
// schema_replay_eps: the store's own WriteBatches replayed into plain RocksDB with the store's
// options, the most any ingest writing events, heads, signatures, case states and indexes in
// one batch can reach with this tuning, and commit_*_per_event: the keys and bytes those
// WriteBatches hold per event, in all and for the events, cases and index families. Two more
// replays of the same WriteBatches bound other schemas: case records cut to 150 bytes
// (schema_replay_records150_*) and no case states or indexes at all (schema_replay_events_only_*).
// ingest_verified_encrypted_eps: the same ingest into a store whose files are encrypted (format
// 2, a node's store), and its ratio to the plaintext ingest.
//
//   core_bench [--events 1000000] [--dir /tmp] [--commits 5000] [--callers 2] [--only ingest]
//              [--data DIR]
//
// --only ingest stops after the ingest figures (for profiling one phase).
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "bench/bench_util.h"
#include "bench/workload_batches.h"
#include "core/audit/audit.h"
#include "core/base/worker_pool.h"
#include "core/log/store.h"
#include "core/log/store_tuning.h"
#include "tests/testing/stream_builder.h"
#include "tools/workload.h"

using namespace hoso;
using bench::BatchSource;
using bench::Emit;
using bench::Stopwatch;

namespace {

const char* kBench = "core";

void Fail(const Status& s) {
  std::fprintf(stderr, "core_bench: %s\n", s.ToString().c_str());
  std::exit(1);
}

// Batches are generated once into a file, so generation is outside every timed phase and
// the bench's memory holds one batch at a time, not the workload.
//   file  = *batch
//   batch = u32 len(stream) stream u64 head_seq id(32) sig(64) u32 count count*(u32 len bytes)
void PutU32(std::string* out, uint32_t v) { out->append(reinterpret_cast<const char*>(&v), 4); }

uint64_t WriteBatches(const CaseWorkload& w, uint64_t cases, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  BatchSource source(w, cases, 1000);
  Batch b;
  uint64_t events = 0;
  std::string buf;
  while (source.Next(&b)) {
    buf.clear();
    std::string stream = b.stream.Encode();
    PutU32(&buf, static_cast<uint32_t>(stream.size()));
    buf += stream;
    PutBig64(&buf, b.head.seq);
    buf.append(AsView(b.head.id));
    buf += b.head.signature;
    PutU32(&buf, static_cast<uint32_t>(b.events.size()));
    for (const auto& e : b.events) {
      PutU32(&buf, static_cast<uint32_t>(e.size()));
      buf += e;
    }
    out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
    events += b.events.size();
  }
  return events;
}

class BatchFile {
 public:
  explicit BatchFile(const std::string& path) : in_(path, std::ios::binary) {}
  bool Next(Batch* b) {
    uint32_t n;
    if (!Read(&n, 4)) return false;
    std::string stream(n, '\0');
    Read(stream.data(), n);
    b->stream = StreamKey::Decode(stream).value();
    std::string fixed(8 + 32 + 64, '\0');
    Read(fixed.data(), fixed.size());
    b->head =
        SignedHead{b->stream, GetBig64(fixed), HashFromView(fixed.substr(8, 32)), fixed.substr(40)};
    uint32_t count;
    Read(&count, 4);
    b->events.resize(count);
    for (auto& e : b->events) {
      uint32_t len;
      Read(&len, 4);
      e.resize(len);
      Read(e.data(), len);
    }
    return true;
  }

 private:
  bool Read(void* p, size_t n) {
    return static_cast<bool>(in_.read(static_cast<char*>(p), static_cast<std::streamsize>(n)));
  }
  std::ifstream in_;
};

// Ingests every batch of the file with `threads` concurrent callers, driven the way the sync
// transport drives the store (sync/tls/node.cc): a WorkerPool keyed by stream, so a stream's
// batches commit in order while any idle caller takes the next batch of another stream, with
// a bounded number of batches waiting, like a session's window.
double IngestAll(Store& store, const std::string& path, int threads) {
  std::mutex mu;
  std::condition_variable cv;
  size_t waiting = 0;
  std::atomic<bool> failed{false};
  Stopwatch wall;
  {
    WorkerPool callers(static_cast<size_t>(threads));
    BatchFile file(path);
    Batch b;
    while (file.Next(&b)) {
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return waiting < 4 * static_cast<size_t>(threads); });
        ++waiting;
      }
      std::string stream = b.stream.Encode();
      callers.Submit(std::move(stream), [&, batch = std::move(b)] {
        Status s = store.Ingest(batch);
        if (!s.ok()) {
          std::fprintf(stderr, "core_bench: %s\n", s.ToString().c_str());
          failed = true;
        }
        {
          std::lock_guard lock(mu);
          --waiting;
        }
        cv.notify_one();
      });
    }
  }  // the pool's destructor runs every batch still queued
  if (failed) std::exit(1);
  return wall.Seconds();
}

// What the store's commits write to one column family.
struct FamilyWrites {
  uint64_t keys = 0;
  uint64_t bytes = 0;  // keys and values
};

class FamilyTally : public rocksdb::WriteBatch::Handler {
 public:
  std::array<FamilyWrites, family::kCount> families{};

  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& k, const rocksdb::Slice& v) override {
    return Count(cf, k.size() + v.size());
  }
  rocksdb::Status MergeCF(uint32_t cf, const rocksdb::Slice& k, const rocksdb::Slice& v) override {
    return Count(cf, k.size() + v.size());
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& k) override {
    return Count(cf, k.size());
  }

 private:
  rocksdb::Status Count(uint32_t cf, size_t bytes) {
    if (cf >= families.size()) return rocksdb::Status::InvalidArgument("unknown family");
    ++families[cf].keys;
    families[cf].bytes += bytes;
    return rocksdb::Status::OK();
  }
};

struct SchemaReplay {
  double seconds = 0;      // in Write
  double cpu_seconds = 0;  // the process's, over the whole replay (reading the capture too)
  FamilyTally written;
};

// What a replay writes of each captured WriteBatch. The two reshaped forms are what-ifs that
// bound any schema for this workload, not stores that could answer queries:
// kRecordsCut keeps every key but cuts each case record to kCutRecordBytes (about a record
// holding only status, field versions and two event refs); kEventsOnly drops the case states
// and indexes, keeping events, heads, signatures and meta (a log with nothing derived).
enum class ReplayShape { kAsWritten, kRecordsCut, kEventsOnly };
constexpr size_t kCutRecordBytes = 150;
// The flood of issue 16: 4,000 mutually concurrent steps on one case, 100 to a batch.
constexpr size_t kFloodEvents = 4000;
constexpr size_t kFloodBatch = 100;

void IngestOrFail(Store& store, const Batch& b) {
  if (Status s = store.Ingest(b); !s.ok()) Fail(s);
}

// Copies a WriteBatch into another of the same families, reshaped.
class Reshape : public rocksdb::WriteBatch::Handler {
 public:
  Reshape(ReplayShape shape, const std::vector<rocksdb::ColumnFamilyHandle*>& families,
          rocksdb::WriteBatch* out)
      : shape_(shape), families_(families), out_(out) {}

  rocksdb::Status PutCF(uint32_t cf, const rocksdb::Slice& k, const rocksdb::Slice& v) override {
    if (Dropped(cf)) return rocksdb::Status::OK();
    if (shape_ == ReplayShape::kRecordsCut && cf == family::kCases) {
      return out_->Put(families_.at(cf), k, {v.data(), std::min(v.size(), kCutRecordBytes)});
    }
    return out_->Put(families_.at(cf), k, v);
  }
  rocksdb::Status MergeCF(uint32_t cf, const rocksdb::Slice& k, const rocksdb::Slice& v) override {
    return Dropped(cf) ? rocksdb::Status::OK() : out_->Merge(families_.at(cf), k, v);
  }
  rocksdb::Status DeleteCF(uint32_t cf, const rocksdb::Slice& k) override {
    return Dropped(cf) ? rocksdb::Status::OK() : out_->Delete(families_.at(cf), k);
  }

 private:
  bool Dropped(uint32_t cf) const {
    return shape_ == ReplayShape::kEventsOnly && (cf == family::kCases || cf == family::kIndex);
  }
  ReplayShape shape_;
  const std::vector<rocksdb::ColumnFamilyHandle*>& families_;
  rocksdb::WriteBatch* out_;
};

// The store's own WriteBatches (events, heads, signatures, case states, indexes, counters),
// captured from a run and replayed into plain RocksDB with the store's own options, WAL synced
// per batch like the raw baseline: what the schema costs RocksDB with no decoding, verifying
// or folding, the ceiling of ingest_verified_eps. The capture file is *(u32 len, batch).
// Only Write is timed; reshaping happens before it.
SchemaReplay ReplaySchema(const std::string& batches, const std::string& path, ReplayShape shape) {
  rocksdb::DBOptions o = StoreDbOptions();
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status opened = rocksdb::DB::Open(o, path, StoreFamilies(32), &handles, &raw);
  if (!opened.ok()) {
    std::fprintf(stderr, "core_bench: replay: %s\n", opened.ToString().c_str());
    std::exit(1);
  }
  std::ifstream in(batches, std::ios::binary);
  rocksdb::WriteOptions wo;
  wo.sync = true;
  SchemaReplay replay;
  const double cpu_before = bench::ProcessCpuSeconds();
  for (uint32_t n; in.read(reinterpret_cast<char*>(&n), 4);) {
    std::string rep(n, '\0');
    in.read(rep.data(), n);
    rocksdb::WriteBatch wb(std::move(rep));
    if (shape != ReplayShape::kAsWritten) {
      rocksdb::WriteBatch reshaped;
      Reshape reshape(shape, handles, &reshaped);
      if (rocksdb::Status s = wb.Iterate(&reshape); !s.ok()) {
        std::fprintf(stderr, "core_bench: replay: %s\n", s.ToString().c_str());
        std::exit(1);
      }
      wb = std::move(reshaped);
    }
    Stopwatch t;
    rocksdb::Status s = raw->Write(wo, &wb);
    replay.seconds += t.Seconds();
    if (s.ok()) s = wb.Iterate(&replay.written);
    if (!s.ok()) {
      std::fprintf(stderr, "core_bench: replay: %s\n", s.ToString().c_str());
      std::exit(1);
    }
  }
  replay.cpu_seconds = bench::ProcessCpuSeconds() - cpu_before;
  for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
  delete raw;
  return replay;
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv,
                           "core_bench [--events 1000000] [--dir /tmp] [--commits 5000] "
                           "[--callers 2] [--only ingest] [--data DIR]",
                           {{"events", "1000000"},
                            {"dir", "/tmp"},
                            {"commits", "5000"},
                            {"callers", "2"},
                            {"only", ""},
                            {"data", HOSO_DATA_DIR}});
  const uint64_t events = flags.Number("events");
  const std::string base = flags.Text("dir");
  const size_t commits = flags.Number("commits");
  const std::string data = flags.Text("data");
  const int callers = static_cast<int>(flags.Number("callers"));
  if (flags.Text("only") != "" && flags.Text("only") != "ingest") {
    flags.Fail("--only takes one value: ingest");
  }
  const bool only_ingest = flags.Text("only") == "ingest";
  const uint64_t cases = events / (1 + CaseWorkload::kUpdates);
  CaseWorkload workload;
  auto units = bench::Units(data);
  bench::ScratchDir scratch(base);
  const std::string batches = scratch.path() + "/batches.bin";
  const uint64_t n_events = WriteBatches(workload, cases, batches);
  Emit(kBench, "events", static_cast<double>(n_events), "events");

  // 1. The baseline: the same event bytes as plain WriteBatch puts, WAL on and synced per
  //    batch like an acknowledged ingest; and SHA-256 over the same bytes.
  double raw_s = 0, sha_s = 0, ingest_s = 0;
  if (!only_ingest) {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* raw = nullptr;
    if (!rocksdb::DB::Open(o, scratch.path() + "/raw", &raw).ok()) return 1;
    std::unique_ptr<rocksdb::DB> db(raw);
    BatchFile file(batches);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    Batch b;
    uint8_t sink = 0;
    uint64_t bytes = 0;
    while (file.Next(&b)) {
      Stopwatch hash;
      for (const auto& e : b.events) sink ^= Sha256(e)[0];
      sha_s += hash.Seconds();
      Stopwatch put;
      rocksdb::WriteBatch wb;
      std::string prefix = b.stream.Encode();
      uint64_t seq = b.head.seq - b.events.size();
      for (const auto& e : b.events) {
        std::string key = prefix;
        PutBig64(&key, ++seq);
        wb.Put(key, e);
      }
      if (!db->Write(wo, &wb).ok()) return 1;
      raw_s += put.Seconds();
      for (const auto& e : b.events) bytes += e.size();
    }
    if (sink == 0xFF) std::fprintf(stderr, " ");  // keeps the hashing from being optimised out
    db->Close();
    Emit(kBench, "event_bytes_avg", static_cast<double>(bytes) / n_events, "bytes");
    Emit(kBench, "raw_rocksdb_put_eps", n_events / raw_s, "events/s");
    Emit(kBench, "sha256_eps", n_events / sha_s, "events/s");
    // Verifying a signed head, as the auditor does for each one a stream holds.
    SigningKey key = bench::KeyFor("30280");
    const std::string message(120, 'm');
    const std::string signature = key.Sign(message).value();
    constexpr int kVerifies = 20000;
    Stopwatch verify;
    for (int i = 0; i < kVerifies; ++i) {
      if (!VerifyEd25519(key.public_key(), message, signature).ok()) return 1;
    }
    Emit(kBench, "ed25519_verify_per_s", kVerifies / verify.Seconds(), "signatures/s");
  }

  // 2. Verified ingest: decode, verify chain and signed head, write rule, fold, index, commit.
  //    Two callers, as a sync session with batches in flight; one caller for reference.
  {
    auto store = bench::OpenRoot(scratch.path() + "/ingest", units, workload);
    const double cpu_before = bench::ProcessCpuSeconds();
    double s = IngestAll(*store, batches, callers);
    const double cpu_s = bench::ProcessCpuSeconds() - cpu_before;
    ingest_s = s;
    Emit(kBench, "ingest_verified_eps", n_events / s, "events/s");
    Emit(kBench, "ingest_cpu_s", cpu_s, "s");
    if (!only_ingest) Emit(kBench, "ingest_vs_raw", (n_events / s) / (n_events / raw_s), "ratio");
    Emit(kBench, "cases", static_cast<double>(store->CaseCount()), "cases");
    // The same ingest into a store whose every file is encrypted (format 2, a node's store):
    // what encryption at rest costs.
    {
      auto encrypted = bench::OpenRoot(scratch.path() + "/ingest_encrypted", units, workload, {},
                                       bench::kBenchMasterKey);
      const double enc_cpu_before = bench::ProcessCpuSeconds();
      const double enc_s = IngestAll(*encrypted, batches, callers);
      Emit(kBench, "ingest_verified_encrypted_eps", n_events / enc_s, "events/s");
      Emit(kBench, "ingest_encrypted_cpu_s", bench::ProcessCpuSeconds() - enc_cpu_before, "s");
      Emit(kBench, "ingest_encrypted_vs_plain", s / enc_s, "ratio");
    }
    if (only_ingest) return 0;

    // 3. Re-fold every case state and index from the log.
    Stopwatch t;
    auto folded = store->RebuildStates();
    if (!folded.ok()) Fail(folded.status());
    Emit(kBench, "rebuild_s", t.Seconds(), "s");
    Emit(kBench, "rebuild_eps", *folded / t.Seconds(), "events/s");

    // 4. The auditor over the same log: every chain, signature and write rule, then also a
    //    fresh fold of every case compared with the stored state (issue 5's figure). The
    //    origins here carry no certificates, so those few checks are not part of it.
    for (bool states : {false, true}) {
      Stopwatch a;
      auto report = AuditStore(*store, {"", "", states, 2});
      if (!report.ok()) Fail(report.status());
      if (!report->ok()) Fail(Status::Corruption(report->findings[0].message));
      double eps = static_cast<double>(report->events) / a.Seconds();
      Emit(kBench, states ? "audit_verify_eps" : "audit_verify_chain_eps", eps, "events/s");
      if (states && !only_ingest) {
        Emit(kBench, "audit_vs_sha256", eps / (n_events / sha_s), "ratio");
      }
    }
    // The node's own check at start (node/self_check.h): the same audit on one thread.
    if (!only_ingest) {
      Stopwatch a;
      auto report = AuditStore(*store, {"", "", true, 1});
      if (!report.ok()) Fail(report.status());
      Emit(kBench, "self_check_s", a.Seconds(), "s");
    }
  }
  if (!only_ingest) {
    auto store = bench::OpenRoot(scratch.path() + "/ingest1", units, workload);
    double s = IngestAll(*store, batches, 1);
    Emit(kBench, "ingest_verified_1caller_eps", n_events / s, "events/s");
  }

  // The schema's own cost: the store's WriteBatches captured from a third run and replayed.
  if (!only_ingest) {
    const std::string captured = scratch.path() + "/commits.bin";
    {
      std::ofstream out(captured, std::ios::binary);
      auto store = bench::OpenRoot(
          scratch.path() + "/capture", units, workload, [&out](std::string_view rep) {
            std::string len;
            PutU32(&len, static_cast<uint32_t>(rep.size()));
            out.write(len.data(), 4);
            out.write(rep.data(), static_cast<std::streamsize>(rep.size()));
          });
      IngestAll(*store, batches, 2);
    }
    SchemaReplay replay =
        ReplaySchema(captured, scratch.path() + "/replay", ReplayShape::kAsWritten);
    const double s = replay.seconds;
    Emit(kBench, "schema_replay_eps", n_events / s, "events/s");
    Emit(kBench, "schema_replay_cpu_s", replay.cpu_seconds, "s");
    // What one ingested event costs the commit, in all and for the three big families.
    FamilyWrites all;
    for (const FamilyWrites& f : replay.written.families) {
      all.keys += f.keys;
      all.bytes += f.bytes;
    }
    const double n = static_cast<double>(n_events);
    Emit(kBench, "commit_keys_per_event", all.keys / n, "keys");
    Emit(kBench, "commit_bytes_per_event", all.bytes / n, "bytes");
    for (auto [id, name] : {std::pair{family::kEvents, "events"},
                            {family::kCases, "cases"},
                            {family::kIndex, "index"}}) {
      const FamilyWrites& f = replay.written.families[id];
      Emit(kBench, std::string("commit_") + name + "_bytes_per_event", f.bytes / n, "bytes");
    }
    Emit(kBench, "schema_replay_vs_raw", raw_s / s, "ratio");
    Emit(kBench, "ingest_vs_schema_replay", s / ingest_s, "ratio");
    // The bounds: no schema that writes a case state and its index changes per event gets
    // past the first; no store with anything derived gets past the second.
    for (auto [shape, name] : {std::pair{ReplayShape::kRecordsCut, "schema_replay_records150"},
                               {ReplayShape::kEventsOnly, "schema_replay_events_only"}}) {
      const SchemaReplay bound = ReplaySchema(captured, scratch.path() + "/" + name, shape);
      Emit(kBench, std::string(name) + "_eps", n_events / bound.seconds, "events/s");
      Emit(kBench, std::string(name) + "_vs_raw", raw_s / bound.seconds, "ratio");
      Emit(kBench, std::string(name) + "_cpu_s", bound.cpu_seconds, "s");
    }
  }

  // 4. Durable local commits, one event at a time.
  if (!only_ingest) {
    auto store = bench::OpenRoot(scratch.path() + "/local", units, workload);
    std::vector<double> ms;
    ms.reserve(commits);
    for (size_t k = 0; k < commits; ++k) {
      uint64_t i = k / (1 + CaseWorkload::kUpdates);
      int step = static_cast<int>(k % (1 + CaseWorkload::kUpdates));
      LocalWrite w = step == 0 ? workload.Reception(i) : workload.Update(i, step);
      Stopwatch t;
      auto r = store->Append(std::move(w));
      ms.push_back(t.Seconds() * 1000);
      if (!r.ok()) Fail(r.status());
    }
    Emit(kBench, "local_commit_p50_ms", bench::Percentile(ms, 0.50), "ms");
    Emit(kBench, "local_commit_p99_ms", bench::Percentile(ms, 0.99), "ms");
  }
  // 5. One case flooded with mutually concurrent events (every step saw only the reception),
  //    as a hostile office could sign them: the fold's cost per event must stay linear.
  if (!only_ingest) {
    auto store = bench::OpenRoot(scratch.path() + "/flood", units, workload);
    const std::string office = workload.Office(0);
    StreamBuilder w({office, office, 1}, bench::KeyFor(office));
    const std::string code = workload.CaseCode(0);
    uint64_t hlc = HlcPack(workload.ReceivedAt(0), 0);
    w.Add(workload.Reception(0), hlc);
    const Hash reception = w.last_id();
    Stopwatch t;
    for (size_t k = 0; k < kFloodEvents; ++k) {
      cbor::Value body = cbor::Value::Map();
      body.Set("status", cbor::Value::Text(k % 2 ? "processing" : "forwarded"));
      body.Set("note", cbor::Value::Text("concurrent " + std::to_string(k)));
      w.Next(code, "case.step", std::move(body), ++hlc, {reception});
      if (w.pending() == kFloodBatch) IngestOrFail(*store, w.Seal());
    }
    if (w.pending() > 0) IngestOrFail(*store, w.Seal());
    Emit(kBench, "fold_concurrent_4000_s", t.Seconds(), "s");
    auto state = store->GetCaseState(code);
    if (!state.ok()) Fail(state.status());
    Emit(kBench, "fold_concurrent_4000_candidates",
         static_cast<double>(state->Field("status")->live.size()), "writes");
  }
  Emit(kBench, "peak_rss_mb", bench::PeakRssMb(), "MB");
  return 0;
}
