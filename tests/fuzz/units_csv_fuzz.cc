// Fuzz target: the units CSV loader (ParseUnitsCsv, core/log/directory.h), which reads the
// directory file an operator is sent (hoso directory load, POST /v1/directory).
//
// Checks: what it accepts survives its own writer (ParseUnitsCsv(UnitsCsv(u)) == u); every
// unit.set event built from it that the event schema passes decodes from its own encoding
// (so a loaded file never makes the root sign bytes its peers refuse); the directory folded
// from it answers its queries.
#include <cstddef>
#include <cstdint>

#include "core/log/directory.h"
#include "tests/fuzz/fuzz.h"

using namespace hoso;

namespace {
bool Same(const std::vector<UnitRecord>& a, const std::vector<UnitRecord>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].code != b[i].code || a[i].parent != b[i].parent || a[i].name != b[i].name ||
        a[i].type != b[i].type) {
      return false;
    }
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto units = ParseUnitsCsv(fuzz::AsText(data, size));
  if (!units.ok()) return 0;
  auto back = ParseUnitsCsv(UnitsCsv(*units));
  HOSO_FUZZ_CHECK(back.ok() && Same(*back, *units),
                  "accepted units do not survive UnitsCsv: " + back.status().ToString());
  for (const LocalWrite& w : DirectoryWrites(*units, 0, "it")) fuzz::CheckWriteRoundTrips(w);
  Directory dir(units->front().code);
  dir.Load(*units, 0);
  for (const UnitRecord& u : *units) {
    (void)dir.Exists(u.code, 1);
    (void)dir.IsRelay(u.code, 1);
    (void)dir.MergedInto(u.code, 1);
  }
  (void)dir.RootAt(1);
  return 0;
}
