#include "core/domain/case_index.h"

#include <algorithm>
#include <optional>

#include "core/base/coding.h"
#include "core/base/text.h"
#include "core/format/cbor.h"
#include "core/log/case_state.h"

namespace hoso {

namespace {

void PutRawWinner(const CaseState& st, std::string_view field, std::string* out) {
  const FieldState* f = st.Field(field);
  const LiveWrite* w = f ? st.Winner(*f) : nullptr;
  PutString(out, w ? std::string_view(w->value) : std::string_view());
}

// The index key of one raw winner, if its value is indexable.
std::optional<std::string> IndexKey(char tag, std::string_view raw, std::string_view code) {
  std::string key;
  if (tag == 's') {
    // Status and due date change on most events: read from the bytes, not decoded.
    auto status = cbor::TextItem(raw);
    if (!status || status->empty()) return std::nullopt;
    key = StatusIndexPrefix(*status);
  } else if (tag == 'd') {
    auto due = cbor::UintItem(raw);
    if (!due) return std::nullopt;
    key = DueIndexKey(static_cast<int64_t>(std::min<uint64_t>(*due, INT64_MAX)));
  } else {
    if (raw.empty()) return std::nullopt;
    auto v = cbor::Decode(raw);
    const cbor::Value* name = v.ok() ? v->Find("name") : nullptr;
    if (!name || !name->is_text()) return std::nullopt;
    key = ApplicantIndexPrefix(name->str());
    key.push_back('\0');
  }
  key += code;
  return key;
}

class CaseIndex final : public Projection {
 public:
  Kind kind() const override { return Kind::kEntries; }
  std::string Summary(const CaseState& st) const override {
    std::string s;
    PutRawWinner(st, "status", &s);
    PutRawWinner(st, "due_at", &s);
    PutRawWinner(st, "applicant", &s);
    return s;
  }
  void Keys(std::string_view summary, std::string_view code,
            std::vector<std::string>* keys) const override {
    Reader in(summary);
    for (char tag : {'s', 'd', 'n'}) {
      std::string_view raw;
      if (!in.String(&raw)) return;
      if (auto k = IndexKey(tag, raw, code)) keys->push_back(std::move(*k));
    }
  }
};

std::string_view CaseOfIndexKey(std::string_view key) {
  if (!key.empty() && key[0] == 'd') return key.size() > 9 ? key.substr(9) : std::string_view();
  size_t end = key.find('\0');
  return end == std::string_view::npos ? std::string_view() : key.substr(end + 1);
}

Result<std::vector<std::string>> Search(const Store& store, const std::string& lower,
                                        const std::string& upper, size_t limit) {
  std::vector<std::string> out;
  Status s = store.ScanIndex(lower, upper, [&](std::string_view key, std::string_view) {
    out.emplace_back(CaseOfIndexKey(key));
    return out.size() < limit;
  });
  if (!s.ok()) return s.Annotate("searching the case index");
  return out;
}

}  // namespace

const Projection& CaseIndexProjection() {
  static const CaseIndex index;
  return index;
}

Result<std::vector<std::string>> CasesByStatus(const Store& store, std::string_view status,
                                               size_t limit) {
  std::string prefix = StatusIndexPrefix(status);
  return Search(store, prefix, PrefixUpperBound(prefix), limit);
}

Result<std::vector<std::string>> CasesDueBetween(const Store& store, int64_t from_ms, int64_t to_ms,
                                                 size_t limit) {
  if (to_ms <= from_ms) return std::vector<std::string>();
  return Search(store, DueIndexKey(from_ms), DueIndexKey(to_ms), limit);
}

Result<std::vector<std::string>> CasesByApplicant(const Store& store, std::string_view name,
                                                  size_t limit) {
  std::string prefix = ApplicantIndexPrefix(name);
  return Search(store, prefix, PrefixUpperBound(prefix), limit);
}

std::string StatusIndexPrefix(std::string_view status) {
  std::string k = "s";
  k += status;
  k.push_back('\0');
  return k;
}

std::string DueIndexKey(int64_t due_ms) {
  std::string k = "d";
  PutBig64(&k, static_cast<uint64_t>(std::max<int64_t>(due_ms, 0)));
  return k;
}

std::string ApplicantIndexPrefix(std::string_view name) { return "n" + FoldForSearch(name); }

}  // namespace hoso
