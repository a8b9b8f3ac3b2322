#include "core/domain/case_search.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "core/base/coding.h"
#include "core/base/text.h"
#include "core/format/cbor.h"
#include "core/log/case_state.h"

namespace hoso {

namespace {

constexpr char kTermTag = 'w';
constexpr char kCaseTag = 'W';
constexpr size_t kMaxWords = 8;
constexpr size_t kMaxTerm = 64;  // longer terms are cut (a word no clerk types in full)

bool IsWordByte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

// Words of folded text: runs of letters and digits (what a name is made of).
void AddWords(std::string_view folded, std::vector<std::string>* out) {
  std::string word;
  for (char ch : folded) {
    if (IsWordByte(static_cast<unsigned char>(ch))) {
      word.push_back(ch);
    } else if (!word.empty()) {
      out->push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) out->push_back(std::move(word));
}

// A name's words, and the phrases clerks type of it: the name from each word on ("nguyen thi
// anh tuyet", "thi anh tuyet", "anh tuyet") and family with given name ("nguyen tuyet").
void AddNameTerms(std::string_view folded, std::vector<std::string>* out) {
  std::vector<std::string> words;
  AddWords(folded, &words);
  out->insert(out->end(), words.begin(), words.end());
  for (size_t from = 0; from + 1 < words.size(); ++from) {
    std::string phrase;
    for (size_t i = from; i < words.size(); ++i) phrase += (i > from ? " " : "") + words[i];
    out->push_back(std::move(phrase));
  }
  if (words.size() >= 3) out->push_back(words.front() + " " + words.back());
}

std::string DigitsOf(std::string_view text) {
  std::string d;
  for (char c : text) {
    if (c >= '0' && c <= '9') d.push_back(c);
  }
  return d;
}

// A phone as dialled at home: "+84 912 345 678" is "0912345678".
std::string PhoneDigits(std::string_view text) {
  std::string d = DigitsOf(text);
  size_t plus = text.find_first_not_of(" \t");
  if (plus != std::string_view::npos && text[plus] == '+' && d.rfind("84", 0) == 0) {
    d = "0" + d.substr(2);
  }
  return d;
}

// A tracking number or code as one term: folded, without spaces or control bytes.
std::string CompactTerm(std::string_view text) {
  std::string out;
  for (char c : FoldForSearch(text)) {
    if (static_cast<unsigned char>(c) > ' ') out.push_back(c);
  }
  return out;
}

// The summary: the raw winners of "applicant" and "tracking", and of "received_at".
std::string RawWinner(const CaseState& st, std::string_view field) {
  const FieldState* f = st.Field(field);
  const LiveWrite* w = f ? st.Winner(*f) : nullptr;
  return w ? w->value : std::string();
}

std::string TermKey(std::string_view term, uint64_t received, std::string_view code) {
  std::string k(1, kTermTag);
  k += term;
  k.push_back('\0');
  PutBig64(&k, ~received);
  k += code;
  return k;
}

std::string CaseKeyPrefix(std::string_view code) {
  std::string k(1, kCaseTag);
  k += code;
  k.push_back('\0');
  return k;
}

class SearchProjection final : public Projection {
 public:
  Kind kind() const override { return Kind::kEntries; }
  std::string Summary(const CaseState& st) const override {
    std::string s;
    PutString(&s, RawWinner(st, "applicant"));
    PutString(&s, RawWinner(st, "tracking"));
    PutString(&s, RawWinner(st, "received_at"));
    return s;
  }
  void Keys(std::string_view summary, std::string_view code, const FieldOpener& opener,
            std::vector<std::string>* keys) const override {
    Reader r(summary);
    std::string_view applicant, tracking, received;
    if (!r.String(&applicant) || !r.String(&tracking) || !r.String(&received)) return;
    std::optional<std::string> plain;
    if (!applicant.empty()) plain = opener.Open(code, "applicant", applicant);
    auto track = cbor::TextItem(tracking);
    std::vector<std::string> terms =
        CaseSearchTerms(plain ? *plain : std::string(), track ? *track : "", code);
    uint64_t at = cbor::UintItem(received).value_or(0);
    std::string all = CaseKeyPrefix(code);
    for (size_t i = 0; i < terms.size(); ++i) {
      keys->push_back(TermKey(terms[i], at, code));
      if (i) all.push_back('\x01');
      all += terms[i];
    }
    if (!terms.empty()) keys->push_back(std::move(all));
  }
};

// A word's score against one term: 3 equal (8 for a term with digits: a code, ID, phone or
// tracking number), 1 a prefix, 0 none.
int WordScore(std::string_view word, std::string_view term) {
  if (term.size() < word.size() || term.compare(0, word.size(), word) != 0) return 0;
  if (term.size() > word.size()) return 1;
  return term.find_first_of("0123456789") != std::string_view::npos ? 8 : 3;
}

// The query's words: folded, split on spaces and commas; a query of digits and separators
// only (a phone typed "0912 345 678") is one word of its digits.
std::vector<std::string> QueryWords(std::string_view query) {
  std::string folded = FoldForSearch(query);
  bool number = !folded.empty() && folded.find_first_not_of("0123456789 .+") == std::string::npos;
  if (number) {
    std::string digits = PhoneDigits(folded);
    return digits.empty() ? std::vector<std::string>() : std::vector<std::string>{digits};
  }
  std::vector<std::string> words;
  std::string word;
  for (char c : folded + " ") {
    if (c == ' ' || c == ',' || c == '\t') {
      if (!word.empty()) words.push_back(word.substr(0, kMaxTerm));
      word.clear();
    } else if (static_cast<unsigned char>(c) > ' ') {
      word.push_back(c);
    }
  }
  return words;
}

struct Match {
  int score = 0;
  uint64_t received = 0;
};

struct WordScan {
  std::unordered_map<std::string, Match> cases;
  std::vector<std::string> order;  // as scanned: by term, newest first within a term
  bool capped = false;
};

Result<WordScan> ScanWord(const Store& store, const std::string& word) {
  WordScan out;
  std::string lower = std::string(1, kTermTag) + word;
  size_t seen = 0;
  Status s =
      store.ScanIndex(lower, PrefixUpperBound(lower), [&](std::string_view key, std::string_view) {
        size_t end = key.find('\0');
        if (end == std::string_view::npos || key.size() < end + 9) return true;
        std::string_view term = key.substr(1, end - 1);
        uint64_t received = ~GetBig64(key.substr(end + 1, 8));
        auto [it, added] = out.cases.try_emplace(std::string(key.substr(end + 9)));
        if (added) out.order.push_back(it->first);
        Match& m = it->second;
        m.score = std::max(m.score, WordScore(word, term));
        m.received = received;
        if (++seen < kMaxScanPerWord) return true;
        out.capped = true;
        return false;
      });
  if (!s.ok()) return s.Annotate("searching cases");
  return out;
}

// The terms of a case as its 'W' key holds them.
Result<std::vector<std::string>> TermsOf(const Store& store, const std::string& code) {
  std::string prefix = CaseKeyPrefix(code);
  std::vector<std::string> terms;
  Status s = store.ScanIndex(prefix, PrefixUpperBound(prefix),
                             [&](std::string_view key, std::string_view) {
                               std::string_view rest = key.substr(prefix.size());
                               for (size_t at = 0; at <= rest.size();) {
                                 size_t end = std::min(rest.find('\x01', at), rest.size());
                                 terms.emplace_back(rest.substr(at, end - at));
                                 at = end + 1;
                               }
                               return false;
                             });
  if (!s.ok()) return s.Annotate("reading a case's search terms");
  return terms;
}

}  // namespace

const Projection& CaseSearchProjection() {
  static const SearchProjection projection;
  return projection;
}

std::vector<std::string> CaseSearchTerms(std::string_view applicant_cbor, std::string_view tracking,
                                         std::string_view code) {
  std::vector<std::string> terms;
  if (!applicant_cbor.empty()) {
    auto v = cbor::Decode(applicant_cbor);
    if (v.ok() && v->is_map()) {
      if (const cbor::Value* name = v->Find("name"); name && name->is_text()) {
        AddNameTerms(FoldForSearch(name->str()), &terms);
      }
      if (const cbor::Value* id = v->Find("id_no"); id && id->is_text()) {
        terms.push_back(DigitsOf(id->str()));
      }
      if (const cbor::Value* phone = v->Find("phone"); phone && phone->is_text()) {
        terms.push_back(PhoneDigits(phone->str()));
      }
    }
  }
  if (!tracking.empty()) terms.push_back(CompactTerm(tracking));
  std::string folded = CompactTerm(code);
  for (size_t at = 0; at < folded.size();) {
    terms.push_back(folded.substr(at));
    size_t dash = folded.find('-', at);
    at = dash == std::string::npos ? folded.size() : dash + 1;
  }
  for (auto& t : terms) t.resize(std::min(t.size(), kMaxTerm));
  terms.erase(std::remove(terms.begin(), terms.end(), std::string()), terms.end());
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  return terms;
}

namespace {

// The cases matching every word: the smallest word's cases, each checked against the others.
Status MatchEveryWord(const Store& store, const std::vector<std::string>& words, size_t limit,
                      SearchResult* result) {
  SearchResult& out = *result;
  std::vector<WordScan> scans;
  for (const auto& w : words) {
    HOSO_ASSIGN_OR_RETURN(WordScan scan, ScanWord(store, w));
    scans.push_back(std::move(scan));
  }
  size_t base = 0;
  for (size_t i = 1; i < scans.size(); ++i) {
    if (scans[i].cases.size() < scans[base].cases.size()) base = i;
  }
  out.truncated = out.truncated || scans[base].capped;
  // From a capped base the ranking is of the cases scanned, not of all: enough are checked to
  // fill the page several times over, the rest left (truncated).
  const size_t enough = scans[base].capped ? 4 * limit : SIZE_MAX;
  for (const std::string& code : scans[base].order) {
    if (out.hits.size() >= enough) break;
    const Match& first = scans[base].cases.at(code);
    SearchHit hit{code, first.score, static_cast<int64_t>(first.received)};
    std::optional<std::vector<std::string>> terms;
    bool all = true;
    for (size_t i = 0; i < scans.size() && all; ++i) {
      if (i == base) continue;
      if (auto it = scans[i].cases.find(code); it != scans[i].cases.end()) {
        hit.score += it->second.score;
        continue;
      }
      if (!scans[i].capped) {
        all = false;
        continue;
      }
      if (!terms) {
        HOSO_ASSIGN_OR_RETURN(std::vector<std::string> t, TermsOf(store, code));
        terms = std::move(t);
      }
      int best = 0;
      for (const auto& t : *terms) best = std::max(best, WordScore(words[i], t));
      hit.score += best;
      all = best > 0;
    }
    if (all) out.hits.push_back(std::move(hit));
  }
  return Status::Ok();
}

void Rank(size_t limit, SearchResult* out) {
  std::sort(out->hits.begin(), out->hits.end(), [](const SearchHit& a, const SearchHit& b) {
    if (a.score != b.score) return a.score > b.score;
    if (a.received_ms != b.received_ms) return a.received_ms > b.received_ms;
    return a.code < b.code;
  });
  if (out->hits.size() > limit) {
    out->hits.resize(limit);
    out->truncated = true;
  }
}

}  // namespace

Result<SearchResult> SearchCases(const Store& store, std::string_view query, size_t limit) {
  std::vector<std::string> words = QueryWords(query);
  if (words.empty()) return Status::InvalidArgument("the search has no word");
  if (words.size() > kMaxWords) {
    return Status::InvalidArgument("at most " + std::to_string(kMaxWords) + " words");
  }
  SearchResult out;
  std::unordered_map<std::string, size_t> seen;
  if (words.size() >= 2) {
    // A name typed as it is written (or family and given name) is one term: its scan alone
    // answers most searches, above any match of scattered words.
    std::string phrase = words[0];
    for (size_t i = 1; i < words.size(); ++i) phrase += " " + words[i];
    HOSO_ASSIGN_OR_RETURN(WordScan scan, ScanWord(store, phrase));
    const int weight = static_cast<int>(words.size());
    for (const std::string& code : scan.order) {
      const Match& m = scan.cases.at(code);
      seen[code] = out.hits.size();
      out.hits.push_back({code, m.score * weight + 2, static_cast<int64_t>(m.received)});
    }
    if (out.hits.size() >= limit) {
      out.truncated = scan.capped;
      Rank(limit, &out);
      return out;
    }
  }
  SearchResult every;
  HOSO_RETURN_IF_ERROR(MatchEveryWord(store, words, limit, &every));
  out.truncated = every.truncated;
  for (SearchHit& hit : every.hits) {
    if (seen.count(hit.code)) continue;  // found as a phrase, ranked so
    out.hits.push_back(std::move(hit));
  }
  Rank(limit, &out);
  return out;
}

}  // namespace hoso
