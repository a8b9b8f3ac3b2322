// A new office works from its first minute (issue 18): the province issues its bundle with the
// root node's system channels, the office's node receives cases before it ever synced. Real
// hoso and hoso-node processes, real RocksDB, TLS certificates from a real CA.
#include <catch2/catch.hpp>
#include <filesystem>

#include "core/domain/reference_data.h"
#include "node/officers.h"
#include "tests/testing/bundle_testing.h"
#include "tests/testing/process_testing.h"
#include "tests/tools/hoso_cli.h"
#include "tools/provision.h"

using namespace hoso;
using testing::Hoso;
using testing::Json;
namespace fs = std::filesystem;

namespace {

// The officer a test office receives cases as (1,000 PBKDF2 iterations, for the test only).
void AddOfficer(const std::string& node_dir) {
  node::OfficerDirectory officers;
  REQUIRE(officers.Add("nv.lan", "nv.lan", node::Role::kHead, "mat-khau-thu-nghiem", 1000).ok());
  REQUIRE(officers.Save(node_dir + "/officers.json").ok());
}

// A root node 89 holding the small tree, a catalogue of one procedure (8 working days) and
// working hours for commune 30280: what a province has before it issues offices' bundles.
std::unique_ptr<tools::LocalNetwork> ProvinceReady(testing::TempDir& tmp) {
  auto net = testing::RunningNetwork(tmp.Sub("net"), {"89"});
  Procedure p{"TEST-1001193", "Cấp hộ chiếu phổ thông", "Công an tỉnh", 8, true, true, 200000, {}};
  REQUIRE(net->Call("89", "POST", "/v1/catalogue?officer=system", CatalogueCsv({p})).ok());
  auto hours = Hoso(tmp, {"calendar", "set", "--dir", net->NodeDir("89"), "--officer", "system",
                          "--unit", "30280", "--sessions", "07:00-11:00,13:30-17:30"});
  INFO(hours.out << hours.err);
  REQUIRE(hours.rc == 0);
  return net;
}

// Copies a node bundle, every file but system.bundle.
void CopyBundle(const std::string& from, const std::string& to) {
  fs::create_directories(to);
  for (const auto& f : fs::directory_iterator(from)) {
    if (f.path().filename() != "system.bundle")
      fs::copy(f.path(), to + "/" + f.path().filename().string());
  }
}

}  // namespace

TEST_CASE("hoso ca issue --root-node: a new office receives cases offline from its first start",
          "[tools][cli][setup]") {
  testing::TempDir tmp;
  auto net = ProvinceReady(tmp);
  const std::string ca = tmp.Sub("net") + "/ca", root = net->NodeDir("89");

  auto issued = Hoso(tmp, {"ca", "issue", "--ca", ca, "--unit", "30280", "--out", tmp.Sub("b"),
                           "--root-node", root, "--json"});
  INFO(issued.out << issued.err);
  REQUIRE(issued.rc == 0);
  CHECK(Json(issued).at("system_channels") ==
        boost::json::array{"$calendar", "$catalogue", "$directory"});
  CHECK(fs::exists(tmp.Sub("b") + "/system.bundle"));

  // The root goes away: the office has no link, and never had one.
  REQUIRE(net->Stop("89").ok());
  const std::string dir = tmp.Sub("n30280");
  auto init = Hoso(
      tmp, {"init", "--dir", dir, "--tls", tmp.Sub("b"), "--root", "89", "--api", "127.0.0.1:0"});
  INFO(init.out << init.err);
  REQUIRE(init.rc == 0);
  CHECK_THAT(init.out, Catch::Contains("system.bundle"));
  AddOfficer(dir);
  tools::NodeProcess node(HOSO_BIN_DIR "/hoso-node", dir);
  REQUIRE(node.Start().ok());
  CHECK_THAT(testing::ReadLog(dir),
             Catch::Contains("set-up bundle imported before the first sync"));

  auto created = Hoso(tmp, {"case", "new", "--dir", dir, "--officer", "nv.lan", "--procedure",
                            "TEST-1001193", "--name", "Trịnh Văn Bảo", "--json"});
  INFO(created.out << created.err);
  REQUIRE(created.rc == 0);
  const boost::json::value answer = Json(created);
  const auto& fields = answer.at("fields");
  CHECK(fields.at("procedure_name") == "Cấp hộ chiếu phổ thông");
  // The due date is the catalogue's 8 working days in the commune's own working hours.
  const int64_t received = fields.at("received_at").to_number<int64_t>();
  const int64_t due = fields.at("due_at").to_number<int64_t>();
  ReferenceData ref;
  ref.sessions["30280"] = {{7 * 60, 11 * 60}, {13 * 60 + 30, 17 * 60 + 30}};
  CHECK(due == ref.CalendarFor("30280").DueDate(received, 8, true));
  auto calendar = Hoso(tmp, {"calendar", "show", "--dir", dir, "--json"});
  REQUIRE(calendar.rc == 0);
  CHECK(Json(calendar).at("sessions") == boost::json::array{boost::json::array{"07:00", "11:00"},
                                                            boost::json::array{"13:30", "17:30"}});
  auto info = Json(Hoso(tmp, {"node", "status", "--dir", dir, "--json"}));
  CHECK(info.at("directory_units").to_number<size_t>() == testing::SmallTree().size());
  auto sync = Json(Hoso(tmp, {"sync", "status", "--dir", dir, "--json"}));
  CHECK(sync.at("state") == "no_upstream");

  // Imported once: a restart does not import the same file again.
  REQUIRE(node.Stop().ok());
  REQUIRE(node.Start().ok());
  std::string log = testing::ReadLog(dir);
  CHECK(log.find("set-up bundle imported") == log.rfind("set-up bundle imported"));
  REQUIRE(node.Stop().ok());

  // With the root down, issuing says so, and writes nothing.
  auto down = Hoso(tmp, {"ca", "issue", "--ca", ca, "--unit", "30283", "--out", tmp.Sub("b2"),
                         "--root-node", root});
  CHECK(down.rc == 3);
  CHECK_THAT(down.err, Catch::Contains("cannot reach the root node 89"));
  CHECK_THAT(down.err, Catch::Contains("does not answer"));
  CHECK_THAT(down.err, Catch::Contains("No certificate was issued and nothing was written"));
  CHECK_FALSE(fs::exists(tmp.Sub("b2")));
  CHECK(Json(Hoso(tmp, {"ca", "list", "--ca", ca, "--json"})).as_array().size() == 2);
  auto bare = Hoso(tmp, {"ca", "issue", "--ca", ca, "--unit", "30283", "--out", tmp.Sub("b2")});
  CHECK(bare.rc == 2);
  CHECK_THAT(bare.err, Catch::Contains("--root-node DIR"));
  CHECK_FALSE(fs::exists(tmp.Sub("b2")));
  auto without = Hoso(
      tmp, {"ca", "issue", "--ca", ca, "--unit", "30283", "--out", tmp.Sub("b2"), "--no-system"});
  CHECK(without.rc == 0);
  CHECK_THAT(without.out, Catch::Contains("refuses cases until its first sync"));
}

