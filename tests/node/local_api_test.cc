// LocalApi driven without sockets, on real RocksDB stores and a fake clock.
#include "node/local_api.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "node/api_server.h"
#include "node/json.h"
#include "node/officers.h"
#include "node/web_assets.h"
#include "tests/node/api_fixture.h"
#include "tests/node/test_officers.h"
#include "tests/testing/testing.h"

using namespace hoso;
using namespace hoso::node;
using testing::TempDir;
using namespace hoso::node::testapi;
namespace http = boost::beast::http;

TEST_CASE("local API: receive a case, mint its code, record steps, read its history",
          "[node][api]") {
  Office o;
  auto r = Call(*o.commune_api, "POST", "/v1/cases", Reception());
  REQUIRE(r.status == 201);
  auto c = Body(r);
  // 2025-11-24T16:00Z is 23:00 in Vietnam: the code carries the local date.
  CHECK(c.at("code").as_string() == "30280-251124-0001");
  CHECK(c.at("office").as_string() == "30280");
  const auto& f = c.at("fields").as_object();
  CHECK(f.at("status").as_string() == "received");
  CHECK(f.at("applicant").as_object().at("name").as_string() == "Nguyễn Văn An");
  CHECK(f.at("due_at").to_number<int64_t>() == 1764583200000);  // 2025-12-01 17:00 +07:00
  CHECK(f.at("return_by_post").as_bool());
  CHECK(c.at("history").as_array().size() == 1);
  CHECK(c.at("history").as_array()[0].at("officer").as_string() == "nv.lan");

  auto second = Body(Call(*o.commune_api, "POST", "/v1/cases", Reception("Trần Thị Bình")));
  CHECK(second.at("code").as_string() == "30280-251124-0002");

  auto step = Call(*o.commune_api, "POST", "/v1/cases/30280-251124-0001/steps",
                   R"({"officer":"nv.hung","status":"forwarded","note":"Chuyển huyện"})");
  REQUIRE(step.status == 201);
  auto after = Body(step);
  CHECK(after.at("fields").as_object().at("status").as_string() == "forwarded");
  REQUIRE(after.at("history").as_array().size() == 2);
  CHECK(after.at("history").as_array()[1].at("officer").as_string() == "nv.hung");
  CHECK(after.at("history").as_array()[1].at("type").as_string() == "case.step");

  auto got = Call(*o.commune_api, "GET", "/v1/cases/30280-251124-0001");
  REQUIRE(got.status == 200);
  CHECK(Body(got).at("fingerprint") == after.at("fingerprint"));
}

TEST_CASE("local API: bad requests get a 4xx naming the field, and write nothing", "[node][api]") {
  Office o;
  Store& store = *o.commune->store;
  uint64_t before = store.CommitCounter();
  struct Bad {
    std::string body;
    const char* field;
  };
  auto with = [](const char* key, json::value v) {
    auto req = ParseJson(Reception()).value().as_object();
    if (v.is_null()) {
      req.erase(key);
    } else {
      req[key] = v;
    }
    return json::serialize(req);
  };
  auto applicant = [&](json::object a) { return with("applicant", a); };
  const Bad cases[] = {
      {"{not json", ""},
      {"[1,2]", ""},
      {with("officer", nullptr), "officer"},
      {with("procedure", nullptr), "procedure"},
      {with("channel", "pigeon"), "channel"},
      {with("applicant", nullptr), "applicant"},
      {applicant({{"name", "   "}}), "applicant.name"},
      {applicant({{"name", "An"}, {"id_no", "12ab"}}), "applicant.id_no"},
      {applicant({{"name", "An"}, {"shoe_size", "42"}}), "applicant.shoe_size"},
      {with("return_address", nullptr), "return_address"},
      {with("due_at", "tomorrow"), "due_at"},
      {with("due_at", "2020-01-01T00:00:00Z"), "due_at"},
      {with("fee", -5), "fee"},
      {with("fee", 1.5), "fee"},
      {with("documents", json::array{json::object{{"name", "x"}, {"kind", "photocopy"}}}),
       "documents[0].kind"},
      {with("code", "bad code!"), "code"},
      {with("colour", "blue"), "colour"},
      {with("note", json::string(std::string(5000, 'x'))), "note"},
  };
  for (const auto& b : cases) {
    INFO(b.body);
    auto r = Call(*o.commune_api, "POST", "/v1/cases", b.body);
    CHECK(r.status == 400);
    auto e = Body(r);
    CHECK(e.at("error").as_string() == "invalid");
    if (*b.field) CHECK(e.at("field").as_string() == b.field);
    CHECK(!e.at("reason").as_string().empty());
    CHECK(!e.at("message").as_string().empty());  // for the clerk, in Vietnamese
  }
  auto code = Body(Call(*o.commune_api, "POST", "/v1/cases", Reception())).at("code");
  uint64_t after_one = store.CommitCounter();
  CHECK(after_one == before + 1);  // only the good request wrote
  auto dup = Call(*o.commune_api, "POST", "/v1/cases", with("code", code));
  CHECK(dup.status == 409);
  std::string path = "/v1/cases/" + std::string(code.as_string()) + "/steps";
  CHECK(
      Call(*o.commune_api, "POST", path, R"({"officer":"nv.lan","status":"teleported"})").status ==
      400);
  CHECK(Call(*o.commune_api, "POST", path, R"({"status":"processing"})").status == 400);
  CHECK(Call(*o.commune_api, "POST", "/v1/cases/NOPE-1/steps",
             R"({"officer":"nv.lan","status":"processing"})")
            .status == 404);
  CHECK(store.CommitCounter() == after_one);
}

