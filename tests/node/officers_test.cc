// Officer accounts, sessions, and what a logged-in officer may do through the API.
#include "node/officers.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <functional>

#include "core/format/crypto.h"
#include "node/daemon.h"
#include "node/json.h"
#include "node/local_api.h"
#include "node/sessions.h"
#include "tests/testing/testing.h"

using namespace hoso;
using namespace hoso::node;

namespace {

constexpr uint32_t kFast = 1000;  // iterations for tests; accounts made by the CLI use 600,000

std::string CookieOf(const HttpResponse& r) {
  return r.set_cookie.substr(0, r.set_cookie.find(';'));
}

}  // namespace

TEST_CASE("officers: PBKDF2-HMAC-SHA256 matches the published vector", "[node][officers]") {
  // RFC 7914 section 11 / common PBKDF2-HMAC-SHA256 vector: P="password", S="salt", c=1.
  auto h = HashPassword("password", "salt", 1);
  REQUIRE(h.ok());
  CHECK(Hex(*h) == "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
}

TEST_CASE("officers: accounts, passwords, roles, and a private file", "[node][officers]") {
  testing::TempDir dir;
  std::string file = dir.Sub("officers.json");
  auto d = OfficerDirectory::Load(file);  // missing: empty
  REQUIRE(d.ok());
  REQUIRE(d->Add("nv.lan", "Nguyễn Thị Lan", Role::kReception, "mat-khau-dai-1", kFast).ok());
  CHECK(d->Add("nv.lan", "x", Role::kHead, "another-long-1", kFast).code() == Code::kAlreadyExists);
  CHECK(d->Add("cb.ngan", "x", Role::kHead, "short", kFast).code() == Code::kInvalidArgument);
  CHECK(d->Add("Bad Login", "x", Role::kHead, "long-enough-1", kFast).code() ==
        Code::kInvalidArgument);
  REQUIRE(d->Save(file).ok());
  struct stat st;
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(node::ReadTextFile(file, "f").value().find("mat-khau") == std::string::npos);

  auto back = OfficerDirectory::Load(file);
  REQUIRE(back.ok());
  auto ok = back->Verify("nv.lan", "mat-khau-dai-1");
  REQUIRE(ok.ok());
  CHECK(ok->name == "Nguyễn Thị Lan");
  CHECK(back->Verify("nv.lan", "wrong-password").status().code() == Code::kPermissionDenied);
  CHECK(back->Verify("nobody", "mat-khau-dai-1").status().message() ==
        back->Verify("nv.lan", "wrong-password").status().message());
  REQUIRE(back->SetPassword("nv.lan", "mat-khau-moi-2").ok());
  CHECK_FALSE(back->Verify("nv.lan", "mat-khau-dai-1").ok());
  CHECK(back->Verify("nv.lan", "mat-khau-moi-2").ok());
  REQUIRE(back->Remove("nv.lan").ok());
  CHECK(back->Remove("nv.lan").code() == Code::kNotFound);

  CHECK(RoleMayRecord(Role::kReception, "received"));
  CHECK(RoleMayRecord(Role::kReception, "dispatched"));
  CHECK_FALSE(RoleMayRecord(Role::kReception, "result_ready"));
  CHECK(RoleMayRecord(Role::kProcessing, "result_ready"));
  CHECK_FALSE(RoleMayRecord(Role::kProcessing, "received"));
  CHECK(RoleMayRecord(Role::kHead, "received"));
  CHECK(RoleMayRecord(Role::kHead, "result_ready"));
  CHECK_FALSE(RoleMayRecord(Role::kAuditor, "received"));
  CHECK_FALSE(ParseRole("admin").ok());
}

TEST_CASE("sessions: expire after 30 idle minutes or 10 hours, logout ends them",
          "[node][officers]") {
  FakeClock clock(testing::kTestNow);
  SessionTable t(&clock);
  Officer o{"nv.lan", "Lan", Role::kReception, "salt", "hash", kFast};
  auto token = t.Open(o);
  REQUIRE(token.ok());
  CHECK(token->size() == 64);
  auto s = t.Lookup(*token);
  REQUIRE(s);
  CHECK(s->officer.login == "nv.lan");
  CHECK(s->officer.hash.empty());  // no password material kept
  for (int i = 0; i < 20; ++i) {   // used every 29 minutes: alive until 10 hours
    clock.Advance(29 * 60 * 1000);
    REQUIRE(t.Lookup(*token));
  }
  clock.Advance(29 * 60 * 1000);
  CHECK_FALSE(t.Lookup(*token));  // 21 x 29 min > 10 h
  auto idle = t.Open(o);
  clock.Advance(31 * 60 * 1000);
  CHECK_FALSE(t.Lookup(*idle));
  auto closed = t.Open(o);
  t.Close(*closed);
  CHECK_FALSE(t.Lookup(*closed));
  CHECK_FALSE(t.Lookup("not-a-token"));
}

TEST_CASE("API: officers log in, what they write is recorded as them, within their role",
          "[node][officers][api]") {
  testing::TempDir dir;
  auto province = testing::OpenTestNode(dir.Sub("89"), "89");
  auto commune = testing::OpenTestNode(dir.Sub("30280"), "30280");
  REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  REQUIRE(testing::CopyAll(*province->store, *commune->store, [](const std::string& c) {
            return c == kDirectoryChannel;
          }).ok());
  OfficerDirectory officers;
  REQUIRE(officers.Add("nv.lan", "Nguyễn Thị Lan", Role::kReception, "mat-khau-dai-1", kFast).ok());
  REQUIRE(
      officers.Add("cb.minh", "Trần Văn Minh", Role::kProcessing, "mat-khau-dai-2", kFast).ok());
  REQUIRE(officers.Add("tt.hoa", "Lê Thị Hoa", Role::kAuditor, "mat-khau-dai-3", kFast).ok());
  REQUIRE(officers.Save(dir.Sub("officers.json")).ok());
  NodeView view;
  view.officers_file = dir.Sub("officers.json");
  LocalApi api(commune->store.get(), &commune->clock, "0123456789abcdef0123456789abcdef", view);
  auto call = [&](const std::string& method, const std::string& target, const std::string& body,
                  const std::string& cookie) {
    HttpRequest r{method, target, "", body, cookie, body.empty() ? "" : "application/json"};
    return api.Handle(r);
  };
  auto login = [&](const std::string& who, const std::string& password) {
    auto r = call("POST", "/v1/login",
                  json::serialize(json::object{{"login", who}, {"password", password}}), "");
    return r;
  };
  CHECK(login("nv.lan", "wrong-password").status == 401);
  CHECK(call("GET", "/v1/cases", "", "hoso_session=forged").status == 401);
  auto lan = login("nv.lan", "mat-khau-dai-1");
  REQUIRE(lan.status == 200);
  CHECK_THAT(lan.set_cookie, Catch::Contains("HttpOnly"));
  CHECK_THAT(lan.set_cookie, Catch::Contains("SameSite=Strict"));
  std::string lan_cookie = "theme=dark; " + CookieOf(lan);
  CHECK(json::parse(call("GET", "/v1/me", "", lan_cookie).body).at("role").as_string() ==
        "reception");

  const std::string reception =
      R"({"procedure":"TEST-1002668","channel":"counter","applicant":{"name":"Võ Văn Phúc"}})";
  auto created = call("POST", "/v1/cases", reception, lan_cookie);
  REQUIRE(created.status == 201);
  auto c = json::parse(created.body);
  std::string code(c.at("code").as_string());
  CHECK(c.at("history").as_array()[0].at("officer").as_string() == "nv.lan");
  CHECK(c.at("allowed_next").as_array().size() > 0);
  // A session writes only as itself, and within its role.
  CHECK(
      call(
          "POST", "/v1/cases",
          R"({"officer":"someone.else","procedure":"TEST-1002668","channel":"counter","applicant":{"name":"X"}})",
          lan_cookie)
          .status == 403);
  CHECK(call("POST", "/v1/cases/" + code + "/steps", R"({"status":"processing"})", lan_cookie)
            .status == 403);
  auto minh = "x=1; " + CookieOf(login("cb.minh", "mat-khau-dai-2"));
  auto step = call("POST", "/v1/cases/" + code + "/steps", R"({"status":"processing"})", minh);
  REQUIRE(step.status == 201);
  CHECK(json::parse(step.body).at("history").as_array()[1].at("officer").as_string() == "cb.minh");
  CHECK(call("POST", "/v1/cases", reception, minh).status == 403);
  // The auditor reads, and writes nothing; nobody with a session reaches the IT routes.
  auto hoa = CookieOf(login("tt.hoa", "mat-khau-dai-3"));
  CHECK(call("GET", "/v1/cases/" + code, "", hoa).status == 200);
  CHECK(call("POST", "/v1/cases", reception, hoa).status == 403);
  CHECK(call("POST", "/v1/backup?dir=/tmp/x", "", hoa).status == 403);
  CHECK(call("POST", "/v1/catalogue?officer=x", "", lan_cookie).status == 403);
  // Logging out ends the session.
  auto out = call("POST", "/v1/logout", "", lan_cookie);
  CHECK(out.status == 200);
  CHECK_THAT(out.set_cookie, Catch::Contains("Max-Age=0"));
  CHECK(call("GET", "/v1/cases", "", lan_cookie).status == 401);
  // Sessions expire.
  commune->clock.Advance(31 * 60 * 1000);
  CHECK(call("GET", "/v1/cases", "", minh).status == 401);

  CHECK(login("tt.hoa", "mat-khau-dai-3").status == 200);
}

// Issue 16, "The office LAN": a page on the same host, another port, gets the clerk's cookie
// (SameSite ignores ports). Without the JSON and Origin rules it created cases.
TEST_CASE("API: a session's writes must be JSON from this node's own origin (CSRF)",
          "[node][officers][api]") {
  testing::TempDir dir;
  auto province = testing::OpenTestNode(dir.Sub("89"), "89");
  auto commune = testing::OpenTestNode(dir.Sub("30280"), "30280");
  REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  REQUIRE(testing::CopyAll(*province->store, *commune->store, [](const std::string& c) {
            return c == kDirectoryChannel;
          }).ok());
  OfficerDirectory officers;
  REQUIRE(officers.Add("nv.lan", "Nguyễn Thị Lan", Role::kReception, "mat-khau-dai-1", kFast).ok());
  REQUIRE(officers.Save(dir.Sub("officers.json")).ok());
  NodeView view;
  view.officers_file = dir.Sub("officers.json");
  const std::string token = "0123456789abcdef0123456789abcdef";
  LocalApi api(commune->store.get(), &commune->clock, token, view);
  const std::string host = "127.0.0.1:7480";
  auto login =
      api.Handle({"POST", "/v1/login", "", R"({"login":"nv.lan","password":"mat-khau-dai-1"})", "",
                  "application/json", "http://127.0.0.1:7480", host});
  REQUIRE(login.status == 200);
  std::string cookie = CookieOf(login);
  const std::string reception =
      R"({"procedure":"TEST-1002668","channel":"counter","applicant":{"name":"Võ Văn Phúc"}})";
  auto post = [&](const std::string& type, const std::string& origin,
                  const std::string& target = "/v1/cases", const std::string& body = "") {
    return api.Handle({"POST", target, "", body.empty() && target == "/v1/cases" ? reception : body,
                       cookie, type, origin, host});
  };
  uint64_t before = commune->store->CommitCounter();
  for (const char* type : {"", "text/plain", "application/x-www-form-urlencoded",
                           "multipart/form-data; boundary=x", "application/jsonp"}) {
    INFO(type);
    auto r = post(type, "");
    CHECK(r.status == 403);
    CHECK_THAT(r.body, Catch::Contains("Content-Type"));
    CHECK_THAT(r.body, Catch::Contains("JSON"));
  }
  for (const char* origin :
       {"http://127.0.0.1:8080", "http://127.0.0.1", "http://evil.example:7480", "null",
        "https://127.0.0.1:7443", "http://127.0.0.1:7480/x"}) {
    INFO(origin);
    auto r = post("application/json", origin);
    CHECK(r.status == 403);
    CHECK_THAT(r.body, Catch::Contains("Origin"));
    CHECK_THAT(r.body, Catch::Contains("Yêu cầu bị từ chối"));
  }
  CHECK(post("text/plain", "", "/v1/cases/x/steps", R"({"status":"forwarded"})").status == 403);
  CHECK(post("", "http://127.0.0.1:8080", "/v1/logout").status == 403);
  CHECK(api.Handle({"POST", "/v1/login", "", R"({"login":"nv.lan","password":"mat-khau-dai-1"})",
                    "", "text/plain", "", host})
            .status == 403);
  CHECK(commune->store->CommitCounter() == before);  // nothing was written
  CHECK(api.Handle({"GET", "/v1/me", "", "", cookie, "", "http://127.0.0.1:8080", host}).status ==
        200);  // reads are not state-changing
  // The web app's own requests pass: JSON, and its Origin (or none).
  CHECK(post("application/json; charset=utf-8", "http://127.0.0.1:7480").status == 201);
  CHECK(post("Application/JSON", "").status == 201);
  // The API token is not a browser's: no such rule.
  auto with_token = api.Handle(
      {"POST", "/v1/cases", "Bearer " + token,
       R"({"officer":"nv.lan","procedure":"TEST-1002668","channel":"counter","applicant":{"name":"A"}})",
       "", "text/plain", "", host});
  CHECK(with_token.status == 201);
  CHECK(post("", "http://127.0.0.1:7480", "/v1/logout").status == 200);
}

// Issue 16: five wrong passwords locked a login for five minutes, so anyone could lock out a
// named officer, and unknown login names were never slowed down. Now: a progressive delay per
// (login, address) and per address.
TEST_CASE("API: wrong passwords slow down that login from that address, and that address",
          "[node][officers][api]") {
  testing::TempDir dir;
  auto commune = testing::OpenTestNode(dir.Sub("30280"), "30280");
  OfficerDirectory officers;
  REQUIRE(officers.Add("tt.hoa", "Lê Thị Hoa", Role::kAuditor, "mat-khau-dai-3", kFast).ok());
  REQUIRE(officers.Save(dir.Sub("officers.json")).ok());
  NodeView view;
  view.officers_file = dir.Sub("officers.json");
  LocalApi api(commune->store.get(), &commune->clock, "0123456789abcdef0123456789abcdef", view);
  auto login = [&](const std::string& who, const std::string& password,
                   const std::string& address) {
    return api.Handle({"POST", "/v1/login", "",
                       json::serialize(json::object{{"login", who}, {"password", password}}), "",
                       "application/json", "", "127.0.0.1:7480", address});
  };
  const std::string attacker = "192.168.1.66", counter = "192.168.1.20";
  for (int i = 0; i < LocalApi::kFreePerLogin; ++i) {
    CHECK(login("tt.hoa", "guess-number-" + std::to_string(i), attacker).status == 401);
  }
  // The attacker must now wait (even with the right password), 1 s, then 2 s, 4 s...
  auto slowed = login("tt.hoa", "mat-khau-dai-3", attacker);
  CHECK(slowed.status == 429);
  CHECK(slowed.retry_after == "1");
  CHECK_THAT(slowed.body, Catch::Contains("vui lòng đợi"));
  // ...but the officer, at her own counter, is not locked out.
  CHECK(login("tt.hoa", "mat-khau-dai-3", counter).status == 200);
  commune->clock.Advance(1000);
  CHECK(login("tt.hoa", "guess-again", attacker).status == 401);
  CHECK(login("tt.hoa", "guess-again", attacker).status == 429);
  commune->clock.Advance(1999);
  CHECK(login("tt.hoa", "guess-again", attacker).status == 429);
  commune->clock.Advance(1);
  CHECK(login("tt.hoa", "guess-again", attacker).status == 401);
  CHECK(login("tt.hoa", "x-guess-again", attacker).retry_after == "4");
  // Unknown login names do not escape the delay: the address is slowed down too.
  const std::string sprayer = "192.168.1.77";
  for (int i = 0; i < LocalApi::kFreePerAddress; ++i) {
    CHECK(login("nobody." + std::to_string(i), "guess-number-1", sprayer).status == 401);
  }
  CHECK(login("nobody.new", "guess-number-1", sprayer).status == 429);
  CHECK(login("tt.hoa", "mat-khau-dai-3", sprayer).status == 429);
  CHECK(login("tt.hoa", "mat-khau-dai-3", counter).status == 200);
  commune->clock.Advance(1000);
  CHECK(login("tt.hoa", "mat-khau-dai-3", sprayer).status == 200);
}

// Issue 16: removing or changing an officer (hoso officer remove, passwd, another role)
// left their sessions alive for up to 10 hours. They end at once.
TEST_CASE("API: a removed or changed account ends its sessions at once", "[node][officers][api]") {
  testing::TempDir dir;
  auto commune = testing::OpenTestNode(dir.Sub("30280"), "30280");
  const std::string file = dir.Sub("officers.json");
  OfficerDirectory officers;
  REQUIRE(officers.Add("nv.lan", "Nguyễn Thị Lan", Role::kReception, "mat-khau-dai-1", kFast).ok());
  REQUIRE(
      officers.Add("cb.minh", "Trần Văn Minh", Role::kProcessing, "mat-khau-dai-2", kFast).ok());
  REQUIRE(officers.Add("ld.hoa", "Lê Thị Hoa", Role::kHead, "mat-khau-dai-3", kFast).ok());
  REQUIRE(officers.Save(file).ok());
  NodeView view;
  view.officers_file = file;
  LocalApi api(commune->store.get(), &commune->clock, "0123456789abcdef0123456789abcdef", view);
  // Sessions end when their account is removed or changed (role, password), at once.
  auto login = [&](const std::string& who, const std::string& password) {
    auto r = api.Handle({"POST", "/v1/login", "",
                         json::serialize(json::object{{"login", who}, {"password", password}}), "",
                         "application/json"});
    REQUIRE(r.status == 200);
    return CookieOf(r);
  };
  auto me = [&](const std::string& cookie) {
    return api.Handle({"GET", "/v1/me", "", "", cookie}).status;
  };
  std::string lan = login("nv.lan", "mat-khau-dai-1");
  std::string lan2 = login("nv.lan", "mat-khau-dai-1");
  std::string minh = login("cb.minh", "mat-khau-dai-2");
  std::string hoa = login("ld.hoa", "mat-khau-dai-3");
  CHECK(me(lan) == 200);
  auto edit = [&](const std::function<void(OfficerDirectory&)>& change) {
    auto d = OfficerDirectory::Load(file);
    REQUIRE(d.ok());
    change(*d);
    REQUIRE(d->Save(file).ok());
  };
  edit([](OfficerDirectory& d) { REQUIRE(d.Remove("nv.lan").ok()); });
  CHECK(me(lan) == 401);
  CHECK(me(lan2) == 401);
  CHECK(me(minh) == 200);  // others go on
  edit([](OfficerDirectory& d) { REQUIRE(d.SetPassword("cb.minh", "mat-khau-moi-22").ok()); });
  CHECK(me(minh) == 401);
  CHECK(me(hoa) == 200);
  edit([](OfficerDirectory& d) {
    REQUIRE(d.Remove("ld.hoa").ok());
    REQUIRE(d.Add("ld.hoa", "Lê Thị Hoa", Role::kAuditor, "mat-khau-dai-3", kFast).ok());
  });
  CHECK(me(hoa) == 401);  // the same login and password, another role
}

// Issue 16: `hoso case step --officer X` with the API token accepted an officer that does
// not exist. With the token, the body's officer is an account of this node allowed to record
// the step, or "system" (or a head) for reference data.
TEST_CASE("API: with the token, the officer named is a known account allowed to record it",
          "[node][officers][api]") {
  testing::TempDir dir;
  auto province = testing::OpenTestNode(dir.Sub("89"), "89");
  auto commune = testing::OpenTestNode(dir.Sub("30280"), "30280");
  REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  REQUIRE(testing::CopyAll(*province->store, *commune->store, [](const std::string& c) {
            return c == kDirectoryChannel;
          }).ok());
  const std::string file = dir.Sub("officers.json");
  OfficerDirectory officers;
  REQUIRE(officers.Add("nv.lan", "Nguyễn Thị Lan", Role::kReception, "mat-khau-dai-1", kFast).ok());
  REQUIRE(
      officers.Add("cb.minh", "Trần Văn Minh", Role::kProcessing, "mat-khau-dai-2", kFast).ok());
  REQUIRE(officers.Add("ld.hoa", "Lê Thị Hoa", Role::kHead, "mat-khau-dai-3", kFast).ok());
  REQUIRE(officers.Save(file).ok());
  NodeView view;
  view.officers_file = file;
  const std::string token = "0123456789abcdef0123456789abcdef";
  LocalApi api(commune->store.get(), &commune->clock, token, view);
  LocalApi root(province->store.get(), &province->clock, token, view);
  auto with_token = [&](LocalApi& a, const std::string& target, const std::string& body) {
    return a.Handle({"POST", target, "Bearer " + token, body});
  };
  auto field = [](const HttpResponse& r) {
    auto v = ParseJson(r.body);
    return v.ok() && v->is_object() && v->as_object().contains("field")
               ? std::string(v->at("field").as_string())
               : std::string();
  };
  auto reception = [](const std::string& officer) {
    return json::serialize(json::object{{"officer", officer},
                                        {"procedure", "TEST-1002668"},
                                        {"channel", "counter"},
                                        {"applicant", json::object{{"name", "A"}}}});
  };
  uint64_t before = commune->store->CommitCounter();
  auto ghost = with_token(api, "/v1/cases", reception("nobody.here"));
  CHECK(ghost.status == 403);
  CHECK(field(ghost) == "officer");
  CHECK_THAT(ghost.body, Catch::Contains("no officer nobody.here"));
  auto markup = with_token(api, "/v1/cases", reception("<img src=x onerror=alert(1)>"));
  CHECK((markup.status == 400 || markup.status == 403));
  CHECK(field(markup) == "officer");
  CHECK(with_token(api, "/v1/cases", reception("system")).status == 403);
  CHECK(field(with_token(api, "/v1/cases", reception("cb.minh"))) == "officer");  // processing
  CHECK(commune->store->CommitCounter() == before);
  auto created = with_token(api, "/v1/cases", reception("nv.lan"));
  REQUIRE(created.status == 201);
  std::string code(json::parse(created.body).at("code").as_string());
  std::string steps = "/v1/cases/" + code + "/steps";
  auto unknown = with_token(api, steps, R"({"officer":"ghost","status":"processing"})");
  CHECK(unknown.status == 403);
  CHECK(field(unknown) == "officer");
  CHECK(with_token(api, steps, R"({"officer":"nv.lan","status":"processing"})").status == 403);
  CHECK(with_token(api, steps, R"({"officer":"cb.minh","status":"processing"})").status == 201);
  // A status no role records stays the step's own 400.
  CHECK(with_token(api, steps, R"({"officer":"cb.minh","status":"teleported"})").status == 400);
  // Reference data: "system" or a head of this node.
  auto calendar = [&](const std::string& who) {
    return with_token(
               root, "/v1/calendar",
               json::serialize(json::object{
                   {"officer", who}, {"year", 2025}, {"holidays", json::array{"2025-11-25"}}}))
        .status;
  };
  CHECK(calendar("it.unknown") == 403);
  CHECK(calendar("nv.lan") == 403);
  CHECK(calendar("system") == 201);
  CHECK(calendar("ld.hoa") == 201);
  CHECK(root.Handle({"POST", "/v1/catalogue?officer=ghost", "Bearer " + token, "x"}).status == 403);
  CHECK(root.Handle({"POST", "/v1/directory?officer=ghost", "Bearer " + token, "x"}).status == 403);
  // A removed account is refused from then on.
  auto d = OfficerDirectory::Load(file);
  REQUIRE(d.ok());
  REQUIRE(d->Remove("nv.lan").ok());
  REQUIRE(d->Save(file).ok());
  CHECK(with_token(api, "/v1/cases", reception("nv.lan")).status == 403);
}
