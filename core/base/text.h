// Text helpers for Vietnamese: diacritics folding for search; CSV fields.
//
// FoldForSearch("Dương Văn Tuấn") == "duong van tuan": lower case, Vietnamese tone and
// vowel marks removed (precomposed or combining), đ -> d, runs of white space collapsed.
// Clerks type names with or without diacritics; the index and the query both go through
// this. Thread-safety: reentrant.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace hoso {

std::string FoldForSearch(std::string_view utf8);
// `utf8` in lower case with its marks kept ("Ánh Tuyết" -> "ánh tuyết"): ASCII and the
// precomposed letters Vietnamese writes; other characters as they are.
std::string LowerVietnamese(std::string_view utf8);

// The fields of one CSV line (RFC 4180 quoting: "a, b" and "" inside quotes).
std::vector<std::string> SplitCsvLine(std::string_view line);
// Calls fn(line number, fields) for every non-empty line of a CSV text (CR LF or LF, a
// leading UTF-8 BOM dropped), stopping at the first error it returns.
Status ForEachCsvLine(std::string_view text,
                      const std::function<Status(size_t, const std::vector<std::string>&)>& fn);
// `s` followed by spaces up to `width` characters (not bytes): columns of Vietnamese text.
std::string PadUtf8(const std::string& s, size_t width);
// A field for a CSV line, quoted when it holds a comma, a quote or a line break.
std::string CsvField(std::string_view field);
// `s` without leading and trailing spaces, tabs, CRs and LFs.
std::string_view TrimSpace(std::string_view s);
// The items of a comma-separated list ("a, b,,c"), trimmed, empty ones skipped.
std::vector<std::string_view> SplitList(std::string_view list);
// `s` safe to print on one terminal line: every control character (C0 including line breaks,
// DEL, and C1 as UTF-8 C2 80..C2 9F, which terminals read as escapes) becomes "\xNN". For
// text another machine sent (a peer's error, a unit name).
std::string ForTerminal(std::string_view s);

}  // namespace hoso
