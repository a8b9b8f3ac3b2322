// A generator of realistic sample procedure catalogues (DOMAIN.md: An Giang had 1,006
// postal-eligible procedures and 673 not): codes like 1.002668, Vietnamese names by agency,
// processing times in working (sometimes calendar) days, about 40% not postal-eligible, fees,
// required documents. The first ten are the procedures of the benchmark workload, so its
// cases find their procedure. Deterministic for a seed.
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <vector>

#include "core/domain/reference_data.h"

namespace hoso {

std::vector<Procedure> GenerateCatalogue(uint64_t seed, size_t count);

}  // namespace hoso
