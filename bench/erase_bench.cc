// erase_bench: what sealed personal fields and erasure cost at a province of --cases cases
// (default 100,000), measured in one run (docs/privacy.md, issue 20). Both stores are format 2
// (encrypted files); they differ only in whether personal fields are sealed.
//   receive_sealed_per_s   receptions appended by the root, 1,000 a commit (WAL synced), with
//                          applicant and return_address sealed under a new key per case
//   receive_plain_per_s    the same receptions into a store that seals nothing
//   receive_sealed_vs_plain  their ratio
//   ingest_sealed_eps      the sealed store's streams ingested by a fresh store (another
//                          province node), batches of 1,000 with their case keys, as sync
//                          hands them over (the receiver's side alone is timed)
//   ingest_plain_eps       the plain store's streams, the same way (no keys)
//   ingest_sealed_vs_plain their ratio
//   open_applicant_us      ShowField of a case's applicant (key read, AES-GCM open, schema
//                          check), median of 10,000 random cases
//   erase_case_ms          one case.erase committed at the root: its keys deleted and the case
//                          re-projected (its name leaves the search index); median and p99 of 50
//   scrub_ms               ScrubErasedKeys after them: every family flushed, the meta family
//                          (a key per case) compacted, so no file keeps an erased key
// Usage: erase_bench [--cases N] [--dir /tmp]
#include <algorithm>
#include <random>

#include "bench/bench_util.h"
#include "bench/workload_batches.h"
#include "core/domain/personal_data.h"
#include "core/format/aead.h"
#include "core/log/erasure.h"
#include "tools/workload.h"

using namespace hoso;
using bench::Emit;

namespace {

constexpr const char* kBench = "erase";

[[noreturn]] void Fail(const Status& s) {
  std::fprintf(stderr, "erase_bench: %s\n", s.ToString().c_str());
  std::exit(1);
}

std::unique_ptr<Store> Open(const std::string& path, const std::vector<UnitRecord>& units,
                            const std::string& master_key, bool seal) {
  StoreOptions o;
  o.path = path;
  o.master_key = master_key;
  o.root_unit = "89";
  o.identity = Identity{"89", 1, bench::KeyFor("89")};
  UseCaseLogRules(&o);
  if (!seal) o.sealed_fields.clear();
  auto store = Store::Open(o);
  if (!store.ok()) Fail(store.status());
  if (Status s = (*store)->Append(DirectoryWrites(units, 0, "it")).status(); !s.ok()) Fail(s);
  return std::move(store).value();
}

// Appends every case's reception, 1,000 a commit; the receptions per second.
double Receive(Store& store, const CaseWorkload& w, uint64_t cases) {
  bench::Stopwatch watch;
  std::vector<LocalWrite> writes;
  for (uint64_t i = 0; i < cases; ++i) {
    LocalWrite r = w.Reception(i);
    r.body.Set("return_by_post", cbor::Value::Bool(true));
    r.body.Set("return_address", cbor::Value::Text("Số " + std::to_string(i % 300) +
                                                   ", đường Trần Hưng Đạo, phường Mỹ Bình"));
    writes.push_back(std::move(r));
    if (writes.size() == kMaxAppendWrites || i + 1 == cases) {
      if (Status s = store.Append(std::move(writes)).status(); !s.ok()) Fail(s);
      writes.clear();
    }
  }
  return static_cast<double>(cases) / watch.Seconds();
}

// Ingests every stream `from` holds into a fresh store at `path` as a peer would receive them
// (keys with their batch); events per second.
double Ingest(const Store& from, const std::string& path, const std::vector<UnitRecord>& units,
              const std::string& master_key, const CaseWorkload& w, bool seal) {
  auto to = Open(path, units, master_key, seal);
  for (const auto& office : w.offices()) {
    if (Status s = to->TrustOrigin(office, 1, bench::KeyFor(office).public_key()); !s.ok()) {
      Fail(s);
    }
  }
  // What the sender does (reading batches and their keys) is done first: only the receiver's
  // side is timed.
  std::vector<std::pair<Batch, std::vector<CaseKey>>> received;
  uint64_t events = 0;
  for (const auto& [stream, head] : from.Vector([](const std::string& c) { return c[0] != '$'; })) {
    for (uint64_t next = 1; next <= head.seq;) {
      auto batch = from.ReadBatch(stream, next, 1000);
      if (!batch.ok()) Fail(batch.status());
      auto keys = from.KeysForEvents(batch->events);
      if (!keys.ok()) Fail(keys.status());
      events += batch->events.size();
      next = batch->head.seq + 1;
      received.emplace_back(std::move(batch).value(), std::move(keys).value());
    }
  }
  bench::Stopwatch watch;
  for (auto& [batch, keys] : received) {
    if (Status s = to->Ingest(batch, nullptr, std::move(keys)); !s.ok()) Fail(s);
  }
  return static_cast<double>(events) / watch.Seconds();
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, "erase_bench [--cases 100000] [--dir /tmp]",
                           {{"cases", "100000"}, {"dir", "/tmp"}});
  const uint64_t cases = flags.Number("cases");
  bench::ScratchDir scratch(flags.Text("dir"));
  const auto units = bench::Units(HOSO_DATA_DIR);
  const std::string master_key = RandomBytes(32).value();
  CaseWorkload workload;

