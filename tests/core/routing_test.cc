// Routing in the two-tier province: a case received at commune B for commune A's authority,
// on real RocksDB stores synced by copying what each link may carry (its scope).
#include "core/domain/routing.h"

#include <catch2/catch.hpp>
#include <random>

#include "core/audit/audit.h"
#include "core/domain/lifecycle.h"
#include "core/domain/personal_data.h"
#include "core/domain/report.h"
#include "tests/testing/testing.h"

using namespace hoso;
using testing::TempDir;

namespace {

constexpr const char* kResidenceProcedure = "TEST-1000001";

std::string ReadData(const std::string& name) {
  return testing::ReadWholeFile(std::string(HOSO_DATA_DIR) + "/" + name);
}

// The province 91 of 2025 (its real 102 communes) and one procedure of the citizen's commune.
struct Province {
  TempDir dir;
  std::map<std::string, std::unique_ptr<testing::TestNode>> nodes;
  ReferenceData ref;

  explicit Province(const std::vector<std::string>& communes) {
    Open("91");
    auto units = ParseUnitsCsv(ReadData("units-an-giang-2025.csv"));
    REQUIRE(units.ok());
    REQUIRE(store("91").Append(DirectoryWrites(*units, 0, "it")).ok());
    Procedure p{kResidenceProcedure, "Đăng ký thường trú", "UBND xã", 3, true, true, 0, {},
                "residence"};
    REQUIRE(store("91").Append(CatalogueWrites({p}, "it")).ok());
    auto loaded = LoadReferenceData(store("91"));
    REQUIRE(loaded.ok());
    ref = std::move(loaded).value();
    for (const auto& c : communes) {
      Open(c);
      Sync(c);
    }
  }
  void Open(const std::string& unit) {
    nodes[unit] = testing::OpenTestNode(dir.Sub(unit), unit, 0, 1, "91");
  }
  Store& store(const std::string& unit) { return *nodes.at(unit)->store; }
  int64_t now() const { return nodes.at("91")->clock.NowMs(); }
  void Advance(int64_t ms) {
    for (auto& [unit, node] : nodes) node->clock.Advance(ms);
  }

  // One sync round between the province and a commune: each sends what the other may hold.
  void Sync(const std::string& commune) {
    auto dir = store("91").DirectorySnapshot();
    auto shared = [&](const std::string& c) { return dir->InScope(commune, c, now()); };
    REQUIRE(testing::CopyAll(store(commune), store("91"), shared).ok());
    REQUIRE(testing::CopyAll(store("91"), store(commune), shared).ok());
  }
  // A routing pass at every node (each routes what it is the router of); events written.
  size_t Route() {
    size_t total = 0;
    for (auto& [unit, node] : nodes) {
      auto written = RoutingPass(*node->store, ref, now());
      REQUIRE(written.ok());
      total += *written;
    }
    return total;
  }

  // Receives a case at `at` for a citizen of `residence`; its code. `competent`: who processes.
  std::string Receive(const std::string& at, const std::string& residence, int n,
                      std::string* competent_out = nullptr) {
    ReceptionRequest r;
    r.procedure = kResidenceProcedure;
    r.channel = "counter";
    r.applicant = testing::Body({{"name", cbor::Value::Text("Trần Văn Tư")}});
    cbor::Value body;
    REQUIRE_FALSE(BuildReception(r, ref, at, now(), &body));
    std::string competent;
    auto dir = store(at).DirectorySnapshot();
    REQUIRE_FALSE(ChooseCompetentUnit(ref.FindProcedure(kResidenceProcedure), residence, at, *dir,
                                      now(), &competent));
    body.Set("residence", cbor::Value::Text(residence));
    if (competent != at) body.Set("route_to", cbor::Value::Text(competent));
    if (competent_out) *competent_out = competent;
    std::string code = at + "-251124-" + std::to_string(1000 + n);
    REQUIRE(store(at).Append(LocalWrite{at, code, "case.received", body, "nv.lan"}).ok());
    return code;
  }
  void Step(const std::string& at, const std::string& code, const std::string& status) {
    auto state = store(at).GetCaseState(code);
    REQUIRE(state.ok());
    cbor::Value body;
    auto refused = BuildStep(*state, status, "", "", ref, now(), &body);
    INFO(code << " -> " << status << ": " << (refused ? refused->reason : ""));
    REQUIRE_FALSE(refused);
    REQUIRE(store(at).Append(LocalWrite{state->channel(), code, "case.step", body, "nv.lan"}).ok());
  }
  std::string Status(const std::string& at, const std::string& code) {
    auto state = store(at).GetCaseState(code);
    return state.ok() ? state->TextOr("status", "") : "(not held)";
  }

