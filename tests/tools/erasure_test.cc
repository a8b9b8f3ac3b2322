// Erasure of a person's data across a two-tier province on real nodes over loopback TLS: two
// communes, the province, and a bundle on a USB stick (docs/privacy.md, issue 20).
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "tests/testing/process_testing.h"
#include "tests/tools/hoso_cli.h"

using namespace hoso;
using namespace std::chrono_literals;

namespace {

using testing::Hoso;
using testing::Json;

constexpr const char* kName = "Giàng Thị Súa";
constexpr const char* kIdNo = "011190004321";

std::vector<UnitRecord> TwoTier() {
  return {{"89", "", "Tỉnh An Giang", "Tỉnh"},
          {"30280", "89", "Phường Mỹ Bình", "Phường"},
          {"30283", "89", "Phường Mỹ Long", "Phường"}};
}

std::string NewCase(const testing::TempDir& tmp, const std::string& dir, const std::string& name,
                    const std::string& id_no) {
  auto made = Hoso(tmp, {"case", "new", "--dir", dir, "--officer", "nv.lan", "--procedure",
                         "TEST-2000908", "--name", name, "--id-no", id_no, "--json"});
  INFO(made.out << made.err);
  REQUIRE(made.rc == 0);
  return std::string(Json(made).at("code").as_string());
}

// Her name (or its folded form, as the search index holds it) or her ID number.
bool HoldsInClear(const std::string& bytes) {
  return bytes.find("Giàng Thị") != std::string::npos ||
         bytes.find("giang thi sua") != std::string::npos || bytes.find(kIdNo) != std::string::npos;
}

}  // namespace

