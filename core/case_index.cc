#include "core/case_index.h"

#include <algorithm>
#include <optional>

#include "core/cbor.h"
#include "core/coding.h"
#include "core/text.h"

namespace hoso {

namespace {

std::string RawWinner(const CaseState& st, std::string_view field) {
  const FieldState* f = st.Field(field);
  const LiveWrite* w = f ? st.Winner(*f) : nullptr;
  return w ? w->value : std::string();
}

// The index key of one field of a case, if its value is indexable.
std::optional<std::string> IndexKey(char tag, const std::string& raw, const CaseState& st) {
  std::string key;
  if (tag == 'o') {
    key = OfficeIndexPrefix(st.channel());
  } else if (tag == 's') {
    // Status and due date change on most events: read from the bytes, not decoded.
    auto status = cbor::TextItem(raw);
    if (!status || status->empty()) return std::nullopt;
    key = StatusIndexPrefix(*status);
  } else if (tag == 'd') {
    auto due = cbor::UintItem(raw);
    if (!due) return std::nullopt;
    key = DueIndexKey(static_cast<int64_t>(std::min<uint64_t>(*due, INT64_MAX)));
  } else if (tag == 'n') {
    if (raw.empty()) return std::nullopt;
    auto v = cbor::Decode(raw);
    const cbor::Value* name = v.ok() ? v->Find("name") : nullptr;
    if (!name || !name->is_text()) return std::nullopt;
    key = ApplicantIndexPrefix(name->str());
    key.push_back('\0');
  } else {
    return std::nullopt;
  }
  key += st.case_code();
  return key;
}

}  // namespace

IndexedFields Indexed(const CaseState& st) {
  return {RawWinner(st, "status"), RawWinner(st, "due_at"), RawWinner(st, "applicant")};
}

void IndexDelta(const IndexedFields* before, const CaseState& after, std::vector<IndexOp>* ops) {
  IndexedFields now = Indexed(after);
  auto one = [&](char tag, const std::string* old_raw, const std::string& new_raw) {
    if (old_raw && *old_raw == new_raw) return;
    if (old_raw) {
      if (auto k = IndexKey(tag, *old_raw, after)) ops->emplace_back(std::move(*k), false);
    }
    if (auto k = IndexKey(tag, new_raw, after)) ops->emplace_back(std::move(*k), true);
  };
  one('s', before ? &before->status : nullptr, now.status);
  one('d', before ? &before->due : nullptr, now.due);
  one('n', before ? &before->applicant : nullptr, now.applicant);
  if (!before) one('o', nullptr, "");
}

std::string StatusIndexPrefix(std::string_view status) {
  std::string k = "s";
  k += status;
  k.push_back('\0');
  return k;
}

std::string OfficeIndexPrefix(std::string_view office) {
  std::string k = "o";
  k += office;
  k.push_back('\0');
  return k;
}

std::string DueIndexKey(int64_t due_ms) {
  std::string k = "d";
  PutBig64(&k, static_cast<uint64_t>(std::max<int64_t>(due_ms, 0)));
  return k;
}

std::string ApplicantIndexPrefix(std::string_view name) { return "n" + FoldForSearch(name); }

std::string_view CaseOfIndexKey(std::string_view key) {
  if (!key.empty() && key[0] == 'd') return key.size() > 9 ? key.substr(9) : std::string_view();
  size_t end = key.find('\0');
  return end == std::string_view::npos ? std::string_view() : key.substr(end + 1);
}

}  // namespace hoso