  // Every holder holds exactly its scope, and every chain and state verifies.
  void CheckHoldersAndChains() {
    for (const auto& [unit, node] : nodes) {
      auto dir = node->store->DirectorySnapshot();
      for (const auto& [stream, head] :
           node->store->Vector([](const std::string& c) { return !IsSystemChannel(c); })) {
        INFO(unit << " holds " << stream.channel);
        CHECK(dir->InScope(unit, stream.channel, now()));
      }
      auto report = AuditStore(*node->store, AuditOptions{});
      REQUIRE(report.ok());
      INFO(unit << ": " << (report->findings.empty() ? "" : report->findings[0].message));
      CHECK(report->ok());
    }
  }
};

}  // namespace

TEST_CASE("routing: the competent unit is the receiving one, the residence or a fixed unit",
          "[routing]") {
  Directory dir("91");
  dir.Load({{"91", "", "Tỉnh An Giang", "Tỉnh"},
            {"91.STP", "91", "Sở Tư pháp", "agency"},
            {"30307", "91", "Phường Long Xuyên", "Phường"},
            {"30316", "91", "Phường Châu Đốc", "Phường"},
            {"30280", "30307", "Phường Mỹ Bình", "Phường"},
            {"R1", "91", "Trạm chuyển tiếp", std::string(kRelayType)},
            {"30325", "R1", "Phường Vĩnh Tế", "Phường"}},
           0);
  Procedure here{"1", "Chứng thực", "UBND xã", 1, true, true, 0, {}, ""};
  Procedure residence{"2", "Thường trú", "UBND xã", 3, true, true, 0, {}, "residence"};
  Procedure department{"3", "Lý lịch tư pháp", "Sở Tư pháp", 10, true, true, 0, {}, "91.STP"};
  std::string unit;
  CHECK_FALSE(ChooseCompetentUnit(&here, "30307", "30316", dir, 1, &unit));
  CHECK(unit == "30316");
  CHECK_FALSE(ChooseCompetentUnit(&residence, "30307", "30316", dir, 1, &unit));
  CHECK(unit == "30307");
  // A citizen naming the commune that was merged gets its successor.
  Event merge;
  merge.stream = {std::string(kDirectoryChannel), "91", 1};
  merge.seq = 1;
  merge.hlc = HlcPack(5, 0);
  merge.case_code = "30280";
  merge.type = "unit.merge";
  merge.body = UnitMergeBody("30307", 5);
  REQUIRE(dir.Apply(merge).ok());
  CHECK_FALSE(ChooseCompetentUnit(&residence, "30280", "30316", dir, 1, &unit));
  CHECK(unit == "30280");  // before the merge
  CHECK_FALSE(ChooseCompetentUnit(&residence, "30280", "30316", dir, 9, &unit));
  CHECK(unit == "30307");
  CHECK_FALSE(ChooseCompetentUnit(&department, "", "30316", dir, 1, &unit));
  CHECK(unit == "91.STP");
  auto missing = ChooseCompetentUnit(&residence, "", "30316", dir, 1, &unit);
  REQUIRE(missing);
  CHECK(missing->field == "residence");
  CHECK(ChooseCompetentUnit(&residence, "99999", "30316", dir, 1, &unit));
  CHECK(ChooseCompetentUnit(&residence, "R1", "30316", dir, 1, &unit));

  // The router is the lowest common ancestor that is not a relay.
  CHECK(RouterOf(dir, "30316", "30307", 1) == "91");
  CHECK(RouterOf(dir, "30280", "30307", 1) == "30307");
  CHECK(RouterOf(dir, "30325", "30316", 1) == "91");
  CHECK(RouterOf(dir, "30316", "91.STP", 1) == "91");
  CHECK(LinkedCaseCode("30307", "30316-251124-0001") == "30307-R30316.251124.0001");
}

