// Cases at a node's office, through its local API: case new|step|show|list, and the periodic
// report over them.
#include <cstdio>
#include <string>
#include <vector>

#include "core/base/text.h"
#include "node/json.h"
#include "tools/api_client.h"
#include "tools/cli/commands.h"
#include "tools/cli/node_api.h"
#include "tools/cli/output.h"
#include "tools/provision.h"

namespace hoso::cli {

namespace json = boost::json;

namespace {

// A case as the API answers it (docs/api.md), for people.
Status PrintCase(const Answer& c) {
  HOSO_ASSIGN_OR_RETURN(const json::object* fields, c.Object("fields"));
  HOSO_ASSIGN_OR_RETURN(std::vector<Answer> conflicts, c.Elements("conflicts"));
  HOSO_ASSIGN_OR_RETURN(std::vector<Answer> history, c.Elements("history"));
  const json::object& f = *fields;
  auto field = [&](const char* k) { return Str(f, k); };
  std::string applicant;
  if (const json::value* who = f.if_contains("applicant")) {
    if (const json::object* o = who->if_object()) applicant = Str(*o, "name");
  }
  auto time_field = [&](const char* k) -> std::string {
    const json::value* t = f.if_contains(k);
    if (!t || (!t->is_uint64() && !t->is_int64())) return "";
    json::error_code ec;
    int64_t ms = t->to_number<int64_t>(ec);  // a uint64 past int64 is no time
    return ec ? "" : Local(json::value(node::FormatTime(ms)));
  };
  std::printf("%s %s\n", PadUtf8("Mã hồ sơ:", 14).c_str(), c.Str("code").c_str());
  std::printf("%s %s\n", PadUtf8("Đơn vị:", 14).c_str(), c.Str("office").c_str());
  std::printf("%s %s\n", PadUtf8("Trạng thái:", 14).c_str(), ValueText(f, "status").c_str());
  std::printf("%s %s\n", PadUtf8("Người nộp:", 14).c_str(), applicant.c_str());
  std::printf("%s %s\n", PadUtf8("Thủ tục:", 14).c_str(), field("procedure").c_str());
  std::printf("%s %s\n", PadUtf8("Hình thức:", 14).c_str(), ValueText(f, "channel").c_str());
  std::printf("%s %s\n", PadUtf8("Tiếp nhận:", 14).c_str(), time_field("received_at").c_str());
  std::printf("%s %s\n", PadUtf8("Hẹn trả:", 14).c_str(), time_field("due_at").c_str());
  if (!field("tracking").empty()) {
    std::printf("%s %s\n", PadUtf8("Mã vận đơn:", 14).c_str(), field("tracking").c_str());
  }
  if (!conflicts.empty()) {
    std::printf("Xung đột (%zu):\n", conflicts.size());
    for (const Answer& x : conflicts) {
      HOSO_ASSIGN_OR_RETURN(std::vector<Answer> candidates, x.Elements("candidates"));
      std::printf("  %s:\n", x.Str("field").c_str());
      for (const Answer& o : candidates) {
        HOSO_ASSIGN_OR_RETURN(bool winner, o.Bool("winner"));
        HOSO_ASSIGN_OR_RETURN(Answer value, o.Field("value"));
        HOSO_ASSIGN_OR_RETURN(Answer at, o.Field("at"));
        std::printf("    %s %s  (%s, %s, %s)\n", winner ? "*" : " ",
                    json::serialize(value.value()).c_str(), o.Str("origin").c_str(),
                    o.Str("officer").c_str(), Local(at.value()).c_str());
      }
    }
  }
  std::printf("Lịch sử:\n");
  for (const Answer& o : history) {
    HOSO_ASSIGN_OR_RETURN(Answer changes, o.Field("changes"));
    HOSO_ASSIGN_OR_RETURN(Answer at, o.Field("at"));
    // "" when the changes are no object
    std::string status = ValueText("status", changes.Str("status"));
    std::printf("  %s  %s %s %s %s\n", Local(at.value()).c_str(),
                PadUtf8(o.Str("office"), 6).c_str(), PadUtf8(o.Str("officer"), 10).c_str(),
                PadUtf8(ValueText("type", o.Str("type")), 14).c_str(), status.c_str());
  }
  return Status::Ok();
}

// The cases found, as a table.
Status PrintCaseList(const Answer& answer) {
  HOSO_ASSIGN_OR_RETURN(std::vector<Answer> cases, answer.Elements("cases"));
  HOSO_ASSIGN_OR_RETURN(bool truncated, answer.Bool("truncated"));
  std::printf("%s %s %s %s %s\n", PadUtf8("Mã hồ sơ", 24).c_str(),
              PadUtf8("Trạng thái", 30).c_str(), PadUtf8("Người nộp", 26).c_str(),
              PadUtf8("Hẹn trả", 17).c_str(), "Quá hạn");
  for (const Answer& c : cases) {
    HOSO_ASSIGN_OR_RETURN(const json::object* xp, c.Object());
    HOSO_ASSIGN_OR_RETURN(bool overdue, c.Bool("overdue"));
    const json::object& x = *xp;
    const json::value* due = x.if_contains("due_at");
    std::printf("%s %s %s %s %s\n", PadUtf8(Str(x, "code"), 24).c_str(),
                PadUtf8(ValueText(x, "status"), 30).c_str(),
                PadUtf8(Str(x, "applicant"), 26).c_str(),
                PadUtf8(due ? Local(*due) : "", 17).c_str(), overdue ? "quá hạn" : "");
  }
  std::printf("%s hồ sơ%s\n", answer.Str("count").c_str(),
              truncated ? " (còn nữa: dùng --limit)" : "");
  return Status::Ok();
}

// One row of the report's table; `unit` is printed in its unit column (the total has none).
Status PrintReportRow(const Answer& r, const std::string& unit) {
  HOSO_ASSIGN_OR_RETURN(const json::object* rec, r.Object("received"));
  HOSO_ASSIGN_OR_RETURN(const json::object* res, r.Object("resolved"));
  HOSO_ASSIGN_OR_RETURN(const json::object* prog, r.Object("in_progress"));
  // null: no case was judged (shown "—", not 0%).
  std::string rate = "—";
  HOSO_ASSIGN_OR_RETURN(Answer judged, r.Field("on_time_rate"));
  if (!judged.value().is_null()) {
    HOSO_ASSIGN_OR_RETURN(double on_time_rate, r.Number("on_time_rate"));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100 * on_time_rate);
    rate = buf;
  }
  std::printf("%-8s %-10s %-8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %7s\n", unit.c_str(),
              r.Str("procedure").c_str(), r.Str("month").c_str(), Str(*rec, "total").c_str(),
              Str(*rec, "carried_over").c_str(), Str(*res, "total").c_str(),
              Str(*res, "early").c_str(), Str(*res, "on_time").c_str(), Str(*res, "late").c_str(),
              Str(*prog, "total").c_str(), Str(*prog, "late").c_str(), r.Str("postal").c_str(),
              rate.c_str());
  return Status::Ok();
}

// The report for people: its rows, then the total.
Status PrintReport(const Answer& answer) {
  HOSO_ASSIGN_OR_RETURN(std::vector<Answer> rows, answer.Elements("rows"));
  HOSO_ASSIGN_OR_RETURN(Answer total, answer.Field("total"));
  std::printf("Báo cáo %s, %s đến %s\n", answer.Str("scope").c_str(), answer.Str("from").c_str(),
              answer.Str("to").c_str());
  std::printf("%-8s %-10s %-8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %7s\n", "đơn vị", "thủ tục",
              "tháng", "nhận", "kỳ trước", "giải q.", "trước h.", "đúng h.", "quá h.", "đang g.",
              "đang trễ", "bưu chính", "đúng h%");
  for (const Answer& r : rows) HOSO_RETURN_IF_ERROR(PrintReportRow(r, r.Str("unit")));
  return PrintReportRow(total, "tổng");
}

}  // namespace

