// The counter's search box (GET /v1/cases?q=, core/domain/case_search.h) on a real store:
// each key a clerk types finds the case, ranked, and an erased case loses its personal terms.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/domain/case_search.h"
#include "tests/node/api_fixture.h"

using namespace hoso;
using namespace hoso::node;
using namespace hoso::node::testapi;

namespace {

struct Counter {
  Office o;
  std::string Receive(const std::string& name, const std::string& id, const std::string& phone) {
    auto req = ParseJson(Reception(name)).value().as_object();
    req["applicant"] = json::object{{"name", name}, {"id_no", id}, {"phone", phone}};
    auto r = Call(*o.commune_api, "POST", "/v1/cases", json::serialize(req));
    INFO(r.body);
    REQUIRE(r.status == 201);
    return std::string(Body(r).at("code").as_string());
  }
  void Step(const std::string& code, const std::string& status, const std::string& tracking) {
    auto r =
        Call(*o.commune_api, "POST", "/v1/cases/" + code + "/steps",
             R"({"officer":"nv.lan","status":")" + status + R"(","tracking":")" + tracking + "\"}");
    INFO(r.body);
    REQUIRE(r.status == 201);
  }
  // The codes found, in rank order.
  std::vector<std::string> Find(const std::string& q) {
    auto r = Call(*o.commune_api, "GET", "/v1/cases?q=" + q);
    INFO(q << ": " << r.body);
    REQUIRE(r.status == 200);
    std::vector<std::string> out;
    for (const auto& c : Body(r).at("cases").as_array()) {
      out.emplace_back(c.at("code").as_string());
    }
    return out;
  }
};

}  // namespace

TEST_CASE("search: terms of a case are its name's words, ID, phone, tracking, code ends",
          "[search]") {
  cbor::Value applicant = cbor::Value::Map();
  applicant.Set("name", cbor::Value::Text("Lê Thị Ánh Tuyết"));
  applicant.Set("id_no", cbor::Value::Text("079 123 456 789"));
  applicant.Set("phone", cbor::Value::Text("+84 912 345 678"));
  auto terms = CaseSearchTerms(cbor::Encode(applicant), "EA 123456789VN", "30280-251203-0007");
  CHECK(terms == std::vector<std::string>{"0007", "079123456789", "0912345678", "251203-0007",
                                          "30280-251203-0007", "anh", "anh tuyet", "ea123456789vn",
                                          "le", "le thi anh tuyet", "le tuyet", "thi",
                                          "thi anh tuyet", "tuyet"});
  // A case this node holds no key of: only its code and tracking number.
  CHECK(CaseSearchTerms("", "", "89-250101-0001") ==
        std::vector<std::string>{"0001", "250101-0001", "89-250101-0001"});
}