TEST_CASE("erasure: a person's data erased across a province, two communes and a USB bundle",
          "[tools][privacy]") {
  testing::TempDir tmp;
  auto net = testing::RunningNetwork(tmp.Sub("net"), {"89", "30280", "30283"}, TwoTier());
  const std::string province = net->NodeDir("89");
  // The same citizen applied at both communes; another citizen's case stays readable.
  const std::string at_a = NewCase(tmp, net->NodeDir("30280"), kName, kIdNo);
  const std::string at_b = NewCase(tmp, net->NodeDir("30283"), kName, kIdNo);
  const std::string other = NewCase(tmp, net->NodeDir("30283"), "Lò Văn Pọm", "011190009999");
  REQUIRE(net->WaitConverged(30s).ok());

  // Commune A goes offline, receives another application of hers and posts it to the province.
  REQUIRE(net->Stop("30280").ok());
  REQUIRE(net->Start("30280", /*online=*/false).ok());
  const std::string offline = NewCase(tmp, net->NodeDir("30280"), kName, kIdNo);
  REQUIRE(Hoso(tmp, {"vector", "--data", province, "--out", tmp.Sub("province.vec")}).rc == 0);
  const std::string stick = tmp.Sub("usb.bundle");
  auto exported = Hoso(tmp, {"export", "--data", net->NodeDir("30280"), "--scope", "30280",
                             "--since", tmp.Sub("province.vec"), "--out", stick, "--json"});
  INFO(exported.err);
  REQUIRE(exported.rc == 0);
  const std::string bundle = testing::ReadWholeFile(stick);
  CHECK_FALSE(HoldsInClear(bundle));  // sealed fields, keys sealed to the nodes
  auto imported = Hoso(tmp, {"import", "--dir", province, stick, "--json"});
  INFO(imported.out << imported.err);
  REQUIRE(imported.rc == 0);
  auto read = net->Call("89", "GET", "/v1/cases/" + offline);
  REQUIRE(read.ok());
  CHECK(read->at("fields").at("applicant").at("name").as_string() == kName);

  // No file of a data directory, a backup or a node's log holds her name or ID number in clear.
  REQUIRE(Hoso(tmp, {"backup", "--dir", province, "--out", tmp.Sub("backup-89")}).rc == 0);
  for (const std::string& dir :
       {province, net->NodeDir("30280"), net->NodeDir("30283"), tmp.Sub("backup-89")}) {
    INFO(dir);
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      INFO(e.path().string());
      CHECK_FALSE(HoldsInClear(testing::ReadWholeFile(e.path().string())));
    }
  }

  // The province erases her data, by her ID number.
  auto erased = Hoso(tmp, {"erase", "--dir", province, "--officer", "system", "--person", kIdNo,
                           "--decision", "QĐ 45/QĐ-UBND", "--ground",
                           "Yêu cầu xoá của chủ thể dữ liệu (Luật 91/2025, điều 16)", "--json"});
  INFO(erased.out << erased.err);
  REQUIRE(erased.rc == 0);
  CHECK(Json(erased).at("cases").as_array().size() == 3);
  auto elsewhere = Hoso(tmp, {"erase", "--dir", net->NodeDir("30283"), "--officer", "system",
                              "--case", other, "--decision", "x", "--ground", "y"});
  CHECK(elsewhere.rc != 0);  // only the root erases
  REQUIRE(net->Stop("30280").ok());
  REQUIRE(net->Start("30280").ok());

  // Every holder destroys the keys and signs that it did; the province sees all of them.
  auto all_confirmed = [&] {
    auto list = net->Call("89", "GET", "/v1/erasures");
    if (!list.ok()) return false;
    for (const auto& e : list->at("erasures").as_array()) {
      if (!e.as_object().contains("awaiting") || !e.at("awaiting").as_array().empty()) return false;
    }
    return list->at("erasures").as_array().size() == 3;
  };
  REQUIRE(testing::WaitFor(all_confirmed, 40s));
  auto list = Hoso(tmp, {"erasures", "--dir", province});
  CHECK_THAT(list.out, Catch::Contains("đã huỷ khoá: 30280"));
  CHECK_THAT(list.out, Catch::Contains("đã huỷ khoá: 30283"));
  CHECK_THAT(list.out, Catch::Contains("đã huỷ khoá: 89"));
  REQUIRE(net->WaitConverged(30s).ok());

  for (const std::string unit : {"89", "30280", "30283"}) {
    INFO(unit);
    for (const std::string& code : {at_a, at_b, offline}) {
      auto c = net->Call(unit, "GET", "/v1/cases/" + code);
      if (!c.ok()) continue;  // a commune holds only its own
      CHECK(c->at("fields").at("applicant").is_null());
      CHECK(c->at("hidden").at("applicant").as_string() == "erased");
      CHECK(c->at("erasure").at("decision").as_string() == "QĐ 45/QĐ-UBND");
      CHECK_FALSE(HoldsInClear(node::json::serialize(*c)));
    }
    auto audited = Hoso(tmp, {"audit", "verify", "--data", net->NodeDir(unit), "--json"});
    INFO(audited.out << audited.err);
    CHECK(audited.rc == 0);
    CHECK(Json(audited).at("ok").as_bool());
  }
  // The auditor's replay says it instead of the data.
  auto replay = Hoso(tmp, {"audit", "replay", "--data", province, "--case", at_b});
  INFO(replay.out << replay.err);
  CHECK(replay.rc == 0);
  CHECK_THAT(replay.out, Catch::Contains("Dữ liệu cá nhân đã bị xoá lúc"));
  CHECK_THAT(replay.out, Catch::Contains("theo quyết định QĐ 45/QĐ-UBND"));
  auto replay_json =
      Json(Hoso(tmp, {"audit", "replay", "--data", province, "--case", at_b, "--json"}));
  CHECK(replay_json.at("state").at("applicant").is_null());
  CHECK(replay_json.at("erasure").at("ground").as_string() ==
        "Yêu cầu xoá của chủ thể dữ liệu (Luật 91/2025, điều 16)");
  CHECK_FALSE(HoldsInClear(node::json::serialize(replay_json)));
  auto kept = net->Call("89", "GET", "/v1/cases/" + other);
  REQUIRE(kept.ok());
  CHECK(kept->at("fields").at("applicant").at("name").as_string() == "Lò Văn Pọm");

  // The stick still holds the keys sealed to the province: importing it again stores none.
  auto again = Hoso(tmp, {"import", "--dir", province, stick, "--json"});
  REQUIRE(again.rc == 0);
  auto after = net->Call("89", "GET", "/v1/cases/" + offline);
  REQUIRE(after.ok());
  CHECK(after->at("hidden").at("applicant").as_string() == "erased");
}