int CaseNewCmd(const Args& a) {
  json::object req;
  req["officer"] = a.Get("officer");
  req["procedure"] = a.Get("procedure");
  if (a.Has("procedure-name")) req["procedure_name"] = a.Get("procedure-name");
  if (a.Has("code")) req["code"] = a.Get("code");
  json::object applicant;
  applicant["name"] = a.Get("name");
  for (auto [flag, field] : {std::pair{"id-no", "id_no"},
                             {"phone", "phone"},
                             {"email", "email"},
                             {"address", "address"}}) {
    if (a.Has(flag)) applicant[field] = a.Get(flag);
  }
  req["applicant"] = std::move(applicant);
  req["channel"] = a.Get("channel", "counter");
  if (a.Has("residence")) req["residence"] = a.Get("residence");
  if (a.Has("return-address")) {
    req["return_by_post"] = true;
    req["return_address"] = a.Get("return-address");
  }
  if (a.Has("due")) req["due_at"] = a.Get("due");
  if (a.Has("fee")) {
    bool ok;
    uint64_t fee = ParseNumber(a.Get("fee"), &ok);
    if (!ok) return Fail(kUsage, "--fee must be a whole number of đồng");
    req["fee"] = fee;
  }
  if (a.Has("note")) req["note"] = a.Get("note");
  if (a.Has("doc")) {
    json::array docs;
    for (const auto& d : a.flags.at("doc")) {
      // name[:original|copy[:count]]
      json::object doc;
      size_t c1 = d.find(':');
      doc["name"] = d.substr(0, c1);
      if (c1 != std::string::npos) {
        size_t c2 = d.find(':', c1 + 1);
        doc["kind"] = d.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1);
        if (c2 != std::string::npos) {
          bool ok;
          uint64_t count = ParseNumber(d.substr(c2 + 1), &ok);
          if (!ok) return Fail(kUsage, "--doc " + d + ": the count must be a number");
          doc["count"] = count;
        }
      }
      docs.push_back(std::move(doc));
    }
    req["documents"] = std::move(docs);
  }
  json::value out;
  if (int rc = CallNode(a, "POST", "/v1/cases", json::serialize(req), &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
  } else {
    std::printf("Đã tiếp nhận hồ sơ %s\n\n", Answer(out).Str("code").c_str());
    if (Status s = PrintCase(Answer(out)); !s.ok()) return BadAnswer(s);
  }
  return kOk;
}

