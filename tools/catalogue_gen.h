// A generator of sample procedure catalogues for scale tests and benchmarks, never for an
// office (data/catalogue-commune-2025.csv is the real one): the proportions of a province's
// (DOMAIN.md: An Giang had 1,006 postal-eligible procedures and 673 not), codes "TEST-1002668"
// that no national code can be mistaken for, Vietnamese names by agency,
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