// Found by the api fuzz target (docs/fuzzing.md): a 404 echoed a path that was not UTF-8
// into its JSON, which a client's parser then refused whole. Answers are UTF-8 JSON always.
TEST_CASE("local API: an answer naming request bytes that are not UTF-8 is still JSON",
          "[node][api]") {
  Office o;
  auto r = Call(*o.commune_api, "GET", "/v1/\xff\xfe");
  CHECK(r.status == 404);
  CHECK(cbor::IsValidUtf8(r.body));
  CHECK(ParseJson(r.body).ok());
  CHECK_THAT(r.body, Catch::Contains("/v1/\xEF\xBF\xBD\xEF\xBF\xBD"));
  for (const std::string target : {"/v1/cases/30280-%C3%28", "/v1/x%F0%9F", "/v1/cases?q=%E1%BB"}) {
    r = Call(*o.commune_api, "GET", target);
    CHECK(cbor::IsValidUtf8(r.body));
    CHECK(ParseJson(r.body).ok());
  }
}

TEST_CASE("local API: the bearer token guards every route but /healthz", "[node][api]") {
  Office o;
  CHECK(o.commune_api->Handle({"GET", "/healthz", "", ""}).status == 200);
  for (const char* target : {"/v1/cases", "/v1/node", "/v1/sync/status", "/metrics"}) {
    CHECK(o.commune_api->Handle({"GET", target, "", ""}).status == 401);
    CHECK(Call(*o.commune_api, "GET", target, "", "0123456789abcdef0123456789abcdeX").status ==
          401);
    CHECK(Call(*o.commune_api, "GET", target).status == 200);
  }
  uint64_t before = o.commune->store->CommitCounter();
  CHECK(o.commune_api->Handle({"POST", "/v1/cases", "Bearer wrong", Reception()}).status == 401);
  CHECK(o.commune->store->CommitCounter() == before);
  CHECK(Call(*o.commune_api, "GET", "/v1/nothing").status == 404);
  CHECK(Call(*o.commune_api, "DELETE", "/v1/cases").status == 404);
}

TEST_CASE("local API: search by status, office, applicant without diacritics, overdue",
          "[node][api]") {
  Office o;
  auto receive = [&](const std::string& name, const std::string& due) {
    auto req = ParseJson(Reception(name)).value().as_object();
    req["due_at"] = due;
    auto r = Call(*o.commune_api, "POST", "/v1/cases", json::serialize(req));
    REQUIRE(r.status == 201);
    return std::string(Body(r).at("code").as_string());
  };
  std::string an = receive("Nguyễn Văn An", "2025-11-25T10:00:00+07:00");
  std::string binh = receive("Trần Thị Bình", "2025-11-28T10:00:00+07:00");
  std::string anh = receive("Nguyễn Văn Ánh", "2025-11-26T10:00:00+07:00");
  for (const char* step : {"processing", "result_ready"}) {
    REQUIRE(Call(*o.commune_api, "POST", "/v1/cases/" + anh + "/steps",
                 std::string(R"({"officer":"nv.lan","status":")") + step + "\"}")
                .status == 201);
  }
  auto codes = [&](const std::string& query) {
    auto r = Call(*o.commune_api, "GET", "/v1/cases" + query);
    REQUIRE(r.status == 200);
    std::set<std::string> out;
    auto body = Body(r);
    for (const auto& c : body.at("cases").as_array()) {
      out.insert(std::string(c.at("code").as_string()));
    }
    return out;
  };
  CHECK(codes("?applicant=nguyen%20van") == std::set<std::string>{an, anh});
  CHECK(codes("?applicant=Nguy%E1%BB%85n+V%C4%83n+An") == std::set<std::string>{an, anh});
  CHECK(codes("?applicant=tran") == std::set<std::string>{binh});
  CHECK(codes("?status=received") == std::set<std::string>{an, binh});
  CHECK(codes("?office=30280&status=result_ready") == std::set<std::string>{anh});
  CHECK(codes("?office=30283").empty());
  CHECK(codes("?due_before=2025-11-27") == std::set<std::string>{an, anh});
  CHECK(codes("").size() == 3);
  CHECK(codes("?limit=2").size() == 2);
  // Two days later: An is overdue; Ánh's result is ready, so it is not; Bình is not due yet.
  o.commune->clock.Advance(2 * 86400000LL);
  CHECK(codes("?overdue=true") == std::set<std::string>{an});
  CHECK(Call(*o.commune_api, "GET", "/v1/cases?limit=0").status == 400);
  CHECK(Call(*o.commune_api, "GET", "/v1/cases?due_before=soon").status == 400);
  CHECK(Call(*o.commune_api, "GET", "/v1/cases?colour=red").status == 400);
}

