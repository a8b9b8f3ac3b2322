#include "core/domain/subject_requests.h"

#include <algorithm>

#include "core/domain/access_log.h"
#include "core/format/event.h"
#include "core/format/hlc.h"

namespace hoso {

namespace {

constexpr std::string_view kSubjectWord = "-subject-";
// A request's answer is sought at most this many days on (a calendar without working days
// would otherwise never end the search).
constexpr int kMaxDaysSearched = 366;

}  // namespace

std::string SubjectCaseCode(std::string_view unit, uint64_t epoch, int64_t now_ms, unsigned n) {
  // The read log's code for the same day, with its word and part swapped for ours.
  std::string access = AccessCaseCode(unit, epoch, now_ms, 1);
  const size_t dash = access.find('-');
  return access.substr(0, dash) + std::string(kSubjectWord) +
         access.substr(dash + std::string_view("-access-").size()) + "-" + std::to_string(n);
}

bool IsSubjectCaseCode(std::string_view code) {
  size_t dash = code.find('-');
  return dash != std::string_view::npos && dash > 0 &&
         code.substr(dash, kSubjectWord.size()) == kSubjectWord;
}

bool IsIdNumber(std::string_view s) {
  return (s.size() == 9 || s.size() == 12) &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

cbor::Value SubjectRequestBody(int64_t received_day, std::string_view id_number) {
  cbor::Value body = cbor::Value::Map();
  body.Set("received", cbor::Value::Text(FormatDay(received_day)));
  body.Set("id_number", cbor::Value::Text(std::string(id_number)));
  return body;
}

cbor::Value SubjectAnsweredBody(int64_t answered_at_ms, uint64_t cases) {
  cbor::Value body = cbor::Value::Map();
  body.Set("answered_at",
           cbor::Value::Uint(static_cast<uint64_t>(std::max<int64_t>(0, answered_at_ms))));
  body.Set("cases", cbor::Value::Uint(std::min(cases, kMaxSubjectCases)));
  return body;
}

int64_t SubjectAnswerDueDay(const WorkingCalendar& calendar, int64_t received_day) {
  int64_t day = received_day;
  int counted = 0;
  for (int i = 0; i < kMaxDaysSearched && counted < kSubjectAnswerWorkingDays; ++i) {
    ++day;
    if (calendar.IsWorkingDay(day)) ++counted;
  }
  return day;
}

bool SubjectAnsweredInTime(const WorkingCalendar& calendar, int64_t received_day,
                           int64_t answered_at_ms) {
  return WorkingCalendar::LocalDay(answered_at_ms) <= SubjectAnswerDueDay(calendar, received_day);
}

Result<SubjectRequest> FoldSubjectCase(std::string_view code, const std::vector<Event>& events,
                                       const OpenIdNumber& open_id) {
  SubjectRequest out;
  out.code = std::string(code);
  bool requested = false;
  for (const Event& e : events) {
    if (e.type == kSubjectRequestType && !requested) {
      const cbor::Value* received = e.body.Find("received");
      const cbor::Value* id = e.body.Find("id_number");
      if (!received || !received->is_text() || !id) continue;
      auto day = ParseDay(received->str());
      if (!day.ok()) continue;
      requested = true;
      out.unit = e.stream.origin;
      out.officer = e.officer;
      out.received_day = *day;
      out.recorded_at_ms = HlcMillis(e.hlc);
      ShownField shown;
      shown.hidden = ShownField::Hidden::kNoKey;
      if (open_id) shown = open_id(*id);
      out.id_hidden = shown.hidden;
      if (shown.hidden == ShownField::Hidden::kNone && shown.value.is_text()) {
        out.id_number = shown.value.str();
      } else if (shown.hidden == ShownField::Hidden::kNone) {
        out.id_hidden = ShownField::Hidden::kInvalid;
      }
    } else if (e.type == kSubjectAnsweredType && !out.answered_at_ms) {
      const cbor::Value* at = e.body.Find("answered_at");
      const cbor::Value* cases = e.body.Find("cases");
      if (!at || !at->is_uint() || !cases || !cases->is_uint()) continue;
      out.answered_at_ms = static_cast<int64_t>(std::min<uint64_t>(at->uint(), INT64_MAX));
      out.cases = cases->uint();
    }
  }
  if (!requested) {
    return Status::InvalidArgument("subject case " + std::string(code) + " holds no request");
  }
  return out;
}

Result<std::vector<SubjectRequest>> SubjectRequests(const Store& store) {
  HOSO_ASSIGN_OR_RETURN(std::vector<std::string> codes, store.CaseCodes("", SIZE_MAX));
  std::vector<SubjectRequest> out;
  for (const std::string& code : codes) {
    if (!IsSubjectCaseCode(code)) continue;
    HOSO_ASSIGN_OR_RETURN(CaseView view, store.GetCase(code));
    std::vector<Event> events;
    events.reserve(view.history.size());
    for (HistoryEntry& h : view.history) events.push_back(std::move(h.event));
    auto request = FoldSubjectCase(code, events, [&](const cbor::Value& raw) {
      return ShowField(store, code, "id_number", cbor::Encode(raw));
    });
    if (!request.ok()) continue;  // a case still waiting for its request event
    out.push_back(std::move(request).value());
  }
  std::stable_sort(out.begin(), out.end(), [](const SubjectRequest& a, const SubjectRequest& b) {
    return a.received_day < b.received_day;
  });
  return out;
}

}  // namespace hoso
