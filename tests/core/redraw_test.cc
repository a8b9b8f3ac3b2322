// The 2025-07-01 re-draw of An Giang, planned from the real mapping file onto the real 2019
// tree, and the directory that results.
#include "core/domain/redraw.h"

#include <catch2/catch.hpp>
#include <set>

#include "tests/testing/testing.h"

using namespace hoso;

namespace {

constexpr int64_t kAt = 1751302800000;  // 2025-07-01T00:00:00+07:00
constexpr int64_t kBefore = kAt - 1;

std::string ReadData(const std::string& name) {
  return testing::ReadWholeFile(std::string(HOSO_DATA_DIR) + "/" + name);
}

Directory Tree2019() {
  auto units = ParseUnitsCsv(ReadData("units-an-giang.csv"));
  REQUIRE(units.ok());
  Directory dir("89");
  dir.Load(*units, 0);
  return dir;
}

// Applies a plan's writes as the root 89 would have written them just before they take effect.
void Apply(Directory& dir, const RedrawPlan& plan) {
  uint64_t seq = 1000;
  for (const LocalWrite& w : plan.writes) {
    Event e;
    e.stream = {w.channel, "89", 1};
    e.seq = ++seq;
    e.hlc = HlcPack(kAt - 3600000, static_cast<uint16_t>(seq));
    e.case_code = w.case_code;
    e.type = w.type;
    e.body = w.body;
    REQUIRE(dir.CheckWrite("89", w.channel, HlcMillis(e.hlc)).ok());
    REQUIRE(dir.Apply(e).ok());
  }
}

RedrawPlan RealPlan(const Directory& dir) {
  auto rows = ParseRedrawCsv(ReadData("redraw-2025-07-01.csv"));
  REQUIRE(rows.ok());
  auto plan = PlanRedraw(*rows, dir, kAt, "system");
  REQUIRE(plan.ok());
  return std::move(plan).value();
}

}  // namespace

TEST_CASE("redraw: the real 2025 file plans the succession, merges and the commune that left",
          "[redraw]") {
  Directory dir = Tree2019();
  RedrawPlan plan = RealPlan(dir);
  CHECK(plan.old_root == "89");
  CHECK(plan.new_root == "91");
  CHECK(plan.set.size() == 103);       // the province and its 102 communes
  CHECK(plan.dissolved.size() == 11);  // the district-level units
  REQUIRE(plan.left.size() == 1);
  CHECK(plan.left[0] == std::pair<std::string, std::string>{"30622", "30259@82"});
  CHECK(plan.split.size() == 3);
  CHECK(plan.split[0] == std::vector<std::string>{"30334", "30316", "30325"});
  CHECK(plan.rows_not_held == 144);  // old Kiên Giang's rows: its new units are made, no more
  // Of the 155 old communes, 1 left, 54 keep their code under a new name or the same, and 100
  // are merged into a successor; the 101st merge is the root's succession 89 -> 91.
  CHECK(plan.merged.size() == 101);
  CHECK(plan.merged.front() == std::pair<std::string, std::string>{"89", "91"});
  CHECK(plan.writes.size() == plan.set.size() + plan.merged.size() + plan.dissolved.size() + 1);
}

TEST_CASE("redraw: after it the tree is the 2025 units file, and history stays valid", "[redraw]") {
  Directory dir = Tree2019();
  Apply(dir, RealPlan(dir));

  // The new tree is exactly the published 2025 list of units.
  auto units2025 = ParseUnitsCsv(ReadData("units-an-giang-2025.csv"));
  REQUIRE(units2025.ok());
  for (const UnitRecord& u : *units2025) {
    auto got = dir.UnitAt(u.code, kAt);
    REQUIRE(got);
    CHECK(got->name == u.name);
    CHECK(got->parent == u.parent);
    CHECK(got->type == u.type);
  }

  // The root's succession: the same authority under the new code from the instant it takes
  // effect; 89's events before it stay valid, and 89 keeps acting as the root it became
  // (nothing breaks at the instant, before the province node switches certificates).
  CHECK(dir.RootAt(kBefore) == "89");
  CHECK(dir.RootAt(kAt) == "91");
  CHECK(dir.CheckWrite("89", kDirectoryChannel, kBefore).ok());
  CHECK(dir.CheckWrite("91", kDirectoryChannel, kAt).ok());
  CHECK(dir.CheckWrite("89", kDirectoryChannel, kAt).ok());
  CHECK(dir.CheckWrite("89", "30307", kAt).ok());
  CHECK_FALSE(dir.CheckWrite("91", kDirectoryChannel, kBefore).ok());
  CHECK(dir.ScopeOf("89", kAt) == dir.ScopeOf("91", kAt));
  CHECK_FALSE(dir.CheckWrite("30280", kDirectoryChannel, kAt).ok());

  // A reused code: 30307 was Mỹ Hòa and is now Long Xuyên; its old history keeps its old name.
  CHECK(dir.UnitAt("30307", kBefore)->name == "Phường Mỹ Hòa");
  CHECK(dir.UnitAt("30307", kAt)->name == "Phường Long Xuyên");

  // A merged ward is held by its successor, and its district's writes stay valid history.
  CHECK(dir.MergedInto("30280", kAt) == "30307");
  CHECK(dir.IsAncestorOrSelf("30307", "30280", kAt));
  CHECK(dir.IsAncestorOrSelf("91", "30280", kAt));
  CHECK(dir.CheckWrite("883", "30280", kBefore).ok());
  CHECK_FALSE(dir.CheckWrite("883", "30280", kAt).ok());
  CHECK_FALSE(dir.InScope("883", "30280", kAt));

  // The commune that went to Đồng Tháp is nobody's here any more; before, it was.
  CHECK(dir.InScope("89", "30622", kBefore));
  CHECK(dir.CheckWrite("30622", "30622", kBefore).ok());
  CHECK_FALSE(dir.Exists("30622", kAt));
  CHECK(dir.LeftTo("30622", kAt) == "30259@82");
  CHECK_FALSE(dir.InScope("91", "30622", kAt));
  CHECK_FALSE(dir.CheckWrite("30622", "30622", kAt).ok());

  // The new province holds every old channel but the one that left.
  std::set<std::string> scope;
  for (const auto& u : dir.ScopeOf("91", kAt)) scope.insert(u);
  for (const auto& u : dir.ScopeOf("89", kBefore)) {
    if (u != "30622") CHECK(scope.count(u) == 1);
  }
  CHECK(dir.NextChangeAfter(kBefore) == kAt);
  CHECK_FALSE(dir.NextChangeAfter(kAt));
}