TEST_CASE("an altered set-up bundle is refused by hoso init, and by hoso-node, which still starts",
          "[tools][cli][setup]") {
  testing::TempDir tmp;
  auto net = ProvinceReady(tmp);
  const std::string ca = tmp.Sub("net") + "/ca";
  REQUIRE(Hoso(tmp, {"ca", "issue", "--ca", ca, "--unit", "30280", "--out", tmp.Sub("b"),
                     "--root-node", net->NodeDir("89")})
              .rc == 0);
  std::string good = node::ReadTextFile(tmp.Sub("b") + "/system.bundle", "b").value();
  // A name in the directory changed, and the digest made to match: only the signed chain
  // tells.
  std::string altered = testing::TamperedBundle(good, "Phường Mỹ Bình");
  CopyBundle(tmp.Sub("b"), tmp.Sub("bad"));
  REQUIRE(tools::WriteFileAtomic(tmp.Sub("bad") + "/system.bundle", altered).ok());

  auto init = Hoso(tmp, {"init", "--dir", tmp.Sub("n1"), "--tls", tmp.Sub("bad"), "--root", "89",
                         "--api", "127.0.0.1:0"});
  CHECK(init.rc == 1);
  CHECK_THAT(init.err, Catch::Contains("system.bundle is refused and nothing was written"));
  CHECK_THAT(init.err, Catch::Contains("$directory/89"));
  CHECK_FALSE(fs::exists(tmp.Sub("n1") + "/hoso.conf"));
  // A bundle for another root is refused by name too.
  auto other = Hoso(tmp, {"init", "--dir", tmp.Sub("n1"), "--tls", tmp.Sub("b"), "--root", "91",
                          "--api", "127.0.0.1:0"});
  CHECK(other.rc == 1);
  CHECK_THAT(other.err, Catch::Contains("only the root authority 91 may"));

  // Altered in the data directory after init: the node refuses it, stores nothing of it, and
  // starts as a node without one (it refuses cases until its first sync).
  const std::string dir = tmp.Sub("n2");
  REQUIRE(Hoso(tmp, {"init", "--dir", dir, "--tls", tmp.Sub("b"), "--root", "89", "--api",
                     "127.0.0.1:0"})
              .rc == 0);
  REQUIRE(tools::WriteFileAtomic(dir + "/system.bundle", altered).ok());
  AddOfficer(dir);
  tools::NodeProcess node(HOSO_BIN_DIR "/hoso-node", dir);
  REQUIRE(node.Start().ok());
  std::string log = testing::ReadLog(dir);
  CHECK_THAT(log, Catch::Contains("set-up bundle " + dir + "/system.bundle refused"));
  CHECK_THAT(log, Catch::Contains("nothing of it was stored"));
  auto info = Json(Hoso(tmp, {"node", "status", "--dir", dir, "--json"}));
  CHECK(info.at("directory_units").to_number<int>() == 0);
  auto refused = Hoso(tmp, {"case", "new", "--dir", dir, "--officer", "nv.lan", "--procedure",
                            "TEST-1001193", "--name", "Trịnh Văn Bảo"});
  CHECK(refused.rc == 1);
  CHECK_THAT(refused.err, Catch::Contains("not in the directory"));
  // The good file put back is imported at the next start.
  REQUIRE(node.Stop().ok());
  REQUIRE(tools::WriteFileAtomic(dir + "/system.bundle", good).ok());
  REQUIRE(node.Start().ok());
  CHECK_THAT(testing::ReadLog(dir), Catch::Contains("set-up bundle imported"));
  CHECK(Hoso(tmp, {"case", "new", "--dir", dir, "--officer", "nv.lan", "--procedure", "TEST-1001193",
                   "--name", "Trịnh Văn Bảo"})
            .rc == 0);
}