TEST_CASE("local API: a parent records a step on a child's case, conflicts are shown",
          "[node][api]") {
  Office o;
  std::string code(
      Body(Call(*o.commune_api, "POST", "/v1/cases", Reception())).at("code").as_string());
  REQUIRE(testing::CopyAll(*o.commune->store, *o.province->store, [](const std::string& c) {
            return c == "30280";
          }).ok());
  // Both record a status without seeing the other's: a conflict, shown with both candidates.
  REQUIRE(Call(*o.province_api, "POST", "/v1/cases/" + code + "/steps",
               R"({"officer":"cb.minh","status":"processing"})")
              .status == 201);
  REQUIRE(Call(*o.commune_api, "POST", "/v1/cases/" + code + "/steps",
               R"({"officer":"nv.lan","status":"withdrawn"})")
              .status == 201);
  REQUIRE(testing::CopyAll(*o.province->store, *o.commune->store, [](const std::string& c) {
            return c == "30280";
          }).ok());
  auto c = Body(Call(*o.commune_api, "GET", "/v1/cases/" + code));
  REQUIRE(c.at("conflicts").as_array().size() == 1);
  const auto& conflict = c.at("conflicts").as_array()[0].as_object();
  CHECK(conflict.at("field").as_string() == "status");
  std::set<std::string> officers;
  for (const auto& cand : conflict.at("candidates").as_array()) {
    officers.insert(std::string(cand.at("officer").as_string()));
  }
  CHECK(officers == std::set<std::string>{"cb.minh", "nv.lan"});
  CHECK(c.at("history").as_array().size() == 3);
  std::set<std::string> offices;
  for (const auto& h : c.at("history").as_array())
    offices.insert(std::string(h.at("office").as_string()));
  CHECK(offices == std::set<std::string>{"30280", "89"});

  // The head settles it with one of the candidates and a reason: the fold holds one value.
  std::string chosen;
  for (const auto& cand : conflict.at("candidates").as_array()) {
    if (cand.at("value") == "processing") chosen = std::string(cand.at("id").as_string());
  }
  REQUIRE(chosen.size() == 64);
  const std::string resolve = "/v1/cases/" + code + "/resolve";
  auto no_reason = Call(*o.commune_api, "POST", resolve,
                        R"({"officer":"nv.lan","field":"status","choose":")" + chosen + "\"}");
  CHECK(no_reason.status == 400);
  CHECK(Body(no_reason).at("field").as_string() == "note");
  CHECK(Body(no_reason).at("message").as_string() ==
        "Cần ghi lý do của quyết định giải quyết xung đột.");
  CHECK(Call(*o.commune_api, "POST", resolve,
             R"({"officer":"nv.lan","field":"status","choose":"zz","note":"x"})")
            .status == 400);
  auto settled = Call(*o.commune_api, "POST", resolve,
                      R"({"officer":"nv.lan","field":"status","choose":")" + chosen +
                          R"(","note":"Công dân đồng ý tiếp tục"})");
  INFO(settled.body);
  REQUIRE(settled.status == 201);
  auto after = Body(settled);
  CHECK(after.at("conflicts").as_array().empty());
  CHECK(after.at("fields").at("status").as_string() == "processing");
  CHECK(after.at("history").as_array().back().at("type").as_string() == "case.resolved");
  CHECK(Call(*o.commune_api, "POST", resolve,
             R"({"officer":"nv.lan","field":"status","choose":")" + chosen + R"(","note":"x"})")
            .status == 400);  // nothing left to settle
}

TEST_CASE("local API: a new appointment, an assignment, the register and the QR code",
          "[node][api]") {
  Office o;
  std::string code(
      Body(Call(*o.commune_api, "POST", "/v1/cases", Reception())).at("code").as_string());
  const std::string path = "/v1/cases/" + code;
  auto delayed = Call(*o.commune_api, "POST", path + "/delay",
                      R"({"officer":"nv.lan","appointment_at":"2025-12-20T10:00:00+07:00",)"
                      R"("reason":"Chờ ý kiến của Sở Xây dựng"})");
  INFO(delayed.body);
  REQUIRE(delayed.status == 201);
  CHECK(Body(delayed).at("fields").at("delay_reason").as_string() == "Chờ ý kiến của Sở Xây dựng");
  CHECK(Call(*o.commune_api, "POST", path + "/delay",
             R"({"officer":"nv.lan","appointment_at":"soon","reason":"x"})")
            .status == 400);
  CHECK(Call(*o.commune_api, "POST", path + "/assign", R"({"officer":"nv.lan","assign_to":"ai"})")
            .status == 400);
  REQUIRE(
      Call(*o.commune_api, "POST", path + "/assign", R"({"officer":"nv.lan","assign_to":"cb.tam"})")
          .status == 201);
  auto mine = Body(Call(*o.commune_api, "GET", "/v1/cases?assigned=cb.tam"));
  REQUIRE(mine.at("cases").as_array().size() == 1);
  CHECK(mine.at("cases").as_array()[0].at("appointment_at").as_string() ==
        "2025-12-20T03:00:00.000Z");  // the API's times are UTC (docs/api.md)
  CHECK(Body(Call(*o.commune_api, "GET", "/v1/cases?assigned=nv.lan"))
            .at("cases")
            .as_array()
            .empty());
  auto register_page = Call(*o.commune_api, "GET", "/v1/register?from=2025-01-01&to=2025-12-31");
  INFO(register_page.body);
  REQUIRE(register_page.status == 200);
  auto lines = Body(register_page).at("lines").as_array();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].at("line").as_int64() == 1);
  CHECK(lines[0].at("applicant_name").as_string() == "Nguyễn Văn An");
  CHECK(Body(Call(*o.commune_api, "GET", path)).at("register").at("line").as_int64() == 1);
  CHECK(Call(*o.commune_api, "GET", "/v1/register?from=2025-12-31&to=2025-01-01").status == 400);
  CHECK(Call(*o.commune_api, "GET", "/v1/register?from=2024-12-01&to=2025-01-31").status == 400);
  // Pages: a second reception, one line per page, the next page named.
  REQUIRE(Call(*o.commune_api, "POST", "/v1/cases", Reception()).status == 201);
  auto first =
      Body(Call(*o.commune_api, "GET", "/v1/register?from=2025-01-01&to=2025-12-31&limit=1"));
  CHECK(first.at("lines").as_array().size() == 1);
  CHECK(first.at("volume_lines").as_int64() == 2);
  REQUIRE(first.at("next_line").as_int64() == 2);
  auto second = Body(Call(*o.commune_api, "GET",
                          "/v1/register?from=2025-01-01&to=2025-12-31&limit=1&from_line=2"));
  REQUIRE(second.at("lines").as_array().size() == 1);
  CHECK(second.at("lines").as_array()[0].at("line").as_int64() == 2);
  CHECK(second.at("next_line").as_int64() == 0);
  auto no_line =
      Call(*o.commune_api, "GET", "/v1/register?from=2025-01-01&to=2025-12-31&from_line=0");
  CHECK(no_line.status == 400);
  CHECK(Body(no_line).at("field").as_string() == "from_line");
  CHECK(
      Call(*o.commune_api, "GET", "/v1/register?from=2025-01-01&to=2025-12-31&limit=2001").status ==
      400);
  auto qr = Body(Call(*o.commune_api, "GET", "/v1/qr?text=" + code));
  CHECK(qr.at("size").as_int64() >= 21);
  CHECK(qr.at("rows").as_array().size() == static_cast<size_t>(qr.at("size").as_int64()));
  CHECK(Call(*o.commune_api, "GET", "/v1/qr?text=").status == 400);
  // The login page's office, before anyone signs in; nothing else is public.
  auto office = o.commune_api->Handle({"GET", "/v1/office", "", ""});
  REQUIRE(office.status == 200);
  CHECK(Body(office).at("unit").as_string() == "30280");
  CHECK(o.commune_api->Handle({"GET", "/v1/officers", "", ""}).status == 401);
  // The sets handed in: 1..99.
  {
    auto req = ParseJson(Reception()).value().as_object();
    req["sets"] = 2;
    auto two = Call(*o.commune_api, "POST", "/v1/cases", json::serialize(req));
    INFO(two.body);
    REQUIRE(two.status == 201);
    CHECK(Body(two).at("fields").at("sets").as_int64() == 2);
    req["sets"] = 0;
    CHECK(Call(*o.commune_api, "POST", "/v1/cases", json::serialize(req)).status == 400);
  }
}