int CaseStepCmd(const Args& a) {
  json::object req;
  req["officer"] = a.Get("officer");
  req["status"] = a.Get("status");
  if (a.Has("note")) req["note"] = a.Get("note");
  if (a.Has("tracking")) req["tracking"] = a.Get("tracking");
  json::value out;
  std::string target = "/v1/cases/" + tools::UrlEncode(a.positional[0]) + "/steps";
  if (int rc = CallNode(a, "POST", target, json::serialize(req), &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
  } else {
    std::printf("Đã ghi bước \"%s\" cho hồ sơ %s\n\n", a.Get("status").c_str(),
                a.positional[0].c_str());
    if (Status s = PrintCase(Answer(out)); !s.ok()) return BadAnswer(s);
  }
  return kOk;
}

int CaseShowCmd(const Args& a) {
  json::value out;
  std::string query;  // the read's context, for the node's read log
  for (const char* flag : {"officer", "purpose"}) {
    if (a.Has(flag)) {
      query += std::string(query.empty() ? "?" : "&") + flag + "=" + tools::UrlEncode(a.Get(flag));
    }
  }
  int rc = CallNode(a, "GET", "/v1/cases/" + tools::UrlEncode(a.positional[0]) + query, "", &out);
  if (rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
  } else if (Status s = PrintCase(Answer(out)); !s.ok()) {
    return BadAnswer(s);
  }
  return kOk;
}

int CaseListCmd(const Args& a) {
  std::string query;
  for (auto [flag, param] : {std::pair{"status", "status"},
                             {"office", "office"},
                             {"applicant", "applicant"},
                             {"due-before", "due_before"},
                             {"due-after", "due_after"},
                             {"limit", "limit"},
                             {"officer", "officer"},
                             {"purpose", "purpose"}}) {
    if (a.Has(flag))
      query += std::string(query.empty() ? "?" : "&") + param + "=" + tools::UrlEncode(a.Get(flag));
  }
  if (a.Has("overdue")) query += std::string(query.empty() ? "?" : "&") + "overdue=true";
  json::value out;
  if (int rc = CallNode(a, "GET", "/v1/cases" + query, "", &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  if (Status s = PrintCaseList(Answer(out)); !s.ok()) return BadAnswer(s);
  return kOk;
}

int ReportCmd(const Args& a) {
  std::string query;
  for (auto [flag, param] :
       {std::pair{"scope", "scope"}, {"from", "from"}, {"to", "to"}, {"by", "by"}}) {
    if (a.Has(flag)) {
      query += std::string(query.empty() ? "?" : "&") + param + "=" + tools::UrlEncode(a.Get(flag));
    }
  }
  if (a.Has("csv")) {
    std::string dir = NodeDirOf(a);
    auto client = tools::ApiClient::ForNode(dir, a.Get("api-ca"));
    if (!client.ok()) return Fail(kFailed, client.status().message());
    auto reply =
        client->Call("GET", "/v1/report" + query + (query.empty() ? "?" : "&") + "format=csv");
    if (!reply.ok()) return Fail(kUnreachable, reply.status().message());
    if (reply->status != 200) return Fail(kFailed, "the node refused: " + reply->body);
    if (Status s = tools::WriteFileAtomic(a.Get("csv"), reply->body); !s.ok()) {
      return FromStatus(s);
    }
    std::printf("report written to %s\n", a.Get("csv").c_str());
    return kOk;
  }
  json::value out;
  if (int rc = CallNode(a, "GET", "/v1/report" + query, "", &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  if (Status s = PrintReport(Answer(out)); !s.ok()) return BadAnswer(s);
  return kOk;
}

}  // namespace hoso::cli
