#include "core/case_log.h"

#include "core/case_index.h"
#include "core/event_schema.h"
#include "core/lifecycle.h"
#include "core/reference_data.h"
#include "core/report.h"

namespace hoso {

void UseCaseLogRules(StoreOptions* options) {
  options->check_event = CheckEventSchema;
  options->conflict_policy = &LifecycleConflictPolicy();
  options->projections = {&CaseIndexProjection(), &ReportProjection()};
  options->system_channels = {std::string(kCatalogueChannel), std::string(kCalendarChannel)};
}

}  // namespace hoso
