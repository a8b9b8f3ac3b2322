// The API's data-subject requests (docs/api.md, "Data-subject requests"; docs/privacy.md
// "Data-subject requests (built)"): POST /v1/subjects/export answers a person's request with
// everything this node holds about them (their cases with fields and history, erasures, who
// read them) and records the request and its answer as signed events in this unit's channel
// (core/domain/subject_requests.h); GET /v1/subjects lists the requests held, with whether
// each was answered within 2 working days. The export holds the person's earlier requests
// too. The export is recorded in the read log as a read
// of every case it shows (view "export"). With the API token only: the answer holds a
// person's whole record.
#include <map>

#include "core/domain/access_log.h"
#include "core/domain/calendar.h"
#include "core/domain/personal_data.h"
#include "core/domain/subject_requests.h"
#include "node/api/responses.h"
#include "node/local_api.h"
#include "node/read_log.h"

namespace hoso::node {

using api::Error;
using api::FromStatus;
using api::Json;
using api::ParseBody;
using api::TextField;

namespace {

std::optional<HttpResponse> TokenOnly(const std::optional<Session>& session) {
  if (!session) return std::nullopt;
  return Error(403, "forbidden", "",
               "data-subject requests are answered with the node's API token (hoso subject)",
               "Chức năng này dành cho cán bộ phụ trách bảo vệ dữ liệu cá nhân (lệnh hoso "
               "subject).");
}

json::object RequestJson(const SubjectRequest& r, const WorkingCalendar& calendar, int64_t now) {
  const int64_t due = SubjectAnswerDueDay(calendar, r.received_day);
  json::object o{{"code", r.code},        {"unit", r.unit},
                 {"officer", r.officer},  {"received", FormatDay(r.received_day)},
                 {"due", FormatDay(due)}, {"recorded_at", FormatTime(r.recorded_at_ms)},
                 {"cases", r.cases}};
  if (r.id_hidden == ShownField::Hidden::kNone) {
    o["id_number"] = r.id_number;
  } else {
    o["id_number"] = nullptr;
    o["id_hidden"] = std::string(HiddenName(r.id_hidden));
  }
  if (r.answered_at_ms) {
    o["answered_at"] = FormatTime(*r.answered_at_ms);
    o["in_time"] = SubjectAnsweredInTime(calendar, r.received_day, *r.answered_at_ms);
  } else {
    o["answered_at"] = nullptr;
    o["in_time"] = nullptr;
    o["overdue"] = WorkingCalendar::LocalDay(now) > due;
  }
  return o;
}

}  // namespace

HttpResponse LocalApi::SubjectExport(Call& call) {
  if (auto e = TokenOnly(call.session)) return *e;
  if (!store_->options().identity) {
    return Error(409, "no_identity", "", "this node has no unit identity to record the request",
                 "Máy này chưa được cấp danh tính đơn vị nên không ghi nhận được yêu cầu.");
  }
  json::object in;
  if (auto e = ParseBody(call.req, {"officer", "id_number", "received"}, &in)) return *e;
  std::string officer, id, received;
  if (auto e = TextField(in, "officer", "officer", true, api::kMaxShortText, &officer)) return *e;
  if (auto e = TextField(in, "id_number", "id_number", true, api::kMaxShortText, &id)) return *e;
  if (auto e = TextField(in, "received", "received", false, 10, &received)) return *e;
  if (!IsIdNumber(id)) {
    return api::Invalid("id_number", "an ID number is 9 or 12 digits",
                        "Số định danh cá nhân phải gồm 9 hoặc 12 chữ số.");
  }
  const int64_t now = clock_->NowMs();
  const int64_t today = WorkingCalendar::LocalDay(now);
  int64_t received_day = today;
  if (!received.empty()) {
    auto day = ParseDay(received);
    if (!day.ok() || *day > today || *day < today - 3660) {
      return api::Invalid("received",
                          "the day the request was received, YYYY-MM-DD, not later "
                          "than today",
                          "Ngày nhận yêu cầu phải theo dạng YYYY-MM-DD và không sau hôm nay.");
    }
    received_day = *day;
  }

  // What the node holds: the person's cases as the case page shows them, their reads.
  auto found = CasesOfPerson(*store_, id);
  if (!found.ok()) return FromStatus(found.status());
  json::array cases;
  for (const std::string& code : *found) {
    HttpResponse page = GetCase(call, code);
    if (page.status != 200) return page;
    auto parsed = ParseJson(page.body);
    if (!parsed.ok()) return FromStatus(parsed.status());
    cases.push_back(std::move(parsed).value());
  }
  auto reads = ReadsOfCases(*store_, *found);
  if (!reads.ok()) return FromStatus(reads.status());
  json::array read_list;
  for (const ReadRecord& r : *reads) {
    read_list.push_back(json::object{{"at", FormatTime(r.at_ms)},
                                     {"officer", r.officer},
                                     {"unit", r.unit},
                                     {"case", r.case_code},
                                     {"purpose", r.purpose},
                                     {"view", r.view}});
  }

  // The person's earlier requests are data about them too.
  auto held_requests = SubjectRequests(*store_);
  if (!held_requests.ok()) return FromStatus(held_requests.status());
  auto ref = Reference();
  json::array earlier;
  for (const SubjectRequest& r : *held_requests) {
    if (r.id_hidden != ShownField::Hidden::kNone || r.id_number != id) continue;
    earlier.push_back(RequestJson(r, ref->CalendarFor(r.unit), now));
  }

  // The request and its answer, in one commit, in the day's next free request case.
  const Identity& me = *store_->options().identity;
  std::string code;
  Result<std::vector<Appended>> appended = Status::IOError("not written");
  {
    std::lock_guard lock(reference_writes_mu_);
    const std::string first = SubjectCaseCode(me.unit, me.epoch, now, 1);
    auto held = store_->CaseCodes(first.substr(0, first.size() - 1), SIZE_MAX);
    if (!held.ok()) return FromStatus(held.status());
    for (unsigned n = static_cast<unsigned>(held->size()) + 1;; ++n) {
      code = SubjectCaseCode(me.unit, me.epoch, now, n);
      auto state = store_->GetCaseState(code);
      if (!state.ok() && state.status().code() == Code::kNotFound) break;
      if (!state.ok()) return FromStatus(state.status());
    }
    std::vector<LocalWrite> writes;
    writes.push_back(LocalWrite{me.unit, code, std::string(kSubjectRequestType),
                                SubjectRequestBody(received_day, id), officer});
    writes.push_back(LocalWrite{me.unit, code, std::string(kSubjectAnsweredType),
                                SubjectAnsweredBody(now, found->size()), officer});
    appended = store_->Append(std::move(writes));
  }
  if (!appended.ok()) return FromStatus(appended.status());
  if (view_.read_log && !found->empty()) {
    AccessRead read;
    read.officer = "api-token:" + officer;
    read.cases = *found;
    read.purpose = "yêu cầu của chủ thể dữ liệu " + code;
    read.view = "export";
    (void)view_.read_log->Record(std::move(read));  // a drop is counted and logged by the log
  }
  SubjectRequest request;
  request.code = code;
  request.unit = me.unit;
  request.officer = officer;
  request.received_day = received_day;
  request.recorded_at_ms = now;
  request.id_number = id;
  request.answered_at_ms = now;
  request.cases = found->size();
  json::object out{{"request", RequestJson(request, ref->CalendarFor(me.unit), now)},
                   {"earlier_requests", std::move(earlier)},
                   {"id_number", id},
                   {"exported_at", FormatTime(now)},
                   {"unit", me.unit},
                   {"cases", std::move(cases)},
                   {"reads", std::move(read_list)}};
  return Json(200, out);
}

HttpResponse LocalApi::SubjectList(Call& call) {
  if (auto e = TokenOnly(call.session)) return *e;
  auto requests = SubjectRequests(*store_);
  if (!requests.ok()) return FromStatus(requests.status());
  auto ref = Reference();
  std::map<std::string, WorkingCalendar> calendars;
  const int64_t now = clock_->NowMs();
  json::array list;
  size_t in_time = 0, late = 0, waiting = 0;
  for (const SubjectRequest& r : *requests) {
    auto it = calendars.find(r.unit);
    if (it == calendars.end()) it = calendars.emplace(r.unit, ref->CalendarFor(r.unit)).first;
    json::object o = RequestJson(r, it->second, now);
    if (!r.answered_at_ms) {
      ++waiting;
    } else if (o.at("in_time").as_bool()) {
      ++in_time;
    } else {
      ++late;
    }
    list.push_back(std::move(o));
  }
  return Json(200, json::object{{"requests", std::move(list)},
                                {"in_time", in_time},
                                {"late", late},
                                {"waiting", waiting}});
}

}  // namespace hoso::node