  auto plain = Open(scratch.path() + "/plain", units, master_key, false);
  auto sealed = Open(scratch.path() + "/sealed", units, master_key, true);
  const double plain_rate = Receive(*plain, workload, cases);
  const double sealed_rate = Receive(*sealed, workload, cases);
  Emit(kBench, "cases", static_cast<double>(sealed->CaseCount()), "cases");
  Emit(kBench, "receive_plain_per_s", plain_rate, "cases/s");
  Emit(kBench, "receive_sealed_per_s", sealed_rate, "cases/s");
  Emit(kBench, "receive_sealed_vs_plain", sealed_rate / plain_rate, "ratio");
  const double ingest_plain =
      Ingest(*plain, scratch.path() + "/plain-peer", units, master_key, workload, false);
  const double ingest_sealed =
      Ingest(*sealed, scratch.path() + "/sealed-peer", units, master_key, workload, true);
  Emit(kBench, "ingest_plain_eps", ingest_plain, "events/s");
  Emit(kBench, "ingest_sealed_eps", ingest_sealed, "events/s");
  Emit(kBench, "ingest_sealed_vs_plain", ingest_sealed / ingest_plain, "ratio");
  plain.reset();

  std::mt19937_64 rng(7);
  std::vector<double> open_us;
  for (int i = 0; i < 10000; ++i) {
    std::string code = workload.CaseCode(rng() % cases);
    auto st = sealed->GetCaseState(code);
    if (!st.ok()) Fail(st.status());
    const LiveWrite* w = st->Winner(*st->Field("applicant"));
    bench::Stopwatch watch;
    ShownField shown = ShowField(*sealed, code, "applicant", w->value);
    open_us.push_back(watch.Seconds() * 1e6);
    if (shown.hidden != ShownField::Hidden::kNone) Fail(Status::Corruption("did not open"));
  }
  Emit(kBench, "open_applicant_us", bench::Percentile(open_us, 0.5), "us");

  std::vector<double> erase_ms;
  for (int i = 0; i < 50; ++i) {
    std::string code = workload.CaseCode(static_cast<uint64_t>(i) * (cases / 50));
    bench::Stopwatch watch;
    Status s = sealed
                   ->Append(LocalWrite{std::string(kErasureChannel), code, std::string(kEraseType),
                                       ErasureBody("QĐ 1/QĐ-UBND", "yêu cầu của chủ thể"), "it"})
                   .status();
    if (!s.ok()) Fail(s);
    erase_ms.push_back(watch.Seconds() * 1000);
  }
  Emit(kBench, "erase_case_ms", bench::Percentile(erase_ms, 0.5), "ms");
  Emit(kBench, "erase_case_p99_ms", bench::Percentile(erase_ms, 0.99), "ms");
  bench::Stopwatch scrub;
  if (Status s = sealed->ScrubErasedKeys(); !s.ok()) Fail(s);
  Emit(kBench, "scrub_ms", scrub.Seconds() * 1000, "ms");
  Emit(kBench, "peak_rss_mb", bench::PeakRssMb(), "MB");
  return 0;
}