TEST_CASE("search: name parts with or without diacritics, ID, phone, code, tracking",
          "[search][api]") {
  Counter c;
  std::string tuyet = c.Receive("Lê Thị Ánh Tuyết", "079123456789", "0912345678");
  std::string tuyen = c.Receive("Phạm Ngọc Tuyền", "079000000001", "0987654321");
  std::string anh = c.Receive("Trần Anh Tuấn", "079000000002", "0911111111");
  c.Step(tuyen, "posted_to_agency", "EA123456789VN");

  CHECK(c.Find("tuyet") == std::vector<std::string>{tuyet});
  CHECK(c.Find("%C3%81nh%20Tuy%E1%BA%BFt") == std::vector<std::string>{tuyet});  // Ánh Tuyết
  CHECK(c.Find("le%20tuyet") == std::vector<std::string>{tuyet});  // any words, any order
  // "tuy" is a prefix of both Tuyết and Tuyền; "anh" is a word of two names.
  auto tuy = c.Find("tuy");
  CHECK(std::set<std::string>(tuy.begin(), tuy.end()) == std::set<std::string>{tuyet, tuyen});
  auto both = c.Find("anh");
  REQUIRE(both.size() == 2);
  // "Ánh" typed with its marks ranks the name written so above "Anh".
  CHECK(c.Find("%C3%81nh").front() == tuyet);
  CHECK(c.Find("079123456789") == std::vector<std::string>{tuyet});
  CHECK(c.Find("0912%20345%20678") == std::vector<std::string>{tuyet});  // typed in groups
  CHECK(c.Find("%2B84912345678") == std::vector<std::string>{tuyet});    // +84...
  CHECK(c.Find("ea123456789vn") == std::vector<std::string>{tuyen});
  CHECK(c.Find(tuyet) == std::vector<std::string>{tuyet});
  // The end of a code: its number, or date and number.
  std::string number = tuyet.substr(tuyet.rfind('-') + 1);
  CHECK(c.Find(number).front() == tuyet);
  CHECK(c.Find(tuyet.substr(tuyet.find('-') + 1)) == std::vector<std::string>{tuyet});
  CHECK(c.Find("nobody").empty());
  CHECK(Call(*c.o.commune_api, "GET", "/v1/cases?q=%20%20").status == 400);
  CHECK(Call(*c.o.commune_api, "GET", "/v1/cases?q=tuy&applicant=le").status == 400);
  // A filter that drops most of the search's cases still gets the page it asks for.
  auto soon = Call(*c.o.commune_api, "GET", "/v1/cases?q=079&limit=1&status=posted_to_agency");
  REQUIRE(soon.status == 200);
  REQUIRE(Body(soon).at("cases").as_array().size() == 1);
  CHECK(Body(soon).at("cases").as_array()[0].at("code").as_string() == tuyen);
  // With a filter: the search's cases that pass it.
  auto r = Call(*c.o.commune_api, "GET", "/v1/cases?q=tuy&status=posted_to_agency");
  REQUIRE(r.status == 200);
  REQUIRE(Body(r).at("cases").as_array().size() == 1);
  CHECK(Body(r).at("cases").as_array()[0].at("code").as_string() == tuyen);
  // A name typed with its marks, in lower case, ranks the name written so first, whichever
  // of two otherwise equal names it is.
  std::string plain = c.Receive("Võ Thị Anh", "079000000004", "0911111113");
  std::string marked = c.Receive("Võ Thị Ánh", "079000000003", "0911111112");
  CHECK(c.Find("v%C3%B5%20th%E1%BB%8B%20%C3%A1nh").front() == marked);  // "võ thị ánh"
  CHECK(c.Find("v%C3%B5%20th%E1%BB%8B%20anh").front() == plain);        // "võ thị anh"
  (void)anh;
}

TEST_CASE("search: an erased case is found by its code, not by its applicant", "[search][api]") {
  Counter c;
  std::string code = c.Receive("Đặng Thị Thu", "079123456780", "0912000000");
  // The province holds the case (and its key) after sync, and erases it there.
  REQUIRE(testing::CopyAll(*c.o.commune->store, *c.o.province->store, [](const std::string& ch) {
            return ch == "30280";
          }).ok());
  auto find = [&](const std::string& q) {
    auto r = Call(*c.o.province_api, "GET", "/v1/cases?q=" + q);
    REQUIRE(r.status == 200);
    return Body(r).at("cases").as_array().size();
  };
  REQUIRE(find("thu") == 1);
  REQUIRE(find("079123456780") == 1);
  auto erase = Call(*c.o.province_api, "POST", "/v1/erasures",
                    R"({"officer":"system","case":")" + code +
                        R"(","decision":"QĐ 1/QĐ-UBND","ground":"Yêu cầu của chủ thể dữ liệu"})");
  INFO(erase.body);
  REQUIRE(erase.status == 201);
  CHECK(find("thu") == 0);
  CHECK(find("079123456780") == 0);
  CHECK(find(code) == 1);
}
