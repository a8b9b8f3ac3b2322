// Reference data: the catalogue, the calendar, the directory of units and revocations; read
// on every node, written at the root only (docs/api.md: /v1/catalogue, /v1/calendar,
// /v1/directory, /v1/revocations).
#include <algorithm>

#include "core/base/text.h"
#include "core/domain/calendar.h"
#include "core/domain/redraw.h"
#include "core/domain/reference_data.h"
#include "core/log/directory.h"
#include "node/api/responses.h"
#include "node/local_api.h"

namespace hoso::node {

using api::Error;
using api::FromStatus;
using api::Invalid;
using api::Json;
using api::kMaxLimit;
using api::kMaxShortText;
using api::kMaxText;
using api::kViTime;
using api::Missing;
using api::NumberParam;
using api::ParseBody;
using api::TextField;

namespace {

// The documented account reference data (directory, catalogue, calendar) may be written as.
constexpr std::string_view kSystemOfficer = "system";

// Large reference loads (a catalogue of thousands of procedures) in commits of at most
// kMaxAppendWrites; each commit is atomic and a failed one stops the load there.
Status AppendInChunks(Store& store, std::vector<LocalWrite> writes) {
  for (size_t i = 0; i < writes.size(); i += kMaxAppendWrites) {
    size_t end = std::min(writes.size(), i + kMaxAppendWrites);
    std::vector<LocalWrite> chunk(std::make_move_iterator(writes.begin() + i),
                                  std::make_move_iterator(writes.begin() + end));
    HOSO_RETURN_IF_ERROR(store.Append(std::move(chunk)).status());
  }
  return Status::Ok();
}

}  // namespace

std::shared_ptr<const ReferenceData> LocalApi::Reference() const {
  // Reloaded when the reference channels moved (their heads' seqs change).
  uint64_t version = 0;
  for (const auto& [stream, head] : store_->Vector(
           [](const std::string& c) { return c == kCatalogueChannel || c == kCalendarChannel; })) {
    version = version * 1000003 + head.seq + 1;
  }
  std::lock_guard lock(reference_mu_);
  if (!reference_ || version != reference_version_) {
    auto loaded = LoadReferenceData(*store_);
    reference_ = std::make_shared<const ReferenceData>(loaded.ok() ? std::move(loaded).value()
                                                                   : ReferenceData{});
    reference_version_ = version;
  }
  return reference_;
}

std::optional<HttpResponse> LocalApi::ReferenceOfficer(const std::string& officer) const {
  if (officer == kSystemOfficer) return std::nullopt;
  auto officers = Officers();
  for (const auto& o : officers->officers()) {
    if (o.login == officer && o.role == Role::kHead) return std::nullopt;
  }
  return Error(403, "forbidden", "officer",
               "reference data is written by \"system\" or an officer of this node with role "
               "head; " +
                   officer + " is neither",
               "Dữ liệu dùng chung chỉ được ghi bởi \"system\" hoặc lãnh đạo của đơn vị.");
}

std::optional<HttpResponse> LocalApi::RootOnly(const char* what) const {
  // The root authority as it stands now: after the province's succession (89 -> 91), 91.
  const auto& o = store_->options();
  auto dir = store_->DirectorySnapshot();
  std::string root = dir->RootAt(clock_->NowMs());
  if (o.identity && dir->IsRootAuthority(o.identity->unit, clock_->NowMs())) return std::nullopt;
  return Error(403, "forbidden", "",
               std::string("only the root node (") + root + ") writes the " + what,
               "Chỉ máy chủ cấp tỉnh (" + root + ") được cập nhật dữ liệu này.");
}

HttpResponse LocalApi::Catalogue(Call& call) {
  auto ref = Reference();
  std::string q = call.query.count("q") ? call.query.at("q") : "";
  uint64_t limit = 50;
  if (auto e = NumberParam(call.query, "limit", 1, kMaxLimit, &limit)) return *e;
  json::array list;
  for (const Procedure* p : ref->Search(q, limit)) {
    json::array docs;
    for (const auto& d : p->documents) docs.push_back(json::value(d));
    list.push_back(json::object{{"code", p->code},
                                {"name", p->name},
                                {"agency", p->agency},
                                {"days", p->days},
                                {"working_days", p->working_days},
                                {"postal", p->postal},
                                {"fee", p->fee},
                                {"documents", std::move(docs)},
                                {"competent", p->competent.empty() ? "receiving" : p->competent},
                                {"source", p->source}});
  }
  return Json(200, json::object{{"total", ref->procedures.size()}, {"procedures", list}});
}

HttpResponse LocalApi::LoadCatalogue(Call& call) {
  if (auto e = RootOnly("catalogue")) return *e;
  auto officer = call.query.find("officer");
  if (officer == call.query.end() || officer->second.empty()) return Missing("officer");
  if (auto e = ReferenceOfficer(officer->second)) return *e;
  auto procedures = ParseCatalogueCsv(call.req.body);
  if (!procedures.ok()) return FromStatus(procedures.status(), "body");
  Status appended = AppendInChunks(*store_, CatalogueWrites(*procedures, officer->second));
  if (!appended.ok()) return FromStatus(appended, "body");
  return Json(201, json::object{{"procedures", procedures->size()}});
}

HttpResponse LocalApi::Calendar(Call& call) {
  auto ref = Reference();
  std::string unit = call.query.count("unit")     ? call.query.at("unit")
                     : store_->options().identity ? store_->options().identity->unit
                                                  : "";
  WorkingCalendar cal = ref->CalendarFor(unit);
  json::array sessions;
  for (const auto& s : cal.sessions()) {
    sessions.push_back(
        json::array{json::value(FormatClock(s.start_min)), json::value(FormatClock(s.end_min))});
  }
  json::array years;
  std::map<int, std::pair<CalendarYear, std::string>> all;
  for (const auto& y : BuiltInYears()) all[y.year] = {y, "built-in"};
  for (const auto& [year, y] : ref->years) all[year] = {y, "$calendar"};
  for (const auto& [year, entry] : all) {
    if (call.query.count("year") && call.query.at("year") != std::to_string(year)) continue;
    json::array holidays, working;
    for (const auto& h : entry.first.holidays) holidays.push_back(json::value(h));
    for (const auto& w : entry.first.working_days) working.push_back(json::value(w));
    years.push_back(json::object{{"year", year},
                                 {"source", entry.second},
                                 {"holidays", std::move(holidays)},
                                 {"working_days", std::move(working)}});
  }
  return Json(200, json::object{{"unit", unit},
                                {"sessions", std::move(sessions)},
                                {"working_day_hours", cal.WorkingDayMs() / 3600000.0},
                                {"years", std::move(years)}});
}

HttpResponse LocalApi::SetCalendar(Call& call) {
  if (auto e = RootOnly("calendar")) return *e;
  json::object in;
  if (auto e = ParseBody(
          call.req, {"officer", "year", "holidays", "working_days", "unit", "sessions"}, &in)) {
    return *e;
  }
  std::string officer;
  if (auto e = TextField(in, "officer", "officer", true, kMaxShortText, &officer)) return *e;
  if (auto e = ReferenceOfficer(officer)) return *e;
  auto dates = [&](const char* field,
                   std::vector<std::string>* out) -> std::optional<HttpResponse> {
    auto it = in.find(field);
    if (it == in.end()) return std::nullopt;
    if (!it->value().is_array())
      return Invalid(field, "must be a list of dates", "phải là danh sách ngày");
    for (const auto& d : it->value().as_array()) {
      if (!d.is_string())
        return Invalid(field, "must be a list of dates", "phải là danh sách ngày");
      out->emplace_back(d.as_string());
    }
    return std::nullopt;
  };
  LocalWrite write;
  if (in.contains("year")) {
    if (!in.at("year").is_int64() || in.at("year").as_int64() < 2000 ||
        in.at("year").as_int64() > 2100) {
      return Invalid("year", "must be a year from 2000 to 2100", "phải là năm từ 2000 đến 2100");
    }
    CalendarYear y;
    y.year = static_cast<int>(in.at("year").as_int64());
    if (auto e = dates("holidays", &y.holidays)) return *e;
    if (auto e = dates("working_days", &y.working_days)) return *e;
    WorkingCalendar check;
    if (Status s = check.SetYear(y); !s.ok()) return FromStatus(s, "holidays");
    write = CalendarYearWrite(y, officer);
  } else if (in.contains("unit")) {
    std::string unit;
    if (auto e = TextField(in, "unit", "unit", true, kMaxShortText, &unit)) return *e;
    auto it = in.find("sessions");
    if (it == in.end() || !it->value().is_array()) return Missing("sessions");
    std::vector<WorkSession> sessions;
    for (const auto& pair : it->value().as_array()) {
      if (!pair.is_array() || pair.as_array().size() != 2 || !pair.as_array()[0].is_string() ||
          !pair.as_array()[1].is_string()) {
        return Invalid("sessions", "each session is [\"HH:MM\", \"HH:MM\"]",
                       "mỗi buổi làm việc có dạng [\"HH:MM\", \"HH:MM\"]");
      }
      auto a = ParseClock(std::string(pair.as_array()[0].as_string()));
      auto b = ParseClock(std::string(pair.as_array()[1].as_string()));
      if (!a.ok() || !b.ok())
        return Invalid("sessions", "a time is not HH:MM", "giờ phải có dạng HH:MM");
      sessions.push_back({*a, *b});
    }
    WorkingCalendar check;
    if (Status s = check.SetSessions(sessions); !s.ok()) return FromStatus(s, "sessions");
    write = CalendarHoursWrite(unit, sessions, officer);
  } else {
    return Invalid("year", "give a year (holidays) or a unit (sessions)",
                   "cần năm (ngày nghỉ) hoặc đơn vị (giờ làm việc)");
  }
  auto appended = store_->Append(write);
  if (!appended.ok()) return FromStatus(appended.status());
  return Json(201, json::object{{"key", write.case_code}});
}

HttpResponse LocalApi::Directory(Call&) {
  auto dir = store_->DirectorySnapshot();
  int64_t now = clock_->NowMs();
  json::array units;
  for (const auto& code : dir->Units()) {
    auto u = dir->UnitAt(code, now);
    if (!u) continue;
    units.push_back(json::object{
        {"code", u->code}, {"parent", u->parent}, {"name", u->name}, {"type", u->type}});
  }
  return Json(200, json::object{{"root", dir->RootAt(now)}, {"units", std::move(units)}});
}

HttpResponse LocalApi::LoadDirectory(Call& call) {
  if (auto e = RootOnly("directory")) return *e;
  auto officer = call.query.find("officer");
  if (officer == call.query.end() || officer->second.empty()) return Missing("officer");
  if (auto e = ReferenceOfficer(officer->second)) return *e;
  // The first load describes the tree as it has always been; a later one is a re-draw from
  // now on, unless valid_from says otherwise. Two loads at once must not both be the first.
  std::lock_guard lock(reference_writes_mu_);
  int64_t valid_from = store_->DirectorySnapshot()->size() == 0 ? 0 : clock_->NowMs();
  if (auto it = call.query.find("valid_from"); it != call.query.end()) {
    auto t = ParseTime(it->second);
    if (!t.ok()) return Invalid("valid_from", t.status().message(), kViTime);
    valid_from = *t;
  }
  auto units = ParseUnitsCsv(call.req.body);
  if (!units.ok()) return FromStatus(units.status(), "body");
  if (units->empty())
    return Invalid("body", "the CSV lists no units", "tệp CSV không có đơn vị nào");
  auto writes = DirectoryWrites(*units, valid_from, officer->second);
  size_t events = writes.size();
  Status appended = AppendInChunks(*store_, std::move(writes));
  if (!appended.ok()) return FromStatus(appended, "body");
  return Json(201, json::object{{"units", units->size()},
                                {"events", events},
                                {"valid_from", FormatTime(valid_from)}});
}

namespace {

json::array Pairs(const std::vector<std::pair<std::string, std::string>>& pairs) {
  json::array out;
  for (const auto& [from, to] : pairs) out.push_back(json::object{{"unit", from}, {"into", to}});
  return out;
}

json::value PlanJson(const RedrawPlan& plan, int64_t at_ms, bool written) {
  json::array split;
  for (const auto& shares : plan.split) {
    split.push_back(json::array(shares.begin(), shares.end()));
  }
  json::array left;
  for (const auto& [from, to] : plan.left) {
    auto at = to.find('@');
    left.push_back(
        json::object{{"unit", from}, {"to", to.substr(0, at)}, {"province", to.substr(at + 1)}});
  }
  return json::object{{"written", written},
                      {"at", FormatTime(at_ms)},
                      {"old_root", plan.old_root},
                      {"new_root", plan.new_root},
                      {"events", plan.writes.size()},
                      {"set", json::array(plan.set.begin(), plan.set.end())},
                      {"merged", Pairs(plan.merged)},
                      {"dissolved", Pairs(plan.dissolved)},
                      {"left", std::move(left)},
                      {"split", std::move(split)},
                      {"rows_not_held", plan.rows_not_held}};
}

}  // namespace

HttpResponse LocalApi::Redraw(Call& call) {
  if (auto e = RootOnly("directory")) return *e;
  auto officer = call.query.find("officer");
  if (officer == call.query.end() || officer->second.empty()) return Missing("officer");
  if (auto e = ReferenceOfficer(officer->second)) return *e;
  auto at_text = call.query.find("at");
  if (at_text == call.query.end() || at_text->second.empty()) return Missing("at");
  auto at = ParseTime(at_text->second);
  if (!at.ok()) return Invalid("at", at.status().message(), kViTime);
  bool dry_run = call.query.count("dry_run") && call.query.at("dry_run") != "0";
  // Events written under the old tree after `at` would be judged against the new one and
  // refused: a re-draw takes effect from now on, announced ahead so offline offices learn it.
  if (*at <= clock_->NowMs()) {
    return Invalid("at",
                   "the re-draw must take effect after now (" + FormatTime(clock_->NowMs()) +
                       "): events written since under the old tree must stay valid",
                   "Thời điểm áp dụng phải sau thời điểm hiện tại.");
  }
  auto rows = ParseRedrawCsv(call.req.body);
  if (!rows.ok()) return FromStatus(rows.status(), "body");
  std::lock_guard lock(reference_writes_mu_);
  auto dir = store_->DirectorySnapshot();
  if (dir->NextChangeAfter(clock_->NowMs())) {
    return Error(409, "conflict", "at",
                 "a change of the directory is already scheduled: it must take effect first",
                 "Đã có một thay đổi danh mục đơn vị đang chờ áp dụng.");
  }
  auto plan = PlanRedraw(*rows, *dir, *at, officer->second);
  if (!plan.ok()) return FromStatus(plan.status(), "body");
  if (dry_run) return Json(200, PlanJson(*plan, *at, false));
  // One commit: a re-draw half written would be planned differently the second time.
  auto appended = store_->Append(plan->writes);
  if (!appended.ok()) return FromStatus(appended.status(), "body");
  return Json(201, PlanJson(*plan, *at, true));
}

HttpResponse LocalApi::Revocations(Call&) {
  json::array list;
  for (const auto& [key, r] : store_->RevocationsSnapshot()->all()) {
    json::object o{{"unit", r.unit},
                   {"epoch", r.epoch},
                   {"revoked_at", FormatTime(r.revoked_at_ms)},
                   {"reason", r.reason}};
    if (r.learned_ms) o["learned_at"] = FormatTime(r.learned_ms);
    list.push_back(std::move(o));
  }
  return Json(200, json::object{{"revocations", std::move(list)}});
}

HttpResponse LocalApi::Revoke(Call& call) {
  if (auto e = RootOnly("revocations")) return *e;
  json::object in;
  if (auto e = ParseBody(call.req, {"officer", "unit", "epoch", "reason"}, &in)) return *e;
  std::string officer, unit, reason;
  if (auto e = TextField(in, "officer", "officer", true, kMaxShortText, &officer)) return *e;
  if (auto e = ReferenceOfficer(officer)) return *e;
  if (auto e = TextField(in, "unit", "unit", true, kMaxShortText, &unit)) return *e;
  if (auto e = TextField(in, "reason", "reason", true, kMaxText, &reason)) return *e;
  auto epoch = in.find("epoch");
  if (epoch == in.end() || !epoch->value().is_int64() || epoch->value().get_int64() < 1) {
    return Invalid("epoch", "must be a whole number, 1 or more", "phải là số nguyên từ 1 trở lên");
  }
  const auto e = static_cast<uint64_t>(epoch->value().get_int64());
  // From the check to the commit: of two revocations of one origin at once, the second
  // answers 409 (the earliest stands) instead of writing another and answering 201 with a
  // time and reason that do not count.
  std::lock_guard lock(reference_writes_mu_);
  if (store_->RevocationsSnapshot()->Find(unit, e)) {
    return Error(409, "exists", "unit", "origin " + RevocationKey(unit, e) + " is already revoked",
                 "Đơn vị " + unit + " (lần cài đặt " + std::to_string(e) + ") đã bị thu hồi.");
  }
  const int64_t now = clock_->NowMs();
  auto appended = store_->Append(LocalWrite{std::string(kRevocationsChannel),
                                            RevocationKey(unit, e), std::string(kRevokeType),
                                            RevocationBody(unit, e, now, reason), officer});
  if (!appended.ok()) return FromStatus(appended.status());
  return Json(
      201, json::object{
               {"unit", unit}, {"epoch", e}, {"revoked_at", FormatTime(now)}, {"reason", reason}});
}
}  // namespace hoso::node
