// Routing across real hoso-node processes over TLS on loopback: the two-tier province of 2025
// (91 and four of its real communes), a citizen of A applying at B's counter while A is
// offline, A processing when it comes back, and the result returned by post from B.
#include "core/domain/routing.h"

#include <catch2/catch.hpp>

#include "core/domain/reference_data.h"
#include "node/json.h"
#include "tests/testing/process_testing.h"
#include "tools/network/local_network.h"

using namespace hoso;
using namespace std::chrono_literals;

namespace {

std::string Text(const node::json::value& v, const char* key) {
  return std::string(v.at(key).as_string());
}

std::string StatusAt(tools::LocalNetwork& net, const std::string& unit, const std::string& code) {
  auto c = net.Call(unit, "GET", "/v1/cases/" + code);
  if (!c.ok()) {
    std::string m(c.status().message());
    return m.find("HTTP 404") != std::string::npos ? "(not held)" : m;
  }
  return Text(c->at("fields"), "status");
}

bool Reaches(tools::LocalNetwork& net, const std::string& unit, const std::string& code,
             const std::string& status) {
  return testing::WaitFor([&] { return StatusAt(net, unit, code) == status; }, 30s);
}

}  // namespace

TEST_CASE("routing: a citizen of A applies at B's counter while A is offline, B posts the result",
          "[integration][routing]") {
  const std::string A = "30307", B = "30316", C = "30325", D = "30337";
  testing::TempDir dir;
  auto units = ParseUnitsCsv(
      testing::ReadWholeFile(std::string(HOSO_DATA_DIR) + "/units-an-giang-2025.csv"));
  REQUIRE(units.ok());
  auto running = testing::RunningNetwork(dir.path(), {"91", A, B, C, D}, *units);
  auto& net = *running;
  Procedure residence{"TEST-1004222",
                      "Đăng ký thường trú",
                      "Công an xã",
                      3,
                      true,
                      true,
                      0,
                      {"Tờ khai thay đổi thông tin cư trú"},
                      "residence"};
  REQUIRE(net.Call("91", "POST", "/v1/catalogue?officer=system", CatalogueCsv({residence})).ok());
  REQUIRE(net.WaitForEveryNode(
                 [&](const std::string& unit) {
                   auto c = net.Call(unit, "GET", "/v1/catalogue?limit=1");
                   return c.ok() && c->at("total").to_number<int64_t>() == 1;
                 },
                 "the catalogue", 30s)
              .ok());

  REQUIRE(net.Stop(A).ok());  // A's link is down
  node::json::object request{
      {"officer", "nv.lan"},
      {"procedure", "TEST-1004222"},
      {"residence", A},
      {"applicant", node::json::object{{"name", "Phan Thị Ngọc Hân"}, {"id_no", "089301002233"}}},
      {"channel", "counter"},
      {"return_by_post", true},
      {"return_address", "Số 12 Trần Hưng Đạo, phường Long Xuyên"},
      {"documents", node::json::array{node::json::object{
                        {"name", "Tờ khai thay đổi thông tin cư trú"}, {"kind", "original"}}}}};
  auto received = net.Call(B, "POST", "/v1/cases", node::json::serialize(request));
  REQUIRE(received.ok());
  const std::string x = Text(*received, "code");
  const std::string linked = LinkedCaseCode(A, x);
  CHECK(Text(received->at("fields"), "route_to") == A);

  // The province routes it while A is offline; B sees it forwarded.
  REQUIRE(Reaches(net, "91", linked, "forwarded"));
  REQUIRE(Reaches(net, B, x, "forwarded"));

  // A comes back and processes it.
  REQUIRE(net.Start(A).ok());
  REQUIRE(Reaches(net, A, linked, "forwarded"));
  for (const char* step : {"processing", "result_ready"}) {
    auto r = net.Call(
        A, "POST", "/v1/cases/" + linked + "/steps",
        node::json::serialize(node::json::object{{"officer", "cb.minh"}, {"status", step}}));
    REQUIRE(r.ok());
  }
  REQUIRE(Reaches(net, B, x, "result_ready"));

  // B hands the result to the post and it is delivered; A's case shows it returned.
  REQUIRE(net.Call(B, "POST", "/v1/cases/" + x + "/steps",
                   R"({"officer":"nv.lan","status":"dispatched","tracking":"EB123456789VN"})")
              .ok());
  REQUIRE(net.Call(B, "POST", "/v1/cases/" + x + "/steps",
                   R"({"officer":"nv.lan","status":"delivered"})")
              .ok());
  REQUIRE(Reaches(net, A, linked, "returned"));

  // Each node holds exactly what the rule allows.
  CHECK(StatusAt(net, A, x) == "(not held)");
  CHECK(StatusAt(net, B, linked) == "(not held)");
  for (const auto& other : {C, D}) {
    CHECK(StatusAt(net, other, x) == "(not held)");
    CHECK(StatusAt(net, other, linked) == "(not held)");
  }
  CHECK(StatusAt(net, "91", x) == "delivered");
  REQUIRE(net.WaitConverged(30s).ok());
}
