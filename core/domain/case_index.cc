#include "core/domain/case_index.h"

#include <algorithm>
#include <optional>

#include "core/base/coding.h"
#include "core/base/text.h"
#include "core/format/cbor.h"
#include "core/log/case_state.h"

namespace hoso {

namespace {

// The index key of one raw winner, if its value is indexable.
std::optional<std::string> IndexKey(char tag, std::string_view raw, std::string_view code) {
  std::string key;
  if (tag == 's' || tag == 'a') {
    // Status and due date change on most events: read from the bytes, not decoded.
    auto text = cbor::TextItem(raw);
    if (!text || text->empty()) return std::nullopt;
    key = tag == 's' ? StatusIndexPrefix(*text) : AssignedIndexPrefix(*text);
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

// One projection per indexed field, so a commit that moves the status decodes nothing of the
// applicant (its summary, the raw winner, is unchanged).
class FieldIndex final : public Projection {
 public:
  FieldIndex(char tag, std::string_view field) : tag_(tag), field_(field) {}
  Kind kind() const override { return Kind::kEntries; }
  std::string Summary(const CaseState& st) const override {
    const FieldState* f = st.Field(field_);
    const LiveWrite* w = f ? st.Winner(*f) : nullptr;
    return w ? w->value : std::string();
  }
  void Keys(std::string_view summary, std::string_view code, const FieldOpener& opener,
            std::vector<std::string>* keys) const override {
    if (tag_ == 'n') {
      // The applicant is sealed in new cases: indexed where its key is held.
      std::optional<std::string> plain = opener.Open(code, field_, summary);
      if (!plain) return;
      if (auto k = IndexKey(tag_, *plain, code)) keys->push_back(std::move(*k));
      return;
    }
    if (auto k = IndexKey(tag_, summary, code)) keys->push_back(std::move(*k));
  }

 private:
  char tag_;
  std::string_view field_;
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

const std::vector<const Projection*>& CaseIndexProjections() {
  static const FieldIndex status('s', "status"), due('d', "due_at"), applicant('n', "applicant"),
      assigned('a', "assigned_to");
  static const std::vector<const Projection*> all = {&status, &due, &applicant, &assigned};
  return all;
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

Result<std::vector<std::string>> CasesAssignedTo(const Store& store, std::string_view officer,
                                                 size_t limit) {
  std::string prefix = AssignedIndexPrefix(officer);
  return Search(store, prefix, PrefixUpperBound(prefix), limit);
}

std::string AssignedIndexPrefix(std::string_view officer) {
  std::string k = "a";
  k += officer;
  k.push_back('\0');
  return k;
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
