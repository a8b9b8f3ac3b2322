// What the code under test allocates: bytes taken through operator new and not yet given back,
// across all threads, while an AllocationPeak runs. Defined in messages_test.cc, which
// replaces the global operator new and delete of the hoso_sync_tests binary (glibc's
// malloc_usable_size sizes each block; nothing is counted while no AllocationPeak runs).
// Thread-safety: one AllocationPeak at a time; the counting itself is atomic.
#pragma once

#include <cstdint>

namespace hoso::testing {

class AllocationPeak {
 public:
  AllocationPeak();   // counts from zero
  ~AllocationPeak();  // stops counting
  AllocationPeak(const AllocationPeak&) = delete;
  AllocationPeak& operator=(const AllocationPeak&) = delete;
  // The highest net growth since the start (bytes allocated less bytes freed), and now.
  int64_t peak() const;
  int64_t live() const;
};

}  // namespace hoso::testing