TEST_CASE("local API: the directory is loaded only at the root, status and metrics",
          "[node][api]") {
  Office o;
  std::string csv = "code,parent_code,name,type\n89,,Tỉnh An Giang,Tỉnh\n";
  auto refused = Call(*o.commune_api, "POST", "/v1/directory?officer=it", csv);
  CHECK(refused.status == 403);
  CHECK(Call(*o.province_api, "POST", "/v1/directory", csv).status == 400);  // no officer
  CHECK(Call(*o.province_api, "POST", "/v1/directory?officer=it", "code,parent\n,,\n").status ==
        400);
  auto dir = Body(Call(*o.commune_api, "GET", "/v1/directory"));
  CHECK(dir.at("units").as_array().size() == testing::SmallTree().size());

  auto status = Body(Call(*o.commune_api, "GET", "/v1/sync/status"));
  CHECK(status.at("unit").as_string() == "30280");
  CHECK(status.at("state").as_string() == "offline");  // an upstream is configured, none up
  CHECK(Body(Call(*o.province_api, "GET", "/v1/sync/status")).at("state").as_string() ==
        "no_upstream");

  REQUIRE(Call(*o.commune_api, "POST", "/v1/cases", Reception()).status == 201);
  auto metrics = Call(*o.commune_api, "GET", "/metrics");
  REQUIRE(metrics.status == 200);
  CHECK_THAT(metrics.content_type, Catch::StartsWith("text/plain"));
  CHECK_THAT(metrics.body, Catch::Contains("# TYPE hoso_cases gauge\nhoso_cases 1\n"));
  CHECK_THAT(metrics.body, Catch::Contains("hoso_api_responses_total{code=\"201\"} 1\n"));
  auto scope = Body(Call(*o.commune_api, "GET", "/v1/scope"));
  CHECK(scope.at("by_status").as_object().at("received").to_number<int>() == 1);
}

TEST_CASE("local API: sync status shows one line per child office, its live session first",
          "[node][api]") {
  Office o;
  auto peer = [](std::string unit, bool connected, int64_t since, bool upstream = false) {
    sync::PeerStatus p;
    p.unit = std::move(unit);
    p.connected = connected;
    p.since_ms = since;
    p.upstream = upstream;
    p.address = "127.0.0.1:" + std::to_string(since);
    return p;
  };
  std::vector<sync::PeerStatus> peers = {
      peer("883", true, 10, true), peer("30280", false, 20), peer("30280", true, 30),
      peer("30280", false, 40),    peer("30283", false, 50), peer("30283", false, 60),
      peer("", false, 1),          peer("", false, 2),       peer("", false, 3),
      peer("", false, 4),          peer("", false, 5),       peer("", false, 6),
  };
  LocalApi api(o.province->store.get(), &o.province->clock, kToken,
               NodeView{[&] { return peers; }, {"127.0.0.1:10"}, testing::kTestNow});
  auto body = Body(Call(api, "GET", "/v1/sync/status"));
  std::vector<std::string> lines;
  for (const auto& p : body.at("peers").as_array()) {
    lines.push_back(std::string(p.at("unit").as_string()) + "@" +
                    std::string(p.at("address").as_string()));
  }
  CHECK(lines == std::vector<std::string>{"883@127.0.0.1:10", "30280@127.0.0.1:30",
                                          "30283@127.0.0.1:60", "@127.0.0.1:6", "@127.0.0.1:5",
                                          "@127.0.0.1:4", "@127.0.0.1:3", "@127.0.0.1:2"});
  CHECK(body.at("state").as_string() == "online");
  CHECK(body.at("clocks_ahead").as_array().empty());

  // A commune writing with its clock a day ahead is named, at any node its events reach.
  o.commune->clock.Set(testing::kTestNow + 86'400'000);
  REQUIRE(o.commune->store->Append(testing::ReceiveWrite("30280", "30280-1", "An", 1)).ok());
  REQUIRE(testing::CopyAll(*o.commune->store, *o.province->store, [](const std::string& c) {
            return c == "30280";
          }).ok());
  body = Body(Call(api, "GET", "/v1/sync/status"));
  const auto& ahead = body.at("clocks_ahead").as_array();
  REQUIRE(ahead.size() == 1);
  CHECK(ahead[0].at("unit").as_string() == "30280");
  CHECK(ahead[0].at("max_ahead_ms").as_int64() > 86'000'000);
  CHECK(ahead[0].at("events").to_number<uint64_t>() == 1);
  CHECK_THAT(Call(api, "GET", "/metrics").body,
             Catch::Contains("hoso_origin_clock_ahead_ms{origin=\"30280\",epoch=\"1\"}"));
}

