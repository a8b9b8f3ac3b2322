#include "core/domain/reference_data.h"

#include <algorithm>
#include <charconv>
#include <tuple>

#include "core/base/text.h"

namespace hoso {
namespace {

using cbor::Value;

const Value* Get(const Value& body, std::string_view key, Value::Kind kind) {
  const Value* v = body.Find(key);
  return v && v->kind() == kind ? v : nullptr;
}

std::vector<std::string> TextList(const Value* v) {
  std::vector<std::string> out;
  if (!v) return out;
  for (const auto& item : v->items()) {
    if (item.is_text()) out.push_back(item.str());
  }
  return out;
}

Value TextArray(const std::vector<std::string>& items) {
  Value a = Value::Array();
  for (const auto& i : items) a.Append(Value::Text(i));
  return a;
}

Result<Procedure> ProcedureFrom(const Event& e) {
  const Value& b = e.body;
  const Value* name = Get(b, "name", Value::Kind::kText);
  const Value* days = Get(b, "days", Value::Kind::kUint);
  const Value* working = Get(b, "working_days", Value::Kind::kBool);
  const Value* postal = Get(b, "postal", Value::Kind::kBool);
  if (!name || !days || !working || !postal || days->uint() > 3650) {
    return Status::InvalidArgument("malformed procedure " + e.case_code);
  }
  Procedure p;
  p.code = e.case_code;
  p.name = name->str();
  if (const Value* a = Get(b, "agency", Value::Kind::kText)) p.agency = a->str();
  p.days = static_cast<int>(days->uint());
  p.working_days = working->boolean();
  p.postal = postal->boolean();
  if (const Value* f = Get(b, "fee", Value::Kind::kUint)) p.fee = f->uint();
  p.documents = TextList(Get(b, "documents", Value::Kind::kArray));
  if (const Value* c = Get(b, "competent", Value::Kind::kText)) p.competent = c->str();
  if (const Value* r = Get(b, "retention_years", Value::Kind::kUint); r && r->uint() <= 100) {
    p.retention_years = static_cast<int>(r->uint());
  }
  if (const Value* s = Get(b, "source", Value::Kind::kText)) p.source = s->str();
  return p;
}

Result<std::vector<WorkSession>> SessionsFrom(const Value& body) {
  const Value* list = Get(body, "sessions", Value::Kind::kArray);
  if (!list) return Status::InvalidArgument("no sessions");
  std::vector<WorkSession> out;
  for (const auto& s : list->items()) {
    if (!s.is_array() || s.size() != 2 || !s.items()[0].is_text() || !s.items()[1].is_text()) {
      return Status::InvalidArgument("a session is [\"HH:MM\", \"HH:MM\"]");
    }
    HOSO_ASSIGN_OR_RETURN(int a, ParseClock(s.items()[0].str()));
    HOSO_ASSIGN_OR_RETURN(int b, ParseClock(s.items()[1].str()));
    out.push_back({a, b});
  }
  WorkingCalendar check;
  HOSO_RETURN_IF_ERROR(check.SetSessions(out));
  return out;
}

// The latest event per key of a system channel, in event order.
Result<std::map<std::string, Event>> Latest(const Store& store, std::string_view channel) {
  std::map<std::string, Event> latest;
  for (const auto& [stream, head] :
       store.Vector([&](const std::string& c) { return c == channel; })) {
    HOSO_ASSIGN_OR_RETURN(auto reader, store.ReadStream(stream, 1));
    for (; reader->Valid(); reader->Next()) {
      HOSO_ASSIGN_OR_RETURN(Event e, DecodeEvent(reader->bytes()));
      auto [it, fresh] = latest.try_emplace(e.case_code, e);
      auto order = [](const Event& x) {
        return std::tie(x.hlc, x.stream.origin, x.stream.epoch, x.seq);
      };
      if (!fresh && order(it->second) < order(e)) it->second = std::move(e);
    }
    HOSO_RETURN_IF_ERROR(reader->status());
  }
  return latest;
}

Result<Procedure> ProcedureFromCsv(const std::vector<std::string>& f, size_t columns,
                                   const std::string& where) {
  if (f.size() != columns) {
    return Status::InvalidArgument(where + ": expected " + std::to_string(columns) +
                                   " fields, found " + std::to_string(f.size()));
  }
  Procedure p;
  p.code = f[0];
  HOSO_RETURN_IF_ERROR(ValidateName("procedure code", p.code).Annotate(where));
  p.name = f[1];
  p.agency = f[2];
  if (p.name.empty() || !cbor::IsValidUtf8(p.name) || !cbor::IsValidUtf8(p.agency)) {
    return Status::InvalidArgument(where + ": the name is empty or not UTF-8");
  }
  auto [ptr, ec] = std::from_chars(f[3].data(), f[3].data() + f[3].size(), p.days);
  if (ec != std::errc() || ptr != f[3].data() + f[3].size() || p.days < 0 || p.days > 3650) {
    return Status::InvalidArgument(where + ": days must be a number from 0 to 3650");
  }
  if (f[4] != "working" && f[4] != "calendar") {
    return Status::InvalidArgument(where + ": day_kind must be working or calendar");
  }
  p.working_days = f[4] == "working";
  if (f[5] != "yes" && f[5] != "no") {
    return Status::InvalidArgument(where + ": postal must be yes or no");
  }
  p.postal = f[5] == "yes";
  auto [fp, fec] = std::from_chars(f[6].data(), f[6].data() + f[6].size(), p.fee);
  if (fec != std::errc() || fp != f[6].data() + f[6].size()) {
    return Status::InvalidArgument(where + ": fee must be a whole number of đồng");
  }
  std::string_view docs = f[7];
  while (!docs.empty()) {
    size_t semi = docs.find(';');
    std::string_view d = docs.substr(0, semi);
    docs = semi == std::string_view::npos ? std::string_view() : docs.substr(semi + 1);
    if (!d.empty()) p.documents.emplace_back(d);
  }
  if (columns > 8 && f[8] != "receiving") p.competent = f[8];
  if (!p.competent.empty() && p.competent != "residence" &&
      !ValidateName("competent", p.competent).ok()) {
    return Status::InvalidArgument(where +
                                   ": competent must be receiving, residence or a unit code");
  }
  if (columns > 9 && !f[9].empty()) {
    auto [rp, rec] = std::from_chars(f[9].data(), f[9].data() + f[9].size(), p.retention_years);
    if (rec != std::errc() || rp != f[9].data() + f[9].size() || p.retention_years < 0 ||
        p.retention_years > 100) {
      return Status::InvalidArgument(where + ": retention_years must be a number from 0 to 100");
    }
  }
  if (columns > 10) p.source = f[10];
  if (!cbor::IsValidUtf8(p.source)) {
    return Status::InvalidArgument(where + ": the source is not UTF-8");
  }
  return p;
}

}  // namespace

Result<std::vector<Procedure>> ParseCatalogueCsv(std::string_view text) {
  std::vector<Procedure> out;
  size_t columns = 8;
  HOSO_RETURN_IF_ERROR(ForEachCsvLine(text, [&](size_t line_no, const auto& f) {
    std::string where = "catalogue CSV line " + std::to_string(line_no);
    if (line_no == 1) {
      static const char* const kOptional[] = {"competent", "retention_years", "source"};
      bool known = f.size() >= 8 && f.size() <= 8 + std::size(kOptional) && f[0] == "code";
      for (size_t i = 8; known && i < f.size(); ++i) known = f[i] == kOptional[i - 8];
      if (!known) {
        return Status::InvalidArgument(where +
                                       ": expected header code,name,agency,days,day_kind,postal,"
                                       "fee,documents[,competent[,retention_years[,source]]]");
      }
      columns = f.size();
      return Status::Ok();
    }
    HOSO_ASSIGN_OR_RETURN(Procedure p, ProcedureFromCsv(f, columns, where));
    out.push_back(std::move(p));
    return Status::Ok();
  }));
  if (out.empty()) return Status::InvalidArgument("the catalogue CSV lists no procedures");
  return out;
}

std::string CatalogueCsv(const std::vector<Procedure>& procedures) {
  // The 9th column only when some procedure needs it: older nodes read 8-column files.
  bool source = std::any_of(procedures.begin(), procedures.end(),
                            [](const Procedure& p) { return !p.source.empty(); });
  bool retention = source || std::any_of(procedures.begin(), procedures.end(),
                                         [](const Procedure& p) { return p.retention_years > 0; });
  bool competent =
      retention || std::any_of(procedures.begin(), procedures.end(),
                               [](const Procedure& p) { return !p.competent.empty(); });
  std::string out = "code,name,agency,days,day_kind,postal,fee,documents";
  out += competent ? ",competent" : "";
  out += retention ? ",retention_years" : "";
  out += source ? ",source\n" : "\n";
  for (const auto& p : procedures) {
    std::string docs;
    for (const auto& d : p.documents) docs += (docs.empty() ? "" : ";") + d;
    out += CsvField(p.code) + "," + CsvField(p.name) + "," + CsvField(p.agency) + "," +
           std::to_string(p.days) + "," + (p.working_days ? "working" : "calendar") + "," +
           (p.postal ? "yes" : "no") + "," + std::to_string(p.fee) + "," + CsvField(docs);
    if (competent) out += "," + CsvField(p.competent.empty() ? "receiving" : p.competent);
    if (retention) out += "," + std::to_string(p.retention_years);
    if (source) out += "," + CsvField(p.source);
    out += "\n";
  }
  return out;
}

std::vector<LocalWrite> CatalogueWrites(const std::vector<Procedure>& procedures,
                                        const std::string& officer) {
  std::vector<LocalWrite> out;
  for (const auto& p : procedures) {
    Value body = Value::Map();
    body.Set("name", Value::Text(p.name));
    body.Set("agency", Value::Text(p.agency));
    body.Set("days", Value::Uint(static_cast<uint64_t>(p.days)));
    body.Set("working_days", Value::Bool(p.working_days));
    body.Set("postal", Value::Bool(p.postal));
    body.Set("fee", Value::Uint(p.fee));
    body.Set("documents", TextArray(p.documents));
    if (!p.competent.empty()) body.Set("competent", Value::Text(p.competent));
    if (p.retention_years > 0) {
      body.Set("retention_years", Value::Uint(static_cast<uint64_t>(p.retention_years)));
    }
    if (!p.source.empty()) body.Set("source", Value::Text(p.source));
    out.push_back(
        {std::string(kCatalogueChannel), p.code, "procedure.set", std::move(body), officer});
  }
  return out;
}

LocalWrite CalendarYearWrite(const CalendarYear& year, const std::string& officer) {
  Value body = Value::Map();
  body.Set("year", Value::Uint(static_cast<uint64_t>(year.year)));
  body.Set("holidays", TextArray(year.holidays));
  body.Set("working_days", TextArray(year.working_days));
  return {std::string(kCalendarChannel), "year/" + std::to_string(year.year), "calendar.year",
          std::move(body), officer};
}

LocalWrite CalendarHoursWrite(const std::string& unit, const std::vector<WorkSession>& sessions,
                              const std::string& officer) {
  Value list = Value::Array();
  for (const auto& s : sessions) {
    Value pair = Value::Array();
    pair.Append(Value::Text(FormatClock(s.start_min)));
    pair.Append(Value::Text(FormatClock(s.end_min)));
    list.Append(std::move(pair));
  }
  Value body = Value::Map();
  body.Set("sessions", std::move(list));
  return {std::string(kCalendarChannel), "hours/" + unit, "calendar.hours", std::move(body),
          officer};
}

const Procedure* ReferenceData::FindProcedure(std::string_view code) const {
  auto it = procedures.find(std::string(code));
  return it == procedures.end() ? nullptr : &it->second;
}

std::vector<const Procedure*> ReferenceData::Search(std::string_view query, size_t limit) const {
  std::string folded = FoldForSearch(query);
  std::vector<std::string_view> words;
  for (size_t at = 0; at < folded.size();) {
    size_t end = std::min(folded.find(' ', at), folded.size());
    if (end > at) words.push_back(std::string_view(folded).substr(at, end - at));
    at = end + 1;
  }
  // The code's start or the words as typed first, then names holding every word in any order
  // ("dang ky khai sinh" also finds "Đăng ký lại khai sinh").
  std::vector<const Procedure*> out, every_word;
  for (const auto& [code, p] : procedures) {
    if (out.size() >= limit) break;
    std::string name = FoldForSearch(p.name);
    if (code.rfind(query, 0) == 0 || name.find(folded) != std::string::npos) {
      out.push_back(&p);
    } else if (words.size() > 1 && std::all_of(words.begin(), words.end(), [&](std::string_view w) {
                 return name.find(w) != std::string::npos;
               })) {
      every_word.push_back(&p);
    }
  }
  for (const Procedure* p : every_word) {
    if (out.size() >= limit) break;
    out.push_back(p);
  }
  return out;
}

WorkingCalendar ReferenceData::CalendarFor(const std::string& unit) const {
  WorkingCalendar c;
  for (const auto& y : BuiltInYears()) {
    if (!years.count(y.year)) (void)c.SetYear(y);
  }
  for (const auto& [year, table] : years) (void)c.SetYear(table);
  auto it = sessions.find(unit);
  if (it != sessions.end()) (void)c.SetSessions(it->second);
  return c;
}

std::vector<std::string> ReferenceWarnings(const ReferenceData& ref, int64_t now_ms,
                                           int warn_days) {
  std::vector<std::string> warnings;
  if (ref.procedures.empty()) {
    warnings.push_back(
        "no catalogue is loaded: any procedure code is accepted and no due date is computed "
        "(hoso catalogue load, at the province)");
  }
  auto defined = [&](int year) {
    if (ref.years.count(year)) return true;
    for (const auto& y : BuiltInYears()) {
      if (y.year == year) return true;
    }
    return false;
  };
  int64_t y = 0;
  unsigned m = 0, d = 0;
  const int64_t today = WorkingCalendar::LocalDay(now_ms);
  CivilFromDays(today, &y, &m, &d);
  const int year = static_cast<int>(y);
  const int64_t days_left = DaysFromCivil(y + 1, 1, 1) - today;
  auto missing = [&](int which, const std::string& when) {
    warnings.push_back("the calendar has no holidays for " + std::to_string(which) + " (" + when +
                       "): due dates there count only weekends as days off " +
                       "(hoso calendar set --year " + std::to_string(which) + ", at the province)");
  };
  if (!defined(year)) missing(year, "this year");
  if (days_left <= warn_days && !defined(year + 1)) {
    missing(year + 1, "starts in " + std::to_string(days_left) + " days");
  }
  return warnings;
}

Result<ReferenceData> LoadReferenceData(const Store& store) {
  ReferenceData out;
  HOSO_ASSIGN_OR_RETURN(auto catalogue, Latest(store, kCatalogueChannel));
  for (const auto& [code, e] : catalogue) {
    auto p = ProcedureFrom(e);
    if (p.ok()) {
      out.procedures[code] = std::move(p).value();
    } else {
      ++out.skipped;
    }
  }
  HOSO_ASSIGN_OR_RETURN(auto calendar, Latest(store, kCalendarChannel));
  for (const auto& [key, e] : calendar) {
    if (e.type == "calendar.year") {
      const Value* year = Get(e.body, "year", Value::Kind::kUint);
      CalendarYear y;
      if (year) {
        y.year = static_cast<int>(year->uint());
        y.holidays = TextList(Get(e.body, "holidays", Value::Kind::kArray));
        y.working_days = TextList(Get(e.body, "working_days", Value::Kind::kArray));
      }
      WorkingCalendar check;
      if (year && check.SetYear(y).ok()) {
        out.years[y.year] = std::move(y);
      } else {
        ++out.skipped;
      }
    } else if (e.type == "calendar.hours" && key.rfind("hours/", 0) == 0) {
      auto sessions = SessionsFrom(e.body);
      if (sessions.ok()) {
        out.sessions[key.substr(6)] = std::move(sessions).value();
      } else {
        ++out.skipped;
      }
    } else {
      ++out.skipped;
    }
  }
  return out;
}

}  // namespace hoso
