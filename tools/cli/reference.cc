// The data the root writes and every node receives by sync: the catalogue of procedures, the
// working calendar, the directory of units and the revocations of nodes.
#include <charconv>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/base/text.h"
#include "node/daemon.h"
#include "tools/api_client.h"
#include "tools/catalogue_gen.h"
#include "tools/cli/commands.h"
#include "tools/cli/node_api.h"
#include "tools/cli/output.h"
#include "tools/provision.h"

namespace hoso::cli {

namespace json = boost::json;

namespace {

// One procedure found, as a row of the table.
Status PrintProcedure(const Answer& p) {
  HOSO_ASSIGN_OR_RETURN(const json::object* op, p.Object());
  HOSO_ASSIGN_OR_RETURN(bool working_days, p.Bool("working_days"));
  HOSO_ASSIGN_OR_RETURN(bool postal, p.Bool("postal"));
  const json::object& o = *op;
  std::string days = Str(o, "days");
  std::string limit = days == "0" && working_days ? "trong ngày"
                      : working_days              ? days + " ngày LV"
                                                  : days + " ngày";
  std::printf("%-12s %s %s %-11s %s\n", Str(o, "code").c_str(), PadUtf8(Str(o, "name"), 60).c_str(),
              PadUtf8(limit, 13).c_str(), postal ? "qua BĐ" : "tại quầy", Str(o, "agency").c_str());
  return Status::Ok();
}

// " D D D" for an array of days.
Result<std::string> Days(const std::vector<Answer>& days) {
  std::string out;
  for (const Answer& d : days) {
    HOSO_ASSIGN_OR_RETURN(std::string day, d.Text());
    out += " " + day;
  }
  return out;
}

// The working hours and each year's holidays, for people.
Status PrintCalendar(const Answer& answer) {
  HOSO_ASSIGN_OR_RETURN(std::vector<Answer> session_list, answer.Elements("sessions"));
  HOSO_ASSIGN_OR_RETURN(std::vector<Answer> years, answer.Elements("years"));
  std::string sessions;
  for (const Answer& s : session_list) {
    HOSO_ASSIGN_OR_RETURN(std::vector<Answer> span, s.Elements());
    if (span.size() != 2) {
      return Status::InvalidArgument("the node's answer has " + s.path() + " of " +
                                     std::to_string(span.size()) +
                                     " elements, not a start and an end");
    }
    HOSO_ASSIGN_OR_RETURN(std::string start, span[0].Text());
    HOSO_ASSIGN_OR_RETURN(std::string end, span[1].Text());
    sessions += start + "-" + end + " ";
  }
  std::printf("Giờ làm việc (%s): %s\n", answer.Str("unit").c_str(), sessions.c_str());
  for (const Answer& y : years) {
    HOSO_ASSIGN_OR_RETURN(std::vector<Answer> holidays, y.Elements("holidays"));
    HOSO_ASSIGN_OR_RETURN(std::vector<Answer> working, y.Elements("working_days"));
    HOSO_ASSIGN_OR_RETURN(std::string holiday_list, Days(holidays));
    HOSO_ASSIGN_OR_RETURN(std::string working_list, Days(working));
    std::printf("Năm %s (%s): nghỉ", y.Str("year").c_str(), y.Str("source").c_str());
    std::printf("%s", holiday_list.c_str());
    if (!working.empty()) std::printf("; làm bù%s", working_list.c_str());
    std::printf("\n");
  }
  return Status::Ok();
}

}  // namespace

int CatalogueGenerateCmd(const Args& a) {
  bool ok_count, ok_seed;
  uint64_t count = ParseNumber(a.Get("count", "1000"), &ok_count);
  uint64_t seed = ParseNumber(a.Get("seed", "1"), &ok_seed);
  if (!ok_count || count == 0 || count > 100000) return Fail(kUsage, "--count must be 1 to 100000");
  if (!ok_seed) return Fail(kUsage, "--seed must be a number");
  auto procedures = GenerateCatalogue(seed, count);
  if (Status s = tools::WriteFileAtomic(a.Get("out"), CatalogueCsv(procedures)); !s.ok()) {
    return FromStatus(s);
  }
  size_t postal = 0;
  for (const auto& p : procedures) postal += p.postal;
  if (a.json) {
    PrintJson(json::object{{"out", a.Get("out")}, {"procedures", count}, {"postal", postal}});
  } else {
    std::printf("%llu procedures (%zu postal-eligible) written to %s\n",
                static_cast<unsigned long long>(count), postal, a.Get("out").c_str());
  }
  return kOk;
}

int CatalogueLoadCmd(const Args& a) {
  auto csv = node::ReadTextFile(a.positional[0], "catalogue CSV");
  if (!csv.ok()) return FromStatus(csv.status());
  json::value out;
  std::string target = "/v1/catalogue?officer=" + tools::UrlEncode(a.Get("officer"));
  if (int rc = CallNode(a, "POST", target, *csv, &out, "text/csv"); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
  } else {
    std::printf("catalogue loaded: %s procedures; every node receives it by sync\n",
                Answer(out).Str("procedures").c_str());
  }
  return kOk;
}

int CatalogueSearchCmd(const Args& a) {
  json::value out;
  std::string target =
      "/v1/catalogue?q=" + tools::UrlEncode(a.positional.empty() ? "" : a.positional[0]) +
      "&limit=" + tools::UrlEncode(a.Get("limit", "20"));
  if (int rc = CallNode(a, "GET", target, "", &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  Answer answer(out);
  auto procedures = answer.Elements("procedures");
  if (!procedures.ok()) return BadAnswer(procedures.status());
  for (const Answer& p : *procedures) {
    if (Status s = PrintProcedure(p); !s.ok()) return BadAnswer(s);
  }
  std::printf("%zu / %s thủ tục\n", procedures->size(), answer.Str("total").c_str());
  return kOk;
}

int CalendarSetCmd(const Args& a) {
  json::object req{{"officer", a.Get("officer")}};
  if (a.Has("year") == a.Has("unit")) {
    return Fail(
        kUsage,
        "give --year Y --holidays ... or --unit U --sessions ... (hoso calendar set --help)");
  }
  if (a.Has("year")) {
    bool ok;
    uint64_t year = ParseNumber(a.Get("year"), &ok);
    if (!ok) return Fail(kUsage, "--year must be a number");
    req["year"] = year;
    json::array holidays, working;
    // SplitList's views point into its argument, which must outlive the loop.
    const std::string holiday_list = a.Get("holidays"), working_list = a.Get("working-days");
    for (const auto& d : SplitList(holiday_list)) holidays.push_back(json::value(d));
    for (const auto& d : SplitList(working_list)) working.push_back(json::value(d));
    req["holidays"] = std::move(holidays);
    req["working_days"] = std::move(working);
  } else {
    req["unit"] = a.Get("unit");
    json::array sessions;
    const std::string session_list = a.Get("sessions");
    for (const auto& s : SplitList(session_list)) {
      size_t dash = s.find('-');
      if (dash == std::string::npos)
        return Fail(kUsage, "--sessions is like 07:00-11:30,13:30-17:00");
      sessions.push_back(
          json::array{json::value(s.substr(0, dash)), json::value(s.substr(dash + 1))});
    }
    req["sessions"] = std::move(sessions);
  }
  json::value out;
  if (int rc = CallNode(a, "POST", "/v1/calendar", json::serialize(req), &out); rc != kOk)
    return rc;
  if (a.json) {
    PrintJson(out);
  } else {
    std::printf("calendar %s written; every node receives it by sync\n",
                Answer(out).Str("key").c_str());
  }
  return kOk;
}

int CalendarShowCmd(const Args& a) {
  std::string target = "/v1/calendar";
  if (a.Has("year")) target += "?year=" + tools::UrlEncode(a.Get("year"));
  json::value out;
  if (int rc = CallNode(a, "GET", target, "", &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  if (Status s = PrintCalendar(Answer(out)); !s.ok()) return BadAnswer(s);
  return kOk;
}

int DirectoryLoadCmd(const Args& a) {
  auto csv = node::ReadTextFile(a.positional[0], "units CSV");
  if (!csv.ok()) return FromStatus(csv.status());
  std::string target = "/v1/directory?officer=" + tools::UrlEncode(a.Get("officer"));
  if (a.Has("valid-from")) target += "&valid_from=" + tools::UrlEncode(a.Get("valid-from"));
  json::value out;
  if (int rc = CallNode(a, "POST", target, *csv, &out, "text/csv"); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
  } else {
    Answer answer(out);
    auto valid_from = answer.Field("valid_from");
    if (!valid_from.ok()) return BadAnswer(valid_from.status());
    std::printf("directory loaded: %s units, valid from %s\n", answer.Str("units").c_str(),
                Local(valid_from->value()).c_str());
  }
  return kOk;
}

int DirectoryRedrawCmd(const Args& a) {
  auto csv = node::ReadTextFile(a.positional[0], "re-draw CSV");
  if (!csv.ok()) return FromStatus(csv.status());
  std::string target = "/v1/directory/redraw?officer=" + tools::UrlEncode(a.Get("officer")) +
                       "&at=" + tools::UrlEncode(a.Get("at"));
  if (a.Has("dry-run")) target += "&dry_run=1";
  json::value out;
  if (int rc = CallNode(a, "POST", target, *csv, &out, "text/csv"); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  Answer answer(out);
  auto at = answer.Field("at");
  if (!at.ok()) return BadAnswer(at.status());
  auto count = [&](const char* key) {
    auto list = answer.Elements(key);
    return list.ok() ? list->size() : 0;
  };
  std::printf("%s from %s: province %s -> %s, %s events\n",
              a.Has("dry-run") ? "re-draw planned (nothing written)" : "re-draw written",
              Local(at->value()).c_str(), answer.Str("old_root").c_str(),
              answer.Str("new_root").c_str(), answer.Str("events").c_str());
  std::printf("  %zu units set, %zu merged into a successor, %zu dissolved into the province\n",
              count("set"), count("merged"), count("dissolved"));
  if (auto left = answer.Elements("left"); left.ok()) {
    for (const Answer& l : *left) {
      std::printf(
          "  %s leaves for %s (province %s): purged from every node then; before, "
          "export its cases for that province with `hoso export --scope %s`\n",
          l.Str("unit").c_str(), l.Str("to").c_str(), l.Str("province").c_str(),
          l.Str("unit").c_str());
    }
  }
  if (auto split = answer.Elements("split"); split.ok()) {
    for (const Answer& one : *split) {
      auto shares = one.Elements();
      if (!shares.ok()) return BadAnswer(shares.status());
      std::string line;
      for (const Answer& share : *shares) {
        auto code = share.Text();
        if (!code.ok()) return BadAnswer(code.status());
        line += (line.empty()                             ? ""
                 : line.find(" -> ") == std::string::npos ? " -> "
                                                          : ", ") +
                *code;
      }
      std::printf("  split: %s (the first successor holds the old channel)\n", line.c_str());
    }
  }
  if (std::string n = answer.Str("rows_not_held"); n != "0") {
    std::printf(
        "  %s rows name units this deployment never held: only their new units are "
        "made\n",
        n.c_str());
  }
  return kOk;
}

int RevokeCmd(const Args& a) {
  uint64_t epoch = 1;
  if (a.Has("epoch")) {
    auto [p, ec] = std::from_chars(a.Get("epoch").data(),
                                   a.Get("epoch").data() + a.Get("epoch").size(), epoch);
    if (ec != std::errc() || epoch == 0)
      return Fail(kUsage, "--epoch must be a whole number, 1 or more");
  }
  json::object req{{"officer", a.Get("officer")},
                   {"unit", a.Get("unit")},
                   {"epoch", epoch},
                   {"reason", a.Get("reason")}};
  json::value out;
  if (int rc = CallNode(a, "POST", "/v1/revocations", json::serialize(req), &out); rc != kOk) {
    return rc;
  }
  if (a.json) {
    PrintJson(out);
  } else {
    Answer answer(out);
    auto revoked_at = answer.Field("revoked_at");
    if (!revoked_at.ok()) return BadAnswer(revoked_at.status());
    std::printf(
        "origin %s#%s revoked from %s; every node refuses its new events and closes its "
        "sessions as soon as it receives this\n",
        answer.Str("unit").c_str(), answer.Str("epoch").c_str(),
        Local(revoked_at->value()).c_str());
  }
  return kOk;
}

int DirectoryShowCmd(const Args& a) {
  json::value out;
  if (int rc = CallNode(a, "GET", "/v1/directory", "", &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  auto units = Answer(out).Elements("units");
  if (!units.ok()) return BadAnswer(units.status());
  std::map<std::string, std::vector<const json::object*>> children;
  for (const Answer& u : *units) {
    auto o = u.Object();
    if (!o.ok()) return BadAnswer(o.status());
    children[Str(**o, "parent")].push_back(*o);
  }
  std::function<void(const std::string&, int)> print = [&](const std::string& parent, int depth) {
    for (const auto* u : children[parent]) {
      std::printf("%s%-6s %s\n", std::string(depth * 2, ' ').c_str(), Str(*u, "code").c_str(),
                  Str(*u, "name").c_str());
      print(Str(*u, "code"), depth + 1);
    }
  };
  print("", 0);
  if (children.empty()) std::printf("(the directory is empty)\n");
  return kOk;
}

}  // namespace hoso::cli
