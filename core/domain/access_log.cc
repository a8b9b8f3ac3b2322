#include "core/domain/access_log.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <set>

#include "core/format/event.h"

namespace hoso {

namespace {

constexpr int64_t kVietnamOffsetMs = 7 * 3600 * 1000;  // the day is Vietnam's, as case codes'
constexpr std::string_view kAccessWord = "-access-";

// `s` as text every schema accepts, at most `max` bytes: valid UTF-8 (a malformed byte becomes
// '?'), each control character, line separator or bidirectional override a space (the
// characters event_schema.cc refuses), not cut inside a character.
std::string Cut(std::string_view s, size_t max) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      ok = (d & 0xC0) == 0x80;
      cp = (cp << 6) | (d & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    ok = ok && !(len == 2 && cp < 0x80) && !(len == 3 && cp < 0x800) &&
         !(len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) && !(cp >= 0xD800 && cp <= 0xDFFF);
    std::string_view piece = ok ? s.substr(i, len) : std::string_view("?");
    if (ok && (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || (cp >= 0x2028 && cp <= 0x202E) ||
               (cp >= 0x2066 && cp <= 0x2069))) {
      piece = " ";
    }
    if (out.size() + piece.size() > max) break;
    out += piece;
    i += ok ? len : 1;
  }
  return out;
}

cbor::Value ReadValue(const AccessRead& r, const std::vector<std::string>& codes, size_t from,
                      size_t to) {
  cbor::Value cases = cbor::Value::Array();
  for (size_t i = from; i < to; ++i) cases.Append(cbor::Value::Text(codes[i]));
  cbor::Value v = cbor::Value::Map();
  v.Set("officer", cbor::Value::Text(Cut(r.officer, kMaxReaderBytes)));
  v.Set("cases", std::move(cases));
  v.Set("at", cbor::Value::Uint(static_cast<uint64_t>(std::max<int64_t>(r.at_ms, 0))));
  if (!r.purpose.empty()) v.Set("purpose", cbor::Value::Text(Cut(r.purpose, kMaxPurposeBytes)));
  if (!r.view.empty()) v.Set("view", cbor::Value::Text(r.view));
  return v;
}

}  // namespace

std::string AccessCaseCode(std::string_view unit, uint64_t epoch, int64_t now_ms, unsigned part) {
  time_t secs = static_cast<time_t>((now_ms + kVietnamOffsetMs) / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char day[40];
  std::snprintf(day, sizeof day, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  std::string code(unit);
  if (epoch > 1) code += "e" + std::to_string(epoch);
  code += kAccessWord;
  code += day;
  if (part > 1) code += "-" + std::to_string(part);
  return code;
}

bool IsAccessCaseCode(std::string_view code) {
  size_t dash = code.find('-');
  return dash != std::string_view::npos && dash > 0 &&
         code.substr(dash, kAccessWord.size()) == kAccessWord;
}

std::vector<cbor::Value> AccessReadBodies(const std::vector<AccessRead>& reads) {
  std::vector<cbor::Value> bodies;
  cbor::Value list = cbor::Value::Array();
  size_t bytes = 0;  // of the reads in `list`, encoded (the map and array headers: 12 more)
  size_t items = 0;  // CBOR items of the reads in `list` (the body's map, key, array: 3 more)
  auto close = [&] {
    bodies.push_back(cbor::Value::Map());
    bodies.back().Set("reads", std::move(list));
    list = cbor::Value::Array();
    bytes = items = 0;
  };
  auto add = [&](cbor::Value read) {
    size_t size = cbor::Encode(read).size();
    size_t n = 1 + 2 * read.size() + read.Find("cases")->size();  // map, its keys and values
    if (list.size() > 0 &&
        (list.size() == kMaxReadsPerEvent || bytes + size + 12 > kMaxAccessBodyBytes ||
         items + n + 3 > kMaxAccessBodyItems)) {
      close();
    }
    list.Append(std::move(read));
    bytes += size;
    items += n;
  };
  for (const AccessRead& r : reads) {
    std::vector<std::string> codes;  // what is no case code cannot have been read
    for (const std::string& c : r.cases) {
      if (ValidateName("case", c).ok()) codes.push_back(c);
    }
    for (size_t from = 0; from < codes.size(); from += kMaxCasesPerRead) {
      add(ReadValue(r, codes, from, std::min(codes.size(), from + kMaxCasesPerRead)));
    }
  }
  if (list.size() > 0) close();
  return bodies;
}

Result<std::vector<AccessRead>> ParseAccessReadBody(const cbor::Value& body) {
  const cbor::Value* reads = body.is_map() ? body.Find("reads") : nullptr;
  if (!reads || !reads->is_array()) {
    return Status::InvalidArgument("an access.read body holds an array \"reads\"");
  }
  std::vector<AccessRead> out;
  for (const cbor::Value& r : reads->items()) {
    const cbor::Value* officer = r.is_map() ? r.Find("officer") : nullptr;
    const cbor::Value* cases = r.is_map() ? r.Find("cases") : nullptr;
    const cbor::Value* at = r.is_map() ? r.Find("at") : nullptr;
    if (!officer || !officer->is_text() || !cases || !cases->is_array() || !at || !at->is_uint()) {
      return Status::InvalidArgument("a read lacks its officer, cases or time");
    }
    AccessRead read;
    read.officer = officer->str();
    read.at_ms = static_cast<int64_t>(std::min<uint64_t>(at->uint(), INT64_MAX));
    for (const cbor::Value& c : cases->items()) {
      if (!c.is_text()) return Status::InvalidArgument("a read's case is not text");
      read.cases.push_back(c.str());
    }
    if (const cbor::Value* p = r.Find("purpose"); p && p->is_text()) read.purpose = p->str();
    if (const cbor::Value* v = r.Find("view"); v && v->is_text()) read.view = v->str();
    out.push_back(std::move(read));
  }
  return out;
}

Result<std::vector<ReadRecord>> ReadsOfCases(const Store& store,
                                             const std::vector<std::string>& cases) {
  const std::set<std::string> wanted(cases.begin(), cases.end());
  std::vector<ReadRecord> out;
  HOSO_ASSIGN_OR_RETURN(std::vector<std::string> codes, store.CaseCodes("", SIZE_MAX));
  for (const std::string& code : codes) {
    if (!IsAccessCaseCode(code)) continue;
    HOSO_ASSIGN_OR_RETURN(CaseView view, store.GetCase(code));
    for (const HistoryEntry& h : view.history) {
      if (h.event.type != kAccessReadType) continue;
      auto reads = ParseAccessReadBody(h.event.body);
      if (!reads.ok()) return reads.status().Annotate("case " + code);
      for (AccessRead& r : *reads) {
        for (const std::string& c : r.cases) {
          if (!wanted.count(c)) continue;
          out.push_back(
              ReadRecord{c, r.officer, h.event.stream.origin, r.purpose, r.view, r.at_ms, code});
        }
      }
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ReadRecord& a, const ReadRecord& b) { return a.at_ms < b.at_ms; });
  return out;
}

}  // namespace hoso
