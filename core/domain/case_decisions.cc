#include "core/domain/case_decisions.h"

#include "core/domain/lifecycle.h"

namespace hoso {
namespace {

Refusal Invalid(std::string field, std::string reason, std::string message_vi) {
  return {Refusal::Kind::kInvalid, std::move(field), std::move(reason), std::move(message_vi), {}};
}

Refusal Missing(std::string field, std::string message_vi) {
  return {Refusal::Kind::kMissing, std::move(field), "is required", std::move(message_vi), {}};
}

std::optional<int64_t> Time(const CaseState& state, const char* field) {
  cbor::Value v = state.Get(field);
  if (!v.is_uint() || v.uint() > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<int64_t>(v.uint());
}

bool HasResult(const CaseState& state) {
  return StatusRank(state.TextOr("status", "")) >= StatusRank("result_ready") ||
         IsFinishedStatus(state.TextOr("status", ""));
}

}  // namespace

std::optional<Refusal> BuildResolution(const CaseState& state, const std::string& field,
                                       const Hash& chosen, const std::string& note,
                                       cbor::Value* body) {
  const FieldState* f = state.Field(field);
  if (!f || f->live.size() < 2) {
    return Invalid("field", "field '" + field + "' has no conflict to settle",
                   "Trường này không có xung đột cần giải quyết.");
  }
  if (note.empty()) {
    return Missing("note", "Cần ghi lý do của quyết định giải quyết xung đột.");
  }
  for (const LiveWrite& w : f->live) {
    if (state.events()[w.ref].id != chosen) continue;
    auto value = cbor::Decode(w.value);
    if (!value.ok())
      return Invalid("choose", "the chosen value does not decode", "Giá trị không hợp lệ.");
    *body = cbor::Value::Map();
    body->Set(field, std::move(*value));
    body->Set("resolved_field", cbor::Value::Text(field));
    body->Set("resolution_note", cbor::Value::Text(note));
    return std::nullopt;
  }
  return Invalid("choose", "not one of the field's live writes",
                 "Lựa chọn không phải là một trong các giá trị đang xung đột.");
}

std::optional<Refusal> BuildDelay(const CaseState& state, int64_t appointment_ms,
                                  const std::string& reason, int64_t now_ms, cbor::Value* body) {
  if (HasResult(state)) {
    return Invalid("status", "the case has its result: nothing is late any more",
                   "Hồ sơ đã có kết quả, không cần hẹn lại.");
  }
  if (reason.empty()) return Missing("reason", "Cần ghi lý do chậm trễ.");
  if (appointment_ms <= now_ms) {
    return Invalid("appointment_at", "must be in the future", "Ngày hẹn mới phải sau hôm nay.");
  }
  auto current = Time(state, "appointment_at");
  if (!current) current = Time(state, "due_at");
  if (current && appointment_ms <= *current) {
    return Invalid("appointment_at", "must be after the current appointment",
                   "Ngày hẹn mới phải sau ngày hẹn trả hiện tại.");
  }
  *body = cbor::Value::Map();
  body->Set("appointment_at", cbor::Value::Uint(static_cast<uint64_t>(appointment_ms)));
  body->Set("delay_reason", cbor::Value::Text(reason));
  cbor::Value count = state.Get("delay_count");
  body->Set("delay_count", cbor::Value::Uint((count.is_uint() ? count.uint() : 0) + 1));
  return std::nullopt;
}

std::optional<Refusal> BuildAssignment(const CaseState& state, const std::string& officer,
                                       cbor::Value* body) {
  if (state.TextOr("status", "") == "closed") {
    return Invalid("status", "the case is closed", "Hồ sơ đã lưu trữ, không phân công được.");
  }
  if (officer.empty()) return Missing("officer", "Cần chọn cán bộ được phân công.");
  *body = cbor::Value::Map();
  body->Set("assigned_to", cbor::Value::Text(officer));
  return std::nullopt;
}

bool IsDueSoon(const CaseState& state, const WorkingCalendar& calendar, int64_t now_ms) {
  auto due = Time(state, "due_at");
  if (!due || *due < now_ms || HasResult(state)) return false;
  return calendar.WorkingMsBetween(now_ms, *due) <= calendar.WorkingDayMs();
}

}  // namespace hoso
