// The case log: the rules that make a generic store hoso's log of administrative cases.
// Registers, in StoreOptions, the per-type event schema (core/event_schema.h), the lifecycle's
// conflict policy for concurrent status changes (core/lifecycle.h), and the projections the
// domain reads: the search index (core/case_index.h) and the report buckets (core/report.h),
// and the reference channels "$catalogue" and "$calendar" (core/reference_data.h).
// Every node, tool and test that opens a case log calls it before Store::Open, so all of them
// fold, check and index alike.
// Thread-safety: a pure function over static rules.
#pragma once

#include "core/store.h"

namespace hoso {

void UseCaseLogRules(StoreOptions* options);

}  // namespace hoso
