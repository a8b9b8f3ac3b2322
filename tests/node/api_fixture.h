// Test-only: a province and a commune, each with its LocalApi on a real RocksDB store and a
// fake clock, and the calls the API tests make of them (tests/node/*_test.cc).
// Thread-safety: as LocalApi.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "node/json.h"
#include "node/local_api.h"
#include "tests/node/test_officers.h"
#include "tests/testing/testing.h"

namespace hoso::node::testapi {

using testing::TempDir;

inline constexpr const char* kToken = "0123456789abcdef0123456789abcdef";

struct Office {
  TempDir dir;
  std::unique_ptr<testing::TestNode> province, commune;
  std::unique_ptr<LocalApi> province_api, commune_api;
  Office() {
    province = testing::OpenTestNode(dir.Sub("89"), "89");
    commune = testing::OpenTestNode(dir.Sub("30280"), "30280");
    REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
    REQUIRE(testing::CopyAll(*province->store, *commune->store, [](const std::string& c) {
              return c == kDirectoryChannel;
            }).ok());
    NodeView province_view;
    province_view.officers_file = testing::WriteTestOfficers(dir.Sub("89-officers.json"));
    province_api =
        std::make_unique<LocalApi>(province->store.get(), &province->clock, kToken, province_view);
    NodeView commune_view{{}, {"127.0.0.1:1"}, testing::kTestNow};
    commune_view.officers_file = testing::WriteTestOfficers(dir.Sub("30280-officers.json"));
    commune_api =
        std::make_unique<LocalApi>(commune->store.get(), &commune->clock, kToken, commune_view);
  }
};

inline HttpResponse Call(LocalApi& api, const std::string& method, const std::string& target,
                         const std::string& body = "", const std::string& token = kToken) {
  return api.Handle({method, target, "Bearer " + token, body});
}

inline json::object Body(const HttpResponse& r) {
  auto v = ParseJson(r.body);
  REQUIRE(v.ok());
  REQUIRE(v->is_object());
  return v->as_object();
}

inline std::string Reception(const std::string& name = "Nguyễn Văn An") {
  json::object req{
      {"officer", "nv.lan"},
      {"procedure", "TEST-1002668"},
      {"applicant", json::object{{"name", name}, {"id_no", "012345678901"}}},
      {"channel", "postal"},
      {"return_by_post", true},
      {"return_address", "Ấp Mỹ Hòa, phường Mỹ Bình"},
      {"due_at", "2025-12-01T17:00:00+07:00"},
      {"documents", json::array{json::object{{"name", "Tờ khai"}, {"kind", "original"}}}}};
  return json::serialize(req);
}

// The code of a reception by `api` with a minted code (201, or the test fails).
inline std::string Minted(LocalApi& api) {
  auto r = Call(api, "POST", "/v1/cases", Reception());
  INFO(r.body);
  REQUIRE(r.status == 201);
  return std::string(Body(r).at("code").as_string());
}

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// One request to an ApiServer on loopback, its answer read whole.
inline http::response<http::string_body> Fetch(
    uint16_t port, http::verb verb, const std::string& target, std::string body = "",
    const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) req.set(name, value);
  req.keep_alive(false);
  req.body() = std::move(body);
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  return res;
}

}  // namespace hoso::node::testapi
