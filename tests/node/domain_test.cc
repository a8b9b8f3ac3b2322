// Domain rules through the local API: the catalogue, postal eligibility, due dates in working
// days, the lifecycle, the supplement clock, the replicated calendar.
#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "core/domain/calendar.h"
#include "core/domain/lifecycle.h"
#include "node/json.h"
#include "node/local_api.h"
#include "tests/node/test_officers.h"
#include "tests/testing/testing.h"
#include "tools/catalogue_gen.h"

using namespace hoso;
using namespace hoso::node;

namespace {

constexpr const char* kToken = "0123456789abcdef0123456789abcdef";

NodeView View(const std::string& officers) {
  NodeView v;
  v.officers_file = testing::WriteTestOfficers(officers);
  return v;
}

struct Deployment {
  testing::TempDir dir;
  std::unique_ptr<testing::TestNode> province = testing::OpenTestNode(dir.Sub("89"), "89");
  std::unique_ptr<testing::TestNode> commune = testing::OpenTestNode(dir.Sub("30280"), "30280");
  NodeView root_view = View(dir.Sub("89-officers.json"));
  NodeView clerk_view = View(dir.Sub("30280-officers.json"));
  LocalApi root{province->store.get(), &province->clock, kToken, root_view};
  LocalApi clerk{commune->store.get(), &commune->clock, kToken, clerk_view};
  std::vector<Procedure> catalogue = GenerateCatalogue(7, 1200);

  Deployment() {
    REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
    auto r = Call(root, "POST", "/v1/catalogue?officer=it.tinh", CatalogueCsv(catalogue));
    INFO(r.body);
    REQUIRE(r.status == 201);
    Replicate();
  }
  // What sync does with the system channels.
  void Replicate() {
    REQUIRE(testing::CopyAll(*province->store, *commune->store, [](const std::string& c) {
              return IsSystemChannel(c);
            }).ok());
  }
  static HttpResponse Call(LocalApi& api, const std::string& method, const std::string& target,
                           const std::string& body = "") {
    return api.Handle({method, target, std::string("Bearer ") + kToken, body});
  }
  const Procedure& Find(bool postal, int days = 0) {
    for (const auto& p : catalogue) {
      if (p.postal == postal && p.working_days && (days == 0 || p.days == days)) return p;
    }
    FAIL("no such procedure in the sample catalogue");
    return catalogue[0];
  }
};

json::object Body(const HttpResponse& r) {
  auto v = ParseJson(r.body);
  REQUIRE(v.ok());
  return v->as_object();
}

std::string Reception(const std::string& procedure, const std::string& channel,
                      bool by_post = false) {
  json::object req{{"officer", "nv.lan"},
                   {"procedure", procedure},
                   {"channel", channel},
                   {"applicant", json::object{{"name", "Lý Thị Hạnh"}}}};
  if (by_post) {
    req["return_by_post"] = true;
    req["return_address"] = "Khóm Bình Khánh, Long Xuyên";
  }
  return json::serialize(req);
}

}  // namespace

TEST_CASE("catalogue: the generator makes a realistic sample", "[domain][catalogue]") {
  auto c = GenerateCatalogue(7, 1200);
  REQUIRE(c.size() == 1200);
  std::set<std::string> codes;
  size_t not_postal = 0, calendar_days = 0;
  for (const auto& p : c) {
    codes.insert(p.code);
    not_postal += !p.postal;
    calendar_days += !p.working_days;
    CHECK_FALSE(p.name.empty());
    CHECK_FALSE(p.agency.empty());
    CHECK(p.days > 0);
    CHECK_FALSE(p.documents.empty());
  }
  CHECK(codes.size() == c.size());
  CHECK(codes.count("TEST-1002668"));  // the workload's procedures are there
  // No sample code can pass for a national one ("1.001193").
  for (const auto& code : codes) CHECK(code.starts_with("TEST-"));
  CHECK(not_postal > c.size() * 35 / 100);
  CHECK(not_postal < c.size() * 45 / 100);
  CHECK(calendar_days > 0);
  auto back = ParseCatalogueCsv(CatalogueCsv(c));
  REQUIRE(back.ok());
  REQUIRE(back->size() == c.size());
  CHECK((*back)[5].name == c[5].name);
  CHECK((*back)[5].documents == c[5].documents);
  CHECK(GenerateCatalogue(7, 10)[3].code == c[3].code);  // deterministic
  CHECK_FALSE(ParseCatalogueCsv("code,name\n1,x\n").ok());
  CHECK_FALSE(ParseCatalogueCsv("code,name,agency,days,day_kind,postal,fee,documents\n"
                                "1.1,Tên,Sở,5,weekly,yes,0,\n")
                  .ok());
}

