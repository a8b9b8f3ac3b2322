// The case log: the rules that make a generic store hoso's log of administrative cases.
// Registers, in StoreOptions, the per-type event schema (core/domain/event_schema.h), the
// lifecycle's conflict policy for concurrent status changes (core/domain/lifecycle.h), and the
// projections the domain reads: the search index (core/domain/case_index.h) and the report buckets
// (core/domain/report.h), and the reference channels "$catalogue" and "$calendar"
// (core/domain/reference_data.h), and the fields sealed as personal data ("applicant",
// "return_address": core/format/sealed_field.h). Every node, tool and test that opens a case log
// calls it before Store::Open, so all of them fold, check and index alike. Thread-safety: a pure
// function over static rules.
#pragma once

#include "core/log/store.h"

namespace hoso {

void UseCaseLogRules(StoreOptions* options);

// Re-takes every case's index keys when the store's were made by projections older than this
// build's (a store written before the search index, core/domain/case_search.h): true when it
// rebuilt. Run by the node at start, before it serves, and by tools that fill a new store
// for a node (an empty store is only marked).
Result<bool> UpgradeCaseIndex(Store* store);

}  // namespace hoso