TEST_CASE("local API: the web app's files are served without a token, nothing else is",
          "[node][api]") {
  Office o;
  auto page = o.commune_api->Handle({"GET", "/", "", "", ""});
  CHECK(page.status == 200);
  CHECK_THAT(page.content_type, Catch::StartsWith("text/html"));
  CHECK_THAT(page.body, Catch::Contains("<html lang=\"vi\">"));
  CHECK_THAT(page.body, Catch::Contains("/app.js"));
  auto js = o.commune_api->Handle({"GET", "/app.js", "", "", ""});
  CHECK(js.status == 200);
  CHECK_THAT(js.content_type, Catch::StartsWith("text/javascript"));
  CHECK_THAT(js.body, Catch::Contains("Tiếp nhận hồ sơ"));
  // No external resource: the app works in an office with no internet. (The SVG namespace
  // is a name, never fetched.)
  for (const auto& a : WebAssets()) {
    INFO(a.path);
    std::string body(a.bytes);
    if (auto at = body.find("\"http://www.w3.org/2000/svg\""); at != std::string::npos) {
      body.erase(at, 28);
    }
    CHECK(body.find("http://") == std::string::npos);
    CHECK(body.find("https://") == std::string::npos);
  }
  CHECK(o.commune_api->Handle({"GET", "/secret.txt", "", "", ""}).status == 404);
  CHECK(o.commune_api->Handle({"GET", "/v1/cases", "", "", ""}).status == 401);
}

// Issue 16: any field of a case may come from a hostile office. The app never parses data as
// HTML, and the CSP (ApiServer) forbids inline script, so no file may need either.
TEST_CASE("web app: no HTML parsing of data, no inline script, handler or style", "[node][api]") {
  const std::regex inline_script(R"(<script(?![^>]*\bsrc=)[^>]*>)", std::regex::icase);
  const std::regex handler(R"(<[^>]*\son[a-z]+\s*=)", std::regex::icase);
  const std::regex style_attr(R"(<[^>]*\sstyle\s*=|<style)", std::regex::icase);
  const std::regex html_sink(
      R"(innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function)");
  size_t scripts = 0;
  for (const auto& a : WebAssets()) {
    INFO(a.path);
    std::string body(a.bytes);
    if (a.path.ends_with(".html")) {
      CHECK_FALSE(std::regex_search(body, inline_script));
      CHECK_FALSE(std::regex_search(body, handler));
      CHECK_FALSE(std::regex_search(body, style_attr));
    }
    if (a.path.ends_with(".js")) {
      ++scripts;
      CHECK_FALSE(std::regex_search(body, html_sink));
      CHECK(body.find("style=") == std::string::npos);
    }
  }
  CHECK(scripts >= 1);
}

