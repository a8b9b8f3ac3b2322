#include "core/domain/case_rules.h"

#include <algorithm>
#include <charconv>
#include <ctime>

#include "core/domain/calendar.h"
#include "core/domain/lifecycle.h"

namespace hoso {
namespace {

constexpr int64_t kVietnamOffsetMs = 7 * 3600 * 1000;  // case codes carry the local date

// What the counter tells the citizen when a procedure may not go by post.
constexpr const char* kNotPostalVi =
    "Thủ tục này không thực hiện qua dịch vụ bưu chính công ích; đề nghị công dân nộp hồ sơ và "
    "nhận kết quả trực tiếp.";

Refusal Invalid(std::string field, std::string reason, std::string message_vi) {
  return {Refusal::Kind::kInvalid, std::move(field), std::move(reason), std::move(message_vi), {}};
}

std::optional<int64_t> Number(const CaseState& state, const char* field) {
  cbor::Value v = state.Get(field);
  if (!v.is_uint() || v.uint() > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<int64_t>(v.uint());
}

cbor::Value Ms(int64_t ms) {
  return cbor::Value::Uint(static_cast<uint64_t>(std::max<int64_t>(ms, 0)));
}

// The supplement clock and the finish, added to a step's body.
void StepDeadlines(const CaseState& state, const std::string& current, const std::string& next,
                   const ReferenceData& ref, int64_t now, cbor::Value* body) {
  if (next == "supplement_requested") {
    body->Set("supplement_since", Ms(now));
    body->Set("supplement_count", cbor::Value::Uint(static_cast<uint64_t>(
                                      Number(state, "supplement_count").value_or(0) + 1)));
  }
  if (current == "supplement_requested") {
    // The clock was paused while the citizen completed the file: the due date moves by the
    // working time spent waiting.
    auto since = Number(state, "supplement_since");
    auto due = Number(state, "due_at");
    if (since && due) {
      WorkingCalendar cal = ref.CalendarFor(state.channel());
      int64_t paused = cal.WorkingMsBetween(*since, now);
      body->Set("due_at", Ms(cal.AddWorkingMs(*due, paused)));
      body->Set("paused_ms", Ms(Number(state, "paused_ms").value_or(0) + paused));
    }
  }
  if (IsFinishedStatus(next) && !Number(state, "finished_at")) body->Set("finished_at", Ms(now));
}

}  // namespace

std::optional<Refusal> BuildReception(const ReceptionRequest& r, const ReferenceData& ref,
                                      const std::string& unit, int64_t now, cbor::Value* body) {
  if (r.channel != "counter" && r.channel != "online" && r.channel != "postal") {
    return Invalid("channel", "must be \"counter\", \"online\" or \"postal\"",
                   "chỉ nhận counter (tại quầy), online (trực tuyến) hoặc postal (qua bưu điện)");
  }
  if (r.due_at && *r.due_at <= now) {
    return Invalid("due_at", "must be after the time of reception", "phải sau thời điểm tiếp nhận");
  }
  const Procedure* proc = ref.FindProcedure(r.procedure);
  if (!proc && !ref.procedures.empty()) {
    return Invalid("procedure", "'" + r.procedure + "' is not in the procedure catalogue",
                   "mã thủ tục \"" + r.procedure + "\" không có trong danh mục thủ tục");
  }
  const bool postal = r.channel == "postal";
  if (proc && !proc->postal && (postal || r.return_by_post)) {
    return Invalid(postal ? "channel" : "return_by_post",
                   "procedure " + proc->code + " is not postal-eligible: it cannot be " +
                       (postal ? "received" : "returned") + " by post",
                   kNotPostalVi);
  }
  *body = cbor::Value::Map();
  body->Set("status", cbor::Value::Text("received"));
  body->Set("procedure", cbor::Value::Text(r.procedure));
  if (!r.procedure_name.empty()) {
    body->Set("procedure_name", cbor::Value::Text(r.procedure_name));
  } else if (proc) {
    body->Set("procedure_name", cbor::Value::Text(proc->name));
  }
  body->Set("applicant", r.applicant);
  if (r.documents.size() > 0) body->Set("documents", r.documents);
  body->Set("channel", cbor::Value::Text(r.channel));
  body->Set("received_at", Ms(now));
  std::optional<int64_t> due = r.due_at;
  if (proc) {
    body->Set("agency", cbor::Value::Text(proc->agency));
    body->Set("processing_days", cbor::Value::Uint(static_cast<uint64_t>(proc->days)));
    body->Set("working_days", cbor::Value::Bool(proc->working_days));
    if (!due) due = ref.CalendarFor(unit).DueDate(now, proc->days, proc->working_days);
  }
  if (due) body->Set("due_at", Ms(*due));
  body->Set("fee", cbor::Value::Uint(r.fee.value_or(proc ? proc->fee : 0)));
  body->Set("return_by_post", cbor::Value::Bool(r.return_by_post));
  if (r.return_by_post) body->Set("return_address", cbor::Value::Text(r.return_address));
  if (!r.note.empty()) body->Set("note", cbor::Value::Text(r.note));
  return std::nullopt;
}

std::optional<Refusal> CheckStepStatus(const std::string& next) {
  if (IsKnownStatus(next) && next != "submitted") return std::nullopt;
  return Invalid("status", "'" + next + "' is not a lifecycle status (docs/api.md)",
                 "\"" + next + "\" không phải là trạng thái hợp lệ");
}

std::optional<Refusal> BuildStep(const CaseState& state, const std::string& next,
                                 const std::string& note, const std::string& tracking,
                                 const ReferenceData& ref, int64_t now, cbor::Value* body) {
  if (auto refused = CheckStepStatus(next)) return refused;
  const std::string current = state.TextOr("status", "");
  if (Status step = CheckStep(current, next); !step.ok()) {
    return Refusal{Refusal::Kind::kInvalidStep, "status", step.message(),
                   "Không thể chuyển hồ sơ từ trạng thái \"" + StatusNameVi(current) +
                       "\" sang \"" + StatusNameVi(next, current) + "\".",
                   AllowedNextSteps(current)};
  }
  const Procedure* proc = ref.FindProcedure(state.TextOr("procedure", ""));
  if ((next == "dispatched" || next == "posted_to_agency") && proc && !proc->postal) {
    return Invalid("status", "procedure " + proc->code + " is not postal-eligible", kNotPostalVi);
  }
  if ((next == "dispatched" || next == "posted_to_agency") && tracking.empty()) {
    // The post's tracking number (mã vận đơn).
    return Refusal{Refusal::Kind::kMissing, "tracking", "is required", "", {}};
  }
  *body = cbor::Value::Map();
  body->Set("status", cbor::Value::Text(next));
  if (!note.empty()) body->Set("note", cbor::Value::Text(note));
  if (!tracking.empty()) body->Set("tracking", cbor::Value::Text(tracking));
  StepDeadlines(state, current, next, ref, now, body);
  return std::nullopt;
}

bool IsOverdue(const CaseState& state, int64_t now) {
  auto due = Number(state, "due_at");
  return due && *due < now && StatusRank(state.TextOr("status", "")) < StatusRank("result_ready");
}

std::string CaseCodePrefix(const std::string& unit, uint64_t epoch, int64_t now_ms) {
  // The unit makes a code unique without coordination; the epoch keeps a node restored from
  // a backup from re-using the numbers of its old life.
  time_t secs = static_cast<time_t>((now_ms + kVietnamOffsetMs) / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char day[32];
  std::snprintf(day, sizeof day, "%02d%02d%02d", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday);
  return unit + (epoch > 1 ? "e" + std::to_string(epoch) : "") + "-" + day + "-";
}

std::optional<uint64_t> CaseCodeNumber(const std::string& prefix, std::string_view code) {
  constexpr uint64_t kMaxDaily = 100'000'000;
  if (code.size() <= prefix.size() || code.substr(0, prefix.size()) != prefix) return std::nullopt;
  uint64_t n = 0;
  std::string_view digits = code.substr(prefix.size());
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || p != digits.data() + digits.size() || n >= kMaxDaily) {
    return std::nullopt;
  }
  return n;
}

uint64_t HighestCaseNumber(const std::string& prefix, const std::vector<std::string>& held) {
  uint64_t last = 0;
  for (const auto& code : held) last = std::max(last, CaseCodeNumber(prefix, code).value_or(0));
  return last;
}

Result<std::string> NextCaseCode(const std::string& prefix, uint64_t last,
                                 const std::function<Result<bool>(const std::string&)>& is_free) {
  for (uint64_t n = last + 1; n <= last + 64; ++n) {
    char seq[24];
    std::snprintf(seq, sizeof seq, "%04llu", static_cast<unsigned long long>(n));
    std::string code = prefix + seq;
    if (!CaseCodeNumber(prefix, code)) break;  // past the day's numbers
    HOSO_ASSIGN_OR_RETURN(bool free, is_free(code));
    if (free) return code;
  }
  return Status::AlreadyExists("no free case code after " + prefix + std::to_string(last));
}

}  // namespace hoso
