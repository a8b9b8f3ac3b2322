#include "core/domain/personal_data.h"

#include "core/domain/access_log.h"
#include "core/domain/calendar.h"
#include "core/domain/event_schema.h"
#include "core/domain/routing.h"
#include "core/log/erasure.h"

namespace hoso {

ShownField ShowField(const Store& store, std::string_view case_code, std::string_view field,
                     std::string_view raw) {
  ShownField out;
  auto plain = store.OpenField(case_code, field, raw);
  if (!plain.ok()) {
    if (plain.status().code() == Code::kFailedPrecondition) {
      out.hidden = ShownField::Hidden::kErased;
      auto erasure = store.ErasureOf(case_code);
      if (erasure.ok()) out.erasure = *erasure;
    } else if (plain.status().code() == Code::kNotFound) {
      out.hidden = ShownField::Hidden::kNoKey;
    } else {
      out.hidden = ShownField::Hidden::kInvalid;
    }
    return out;
  }
  auto v = cbor::Decode(*plain);
  // A sealed value was checked as sealed bytes only: what it holds meets the field's rule
  // before anyone sees it.
  if (!v.ok() || (*plain != raw && !CheckCaseField(field, *v).ok())) {
    out.hidden = ShownField::Hidden::kInvalid;
    return out;
  }
  out.value = std::move(v).value();
  return out;
}

std::string_view HiddenName(ShownField::Hidden h) {
  switch (h) {
    case ShownField::Hidden::kNone:
      return "";
    case ShownField::Hidden::kErased:
      return "erased";
    case ShownField::Hidden::kNoKey:
      return "no_key";
    case ShownField::Hidden::kInvalid:
      return "invalid";
  }
  return "";
}

cbor::Value ShowBody(const Store& store, std::string_view case_code, const cbor::Value& body,
                     std::vector<std::pair<std::string, ShownField::Hidden>>* hidden) {
  if (!body.is_map()) return body;
  cbor::Value out = cbor::Value::Map();
  for (size_t i = 0; i + 1 < body.items().size(); i += 2) {
    const cbor::Value& k = body.items()[i];
    const cbor::Value& v = body.items()[i + 1];
    // A file's key opens its bytes: it is used (GET .../documents/{sha256}), never shown.
    if (k.is_text() && k.str() == "document_key") continue;
    if (!k.is_text() || !v.is_bytes()) {
      out.Set(k, v);
      continue;
    }
    ShownField shown = ShowField(store, case_code, k.str(), cbor::Encode(v));
    if (shown.hidden != ShownField::Hidden::kNone && hidden) {
      hidden->emplace_back(k.str(), shown.hidden);
    }
    out.Set(k.str(), std::move(shown.value));
  }
  return out;
}

Result<std::vector<std::string>> CasesOfPerson(const Store& store, std::string_view id_no) {
  HOSO_ASSIGN_OR_RETURN(std::vector<std::string> codes, store.CaseCodes("", SIZE_MAX));
  std::vector<std::string> out;
  for (const std::string& code : codes) {
    if (IsAccessCaseCode(code)) continue;
    auto state = store.GetCaseState(code);
    if (!state.ok()) return state.status().Annotate("case " + code);
    const FieldState* f = state->Field("applicant");
    const LiveWrite* w = f ? state->Winner(*f) : nullptr;
    if (!w) continue;
    ShownField applicant = ShowField(store, code, "applicant", w->value);
    const cbor::Value* id = applicant.value.is_map() ? applicant.value.Find("id_no") : nullptr;
    if (id && id->is_text() && id->str() == id_no) out.push_back(code);
  }
  return out;
}

Result<std::vector<Confirmation>> ErasureConfirmations(const Store& store,
                                                       std::string_view case_code) {
  HOSO_ASSIGN_OR_RETURN(CaseView view, store.GetCase(case_code));
  std::vector<Confirmation> out;
  for (const HistoryEntry& h : view.history) {
    if (h.event.type != kKeyDestroyedType) continue;
    out.push_back({h.event.stream.origin, HlcMillis(h.event.hlc)});
  }
  return out;
}

Result<size_t> ConfirmErasures(Store& store, int64_t now_ms) {
  if (!store.options().identity) return size_t{0};
  const std::string& me = store.options().identity->unit;
  HOSO_ASSIGN_OR_RETURN(std::vector<Erasure> erasures, store.Erasures());
  std::vector<CaseState> due;
  for (const Erasure& e : erasures) {
    std::string mark;
    Status marked = store.GetMeta("erasure-confirmed/" + e.case_code, &mark);
    if (marked.ok()) continue;
    if (marked.code() != Code::kNotFound) return marked;
    auto held = store.GetCaseState(e.case_code);
    if (held.status().code() == Code::kNotFound) continue;  // never held here: nothing to do
    if (!held.ok()) return held.status();
    due.push_back(std::move(held).value());
  }
  if (due.empty()) return size_t{0};
  HOSO_RETURN_IF_ERROR(store.ScrubErasedKeys());
  const bool relay = store.DirectorySnapshot()->IsRelay(me, now_ms);
  for (const CaseState& st : due) {
    // The keys are gone and scrubbed whatever happens to the record: a confirmation that can
    // never be written (the case's channel no longer takes this node's writes) is noted as
    // such and does not hold back the others; an I/O error is retried.
    std::string mark = std::to_string(now_ms);
    if (!relay) {
      Status s =
          store
              .Append(LocalWrite{st.channel(), st.case_code(), std::string(kKeyDestroyedType),
                                 cbor::Value::Map(), std::string(kRouterOfficer)})
              .status();
      if (s.code() == Code::kIOError)
        return s.Annotate("confirming the erasure of " + st.case_code());
      if (!s.ok()) mark += " unsigned: " + s.message();
    }
    HOSO_RETURN_IF_ERROR(store.PutMeta("erasure-confirmed/" + st.case_code(), mark, true));
  }
  return due.size();
}

Result<std::vector<LocalWrite>> RetentionErasures(const Store& store, const ReferenceData& ref,
                                                  int64_t now_ms) {
  std::vector<LocalWrite> out;
  bool any = false;
  for (const auto& [code, p] : ref.procedures) any = any || p.retention_years > 0;
  if (!any) return out;
  HOSO_ASSIGN_OR_RETURN(std::vector<std::string> codes, store.CaseCodes("", SIZE_MAX));
  constexpr int64_t kYearMs = 31'557'600'000;  // 365.25 days
  for (const std::string& code : codes) {
    if (IsAccessCaseCode(code)) continue;
    auto st = store.GetCaseState(code);
    if (!st.ok()) return st.status().Annotate("case " + code);
    const Procedure* proc = ref.FindProcedure(st->TextOr("procedure", ""));
    if (!proc || proc->retention_years <= 0) continue;
    int64_t end = 0;
    for (const char* f : {"finished_at", "delivered_at"}) {
      cbor::Value v = st->Get(f);
      if (v.is_uint()) end = std::max<int64_t>(end, static_cast<int64_t>(v.uint()));
    }
    if (end == 0 || end + proc->retention_years * kYearMs > now_ms) continue;
    HOSO_ASSIGN_OR_RETURN(auto erased, store.ErasureOf(code));
    if (erased) continue;
    std::string ground = "Thủ tục " + proc->code + " lưu dữ liệu cá nhân " +
                         std::to_string(proc->retention_years) +
                         " năm sau khi kết thúc hồ sơ; hồ sơ kết thúc ngày " +
                         FormatDay(end / 86'400'000) + " (UTC)";
    out.push_back(LocalWrite{std::string(kErasureChannel), code, std::string(kEraseType),
                             ErasureBody("Hết thời hạn lưu trữ", ground), "system"});
  }
  return out;
}

}  // namespace hoso