TEST_CASE("API server: every response carries the CSP and the security headers", "[node][api]") {
  Office o;
  Logger log(stderr);
  ApiServer server(o.commune_api.get(), &log);
  auto port = server.Start("127.0.0.1", 0, 1);
  REQUIRE(port.ok());
  struct Probe {
    http::verb verb;
    std::string target;
    size_t body;
    unsigned status;
  };
  for (const auto& p : std::vector<Probe>{{http::verb::get, "/", 0, 200},
                                          {http::verb::get, "/app.js", 0, 200},
                                          {http::verb::get, "/app.css", 0, 200},
                                          {http::verb::get, "/healthz", 0, 200},
                                          {http::verb::get, "/v1/cases", 0, 401},
                                          {http::verb::get, "/nothing-here", 0, 404},
                                          {http::verb::post, "/v1/cases", 2 << 20, 401},
                                          {http::verb::post, "/v1/cases?token", 2 << 20, 413}}) {
    INFO(p.target << " " << p.status);
    std::vector<std::pair<std::string, std::string>> headers;
    if (p.target.ends_with("?token"))
      headers = {{"Authorization", std::string("Bearer ") + kToken}};
    auto res = Fetch(*port, p.verb, p.target, std::string(p.body, 'x'), headers);
    CHECK(res.result_int() == p.status);
    CHECK(std::string(res["Content-Security-Policy"]) ==
          "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
          "base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
    CHECK(std::string(res["X-Content-Type-Options"]) == "nosniff");
    CHECK(std::string(res["Referrer-Policy"]) == "no-referrer");
    CHECK(std::string(res["X-Frame-Options"]) == "DENY");
  }
  server.Stop();
}

// Issue 16, "The office LAN": DNS rebinding. A page of evil.example, whose name now resolves
// to the office's node, reads and writes with Host: evil.example. Only this node's names
// are answered.
TEST_CASE("API server: a Host that is not this node's address or a configured name gets 421",
          "[node][api]") {
  Office o;
  Logger log(stderr);
  ApiServerOptions options;
  options.names = {"hoso.xa-my-binh.vn", "192.168.1.10:7480", "Quay-1"};
  ApiServer server(o.commune_api.get(), &log, options);
  auto port = server.Start("127.0.0.1", 0, 1);
  REQUIRE(port.ok());
  const std::string p = std::to_string(*port);
  auto with_host = [&](const std::string& host, const std::string& target = "/v1/cases") {
    return Fetch(*port, http::verb::get, target, "",
                 {{"Host", host}, {"Authorization", std::string("Bearer ") + kToken}});
  };
  for (const std::string& host : std::vector<std::string>{
           "evil.example:" + p, "evil.example", "127.0.0.2:" + p, "localhost:1", "[::2]:" + p,
           "hoso.xa-my-binh.vn:1", "192.168.1.10:" + p + "0", "127.0.0.1.evil.example:" + p,
           std::string("")}) {
    INFO(host);
    auto res = with_host(host);
    CHECK(res.result_int() == 421);
    CHECK_THAT(res.body(), Catch::Contains("misdirected"));
    CHECK_THAT(res.body(), Catch::Contains("api_names"));
    CHECK(std::string(res["Content-Security-Policy"]).size() > 0);
    CHECK(with_host(host, "/").result_int() == 421);  // the app's page too
  }
  for (const std::string& host :
       std::vector<std::string>{"127.0.0.1:" + p, "localhost:" + p, "LocalHost:" + p, "[::1]:" + p,
                                "127.0.0.1", "hoso.xa-my-binh.vn:" + p, "HOSO.xa-my-binh.vn:" + p,
                                "192.168.1.10:7480", "quay-1:" + p}) {
    INFO(host);
    CHECK(with_host(host).result_int() == 200);
  }
  server.Stop();
}

namespace {

// A client that sends what it is told and reads one response, waiting at most `wait`.
struct RawClient {
  asio::io_context io;
  beast::tcp_stream stream{io};
  explicit RawClient(uint16_t port) {
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  void Send(const std::string& bytes) { asio::write(stream.socket(), asio::buffer(bytes)); }
  // The status, or 0 if none came in time.
  int Status(std::chrono::milliseconds wait = std::chrono::milliseconds(3000)) {
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    int status = 0;
    http::async_read(stream, buffer, res, [&](beast::error_code ec, size_t) {
      if (!ec) status = res.result_int();
    });
    io.run_for(wait);
    io.restart();
    if (status == 0) stream.cancel();
    io.run_for(std::chrono::milliseconds(100));
    io.restart();
    return status;
  }
};

std::string Head(const std::string& request_line, size_t length, const std::string& extra = "") {
  return request_line + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
         extra + "Content-Length: " + std::to_string(length) + "\r\n\r\n";
}

}  // namespace

// Issue 16, "Bounded resources": the bundle route read up to 1 GiB into memory before it
// checked the token. Authentication is decided from the headers; bodies are bounded in total.
TEST_CASE("API server: authentication from the headers before any body, bodies bounded in total",
          "[node][api]") {
  Office o;
  testing::TempDir accounts;
  OfficerDirectory officers;
  REQUIRE(officers.Add("nv.lan", "Nguyễn Thị Lan", Role::kHead, "mat-khau-dai-1", 1000).ok());
  REQUIRE(officers.Save(accounts.Sub("officers.json")).ok());
  NodeView view;
  view.officers_file = accounts.Sub("officers.json");
  LocalApi api(o.commune->store.get(), &o.commune->clock, kToken, view);
  auto login =
      api.Handle({"POST", "/v1/login", "", R"({"login":"nv.lan","password":"mat-khau-dai-1"})", "",
                  "application/json"});
  REQUIRE(login.status == 200);
  std::string cookie = login.set_cookie.substr(0, login.set_cookie.find(';'));
  Logger log(stderr);
  ApiServerOptions options;
  options.max_buffered_bytes = (3 << 20) / 2;  // room for one 1 MiB body, not two
  ApiServer server(&api, &log, options);
  auto port = server.Start("127.0.0.1", 0, 2);
  REQUIRE(port.ok());
  const std::string bearer = std::string("Authorization: Bearer ") + kToken + "\r\n";

  // No token, a 1 GiB bundle announced: 401 at once, no byte of the body sent or read.
  for (const char* target : {"POST /v1/bundle", "POST /v1/cases", "POST /v1/bundle?x=1"}) {
    INFO(target);
    RawClient c(*port);
    c.Send(Head(target, size_t{1} << 30));
    CHECK(c.Status() == 401);
  }
  {
    RawClient c(*port);
    c.Send(Head("POST /v1/bundle", size_t{1} << 30, "Authorization: Bearer wrong\r\n"));
    CHECK(c.Status() == 401);
  }
  // A session is not enough for a bundle: 403, before the body.
  {
    RawClient c(*port);
    c.Send(Head("POST /v1/bundle", size_t{1} << 30, "Cookie: " + cookie + "\r\n"));
    CHECK(c.Status() == 403);
  }
  // A bundle must say its length.
  {
    RawClient c(*port);
    c.Send("POST /v1/bundle HTTP/1.1\r\nHost: 127.0.0.1\r\n" + bearer +
           "Transfer-Encoding: chunked\r\n\r\n");
    CHECK(c.Status() == 411);
  }
  // One client is sending a 1 MiB body slowly; a second one over the total budget gets 503;
  // once the first is done, the budget is free again.
  testing::SyncPointsOn points;
  RawClient slow(*port);
  slow.Send(Head("POST /v1/cases", 1 << 20, bearer) + "{");
  REQUIRE(points.Reached("ApiServer::BodyAdmitted"));
  {
    RawClient c(*port);
    c.Send(Head("POST /v1/cases", 1 << 20, bearer));
    CHECK(c.Status() == 503);
  }
  slow.Send(std::string((1 << 20) - 1, ' '));
  CHECK(slow.Status() == 400);  // read and handled: "{" and spaces are not JSON
  {
    RawClient c(*port);
    c.Send(Head("POST /v1/cases", 2, bearer) + "{}");
    CHECK(c.Status() == 400);  // admitted (and then refused for its fields)
  }
  // A second bundle while one is being read: 503.
  RawClient bundle(*port);
  const int admitted = SyncPoints::Count("ApiServer::BodyAdmitted");
  bundle.Send(Head("POST /v1/bundle", 1 << 20, bearer) + "x");
  REQUIRE(points.Reached("ApiServer::BodyAdmitted", admitted + 1));
  {
    RawClient c(*port);
    c.Send(Head("POST /v1/bundle", 10, bearer));
    CHECK(c.Status() == 503);
  }
  server.Stop();
}

// Issue 16: PBKDF2 ran on the API's two io threads, so clients sending passwords made every
// request wait. Logins run on a pool of their own with a bounded queue.
TEST_CASE("API server: logins are checked off the API's threads, on a bounded queue",
          "[node][api]") {
  Office o;
  testing::TempDir accounts;
  OfficerDirectory officers;
  // Slow on purpose (several times the CLI's 600,000): each login takes a second or so.
  REQUIRE(officers.Add("nv.lan", "Nguyễn Thị Lan", Role::kHead, "mat-khau-dai-1", 3000000).ok());
  REQUIRE(officers.Save(accounts.Sub("officers.json")).ok());
  NodeView view;
  view.officers_file = accounts.Sub("officers.json");
  LocalApi api(o.commune->store.get(), &o.commune->clock, kToken, view);
  Logger log(stderr);
  ApiServerOptions options;
  options.login_queue = 2;
  ApiServer server(&api, &log, options);
  auto port = server.Start("127.0.0.1", 0, 2);
  REQUIRE(port.ok());
  const std::string body = R"({"login":"nv.lan","password":"mat-khau-dai-1"})";
  testing::SyncPointsOn points;
  std::vector<std::unique_ptr<RawClient>> logins;
  for (int i = 0; i < 2; ++i) {
    logins.push_back(std::make_unique<RawClient>(*port));
    logins.back()->Send(Head("POST /v1/login", body.size()) + body);
  }
  REQUIRE(points.Reached("ApiServer::LoginQueued", 2));
  {
    RawClient third(*port);
    third.Send(Head("POST /v1/login", body.size()) + body);
    CHECK(third.Status() == 503);  // the queue is full
  }
  // Meanwhile the API answers at once.
  for (int i = 0; i < 4; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto res = Fetch(*port, http::verb::get, "/v1/cases", "",
                     {{"Authorization", std::string("Bearer ") + kToken}});
    CHECK(res.result_int() == 200);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(150));
  }
  for (auto& c : logins) CHECK(c->Status(std::chrono::milliseconds(20000)) == 200);
  server.Stop();
}

TEST_CASE("local API: codes written by others cannot make minting wrap or collide", "[node][api]") {
  Office o;
  // An ancestor may write any code of this channel: a huge number, and the next code to mint.
  for (const char* code : {"30280-251124-18446744073709551615", "30280-251124-0001"}) {
    REQUIRE(o.commune->store->Append(testing::ReceiveWrite("30280", code, "An", 1)).ok());
  }
  CHECK(Minted(*o.commune_api) == "30280-251124-0002");
}

// Issue 17: one mutex serialised every API write, fsync included, so concurrent receptions
// never shared a commit. A write holds only its case's code: receptions mint distinct codes,
// a given code is received once, and a case's step is checked against the state it changes.
TEST_CASE("local API: concurrent writes mint distinct codes, and each case's check holds",
          "[node][api]") {
  Office o;
  constexpr int kThreads = 8, kEach = 10;
  auto in_parallel = [&](const std::function<HttpResponse(int)>& request) {
    std::vector<HttpResponse> out(kThreads * kEach);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) out[t * kEach + i] = request(t);
      });
    }
    for (auto& th : threads) th.join();
    return out;
  };
  auto code_of = [](const HttpResponse& r) {
    auto v = ParseJson(r.body);
    return v.ok() && v->is_object() && v->as_object().contains("code")
               ? std::string(v->as_object().at("code").as_string())
               : std::string();
  };

  std::set<std::string> codes;
  for (const auto& r : in_parallel([&](int t) {
         return Call(*o.commune_api, "POST", "/v1/cases", Reception("An " + std::to_string(t)));
       })) {
    INFO(r.body);
    CHECK(r.status == 201);
    codes.insert(code_of(r));
  }
  CHECK(codes.size() == kThreads * kEach);
  CHECK(o.commune->store->CaseCount() == kThreads * kEach);

  // One code given by every request at once: received once, 409 for the others.
  json::object given = ParseJson(Reception())->as_object();
  given["code"] = "30280-QUAY1-0001";
  std::map<int, int> by_status;
  for (const auto& r : in_parallel([&](int) {
         return Call(*o.commune_api, "POST", "/v1/cases", json::serialize(given));
       })) {
    ++by_status[r.status];
  }
  CHECK(by_status == std::map<int, int>{{201, 1}, {409, kThreads * kEach - 1}});

  // One step that the lifecycle allows once (received -> processing): recorded once.
  by_status.clear();
  for (const auto& r : in_parallel([&](int) {
         return Call(*o.commune_api, "POST", "/v1/cases/30280-QUAY1-0001/steps",
                     R"({"officer":"nv.lan","status":"processing"})");
       })) {
    ++by_status[r.status];
  }
  CHECK(by_status == std::map<int, int>{{201, 1}, {409, kThreads * kEach - 1}});
}