TEST_CASE("routing: B's counter receives for A while A is offline, A processes, B returns",
          "[routing]") {
  const std::string A = "30307", B = "30316", C = "30325";
  Province p({A, B, C});
  std::string x = p.Receive(B, A, 1);
  std::string linked = LinkedCaseCode(A, x);

  p.Sync(B);  // A is offline: the case reaches the province and waits there for A
  CHECK(p.Route() == 2);
  CHECK(p.Route() == 0);  // nothing twice
  CHECK(p.Status("91", x) == "forwarded");
  CHECK(p.Status("91", linked) == "forwarded");
  p.Sync(C);
  p.Sync(B);
  CHECK(p.Status(B, x) == "forwarded");
  CHECK(p.Status(B, linked) == "(not held)");
  CHECK(p.Status(C, x) == "(not held)");

  p.Sync(A);  // A comes back: one round brings the linked case, never B's
  CHECK(p.Status(A, linked) == "forwarded");
  CHECK(p.Status(A, x) == "(not held)");
  auto copied = p.store(A).GetCaseState(linked);
  REQUIRE(copied.ok());
  CHECK(copied->TextOr("source", "") == x);
  CHECK(copied->TextOr("procedure", "") == kResidenceProcedure);
  // The applicant was sealed under B's case key; A holds only its own case's key, and opens it.
  const LiveWrite* applicant = copied->Winner(*copied->Field("applicant"));
  REQUIRE(applicant != nullptr);
  CHECK(cbor::Decode(applicant->value)->is_bytes());
  ShownField shown = ShowField(p.store(A), linked, "applicant", applicant->value);
  REQUIRE(shown.hidden == ShownField::Hidden::kNone);
  CHECK(shown.value.Find("name")->str() == "Trần Văn Tư");
  p.Step(A, linked, "processing");
  p.Step(A, linked, "result_ready");
  p.Sync(A);
  while (p.Route() > 0) {
  }
  CHECK(p.Status("91", x) == "result_ready");
  p.Sync(B);
  CHECK(p.Status(B, x) == "result_ready");
  p.Step(B, x, "returned");  // at B's counter
  p.Sync(B);
  CHECK(p.Route() == 1);
  p.Sync(A);
  CHECK(p.Status(A, linked) == "returned");
  p.CheckHoldersAndChains();

  // Reports: received at B, processed at A, once each at the province.
  int month = MonthOf(p.now());
  auto totals = [&](const std::string& scope) {
    auto rows = BuildReport(p.store("91"), ReportQuery{scope, month, month});
    REQUIRE(rows.ok());
    return rows->back().figures;
  };
  ReportFigures province = totals("91"), at_a = totals(A), at_b = totals(B);
  CHECK(at_b.received == 1);
  CHECK(at_b.resolved == 0);
  CHECK(at_a.received == 0);
  CHECK(at_a.resolved == 1);
  CHECK(province.received == 1);
  CHECK(province.resolved == 1);
  CHECK(province.in_progress == 0);
}

TEST_CASE("routing: random receptions, steps, partitions and a re-draw converge, holders exact",
          "[routing]") {
  const std::vector<std::string> communes = {"30307", "30316", "30325", "30337"};
  Province p(communes);
  std::mt19937 rng(20251124);
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  std::vector<std::pair<std::string, std::string>> cases;  // (source code, competent)
  for (int round = 0; round < 60; ++round) {
    if (round == 30) {
      // A re-draw announced ahead: 30337 merges into 30325, whose node then holds its
      // channel; a citizen naming 30337 is processed at 30325 from then on.
      REQUIRE(p.store("91")
                  .Append(LocalWrite{std::string(kDirectoryChannel), "30337", "unit.merge",
                                     UnitMergeBody("30325", p.now() + 1000), "it"})
                  .ok());
      for (const auto& c : communes) p.Sync(c);
      p.Advance(2000);
      for (auto& [unit, node] : p.nodes) REQUIRE(node->store->PurgeOutOfScope().ok());
    }
    const std::string& at = communes[pick(communes.size())];
    switch (pick(4)) {
      case 0: {  // a reception, routed three times out of four
        std::string competent;
        std::string code = p.Receive(at, communes[pick(communes.size())], round, &competent);
        cases.emplace_back(code, competent);
        break;
      }
      case 1:  // the competent unit moves one of its cases on, if it holds it
        for (const auto& [code, home] : cases) {
          std::string here = home == code.substr(0, 5) ? code : LinkedCaseCode(home, code);
          std::string s = p.Status(home, here);
          if (s == "forwarded" || s == "received") {
            p.Step(home, here, "processing");
            break;
          }
          if (s == "processing") {
            p.Step(home, here, "result_ready");
            break;
          }
        }
        break;
      case 2:  // one link is up for a round
        p.Sync(at);
        break;
      default:  // the province routes what it has
        p.Route();
    }
  }
  for (int settle = 0; settle < 4; ++settle) {  // every link up at last
    for (const auto& c : communes) p.Sync(c);
    while (p.Route() > 0) {
    }
  }
  for (const auto& c : communes) p.Sync(c);
  auto dir = p.store("91").DirectorySnapshot();
  size_t routed = 0;
  for (const auto& [code, competent] : cases) {
    const std::string at = code.substr(0, 5);
    std::vector<std::pair<std::string, std::string>> held = {{at, code}};  // channel, case
    if (competent != at) {
      held.emplace_back(competent, LinkedCaseCode(competent, code));
      ++routed;
    }
    // Held exactly where the rule puts it: its channel in the holder's scope.
    for (const auto& [unit, node] : p.nodes) {
      for (const auto& [channel, c] : held) {
        INFO(c << " at " << unit);
        CHECK((p.Status(unit, c) != "(not held)") == dir->InScope(unit, channel, p.now()));
      }
    }
    if (competent == at) continue;
    std::string there = p.Status(competent, LinkedCaseCode(competent, code));
    std::string source = p.Status(at, code);
    INFO(code << " for " << competent << ": " << source << " / " << there);
    if (there == "result_ready" || there == "processing" || there == "forwarded") {
      CHECK(source == there);
    }
  }
  CHECK(routed > 5);
  p.CheckHoldersAndChains();
}
