// Text helpers for Vietnamese: diacritics folding for search; CSV fields.
//
// FoldForSearch("Dương Văn Tuấn") == "duong van tuan": lower case, Vietnamese tone and
// vowel marks removed (precomposed or combining), đ -> d, runs of white space collapsed.
// Clerks type names with or without diacritics; the index and the query both go through
// this. Thread-safety: reentrant.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hoso {

std::string FoldForSearch(std::string_view utf8);

// The fields of one CSV line (RFC 4180 quoting: "a, b" and "" inside quotes).
std::vector<std::string> SplitCsvLine(std::string_view line);
// A field for a CSV line, quoted when it holds a comma, a quote or a line break.
std::string CsvField(std::string_view field);

}  // namespace hoso