TEST_CASE("catalogue: the shipped commune catalogue is the national database's",
          "[domain][catalogue]") {
  auto shipped =
      ParseCatalogueCsv(testing::ReadWholeFile(HOSO_DATA_DIR "/catalogue-commune-2025.csv"));
  REQUIRE(shipped.ok());
  REQUIRE(shipped->size() == 15);
  std::set<std::string> codes, names;
  std::map<std::string, Procedure> by_code;
  for (const auto& p : *shipped) {
    INFO(p.code);
    // National codes: one digit, a dot, six digits.
    CHECK(p.code.size() == 8);
    CHECK(p.code[1] == '.');
    CHECK(p.code.find_first_not_of("0123456789", 2) == std::string::npos);
    CHECK(codes.insert(p.code).second);
    CHECK(names.insert(p.name).second);  // no procedure twice under one name
    CHECK_FALSE(p.documents.empty());
    CHECK_THAT(p.source, Catch::Contains("dichvucong.gov.vn") && Catch::Contains("QĐ") &&
                             Catch::Contains("2026"));
    CHECK((p.competent == "residence" || p.competent.empty()));
    by_code[p.code] = p;
  }
  // The mix-ups the generated sample made are gone: 1.001193 is the birth registration, done the
  // same day, by post too, free, by the parents' commune; a certified copy is at the counter only.
  const Procedure& birth = by_code.at("1.001193");
  CHECK(birth.name == "Đăng ký khai sinh");
  CHECK((birth.days == 0 && birth.working_days && birth.postal && birth.fee == 0));
  CHECK(birth.competent == "residence");
  CHECK_THAT(birth.documents[1], Catch::StartsWith("Giấy chứng sinh"));
  const Procedure& copy = by_code.at("2.000815");
  CHECK((!copy.postal && copy.fee == 2000 && copy.days == 0 && copy.competent.empty()));
  const Procedure& permanent = by_code.at("1.004222");
  CHECK((permanent.days == 7 && permanent.fee == 20000 && !permanent.postal));
  CHECK(permanent.agency == "Công an cấp xã");
  for (const auto& p : GenerateCatalogue(1, 1000)) CHECK_FALSE(codes.count(p.code));

  // Loaded, a clerk finds it by words and sees where it comes from and who decides it.
  Deployment d;
  auto r =
      Deployment::Call(d.root, "POST", "/v1/catalogue?officer=it.tinh", CatalogueCsv(*shipped));
  REQUIRE(r.status == 201);
  d.Replicate();
  auto found = Body(Deployment::Call(d.clerk, "GET", "/v1/catalogue?q=dang%20ky%20khai%20sinh"));
  auto list = found.at("procedures").as_array();
  REQUIRE_FALSE(list.empty());
  CHECK(list[0].at("code").as_string() == "1.001193");  // the words as typed come first
  std::set<std::string> found_codes;
  for (const auto& p : list) found_codes.insert(std::string(p.at("code").as_string()));
  CHECK(found_codes.count("1.004884"));  // "Đăng ký lại khai sinh": every word, in order apart
  for (const auto& p : list) {
    if (p.at("code").as_string() != "1.001193") continue;
    CHECK(p.at("competent").as_string() == "residence");
    CHECK(p.at("source").as_string() == birth.source);
    CHECK(p.at("days").to_number<int>() == 0);
  }
  // Same day: received on Tuesday morning (counting starts at 07:00 after Monday 23:00), due
  // at 17:00 (10:00 UTC) that day.
  json::object req{{"officer", "nv.lan"},
                   {"procedure", "1.001193"},
                   {"channel", "counter"},
                   {"residence", "30280"},
                   {"applicant", json::object{{"name", "Lý Thị Hạnh"}}}};
  auto received = Deployment::Call(d.clerk, "POST", "/v1/cases", json::serialize(req));
  INFO(received.body);
  REQUIRE(received.status == 201);
  CHECK(Body(received).at("fields").at("due_at").to_number<int64_t>() ==
        ParseTime("2025-11-25T10:00:00Z").value());
}

