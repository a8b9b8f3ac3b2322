// hoso audit reads: who read a case's personal data, or a person's (docs/privacy.md "The read
// log"), from the read log cases a store holds (core/domain/access_log.h). Read as an auditor
// reads a store: from its files, while its node runs.
#include <cstdio>
#include <string>
#include <vector>

#include "core/base/text.h"
#include "core/domain/access_log.h"
#include "core/domain/personal_data.h"
#include "node/json.h"
#include "tools/cli/audit_store.h"
#include "tools/cli/commands.h"
#include "tools/cli/output.h"

namespace hoso::cli {

namespace json = boost::json;

namespace {

std::string ViewName(const std::string& view) {
  if (view == "case") return "trang hồ sơ";
  if (view == "list") return "danh sách";
  if (view == "slip") return "phiếu hẹn";
  if (view == "export") return "xuất dữ liệu";
  return view;
}

}  // namespace

int AuditReadsCmd(const Args& given) {
  if (given.Has("case") == given.Has("person")) {
    return Fail(kUsage, "give --case CODE or --person ID_NUMBER (hoso audit reads --help)");
  }
  Args a = given;  // --dir is --data, as the node's other commands name it
  if (!a.Has("data") && a.Has("dir")) a.flags["data"] = a.flags["dir"];
  if (!a.Has("data")) return Fail(kUsage, "give --data DIR (a node's data directory or a backup)");
  AuditTarget t;
  if (Status s = OpenForAudit(a, &t); !s.ok()) return FromStatus(s);
  std::vector<std::string> cases;
  if (a.Has("case")) {
    cases.push_back(a.Get("case"));
  } else {
    auto found = CasesOfPerson(*t.store, a.Get("person"));
    if (!found.ok()) return FromStatus(found.status());
    cases = std::move(found).value();
  }
  auto reads = ReadsOfCases(*t.store, cases);
  if (!reads.ok()) return FromStatus(reads.status());
  if (a.json) {
    json::array list, of;
    for (const auto& c : cases) of.push_back(json::value(c));
    for (const ReadRecord& r : *reads) {
      list.push_back(json::object{{"at", node::FormatTime(r.at_ms)},
                                  {"officer", r.officer},
                                  {"unit", r.unit},
                                  {"case", r.case_code},
                                  {"purpose", r.purpose},
                                  {"view", r.view},
                                  {"log_case", r.log_case}});
    }
    json::object out{{"cases", std::move(of)}, {"reads", std::move(list)}};
    if (a.Has("person")) out["person"] = a.Get("person");
    PrintJson(out);
    return kOk;
  }
  if (a.Has("person")) {
    std::printf("Người có số định danh %s: %zu hồ sơ", ForTerminal(a.Get("person")).c_str(),
                cases.size());
    for (size_t i = 0; i < cases.size(); ++i) {
      std::printf("%s%s", i ? ", " : " (", cases[i].c_str());
    }
    std::printf("%s\n", cases.empty() ? "" : ")");
  }
  if (reads->empty()) {
    std::printf("Chưa có lượt xem nào được ghi nhận.\n");
    return kOk;
  }
  std::printf("%s %s %s %s %s %s\n", PadUtf8("Thời điểm", 16).c_str(),
              PadUtf8("Cán bộ", 20).c_str(), PadUtf8("Đơn vị", 8).c_str(),
              PadUtf8("Hồ sơ", 22).c_str(), PadUtf8("Màn hình", 12).c_str(), "Mục đích");
  for (const ReadRecord& r : *reads) {
    std::printf("%s %s %s %s %s %s\n", Local(json::value(node::FormatTime(r.at_ms))).c_str(),
                PadUtf8(ForTerminal(r.officer), 20).c_str(),
                PadUtf8(ForTerminal(r.unit), 8).c_str(), PadUtf8(r.case_code, 22).c_str(),
                PadUtf8(ViewName(ForTerminal(r.view)), 12).c_str(), ForTerminal(r.purpose).c_str());
  }
  std::printf("%zu lượt xem.\n", reads->size());
  return kOk;
}

}  // namespace hoso::cli
