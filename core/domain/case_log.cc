#include "core/domain/case_log.h"

#include "core/domain/case_index.h"
#include "core/domain/case_search.h"
#include "core/domain/event_schema.h"
#include "core/domain/lifecycle.h"
#include "core/domain/reference_data.h"
#include "core/domain/register.h"
#include "core/domain/report.h"
#include "core/domain/routing.h"

namespace hoso {

void UseCaseLogRules(StoreOptions* options) {
  options->check_event = CheckEventSchema;
  options->conflict_policy = &LifecycleConflictPolicy();
  options->projections = CaseIndexProjections();
  options->projections.push_back(&CaseSearchProjection());
  options->projections.push_back(&RegisterProjection());
  options->projections.push_back(&ReportProjection());
  options->projections.push_back(&RoutingProjection());
  options->system_channels = {std::string(kCatalogueChannel), std::string(kCalendarChannel)};
  // Personal data (docs/privacy.md): sealed under the case's key in every event written
  // ("id_number": a data-subject request's, core/domain/subject_requests.h).
  options->sealed_fields = {"applicant", "return_address", "id_number", "document_key",
                            "document_name"};
  // Documents (docs/documents.md): the reference an attaching event carries.
  options->document_fields = {"document"};
}

Result<bool> UpgradeCaseIndex(Store* store) {
  // The layout of the projections above: raise it when one is added or changes its keys.
  constexpr std::string_view kKey = "case_log/index_layout", kLayout = "2";
  std::string held;
  Status s = store->GetMeta(kKey, &held);
  if (s.ok() && held == kLayout) return false;
  if (!s.ok() && s.code() != Code::kNotFound) return s;
  const bool empty = store->CaseCount() == 0;  // nothing to re-take
  if (!empty) HOSO_RETURN_IF_ERROR(store->RebuildStates().status());
  HOSO_RETURN_IF_ERROR(store->PutMeta(kKey, kLayout, /*sync=*/true));
  return !empty;
}

}  // namespace hoso
