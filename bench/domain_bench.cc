// domain_bench: the domain issue's figures.
//   due_date_per_s  due dates in working days (the 2025-2027 calendar, Tết included) per second
//   report_ms       a report over a scope of --cases cases (default 1,000,000), by unit, and by
//                   procedure and month: the median of 5 runs, counters maintained at ingest
// Usage: domain_bench [--cases N] [--dir /tmp]
#include <algorithm>
#include <random>

#include "bench/bench_util.h"
#include "bench/workload_batches.h"
#include "core/domain/calendar.h"
#include "core/domain/report.h"
#include "tools/workload.h"

using namespace hoso;
using bench::Emit;

namespace {

constexpr const char* kBench = "domain";

[[noreturn]] void Fail(const Status& s) {
  std::fprintf(stderr, "domain_bench: %s\n", s.ToString().c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags(argc, argv, "domain_bench [--cases 1000000] [--dir /tmp]",
                           {{"cases", "1000000"}, {"dir", "/tmp"}});
  const uint64_t cases = flags.Number("cases");
  const std::string base = flags.Text("dir");

  // Due dates.
  WorkingCalendar cal;
  for (const auto& y : BuiltInYears()) {
    if (Status s = cal.SetYear(y); !s.ok()) Fail(s);
  }
  std::mt19937_64 rng(42);
  const int64_t from = 1735664400000;  // 2025-01-01 00:00 +07:00
  const uint64_t n_due = 1000000;
  std::vector<std::pair<int64_t, int>> inputs(n_due);
  for (auto& in : inputs) {
    in = {from + static_cast<int64_t>(rng() % (2LL * 365 * 86400000)),
          static_cast<int>(1 + rng() % 30)};
  }
  int64_t sink = 0;
  bench::Stopwatch due_watch;
  for (const auto& [at, days] : inputs) sink ^= cal.DueDate(at, days, true);
  double due_s = due_watch.Seconds();
  if (sink == 42) std::fprintf(stderr, " ");
  Emit(kBench, "due_date_per_s", n_due / due_s, "dates/s");

  // Reports.
  CaseWorkload workload;
  bench::ScratchDir scratch(base);
  auto units = bench::Units(HOSO_DATA_DIR);
  auto store = bench::OpenRoot(scratch.path() + "/report", units, workload);
  bench::Stopwatch load;
  if (Status s = bench::IngestWorkload(*store, workload, cases, 3); !s.ok()) Fail(s);
  Emit(kBench, "report_cases", static_cast<double>(store->CaseCount()), "cases");
  Emit(kBench, "report_load_s", load.Seconds(), "s");
  ReportQuery q;
  q.scope = "89";
  q.from_month = MonthOf(workload.ReceivedAt(0));
  q.to_month = MonthOf(workload.UpdateAt(cases - 1, 5));
  for (int variant = 0; variant < 2; ++variant) {
    q.by_unit = variant == 0;
    q.by_procedure = q.by_month = variant == 1;
    std::vector<double> ms;
    size_t rows = 0;
    for (int run = 0; run < 5; ++run) {
      bench::Stopwatch w;
      auto r = BuildReport(*store, q);
      if (!r.ok()) Fail(r.status());
      ms.push_back(w.Seconds() * 1000);
      rows = r->size();
      if (r->back().figures.received != cases) {
        Fail(Status::Corruption("the report counts " + std::to_string(r->back().figures.received) +
                                " cases"));
      }
    }
    std::string name = variant == 0 ? "report_ms" : "report_by_procedure_month_ms";
    Emit(kBench, name, bench::Percentile(ms, 0.5), "ms");
    Emit(kBench, name + "_rows", static_cast<double>(rows), "rows");
  }
  Emit(kBench, "peak_rss_mb", bench::PeakRssMb(), "MB");
  return 0;
}
