// hoso erase and hoso erasures: the root erases a case's personal data (docs/privacy.md); any
// node lists the erasures it holds, who has carried each out and who not yet.
#include <cstdio>
#include <string>

#include "tools/api_client.h"
#include "tools/cli/commands.h"
#include "tools/cli/node_api.h"
#include "tools/cli/output.h"

namespace hoso::cli {

namespace json = boost::json;

int EraseCmd(const Args& a) {
  if (a.Has("case") == a.Has("person")) {
    return Fail(kUsage, "give --case CODE or --person ID_NUMBER (hoso erase --help)");
  }
  json::object req{
      {"officer", a.Get("officer")}, {"decision", a.Get("decision")}, {"ground", a.Get("ground")}};
  if (a.Has("case")) req["case"] = a.Get("case");
  if (a.Has("person")) req["person"] = a.Get("person");
  json::value out;
  if (int rc = CallNode(a, "POST", "/v1/erasures", json::serialize(req), &out); rc != kOk) {
    return rc;
  }
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  Answer answer(out);
  auto at = answer.Field("at");
  if (!at.ok()) return BadAnswer(at.status());
  auto cases = answer.Elements("cases");
  if (!cases.ok()) return BadAnswer(cases.status());
  std::string list;
  for (const Answer& c : *cases) {
    auto code = c.Text();
    if (code.ok()) list += (list.empty() ? "" : ", ") + *code;
  }
  std::printf(
      "Đã ghi quyết định xoá dữ liệu cá nhân (quyết định %s) lúc %s cho hồ sơ: %s. Mỗi máy "
      "đang giữ hồ sơ sẽ huỷ khoá khi nhận được và ký xác nhận; xem: hoso erasures\n",
      answer.Str("decision").c_str(), Local(at->value()).c_str(), list.c_str());
  return kOk;
}

int ErasuresCmd(const Args& a) {
  std::string target = "/v1/erasures";
  if (a.Has("case")) target += "?case=" + tools::UrlEncode(a.Get("case"));
  json::value out;
  if (int rc = CallNode(a, "GET", target, "", &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  auto list = Answer(out).Elements("erasures");
  if (!list.ok()) return BadAnswer(list.status());
  if (list->empty()) std::printf("Chưa có quyết định xoá dữ liệu cá nhân nào.\n");
  for (const Answer& e : *list) {
    auto at = e.Field("at");
    if (!at.ok()) return BadAnswer(at.status());
    std::printf("Hồ sơ %s: xoá lúc %s theo quyết định %s (%s)\n", e.Str("case").c_str(),
                Local(at->value()).c_str(), e.Str("decision").c_str(), e.Str("ground").c_str());
    auto confirmed = e.Elements("confirmed");
    if (!confirmed.ok()) {
      std::printf("  máy này không giữ hồ sơ\n");
      continue;
    }
    for (const Answer& c : *confirmed) {
      auto when = c.Field("at");
      std::printf("  đã huỷ khoá: %s lúc %s\n", c.Str("unit").c_str(),
                  when.ok() ? Local(when->value()).c_str() : "");
    }
    auto awaiting = e.Elements("awaiting");
    if (awaiting.ok()) {
      for (const Answer& u : *awaiting) {
        auto unit = u.Text();
        std::printf("  chưa xác nhận: %s\n", unit.ok() ? unit->c_str() : "");
      }
    }
  }
  return kOk;
}

}  // namespace hoso::cli