// Issue 17: API writes waited for their fsync on the API's io threads, so a slow disk stalled
// every request. Requests that read the store or a file run on workers, with a bounded
// queue; the io threads keep answering.
TEST_CASE("API server: requests run on workers with a bounded queue, off the io threads",
          "[node][api]") {
  Office o;
  TempDir dir;
  // The officers file is a FIFO: a write that names an officer reads it (node/api/auth.cc)
  // and so waits, on its worker, until the test opens it for writing.
  const std::string fifo = dir.Sub("officers.json");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  NodeView view;
  view.officers_file = fifo;
  LocalApi api(o.commune->store.get(), &o.commune->clock, kToken, view);
  Logger log(stderr);
  ApiServerOptions options;
  options.workers = 2;
  options.worker_queue = 3;
  ApiServer server(&api, &log, options);
  auto port = server.Start("127.0.0.1", 0, 1);  // one io thread
  REQUIRE(port.ok());
  const std::string bearer = std::string("Authorization: Bearer ") + kToken + "\r\n";
  const std::string list = "GET /v1/cases HTTP/1.1\r\nHost: 127.0.0.1\r\n" + bearer + "\r\n";
  const std::string body = Reception();
  testing::SyncPointsOn points;
  std::vector<std::unique_ptr<RawClient>> writes;
  for (int i = 0; i < 2; ++i) {
    writes.push_back(std::make_unique<RawClient>(*port));
    writes.back()->Send(Head("POST /v1/cases", body.size(), bearer) + body);
  }
  REQUIRE(points.Reached("ApiServer::JobQueued", 2));
  // Both workers wait; the io thread answers what it answers from memory.
  for (const char* target : {"/healthz", "/", "/app.js"}) {
    INFO(target);
    RawClient c(*port);
    c.Send(std::string("GET ") + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    CHECK(c.Status(std::chrono::milliseconds(1000)) == 200);
  }
  // A third request waits for a worker; a fourth finds the queue full.
  RawClient queued(*port);
  queued.Send(list);
  REQUIRE(points.Reached("ApiServer::JobQueued", 3));
  {
    RawClient c(*port);
    c.Send(list);
    CHECK(c.Status(std::chrono::milliseconds(1000)) == 503);
  }
  // The file opens (empty: no officers, so the writes get 403) and everything goes on.
  std::atomic<bool> done{false};
  std::thread opener([&] {
    while (!done) {  // every reader of the FIFO gets its end of file
      int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
      if (fd >= 0) ::close(fd);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  for (auto& w : writes) CHECK(w->Status() == 403);
  CHECK(queued.Status() == 200);
  server.Stop();
  done = true;
  opener.join();
}

// Issue 17: minting read every code of the day for each reception (56% of the node's CPU at
// 32 clients). It reads them once and keeps a mark of the day's highest number; what others
// write past the mark is skipped, and a run of them longer than minting looks at makes it
// read the day's codes again.
TEST_CASE("local API: minting keeps a mark of the day's highest number and skips codes past it",
          "[node][api]") {
  Office o;
  Store& store = *o.commune->store;
  auto mint = [&] { return Minted(*o.commune_api); };
  auto write = [&](int from, int to) {
    std::vector<LocalWrite> writes;
    for (int n = from; n <= to; ++n) {
      char code[32];
      std::snprintf(code, sizeof code, "30280-251124-%04d", n);
      writes.push_back(testing::ReceiveWrite("30280", code, "An", 1));
    }
    REQUIRE(store.Append(std::move(writes)).ok());
  };
  CHECK(mint() == "30280-251124-0001");
  write(2, 2);  // by another writer, past the mark
  CHECK(mint() == "30280-251124-0003");
  // A code given in a request, past the mark.
  json::object given = ParseJson(Reception())->as_object();
  given["code"] = "30280-251124-0004";
  REQUIRE(Call(*o.commune_api, "POST", "/v1/cases", json::serialize(given)).status == 201);
  CHECK(mint() == "30280-251124-0005");
  write(6, 100);  // more than the 64 numbers minting asks of after its mark
  CHECK(mint() == "30280-251124-0101");
  CHECK(mint() == "30280-251124-0102");
  // A node opened anew (its mark gone) follows the day's highest number.
  NodeView view;
  view.officers_file = o.dir.Sub("30280-officers.json");
  LocalApi again(&store, &o.commune->clock, kToken, view);
  CHECK(Minted(again) == "30280-251124-0103");
}

// Issue 17: a revocation was checked (the origin not yet revoked) and written without holding
// anything, so two at once both wrote one and both answered 201.
TEST_CASE("local API: concurrent revocations of one origin: one is recorded, the others 409",
          "[node][api]") {
  Office o;
  constexpr int kThreads = 8;
  const std::string revoke =
      R"({"officer":"system","unit":"30280","epoch":1,"reason":"máy bị mất"})";
  std::vector<int> status(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back(
        [&, t] { status[t] = Call(*o.province_api, "POST", "/v1/revocations", revoke).status; });
  }
  for (auto& th : threads) th.join();
  CHECK(std::count(status.begin(), status.end(), 201) == 1);
  CHECK(std::count(status.begin(), status.end(), 409) == kThreads - 1);
  auto head = o.province->store->Head(StreamKey{std::string(kRevocationsChannel), "89", 1});
  REQUIRE(head);
  CHECK(head->seq == 1);
}

// Issue 17: Admit runs on an io thread before the body is read; for a session it checked the
// account against the officers file, a stat and, when the file changed, a read, so a slow
// disk stalled the io thread. It asks the session table only; the worker checks the account.
TEST_CASE("API server: admitting a session reads no file on the io thread", "[node][api]") {
  Office o;
  TempDir dir;
  const std::string file = dir.Sub("officers.json");
  testing::WriteTestOfficers(file);
  NodeView view;
  view.officers_file = file;
  LocalApi api(o.commune->store.get(), &o.commune->clock, kToken, view);
  auto login =
      api.Handle({"POST", "/v1/login", "", R"({"login":"nv.lan","password":"mat-khau-thu-nghiem"})",
                  "", "application/json"});
  REQUIRE(login.status == 200);
  const std::string cookie = login.set_cookie.substr(0, login.set_cookie.find(';'));
  // The officers file becomes a FIFO: whoever reads it waits until the test opens it.
  const std::string fifo = dir.Sub("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  REQUIRE(::rename(fifo.c_str(), file.c_str()) == 0);
  Logger log(stderr);
  ApiServerOptions options;
  options.workers = 1;
  ApiServer server(&api, &log, options);
  auto port = server.Start("127.0.0.1", 0, 1);  // one io thread
  REQUIRE(port.ok());
  testing::SyncPointsOn points;
  RawClient session(*port);
  session.Send("GET /v1/cases HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: " + cookie + "\r\n\r\n");
  // (CHECK, not REQUIRE: the FIFO must be opened below whatever happened, or nothing ends.)
  CHECK(points.Reached("ApiServer::JobQueued"));
  {
    RawClient c(*port);
    c.Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    CHECK(c.Status(std::chrono::milliseconds(1000)) == 200);
  }
  std::atomic<bool> done{false};
  std::thread opener([&] {
    while (!done) {  // the reader gets its end of file: no officers, the session ends
      int fd = ::open(file.c_str(), O_WRONLY | O_NONBLOCK);
      if (fd >= 0) ::close(fd);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  CHECK(session.Status() == 401);
  server.Stop();
  done = true;
  opener.join();
}