TEST_CASE("redraw: a bad mapping file is refused with the line or unit named", "[redraw]") {
  const std::string header =
      "old_province,old_code,old_name,new_code,new_name,new_province,share\n";
  CHECK_THAT(ParseRedrawCsv("old_code,new_code\n").status().message(), Catch::Contains("header"));
  CHECK_THAT(
      ParseRedrawCsv(header + "89,89,Tỉnh An Giang,91,Tỉnh An Giang,91,half\n").status().message(),
      Catch::Contains("line 2: share"));
  CHECK_THAT(ParseRedrawCsv(header + "89,8 9,Tỉnh,91,Tỉnh,91,full\n").status().message(),
             Catch::Contains("old_code"));
  CHECK_FALSE(ParseRedrawCsv(header).ok());

  Directory dir = Tree2019();
  auto no_root =
      ParseRedrawCsv(header + "89,30280,Phường Mỹ Bình,30307,Phường Long Xuyên,91,full\n");
  REQUIRE(no_root.ok());
  CHECK_THAT(PlanRedraw(*no_root, dir, kAt, "system").status().message(),
             Catch::Contains("root authority 89"));
  auto two_names = ParseRedrawCsv(header +
                                  "89,89,Tỉnh An Giang,91,Tỉnh An Giang,91,full\n"
                                  "89,30280,Phường Mỹ Bình,30307,Phường Long Xuyên,91,full\n"
                                  "89,30283,Phường Mỹ Long,30307,Phường Long Giang,91,full\n");
  REQUIRE(two_names.ok());
  CHECK_THAT(PlanRedraw(*two_names, dir, kAt, "system").status().message(),
             Catch::Contains("unit 30307 is named"));
  auto untyped = ParseRedrawCsv(header +
                                "89,89,Tỉnh An Giang,91,Tỉnh An Giang,91,full\n"
                                "89,30280,Phường Mỹ Bình,30307,Long Xuyên,91,full\n");
  REQUIRE(untyped.ok());
  CHECK_THAT(PlanRedraw(*untyped, dir, kAt, "system").status().message(),
             Catch::Contains("cannot be told"));
  auto two_owners = ParseRedrawCsv(header +
                                   "89,89,Tỉnh An Giang,91,Tỉnh An Giang,91,full\n"
                                   "89,30280,Phường Mỹ Bình,30283,Phường Mỹ Long,91,full\n"
                                   "89,30283,Phường Mỹ Long,30307,Phường Long Xuyên,91,full\n");
  REQUIRE(two_owners.ok());
  CHECK_THAT(PlanRedraw(*two_owners, dir, kAt, "system").status().message(),
             Catch::Contains("two owners"));
}

TEST_CASE("redraw: a relay forwards its subtree and writes no channel", "[redraw]") {
  Directory dir("91");
  dir.Load({{"91", "", "Tỉnh An Giang", "Tỉnh"},
            {"883", "91", "Trạm chuyển tiếp Long Xuyên", std::string(kRelayType)},
            {"30307", "883", "Phường Long Xuyên", "Phường"}},
           0);
  CHECK(dir.IsRelay("883", 1));
  CHECK(dir.InScope("883", "30307", 1));
  CHECK(dir.CheckWrite("91", "30307", 1).ok());
  CHECK(dir.CheckWrite("30307", "30307", 1).ok());
  CHECK_THAT(dir.CheckWrite("883", "30307", 1).message(), Catch::Contains("relay"));
  CHECK_THAT(dir.CheckWrite("883", "883", 1).message(), Catch::Contains("relay"));
  CHECK_THAT(dir.CheckWrite("91", "883", 1).message(), Catch::Contains("no channel"));
}
