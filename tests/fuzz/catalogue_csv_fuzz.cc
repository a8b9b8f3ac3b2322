// Fuzz target: the catalogue CSV loader (ParseCatalogueCsv, core/domain/reference_data.h),
// which reads the procedure catalogue an operator loads (hoso catalogue load,
// POST /v1/catalogue).
//
// Checks: what it accepts survives its own writer (ParseCatalogueCsv(CatalogueCsv(p)) == p,
// field by field); every procedure.set event built from it that the event schema passes
// decodes from its own encoding.
#include <cstddef>
#include <cstdint>

#include "core/domain/reference_data.h"
#include "tests/fuzz/fuzz.h"

using namespace hoso;

namespace {
bool Same(const std::vector<Procedure>& a, const std::vector<Procedure>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const Procedure &x = a[i], &y = b[i];
    if (x.code != y.code || x.name != y.name || x.agency != y.agency || x.days != y.days ||
        x.working_days != y.working_days || x.postal != y.postal || x.fee != y.fee ||
        x.documents != y.documents) {
      return false;
    }
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto procedures = ParseCatalogueCsv(fuzz::AsText(data, size));
  if (!procedures.ok()) return 0;
  auto back = ParseCatalogueCsv(CatalogueCsv(*procedures));
  HOSO_FUZZ_CHECK(back.ok() && Same(*back, *procedures),
                  "accepted procedures do not survive CatalogueCsv: " + back.status().ToString());
  for (const LocalWrite& w : CatalogueWrites(*procedures, "it")) fuzz::CheckWriteRoundTrips(w);
  return 0;
}
