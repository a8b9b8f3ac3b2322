// CaseSearch: the counter's search box. A clerk types any part of what she knows of a case
// — words of the applicant's name with or without diacritics ("tuyet", "Ánh Tuyết"), the ID
// number, the phone, the case code or its end ("0118", "251203-0118"), the post's tracking
// number — and gets the cases that match every word, best first.
//
// The index is a projection of the case log into the store's index family:
//
//   'w' term 0x00 ~received_ms(8, big-endian) case   ; one per term of the case
//   'W' case 0x00 term *(0x01 term)                   ; the case's terms, for checking
//
//   term = word of the folded name (FoldForSearch) | name phrase | id_no | phone | tracking
//        | code suffix (the code from each '-' on, folded: "251203-0118", "0118")
//   name phrase = the folded name from each of its words on ("le thi anh tuyet",
//        "thi anh tuyet", "anh tuyet"), and family with given name ("le tuyet")
//
// ID numbers and phones keep their digits only (a phone's "+84" becomes "0"); terms are
// folded like names. ~received is the complement of the reception time, so within a term the
// newest cases come first and a capped scan keeps the recent ones. Personal terms exist only
// where this node holds the case's key (erased cases lose them).
//
// A query of several words is first looked up as one phrase (a name typed in order, or family
// and given name): the phrase's prefix scan answers when it fills the page. Otherwise each
// word is matched as a prefix of terms: each word's scan stops after kMaxScanPerWord entries;
// the smallest set is checked against the other words (through the 'W' key when another
// word's set was capped). Rank: a word equal to a term scores 3 (8 when the term has digits:
// a code, ID, phone or tracking number), a prefix 1; a phrase scores its words' number times
// that, plus 2; ties go to the newer case. Thread-safety: pure functions; the search reads
// the store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/log/projection.h"
#include "core/log/store.h"

namespace hoso {

const Projection& CaseSearchProjection();

// The search terms of one case (as the index holds them), from its applicant (plain CBOR
// map, or "" when not held), its tracking number and its code.
std::vector<std::string> CaseSearchTerms(std::string_view applicant_cbor, std::string_view tracking,
                                         std::string_view code);

struct SearchHit {
  std::string code;
  int score = 0;
  int64_t received_ms = 0;
};

struct SearchResult {
  std::vector<SearchHit> hits;  // best first, at most the limit asked
  bool truncated = false;       // more matched (or a word's scan was capped)
};

constexpr size_t kMaxScanPerWord = 5000;

// The cases matching every word of `query`, ranked; InvalidArgument for a query without a
// word (or with more than 8).
Result<SearchResult> SearchCases(const Store& store, std::string_view query, size_t limit);

}  // namespace hoso