TEST_CASE("reception: the catalogue decides the due date and whether the post may carry it",
          "[domain][api]") {
  Deployment d;
  auto search = Body(Deployment::Call(d.clerk, "GET", "/v1/catalogue?q=giay%20khai%20sinh"));
  CHECK(search.at("total").to_number<size_t>() == 1200);
  REQUIRE_FALSE(search.at("procedures").as_array().empty());
  CHECK_THAT(std::string(search.at("procedures").as_array()[0].at("name").as_string()),
             Catch::Contains("giấy khai sinh"));

  // kTestNow is Monday 2025-11-24 23:00 in Vietnam: counting starts Tuesday 07:00; five working
  // days end on Monday 2025-12-01 at 17:00 (10:00 UTC).
  const Procedure& five = d.Find(true, 5);
  auto r = Deployment::Call(d.clerk, "POST", "/v1/cases", Reception(five.code, "counter"));
  REQUIRE(r.status == 201);
  auto c = Body(r);
  CHECK(c.at("fields").at("due_at").to_number<int64_t>() ==
        ParseTime("2025-12-01T10:00:00Z").value());
  CHECK(c.at("fields").at("procedure_name").as_string() == five.name);
  CHECK(c.at("fields").at("fee").to_number<uint64_t>() == five.fee);

  const Procedure& counter_only = d.Find(false);
  uint64_t before = d.commune->store->CommitCounter();
  auto by_post =
      Deployment::Call(d.clerk, "POST", "/v1/cases", Reception(counter_only.code, "postal"));
  CHECK(by_post.status == 400);
  CHECK(Body(by_post).at("field").as_string() == "channel");
  CHECK_THAT(std::string(Body(by_post).at("message").as_string()), Catch::Contains("bưu chính"));
  auto returned =
      Deployment::Call(d.clerk, "POST", "/v1/cases", Reception(counter_only.code, "counter", true));
  CHECK(returned.status == 400);
  CHECK(Body(returned).at("field").as_string() == "return_by_post");
  auto unknown =
      Deployment::Call(d.clerk, "POST", "/v1/cases", Reception("TEST-9999999", "counter"));
  CHECK(unknown.status == 400);
  CHECK(Body(unknown).at("field").as_string() == "procedure");
  CHECK(d.commune->store->CommitCounter() == before);
  CHECK(Deployment::Call(d.clerk, "POST", "/v1/cases", Reception(counter_only.code, "counter"))
            .status == 201);
}

TEST_CASE("steps: the lifecycle, the tracking number, and the supplement clock", "[domain][api]") {
  Deployment d;
  const Procedure& five = d.Find(true, 5);
  auto created =
      Body(Deployment::Call(d.clerk, "POST", "/v1/cases", Reception(five.code, "postal")));
  std::string code(created.at("code").as_string());
  int64_t due = created.at("fields").at("due_at").to_number<int64_t>();
  auto step = [&](const std::string& status, const std::string& extra = "") {
    return Deployment::Call(d.clerk, "POST", "/v1/cases/" + code + "/steps",
                            R"({"officer":"cb.tam","status":")" + status + "\"" + extra + "}");
  };
  auto refused = step("delivered");
  REQUIRE(refused.status == 409);
  auto why = Body(refused);
  CHECK(why.at("error").as_string() == "invalid_step");
  CHECK(why.at("allowed").as_array().size() == AllowedNextSteps("received").size());
  // Handed to the post: its tracking number, which the post's receipt gives, is required.
  auto unposted = step("posted_to_agency");
  REQUIRE(unposted.status == 400);
  CHECK(Body(unposted).at("field").as_string() == "tracking");
  REQUIRE(step("posted_to_agency", R"(,"tracking":"EA123456789VN")").status == 201);
  REQUIRE(step("agency_received").status == 201);
  REQUIRE(step("processing").status == 201);
  // Tuesday 2025-11-25 09:00: the agency asks for a supplement; it arrives Thursday 09:00.
  d.commune->clock.Set(ParseTime("2025-11-25T09:00:00+07:00").value());
  REQUIRE(step("supplement_requested").status == 201);
  d.commune->clock.Set(ParseTime("2025-11-27T09:00:00+07:00").value());
  auto resumed = Body(step("processing"));
  WorkingCalendar cal;
  for (const auto& y : BuiltInYears()) REQUIRE(cal.SetYear(y).ok());
  CHECK(resumed.at("fields").at("due_at").to_number<int64_t>() ==
        cal.AddWorkingMs(due, 2 * cal.WorkingDayMs()));
  CHECK(resumed.at("fields").at("supplement_count").to_number<int>() == 1);
  REQUIRE(step("result_ready").status == 201);
  auto untracked = step("dispatched");
  CHECK(untracked.status == 400);
  CHECK(Body(untracked).at("field").as_string() == "tracking");
  auto sent = Body(step("dispatched", R"(,"tracking":"EB123456789VN")"));
  CHECK(sent.at("fields").at("tracking").as_string() == "EB123456789VN");
  CHECK(sent.at("fields").as_object().contains("finished_at"));
  REQUIRE(step("undeliverable").status == 201);
  REQUIRE(step("returned").status == 201);
  REQUIRE(step("closed").status == 201);
  CHECK(step("processing").status == 409);
  // Every step names its officer, office and time.
  auto history =
      Body(Deployment::Call(d.clerk, "GET", "/v1/cases/" + code)).at("history").as_array();
  CHECK(history.size() == 11);
  for (const auto& h : history) {
    CHECK_FALSE(h.at("officer").as_string().empty());
    CHECK(h.at("office").as_string() == "30280");
    CHECK_FALSE(h.at("at").as_string().empty());
  }
}

