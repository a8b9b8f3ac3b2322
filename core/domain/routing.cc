#include "core/domain/routing.h"

#include <algorithm>
#include <set>

#include "core/domain/lifecycle.h"
#include "core/domain/personal_data.h"

namespace hoso {

namespace {

Refusal RoutingInvalid(std::string field, std::string reason, std::string message_vi) {
  return Refusal{
      Refusal::Kind::kInvalid, std::move(field), std::move(reason), std::move(message_vi), {}};
}

// A merged unit's present successor (a citizen may name the commune they knew).
std::string Successor(const Directory& dir, std::string unit, int64_t now) {
  for (int depth = 0; depth < 64; ++depth) {
    auto into = dir.MergedInto(unit, now);
    if (!into) break;
    unit = *into;
  }
  return unit;
}

// The present ancestors of `unit`, itself first.
std::vector<std::string> Chain(const Directory& dir, std::string_view unit, int64_t t) {
  std::vector<std::string> out;
  std::string cur(unit);
  for (int depth = 0; depth < 64 && dir.Exists(cur, t); ++depth) {
    out.push_back(cur);
    auto parent = dir.ParentAt(cur, t);
    if (!parent || parent->empty()) break;
    cur = *parent;
  }
  return out;
}

// The fields the competent unit needs to process the case, copied onto the linked case.
constexpr std::string_view kCopied[] = {
    "procedure", "procedure_name", "agency",         "applicant",       "documents",
    "channel",   "received_at",    "due_at",         "processing_days", "working_days",
    "fee",       "return_by_post", "return_address", "residence"};

// Statuses the competent unit's progress puts on the source case, and the receiving unit's
// on the linked one.
constexpr std::string_view kUpstream[] = {
    "processing", "supplement_requested", "fees_due", "result_ready", "stopped", "refused"};
constexpr std::string_view kBack[] = {"returned", "delivered", "withdrawn"};

bool In(std::string_view s, const auto& list) {
  return std::find(std::begin(list), std::end(list), s) != std::end(list);
}

// A step moving `state` to `next` with the rules' deadlines, or nothing when not allowed.
std::optional<LocalWrite> Mirror(const CaseState& state, const std::string& next,
                                 const std::string& note, const ReferenceData& ref, int64_t now) {
  if (state.TextOr("status", "") == next) return std::nullopt;
  cbor::Value body;
  if (BuildStep(state, next, note, "", ref, now, &body)) return std::nullopt;
  return LocalWrite{state.channel(), state.case_code(), "case.step", std::move(body),
                    std::string(kRouterOfficer)};
}

class Routing final : public Projection {
 public:
  Kind kind() const override { return Kind::kEntries; }
  std::string Summary(const CaseState& state) const override {
    bool routed = !state.TextOr("route_to", "").empty() || !state.TextOr("source", "").empty();
    return routed && state.TextOr("status", "") != "closed" ? "1" : "";
  }
  void Keys(std::string_view summary, std::string_view case_code, const FieldOpener&,
            std::vector<std::string>* keys) const override {
    if (summary == "1") keys->push_back("l" + std::string(case_code));
  }
};

}  // namespace

std::optional<Refusal> ChooseCompetentUnit(const Procedure* proc, std::string_view residence,
                                           std::string_view receiving, const Directory& dir,
                                           int64_t now, std::string* competent) {
  *competent = std::string(receiving);
  std::string rule = proc ? proc->competent : "";
  if (rule.empty()) return std::nullopt;
  if (rule == "residence") {
    if (residence.empty()) {
      return Refusal{Refusal::Kind::kMissing,
                     "residence",
                     "procedure " + proc->code +
                         " is processed by the citizen's commune of "
                         "residence: give it",
                     "Thủ tục này do xã, phường nơi công dân cư trú giải quyết: cần chọn nơi cư "
                     "trú.",
                     {}};
    }
    std::string unit = Successor(dir, std::string(residence), now);
    if (!dir.Exists(unit, now) || dir.IsRelay(unit, now) ||
        !dir.IsAncestorOrSelf(dir.RootAt(now), unit, now)) {
      return RoutingInvalid("residence",
                            "'" + std::string(residence) + "' is not a commune of the province",
                            "\"" + std::string(residence) + "\" không phải là xã, phường của tỉnh");
    }
    *competent = unit;
    return std::nullopt;
  }
  std::string unit = Successor(dir, rule, now);
  if (!dir.Exists(unit, now) || dir.IsRelay(unit, now)) {
    return RoutingInvalid(
        "procedure",
        "the catalogue names unit " + rule + " competent for " + proc->code +
            ", which is not a unit of the directory",
        "Danh mục thủ tục ghi đơn vị giải quyết " + rule + " không có trong danh mục đơn vị.");
  }
  *competent = unit;
  return std::nullopt;
}

std::string LinkedCaseCode(std::string_view to, std::string_view source_code) {
  std::string code = std::string(to) + "-R";
  for (char c : source_code) code.push_back(c == '-' ? '.' : c);
  return code;
}

std::optional<std::string> RouterOf(const Directory& dir, std::string_view from,
                                    std::string_view to, int64_t t) {
  std::vector<std::string> up = Chain(dir, to, t);
  std::set<std::string> ancestors_of_to(up.begin(), up.end());
  for (const std::string& u : Chain(dir, from, t)) {
    if (ancestors_of_to.count(u) && !dir.IsRelay(u, t)) return u;
  }
  return std::nullopt;
}

std::vector<LocalWrite> RoutingWrites(const CaseState& source, const CaseState* linked,
                                      const ReferenceData& ref, int64_t now) {
  std::vector<LocalWrite> out;
  const std::string to = source.TextOr("route_to", "");
  if (to.empty() || to == source.channel()) return out;
  const std::string code = LinkedCaseCode(to, source.case_code());
  const std::string status = source.TextOr("status", "");
  if (!linked) {
    if (status != "received") return out;  // refused or withdrawn before it was routed
    cbor::Value body = cbor::Value::Map();
    for (std::string_view f : kCopied) {
      cbor::Value v = source.Get(f);
      if (!v.is_null()) body.Set(std::string(f), std::move(v));
    }
    body.Set("status", cbor::Value::Text("forwarded"));
    body.Set("source", cbor::Value::Text(source.case_code()));
    out.push_back(
        {to, code, std::string(kLinkedCaseType), std::move(body), std::string(kRouterOfficer)});
    cbor::Value step = cbor::Value::Map();
    step.Set("status", cbor::Value::Text("forwarded"));
    step.Set("linked", cbor::Value::Text(code));
    step.Set("note", cbor::Value::Text("Chuyển đến đơn vị có thẩm quyền giải quyết (" + to + ")"));
    out.push_back({source.channel(), source.case_code(), "case.step", std::move(step),
                   std::string(kRouterOfficer)});
    return out;
  }
  const std::string there = linked->TextOr("status", "");
  if (In(there, kUpstream)) {
    const std::string note = "Đơn vị giải quyết (" + to + ") cập nhật";
    // Steps the competent unit took between two passes arrive one per pass: "processing"
    // first when the source cannot jump straight to where the linked case is.
    auto w = Mirror(source, there, note, ref, now);
    if (!w && there != "processing") w = Mirror(source, "processing", note, ref, now);
    if (w) out.push_back(std::move(*w));
  }
  if (In(status, kBack)) {
    std::string back = status == "withdrawn" ? "withdrawn" : "returned";
    if (auto w = Mirror(*linked, back,
                        "Đơn vị tiếp nhận (" + source.channel() + ") đã " +
                            (back == "withdrawn" ? "ghi nhận rút hồ sơ" : "trả kết quả"),
                        ref, now)) {
      out.push_back(std::move(*w));
    }
  }
  return out;
}

const Projection& RoutingProjection() {
  static const Routing routing;
  return routing;
}

Result<std::vector<std::string>> RoutedSources(const Store& store) {
  std::vector<std::string> keys;
  Status s = store.ScanIndex("l", "m", [&](std::string_view key, std::string_view) {
    keys.emplace_back(key.substr(1));
    return true;
  });
  if (!s.ok()) return s.Annotate("reading the routed cases");
  std::set<std::string> sources;
  for (const std::string& code : keys) {
    auto state = store.GetCaseState(code);
    if (!state.ok()) continue;  // purged meanwhile
    std::string source = state->TextOr("source", "");
    sources.insert(source.empty() ? code : source);
  }
  return std::vector<std::string>(sources.begin(), sources.end());
}

namespace {

// `body` with its sealed fields opened (they are the source case's), as ShowField checks them;
// one that does not open, or opens to what its rule refuses (a hostile office may seal junk),
// is left out of the copy rather than stopping every routing behind it.
cbor::Value OpenedCopy(const Store& store, const std::string& source, const cbor::Value& body) {
  cbor::Value out = cbor::Value::Map();
  for (size_t i = 0; i + 1 < body.items().size(); i += 2) {
    const cbor::Value& k = body.items()[i];
    const cbor::Value& v = body.items()[i + 1];
    if (!k.is_text() || !v.is_bytes()) {
      out.Set(k, v);
      continue;
    }
    ShownField shown = ShowField(store, source, k.str(), cbor::Encode(v));
    if (shown.hidden == ShownField::Hidden::kNone) out.Set(k, std::move(shown.value));
  }
  return out;
}

}  // namespace

Result<size_t> RoutingPass(Store& store, const ReferenceData& ref, int64_t now) {
  if (!store.options().identity) return size_t{0};
  const std::string& me = store.options().identity->unit;
  HOSO_ASSIGN_OR_RETURN(std::vector<std::string> sources, RoutedSources(store));
  auto dir = store.DirectorySnapshot();
  const bool root = dir->IsRootAuthority(me, now);
  size_t written = 0;
  for (const std::string& code : sources) {
    auto source = store.GetCaseState(code);
    if (!source.ok()) continue;  // only its linked case is held here
    const std::string to = source->TextOr("route_to", "");
    auto router = RouterOf(*dir, source->channel(), to, now);
    if (!router || (*router != me && !(root && *router == dir->RootAt(now)))) continue;
    auto linked = store.GetCaseState(LinkedCaseCode(to, code));
    if (!linked.ok() && linked.status().code() != Code::kNotFound) return linked.status();
    std::vector<LocalWrite> writes =
        RoutingWrites(*source, linked.ok() ? &*linked : nullptr, ref, now);
    if (writes.empty()) continue;
    // The linked case seals its copy of the applicant under its own key (the aad binds a
    // sealed value to its case): what is copied goes across in clear, inside this commit.
    for (LocalWrite& w : writes) {
      if (w.case_code != code) w.body = OpenedCopy(store, code, w.body);
    }
    written += writes.size();
    HOSO_RETURN_IF_ERROR(store.Append(std::move(writes)).status().Annotate("routing " + code));
  }
  return written;
}

}  // namespace hoso
