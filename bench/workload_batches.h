// Helpers shared by the bench programs: deterministic keys for the workload's units, the
// An Giang units, a root store with the directory, and the workload as signed remote batches.
// Thread-safety: values used by one thread.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/domain/case_log.h"
#include "core/log/store.h"
#include "tests/testing/stream_builder.h"
#include "tools/workload.h"

namespace hoso::bench {

inline SigningKey KeyFor(const std::string& unit) {
  std::string seed(32, '\0');
  for (size_t i = 0; i < unit.size() && i < 32; ++i) seed[i] = unit[i];
  seed[31] = 'k';
  return SigningKey::FromRaw(seed).value();
}

inline std::vector<UnitRecord> Units(const std::string& data_dir) {
  std::ifstream in(data_dir + "/units-an-giang.csv");
  std::stringstream ss;
  ss << in.rdbuf();
  auto units = ParseUnitsCsv(ss.str());
  if (!units.ok()) {
    std::fprintf(stderr, "bench: %s\n", units.status().ToString().c_str());
    std::exit(1);
  }
  return *units;
}

// The master key of the benches' encrypted stores (format 2, as a node's): a fixed value, as
// nothing here is secret.
inline const std::string kBenchMasterKey(32, 'k');

inline std::unique_ptr<Store> OpenRoot(const std::string& path,
                                       const std::vector<UnitRecord>& units, const CaseWorkload& w,
                                       std::function<void(std::string_view)> on_commit = {},
                                       const std::string& master_key = "") {
  StoreOptions o;
  o.path = path;
  o.master_key = master_key;
  o.on_commit = std::move(on_commit);
  o.root_unit = "89";
  o.identity = Identity{"89", 1, KeyFor("89")};
  UseCaseLogRules(&o);
  auto store = Store::Open(o).value();
  Status s = store->Append(DirectoryWrites(units, 0, "it")).status();
  for (const auto& office : w.offices()) {
    if (s.ok()) s = store->TrustOrigin(office, 1, KeyFor(office).public_key());
  }
  if (!s.ok()) {
    std::fprintf(stderr, "bench: %s\n", s.ToString().c_str());
    std::exit(1);
  }
  return store;
}

// Produces the workload's events as remote batches of `batch_size`, one stream per office,
// in rounds (every case's reception, then every case's update 1, ...).
class BatchSource {
 public:
  BatchSource(const CaseWorkload& w, uint64_t cases, size_t batch_size)
      : w_(w), cases_(cases), batch_size_(batch_size), last_(cases) {
    for (const auto& office : w.offices()) {
      builders_.emplace(office, StreamBuilder({office, office, 1}, KeyFor(office)));
    }
  }
  // Fills `out` with the next batch; false when the workload is exhausted.
  bool Next(Batch* out) {
    while (ready_.empty() && round_ <= CaseWorkload::kUpdates) {
      uint64_t i = next_case_++;
      const std::string& office = w_.Office(i);
      StreamBuilder& b = builders_.at(office);
      if (round_ == 0) {
        b.Add(w_.Reception(i), HlcPack(w_.ReceivedAt(i), 0));
      } else {
        b.Add(w_.Update(i, round_), HlcPack(w_.UpdateAt(i, round_), 0), {last_[i]});
      }
      last_[i] = b.last_id();
      if (b.pending() == batch_size_) ready_.push_back(b.Seal());
      if (next_case_ == cases_) {
        next_case_ = 0;
        ++round_;
        if (round_ > CaseWorkload::kUpdates) {
          for (auto& [office, builder] : builders_) {
            if (builder.pending()) ready_.push_back(builder.Seal());
          }
        }
      }
    }
    if (ready_.empty()) return false;
    *out = std::move(ready_.front());
    ready_.erase(ready_.begin());
    return true;
  }

 private:
  const CaseWorkload& w_;
  uint64_t cases_;
  size_t batch_size_;
  std::unordered_map<std::string, StreamBuilder> builders_;
  std::vector<Hash> last_;
  std::vector<Batch> ready_;
  uint64_t next_case_ = 0;
  int round_ = 0;
};

// The workload's receptions of `cases` cases, and update `update` (1..6) of every other one,
// ingested as remote batches of 1,000 events signed by each office.
inline Status IngestWorkload(Store& store, const CaseWorkload& w, uint64_t cases, int update) {
  std::unordered_map<std::string, StreamBuilder> builders;
  for (const auto& office : w.offices()) {
    builders.emplace(office, StreamBuilder({office, office, 1}, KeyFor(office)));
  }
  std::vector<Hash> last(cases);
  auto flush = [&](StreamBuilder& b, bool all) {
    if (b.pending() == 0 || (!all && b.pending() < 1000)) return Status::Ok();
    return store.Ingest(b.Seal());
  };
  for (int round = 0; round < 2; ++round) {
    for (uint64_t i = 0; i < cases; ++i) {
      if (round == 1 && i % 2) continue;
      StreamBuilder& b = builders.at(w.Office(i));
      if (round == 0) {
        b.Add(w.Reception(i), HlcPack(w.ReceivedAt(i), 0));
      } else {
        b.Add(w.Update(i, update), HlcPack(w.UpdateAt(i, update), 0), {last[i]});
      }
      last[i] = b.last_id();
      HOSO_RETURN_IF_ERROR(flush(b, false));
    }
    for (auto& [office, b] : builders) HOSO_RETURN_IF_ERROR(flush(b, true));
  }
  return Status::Ok();
}

}  // namespace hoso::bench