TEST_CASE("calendar: the province edits a year, every node's due dates follow", "[domain][api]") {
  Deployment d;
  auto shown = Body(Deployment::Call(d.clerk, "GET", "/v1/calendar?year=2026"));
  REQUIRE(shown.at("years").as_array().size() == 1);
  CHECK(shown.at("years").as_array()[0].at("source").as_string() == "built-in");
  // The commune cannot; the province declares Tuesday 2025-11-25 a holiday.
  const char* table = R"({"officer":"it.tinh","year":2025,"holidays":["2025-11-25"]})";
  CHECK(Deployment::Call(d.clerk, "POST", "/v1/calendar", table).status == 403);
  REQUIRE(Deployment::Call(d.root, "POST", "/v1/calendar", table).status == 201);
  CHECK(Deployment::Call(d.root, "POST", "/v1/calendar",
                         R"({"officer":"it","year":2025,"holidays":["2025-13-01"]})")
            .status == 400);
  d.Replicate();
  auto now2025 = Body(Deployment::Call(d.clerk, "GET", "/v1/calendar?year=2025"));
  CHECK(now2025.at("years").as_array()[0].at("source").as_string() == "$calendar");
  const Procedure& five = d.Find(true, 5);
  auto c = Body(Deployment::Call(d.clerk, "POST", "/v1/cases", Reception(five.code, "counter")));
  // One working day later than before the edit: Tuesday 2 December, 17:00.
  CHECK(c.at("fields").at("due_at").to_number<int64_t>() ==
        ParseTime("2025-12-02T10:00:00Z").value());
  // Working hours per unit.
  REQUIRE(Deployment::Call(
              d.root, "POST", "/v1/calendar",
              R"({"officer":"it","unit":"30280","sessions":[["07:30","11:30"],["13:00","17:00"]]})")
              .status == 201);
  d.Replicate();
  auto hours = Body(Deployment::Call(d.clerk, "GET", "/v1/calendar?year=2025"));
  CHECK(hours.at("sessions").as_array()[0].as_array()[0].as_string() == "07:30");
}

TEST_CASE("report: through the API, as JSON and CSV", "[domain][api][report]") {
  Deployment d;
  const Procedure& postal = d.Find(true, 5);
  const Procedure& counter_only = d.Find(false);
  for (int i = 0; i < 4; ++i) {
    REQUIRE(
        Deployment::Call(d.clerk, "POST", "/v1/cases", Reception(postal.code, "postal")).status ==
        201);
  }
  REQUIRE(Deployment::Call(d.clerk, "POST", "/v1/cases", Reception(counter_only.code, "online"))
              .status == 201);
  auto r = Deployment::Call(d.clerk, "GET", "/v1/report?from=2025-11&to=2025-11&by=procedure");
  REQUIRE(r.status == 200);
  auto body = Body(r);
  CHECK(body.at("scope").as_string() == "30280");
  const auto& total = body.at("total").as_object();
  CHECK(total.at("received").at("total").to_number<int>() == 5);
  CHECK(total.at("received").at("postal").to_number<int>() == 4);
  CHECK(total.at("received").at("online").to_number<int>() == 1);
  CHECK(total.at("in_progress").at("total").to_number<int>() == 5);
  CHECK(total.at("postal_share").to_number<double>() == Approx(0.8));
  CHECK(body.at("rows").as_array().size() == 2);
  auto csv = Deployment::Call(d.clerk, "GET", "/v1/report?from=2025-11&to=2025-11&format=csv");
  CHECK_THAT(csv.content_type, Catch::StartsWith("text/csv"));
  CHECK_THAT(csv.body, Catch::Contains("\r\n,Tổng cộng,,,5,1,0,4,"));
  CHECK(Deployment::Call(d.clerk, "GET", "/v1/report?from=2025-13").status == 400);
  CHECK(Deployment::Call(d.clerk, "GET", "/v1/report?by=colour").status == 400);
  CHECK(Deployment::Call(d.clerk, "GET", "/v1/report?from=2025-12&to=2025-11").status == 400);
}
