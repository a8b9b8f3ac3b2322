#include "core/log/directory.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "tests/testing/testing.h"

using namespace hoso;

namespace {

constexpr int64_t kRedraw = 1751302800000;  // 2025-07-01T00:00:00+07:00
constexpr int64_t kBefore = kRedraw - 86400000;
constexpr int64_t kAfter = kRedraw + 86400000;

Event DirEvent(const std::string& unit, const std::string& type, cbor::Value body, uint64_t seq) {
  Event e;
  e.stream = {std::string(kDirectoryChannel), "89", 1};
  e.seq = seq;
  e.hlc = HlcPack(kRedraw, static_cast<uint16_t>(seq));
  e.case_code = unit;
  e.type = type;
  e.body = std::move(body);
  return e;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("directory: loads the An Giang units CSV shipped with the project", "[directory]") {
  auto units = ParseUnitsCsv(ReadFile(HOSO_DATA_DIR "/units-an-giang.csv"));
  REQUIRE(units.ok());
  CHECK(units->size() == 167);
  Directory dir("89");
  dir.Load(*units, 0);
  CHECK(dir.ParentAt("30280", kAfter) == "883");
  CHECK(dir.UnitAt("30280", 0)->name == "Phường Mỹ Bình");
  CHECK(dir.IsAncestorOrSelf("89", "30280", kAfter));
  CHECK(dir.ScopeOf("883", kAfter).size() == 13);  // Long Xuyên and its 12 wards and communes
}

TEST_CASE("directory: malformed CSV is refused with the line named", "[directory]") {
  CHECK_THAT(ParseUnitsCsv("code,parent\n").status().message(), Catch::Contains("header"));
  CHECK_THAT(ParseUnitsCsv("code,parent_code,name,type\n1,2,3\n").status().message(),
             Catch::Contains("line 2"));
  CHECK_THAT(ParseUnitsCsv("code,parent_code,name,type\nx y,89,a,b\n").status().message(),
             Catch::Contains("unit code"));
  CHECK_FALSE(ParseUnitsCsv("code,parent_code,name,type\n").ok());
  auto quoted = ParseUnitsCsv("code,parent_code,name,type\n89,,\"Tỉnh, An \"\"Giang\"\"\",Tỉnh\n");
  REQUIRE(quoted.ok());
  CHECK((*quoted)[0].name == "Tỉnh, An \"Giang\"");
}

TEST_CASE("directory: the write rule allows a unit and its ancestors only", "[directory]") {
  Directory dir("89");
  dir.Load(testing::SmallTree(), 0);
  CHECK(dir.CheckWrite("30280", "30280", kBefore).ok());
  CHECK(dir.CheckWrite("883", "30280", kBefore).ok());
  CHECK(dir.CheckWrite("89", "30280", kBefore).ok());
  CHECK(dir.CheckWrite("30283", "30280", kBefore).code() == Code::kPermissionDenied);
  CHECK(dir.CheckWrite("884", "30280", kBefore).code() == Code::kPermissionDenied);
  CHECK(dir.CheckWrite("30280", "883", kBefore).code() == Code::kPermissionDenied);
  CHECK(dir.CheckWrite("99999", "30280", kBefore).code() == Code::kPermissionDenied);
  CHECK(dir.CheckWrite("89", std::string(kDirectoryChannel), kBefore).ok());
  CHECK(dir.CheckWrite("883", std::string(kDirectoryChannel), kBefore).code() ==
        Code::kPermissionDenied);
  CHECK(dir.InScope("883", "30283", kBefore));
  CHECK_FALSE(dir.InScope("30280", "30283", kBefore));
  CHECK(dir.InScope("30280", std::string(kDirectoryChannel), kBefore));
}

TEST_CASE("directory: a re-draw keeps every old event valid", "[directory]") {
  Directory dir("89");
  dir.Load(testing::SmallTree(), 0);
  uint64_t seq = 0;
  // A commune moves to another district.
  REQUIRE(
      dir.Apply(DirEvent("30283", "unit.set",
                         UnitSetBody({"30283", "884", "Phường Mỹ Long", "Phường"}, kRedraw), ++seq))
          .ok());
  // Two communes merge: 30316 now belongs to 30280.
  REQUIRE(dir.Apply(DirEvent("30316", "unit.merge", UnitMergeBody("30280", kRedraw), ++seq)).ok());
  // The district level is removed: 30280 hangs under the province, 883 merges into it.
  REQUIRE(
      dir.Apply(DirEvent("30280", "unit.set",
                         UnitSetBody({"30280", "89", "Phường Mỹ Bình", "Phường"}, kRedraw), ++seq))
          .ok());
  REQUIRE(dir.Apply(DirEvent("883", "unit.merge", UnitMergeBody("89", kRedraw), ++seq)).ok());

  // Old events are judged against the old tree: all still valid.
  CHECK(dir.CheckWrite("883", "30280", kBefore).ok());
  CHECK(dir.CheckWrite("883", "30283", kBefore).ok());
  CHECK(dir.CheckWrite("884", "30316", kBefore).ok());
  CHECK(dir.CheckWrite("30316", "30316", kBefore).ok());
  // New events follow the new tree.
  CHECK(dir.CheckWrite("884", "30283", kAfter).ok());
  CHECK(dir.CheckWrite("883", "30283", kAfter).code() == Code::kPermissionDenied);
  CHECK(dir.CheckWrite("30280", "30316", kAfter).ok());  // merged channel: the new unit writes
  CHECK(dir.CheckWrite("884", "30316", kAfter).code() == Code::kPermissionDenied);
  CHECK(dir.CheckWrite("89", "30280", kAfter).ok());
  // Scopes now: the moved commune is under 884; the merged one under 30280.
  CHECK(dir.InScope("884", "30283", kAfter));
  CHECK_FALSE(dir.InScope("883", "30283", kAfter));
  CHECK(dir.InScope("30280", "30316", kAfter));
  CHECK(dir.ScopeOf("30280", kAfter) == std::vector<std::string>{"30280", "30316"});
  CHECK(dir.ScopeOf("89", kAfter).size() == 6);
  // Names survive a merge.
  CHECK(dir.UnitAt("30316", kAfter)->name == "Phường Châu Phú B");
}

TEST_CASE("directory: bad directory events are refused", "[directory]") {
  Directory dir("89");
  CHECK_THAT(dir.Apply(DirEvent("30280", "unit.rename", testing::Body({}), 1)).message(),
             Catch::Contains("unknown directory event type"));
  CHECK_THAT(dir.Apply(DirEvent("30280", "unit.set", testing::Body({}), 1)).message(),
             Catch::Contains("valid_from"));
  CHECK_THAT(dir.Apply(DirEvent("30280", "unit.merge", UnitMergeBody("30280", 0), 1)).message(),
             Catch::Contains("into itself"));
  CHECK(dir.size() == 0);
}
