// Data-subject requests on real nodes (docs/privacy.md "Data-subject requests (built)"): a
// person's cases received at a commune sync to the province, where `hoso subject export`
// answers the request through the running node, which records the request and its answer in
// its own channel and the export in its read log; `hoso subject list` shows whether each
// request was answered within 2 working days.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "core/domain/calendar.h"
#include "tests/testing/process_testing.h"
#include "tests/tools/hoso_cli.h"

using namespace hoso;
using namespace std::chrono_literals;

using testing::Hoso;
using testing::Json;

namespace {

constexpr const char* kIdNo = "079123456789";

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("hoso subject export: a person's cases at a commune answered at the province",
          "[tools][privacy][subject]") {
  testing::TempDir tmp;
  auto net = testing::RunningNetwork(tmp.Sub("net"), {"89", "30280"});
  const std::string commune = net->NodeDir("30280"), province = net->NodeDir("89");
  // Two cases of hers at the commune, one by the CLI and one through the API; another
  // citizen's case, which the export must not show.
  auto made = Hoso(tmp, {"case", "new", "--dir", commune, "--officer", "nv.lan", "--procedure",
                         "TEST-2000908", "--name", "Đặng Thị Thu", "--id-no", kIdNo, "--json"});
  INFO(made.out << made.err);
  REQUIRE(made.rc == 0);
  const std::string first(Json(made).at("code").as_string());
  auto second_made = net->Call("30280", "POST", "/v1/cases",
                               R"({"officer":"nv.lan","procedure":"TEST-1002668","channel":"counter",
                                   "applicant":{"name":"Đặng Thị Thu","id_no":"079123456789",
                                                "phone":"0912345678"}})");
  REQUIRE(second_made.ok());
  const std::string second(second_made->at("code").as_string());
  REQUIRE(net->Call("30280", "POST", "/v1/cases",
                    R"({"officer":"nv.lan","procedure":"TEST-1002668","channel":"counter",
                        "applicant":{"name":"Lò Văn Pọm","id_no":"011190009999"}})")
              .ok());
  // The clerk reads her first case; the read is written at the commune and synced up.
  auto shown = Hoso(tmp, {"case", "show", "--dir", commune, "--officer", "nv.lan", "--purpose",
                          "giải quyết", first});
  REQUIRE(shown.rc == 0);
  REQUIRE(net->WaitConverged(30s).ok());
  REQUIRE(testing::WaitFor(
      [&] {
        auto r = Hoso(tmp, {"audit", "reads", "--data", province, "--case", first, "--json"});
        return r.rc == 0 && !Json(r).at("reads").as_array().empty();
      },
      30s));

  // The export at the province: both cases with her name, their history and the read.
  const std::string today = FormatDay(WorkingCalendar::LocalDay(SystemClock::Default()->NowMs()));
  const std::string file = tmp.Sub("export.md");
  auto exported = Hoso(tmp, {"subject", "export", "--dir", province, "--id-number", kIdNo,
                             "--officer", "dpo.hoa", "--received", today, "--out", file});
  INFO(exported.out << exported.err);
  REQUIRE(exported.rc == 0);
  CHECK_THAT(exported.out, Catch::Contains("2 hồ sơ"));
  CHECK_THAT(exported.out, Catch::Contains("89-subject-"));
  const std::string text = Slurp(file);
  INFO(text);
  CHECK_THAT(text, Catch::Contains("# Dữ liệu cá nhân của người có số định danh 079123456789"));
  CHECK_THAT(text, Catch::Contains("## Hồ sơ " + first));
  CHECK_THAT(text, Catch::Contains("## Hồ sơ " + second));
  CHECK_THAT(text, Catch::Contains("Họ và tên: Đặng Thị Thu"));
  CHECK_THAT(text, Catch::Contains("Điện thoại: 0912345678"));
  CHECK_THAT(text, Catch::Contains("### Lịch sử hồ sơ"));
  CHECK_THAT(text, Catch::Contains("case.received"));
  CHECK_THAT(text, Catch::Contains("cán bộ api-token:nv.lan (đơn vị 30280) xem hồ sơ " + first));
  CHECK_THAT(text, Catch::Contains("mục đích: giải quyết"));
  CHECK_THAT(text, Catch::Contains("(trong hạn)"));
  CHECK(text.find("Lò Văn Pọm") == std::string::npos);

  // The same through --json, on stdout.
  auto as_json =
      Hoso(tmp, {"subject", "export", "--dir", province, "--id-number", kIdNo, "--json"});
  REQUIRE(as_json.rc == 0);
  auto answer = Json(as_json);
  CHECK(answer.at("cases").as_array().size() == 2);
  CHECK(answer.at("request").at("in_time").as_bool());
  CHECK(answer.at("request").at("received").as_string() == today);
  // The first request is held about her too, and shown.
  REQUIRE(answer.at("earlier_requests").as_array().size() == 1);
  CHECK(answer.at("earlier_requests").at(0).at("officer").as_string() == "dpo.hoa");
  auto again = Hoso(tmp, {"subject", "export", "--dir", province, "--id-number", kIdNo});
  REQUIRE(again.rc == 0);
  CHECK_THAT(again.out, Catch::Contains("## Các yêu cầu trước đây của người này"));

  // An ID number the node does not know: a clear message and exit 4, the request still
  // answered and recorded (received 10 days ago: late).
  const std::string long_ago =
      FormatDay(WorkingCalendar::LocalDay(SystemClock::Default()->NowMs()) - 10);
  auto unknown = Hoso(tmp, {"subject", "export", "--dir", province, "--id-number", "001099000001",
                            "--received", long_ago});
  CHECK(unknown.rc == 4);
  CHECK_THAT(unknown.err, Catch::Contains("Không có hồ sơ nào của người có số định danh "
                                          "001099000001"));
  CHECK_THAT(unknown.out, Catch::Contains("Đơn vị không lưu hồ sơ nào"));

  // An ID number of the wrong shape is refused, by the CLI and by the API, and not recorded.
  auto bad = Hoso(tmp, {"subject", "export", "--dir", province, "--id-number", "12345"});
  CHECK(bad.rc == 2);
  CHECK_THAT(bad.err, Catch::Contains("Số định danh cá nhân phải gồm 9 hoặc 12 chữ số"));
  const std::string tomorrow =
      FormatDay(WorkingCalendar::LocalDay(SystemClock::Default()->NowMs()) + 1);
  auto future = Hoso(
      tmp, {"subject", "export", "--dir", province, "--id-number", kIdNo, "--received", tomorrow});
  CHECK(future.rc == 1);
  CHECK_THAT(future.err, Catch::Contains("không sau hôm nay"));
  auto refused = net->Call("89", "POST", "/v1/subjects/export",
                           R"({"officer":"dpo.hoa","id_number":"07912345678x"})");
  CHECK_FALSE(refused.ok());

  // The requests and their answers are signed events of the province's channel: the tree
  // converges on them, the auditor verifies them, and the list shows each with its dates.
  REQUIRE(net->WaitConverged(30s).ok());
  auto listed = Hoso(tmp, {"subject", "list", "--dir", province, "--json"});
  REQUIRE(listed.rc == 0);
  const auto listed_json = Json(listed);
  const auto& requests = listed_json.at("requests").as_array();
  REQUIRE(requests.size() == 4);
  CHECK(listed_json.at("in_time").to_number<int64_t>() == 3);
  CHECK(listed_json.at("late").to_number<int64_t>() == 1);
  CHECK(requests[0].at("received").as_string() == long_ago);
  CHECK(requests[0].at("id_number").as_string() == "001099000001");
  CHECK_FALSE(requests[0].at("in_time").as_bool());
  CHECK(requests[0].at("cases").to_number<int64_t>() == 0);
  CHECK(requests[1].at("id_number").as_string() == kIdNo);
  CHECK(requests[1].at("cases").to_number<int64_t>() == 2);
  CHECK(requests[1].at("officer").as_string() == "dpo.hoa");
  CHECK(requests[1].at("unit").as_string() == "89");
  CHECK(requests[1].at("in_time").as_bool());
  auto table = Hoso(tmp, {"subject", "list", "--dir", province});
  INFO(table.out << table.err);
  REQUIRE(table.rc == 0);
  CHECK_THAT(table.out, Catch::Contains("trong hạn"));
  CHECK_THAT(table.out, Catch::Contains("quá hạn"));
  CHECK_THAT(table.out, Catch::Contains("4 yêu cầu: 3 trong hạn, 1 quá hạn, 0 chưa trả lời."));
  // Request cases are no clerk's work: the case list leaves them out.
  auto cases = net->Call("89", "GET", "/v1/cases");
  REQUIRE(cases.ok());
  CHECK(cases->at("count").as_int64() == 3);

  // The export is in the read log, as a read of both cases (view "export").
  REQUIRE(testing::WaitFor(
      [&] {
        auto r = Hoso(tmp, {"audit", "reads", "--data", province, "--case", second, "--json"});
        if (r.rc != 0) return false;
        for (const auto& read : Json(r).at("reads").as_array()) {
          if (read.at("view").as_string() == "export" &&
              read.at("officer").as_string() == "api-token:dpo.hoa") {
            return true;
          }
        }
        return false;
      },
      30s));
  auto verified = Hoso(tmp, {"audit", "verify", "--data", province});
  INFO(verified.out << verified.err);
  CHECK(verified.rc == 0);
}
