// The read log (issue 20, docs/privacy.md "The read log"): who read a case's personal data,
// kept as signed events of the reader's unit.
//
// Reads are written by the node in batches (node/read_log.h) as events of type "access.read"
// in the reader's unit channel, in one case per day:
//
//   code  = unit-part "-access-" yyyymmdd [ "-" part ]      ; part 2, 3, ... once a day's
//   unit-part = <unit> [ "e" <epoch> ]                       ;  case holds kMaxCaseEvents
//   body  = {"reads": [read, ...]}                           ; 1..kMaxReadsPerEvent reads
//   read  = {"officer": tstr, "cases": [tstr, ...], "at": uint, ? "purpose": tstr,
//            ? "view": "case" | "list" | "slip" | "export"}
//
// The date is Vietnam's (as case codes'), "at" is ms since the epoch, "cases" holds 1 to
// kMaxCasesPerRead case codes (a read of more is split into several reads). The unit part
// makes the code one its unit may mint (core/domain/event_schema.h); the word "access" cannot
// be a minted case's date, so the two never meet. The schema holds access cases to this body
// alone, so they never carry a status, an applicant or a due date and stay out of queues,
// searches and reports (core/domain/case_index.h, report.h).
// Thread-safety: pure functions; ReadsOfCases reads the store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/format/cbor.h"
#include "core/log/store.h"

namespace hoso {

inline constexpr std::string_view kAccessReadType = "access.read";
// Bounds (event_schema.cc checks them). AccessReadBodies fills a body up to
// kMaxAccessBodyBytes, under the 64 KiB of an event (kMaxEventBytes, with its envelope): some
// 550 reads of one case each, or 30 of 20 codes of 64 bytes with an officer of 128 and a
// purpose of 200 (one such read is under 1.8 KB).
inline constexpr size_t kMaxReadsPerEvent = 1024;
inline constexpr size_t kMaxAccessBodyBytes = 56 * 1024;
// And up to this many CBOR items, under the 8,192 an event may hold (core/format/event.cc).
inline constexpr size_t kMaxAccessBodyItems = 7168;
inline constexpr size_t kMaxCasesPerRead = 20;
inline constexpr size_t kMaxPurposeBytes = 200;
inline constexpr size_t kMaxReaderBytes = 128;
// The screens a read comes from ("view"): a case's page, a list or search result showing
// names, the printed slip, an export.
inline constexpr std::string_view kReadViews[] = {"case", "list", "slip", "export"};

struct AccessRead {
  std::string officer;
  std::vector<std::string> cases;
  std::string purpose;  // may be empty: the screen did not ask
  int64_t at_ms = 0;
  std::string view;  // one of kReadViews, or empty
};

// The code of `unit`'s read log case for the day of `now_ms` (Vietnam's date); part 1 is the
// day's first case, 2 and on its continuations.
std::string AccessCaseCode(std::string_view unit, uint64_t epoch, int64_t now_ms, unsigned part);
// Whether a case code is a read log case's (its unit part followed by "-access-").
bool IsAccessCaseCode(std::string_view code);

// `reads` as event bodies, in order: reads of more than kMaxCasesPerRead cases split, texts
// cut to their bounds (at a character boundary), each body of at most kMaxReadsPerEvent reads,
// kMaxAccessBodyBytes encoded and kMaxAccessBodyItems items.
std::vector<cbor::Value> AccessReadBodies(const std::vector<AccessRead>& reads);
// The reads of an "access.read" body, or InvalidArgument naming what is malformed.
Result<std::vector<AccessRead>> ParseAccessReadBody(const cbor::Value& body);

// One read of one case as the log holds it: who read, at which unit (the event's origin).
struct ReadRecord {
  std::string case_code, officer, unit, purpose, view;
  int64_t at_ms = 0;
  std::string log_case;  // the read log case that holds it
};
// Every recorded read of one of `cases` held by `store` (every unit's read log cases it
// holds), by time.
Result<std::vector<ReadRecord>> ReadsOfCases(const Store& store,
                                             const std::vector<std::string>& cases);

}  // namespace hoso
