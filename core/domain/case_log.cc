#include "core/domain/case_log.h"

#include "core/domain/case_index.h"
#include "core/domain/event_schema.h"
#include "core/domain/lifecycle.h"
#include "core/domain/reference_data.h"
#include "core/domain/report.h"
#include "core/domain/routing.h"

namespace hoso {

void UseCaseLogRules(StoreOptions* options) {
  options->check_event = CheckEventSchema;
  options->conflict_policy = &LifecycleConflictPolicy();
  options->projections = CaseIndexProjections();
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

}  // namespace hoso
