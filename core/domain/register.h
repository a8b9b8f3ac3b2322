// The tracking register (sổ theo dõi hồ sơ, Form 06 of Circular 01/2018/TT-VPCP): every case
// an office received, one line each, in one volume per year (Vietnam's calendar year of the
// reception). A case's volume and line are printed on its receipt (Form 01: "Vào Sổ theo dõi
// hồ sơ, Quyển số…, Số thứ tự…").
//
// Lines are not stored anywhere: they are a property of the log. The office's receptions are
// the case.received events of its own streams, in stream order (epoch, then seq), which only
// that office writes and never rewrites; the line of a reception is its rank among the
// office's receptions of that year. So lines start at 1 each year and never repeat or skip,
// on every node that holds the office's streams. Index entries, a projection of case states:
//
//   'g' office 0x00 year(2, big-endian) epoch(4, big-endian) seq(8, big-endian) case
//
// office = origin of the event that wrote "received_at"; year from that "received_at".
// Thread-safety: pure functions; the reads read the store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/log/projection.h"
#include "core/log/store.h"

namespace hoso {

const Projection& RegisterProjection();

struct RegisterEntry {
  std::string office;
  int year = 0;       // the volume
  uint64_t line = 0;  // from 1
  std::string code;
};

// The volume and line of a case (NotFound for a case not received, or not held).
Result<RegisterEntry> RegisterLineOf(const Store& store, const std::string& code);

// The lines of an office's volume in order, at most `limit`.
Result<std::vector<RegisterEntry>> RegisterVolume(const Store& store, const std::string& office,
                                                  int year, size_t limit);

// A page of a volume: its lines received in [from_ms, to_ms), from line `first_line` on, at
// most `limit`. A volume's lines are in the order of their reception times (one office's
// clock, in its stream order), so the period's first line is found by bisection: a page
// reads log(n) cases more than it lists, wherever it lies in the volume. The volume's keys
// are read whole (at most kMaxVolumeLines; OutOfRange past it).
struct RegisterPage {
  std::vector<RegisterEntry> lines;
  uint64_t volume_lines = 0;  // the lines of the whole volume
  uint64_t next_line = 0;     // the line the next page starts at; 0: none of the period left
};
inline constexpr size_t kMaxVolumeLines = 2'000'000;
Result<RegisterPage> RegisterPeriod(const Store& store, const std::string& office, int year,
                                    int64_t from_ms, int64_t to_ms, uint64_t first_line,
                                    size_t limit);

}  // namespace hoso
