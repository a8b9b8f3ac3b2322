// Text helpers for Vietnamese: diacritics folding for search.
//
// FoldForSearch("Dương Văn Tuấn") == "duong van tuan": lower case, Vietnamese tone and
// vowel marks removed (precomposed or combining), đ -> d, runs of white space collapsed.
// Clerks type names with or without diacritics; the index and the query both go through
// this. Thread-safety: reentrant.
#pragma once

#include <string>
#include <string_view>

namespace hoso {

std::string FoldForSearch(std::string_view utf8);

}  // namespace hoso
