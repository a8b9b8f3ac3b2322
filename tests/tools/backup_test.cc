// hoso backup and hoso restore as an operator runs them, on real nodes (node/backup.h,
// tools/provision.h).
#include <catch2/catch.hpp>
#include <filesystem>
#include <regex>
#include <string>

#include "node/daemon.h"
#include "tests/testing/process_testing.h"
#include "tests/tools/hoso_cli.h"
#include "tools/provision.h"

using namespace hoso;

namespace {

using testing::Hoso;
using testing::Json;

}  // namespace

TEST_CASE("hoso backup and restore: the node comes back under a new epoch, with no fork",
          "[tools][cli]") {
  testing::TempDir tmp;
  auto made = testing::RunningNetwork(tmp.Sub("net"), {"89", "30280"});
  auto& net = *made;
  std::string net_dir = tmp.Sub("net");
  std::string node_dir = net.NodeDir("30280");
  auto receive = [&](const std::string& name) {
    auto r = Hoso(tmp, {"case", "new", "--dir", node_dir, "--officer", "nv.lan", "--procedure",
                        "TEST-2000908", "--name", name, "--json"});
    REQUIRE(r.rc == 0);
    return std::string(Json(r).at("code").as_string());
  };
  std::string early = receive("Đỗ Văn Lộc");
  auto nowhere = Hoso(tmp, {"backup", "--dir", node_dir, "--out", tmp.Sub("usb/backup")});
  CHECK(nowhere.rc == 1);
  CHECK_THAT(nowhere.err, Catch::Contains("HTTP 400"));
  CHECK_THAT(nowhere.err, Catch::Contains("the folder " + tmp.Sub("usb") + " does not exist"));
  auto backup = Hoso(tmp, {"backup", "--dir", node_dir, "--out", tmp.Sub("backup")});
  REQUIRE(backup.rc == 0);
  CHECK_THAT(backup.out, Catch::Contains("db/ (the case log), officers.json, hoso.conf"));
  auto again = Hoso(tmp, {"backup", "--dir", node_dir, "--out", tmp.Sub("backup")});
  CHECK(again.rc == 1);
  CHECK_THAT(again.err, Catch::Contains("HTTP 409"));
  CHECK_THAT(again.err, Catch::Contains(tmp.Sub("backup") + " already exists"));
  CHECK_THAT(again.err, Catch::Contains("đã có sẵn"));
  std::string late = receive("Ngô Thị Yến");  // after the backup: only upstream will have it
  REQUIRE(net.WaitConverged(std::chrono::seconds(20)).ok());

  auto running = Hoso(tmp, {"restore", "--dir", node_dir, "--from", tmp.Sub("backup"), "--tls",
                            net_dir + "/bundles/30280"});
  CHECK(running.rc == 1);
  CHECK_THAT(running.err, Catch::Contains("stop it first"));
  REQUIRE(net.Stop("30280").ok());
  auto same_epoch = Hoso(tmp, {"restore", "--dir", node_dir, "--from", tmp.Sub("backup"), "--tls",
                               net_dir + "/bundles/30280"});
  CHECK(same_epoch.rc == 1);
  CHECK_THAT(same_epoch.err, Catch::Contains("--epoch 2"));
  // Re-issued with the root's system channels, as for a new office: restore takes them too.
  REQUIRE(Hoso(tmp, {"ca", "issue", "--ca", net_dir + "/ca", "--unit", "30280", "--epoch", "2",
                     "--out", tmp.Sub("b30280e2"), "--root-node", net.NodeDir("89")})
              .rc == 0);
  CHECK(std::filesystem::exists(tmp.Sub("b30280e2") + "/system.bundle"));
  // A re-installed machine has no officer accounts: they come back with the backup.
  std::filesystem::remove(node_dir + "/officers.json");
  auto restored = Hoso(tmp, {"restore", "--dir", node_dir, "--from", tmp.Sub("backup"), "--tls",
                             tmp.Sub("b30280e2")});
  INFO(restored.out << restored.err);
  REQUIRE(restored.rc == 0);
  CHECK_THAT(restored.out, Catch::Contains("Officer accounts restored from the backup"));
  std::smatch kept;
  REQUIRE(std::regex_search(restored.out, kept,
                            std::regex("kept in (\\S*/db\\.before-restore-"
                                       "\\d{4}-\\d\\d-\\d\\dT\\d{6}Z)")));
  CHECK(std::filesystem::exists(kept[1].str() + "/CURRENT"));
  CHECK(std::filesystem::exists(node_dir + "/officers.json"));
  REQUIRE(net.Start("30280").ok());
  // The restored node learns what it wrote after the backup, and writes under epoch 2.
  REQUIRE(net.WaitConverged(std::chrono::seconds(20)).ok());
  CHECK(net.Call("30280", "GET", "/v1/cases/" + late).ok());
  std::string fresh = receive("Lý Văn Hùng");
  CHECK_THAT(fresh, Catch::StartsWith("30280e2-"));
  REQUIRE(net.WaitConverged(std::chrono::seconds(20)).ok());
  for (const char* unit : {"89", "30280"}) {
    auto info = net.Call(unit, "GET", "/v1/node");
    REQUIRE(info.ok());
    CHECK(info->at("forks").to_number<int>() == 0);
    CHECK(info->at("cases").to_number<int>() == 3);
  }
  CHECK(net.Call("89", "GET", "/v1/cases/" + early).ok());
}

TEST_CASE("hoso restore refuses another office's backup and keeps newer officer accounts",
          "[tools][cli][backup]") {
  testing::TempDir tmp;
  auto net = testing::RunningNetwork(tmp.Sub("net"), {"89", "30280"});
  const std::string net_dir = tmp.Sub("net"), node_dir = net->NodeDir("30280");
  REQUIRE(Hoso(tmp, {"backup", "--dir", net->NodeDir("89"), "--out", tmp.Sub("b89")}).rc == 0);
  REQUIRE(Hoso(tmp, {"backup", "--dir", node_dir, "--out", tmp.Sub("b30280")}).rc == 0);
  // An auditor reads a backup as a store: its case log is db/, its hoso.conf only a copy; the
  // backup is encrypted, and its master key is not in it.
  auto keyless =
      Hoso(tmp, {"audit", "verify", "--data", tmp.Sub("b30280"), "--ca", net_dir + "/ca/ca.pem"});
  CHECK(keyless.rc != 0);
  CHECK_THAT(keyless.err, Catch::Contains("is encrypted under master key"));
  CHECK_THAT(keyless.err, Catch::Contains("--master-key FILE"));
  auto audited = Hoso(tmp, {"audit", "verify", "--data", tmp.Sub("b30280"), "--ca",
                            net_dir + "/ca/ca.pem", "--master-key", node_dir + "/master.key"});
  INFO(audited.out << audited.err);
  CHECK(audited.rc == 0);
  REQUIRE(net->Stop("30280").ok());
  REQUIRE(Hoso(tmp, {"ca", "issue", "--ca", net_dir + "/ca", "--unit", "30280", "--epoch", "2",
                     "--out", tmp.Sub("e2"), "--no-system"})
              .rc == 0);
  auto other =
      Hoso(tmp, {"restore", "--dir", node_dir, "--from", tmp.Sub("b89"), "--tls", tmp.Sub("e2")});
  CHECK(other.rc == 1);
  CHECK_THAT(other.err, Catch::Contains("is a backup of unit 89"));
  CHECK_THAT(other.err, Catch::Contains("this node is unit 30280"));
  auto none = Hoso(
      tmp, {"restore", "--dir", node_dir, "--from", tmp.Sub("nothing"), "--tls", tmp.Sub("e2")});
  CHECK(none.rc == 4);
  CHECK_THAT(none.err, Catch::Contains("is not a backup made by `hoso backup`"));
  // A machine re-installed without the node's master key: the backup cannot be read until the
  // province's copy of the key is put back.
  std::filesystem::rename(node_dir + "/master.key", tmp.Sub("escrowed.key"));
  auto keyless_restore = Hoso(
      tmp, {"restore", "--dir", node_dir, "--from", tmp.Sub("b30280"), "--tls", tmp.Sub("e2")});
  CHECK(keyless_restore.rc != 0);
  CHECK_THAT(keyless_restore.err, Catch::Contains("the backup is encrypted under master key"));
  CHECK_THAT(keyless_restore.err, Catch::Contains("master.key is missing: put that key there"));
  std::filesystem::rename(tmp.Sub("escrowed.key"), node_dir + "/master.key");

  // An account added after the backup stays: the data directory's file is the newer one.
  const std::string accounts = testing::ReadWholeFile(node_dir + "/officers.json") + "\n";
  REQUIRE(node::WriteFileAtomic(node_dir + "/officers.json", accounts, 0600).ok());
  auto restored = Hoso(tmp, {"restore", "--dir", node_dir, "--from", tmp.Sub("b30280"), "--tls",
                             tmp.Sub("e2"), "--json"});
  INFO(restored.out << restored.err);
  REQUIRE(restored.rc == 0);
  auto report = Json(restored);
  CHECK(report.at("officers").as_string() == "kept_current");
  std::string kept(report.at("kept_db").as_string());
  CHECK(std::regex_match(kept, std::regex(".*/db\\.before-restore-\\d{4}-\\d\\d-\\d\\dT\\d{6}Z")));
  CHECK(std::filesystem::exists(kept + "/CURRENT"));
  CHECK(testing::ReadWholeFile(node_dir + "/officers.json") == accounts);
  // The restored node starts from the backup.
  REQUIRE(net->Start("30280").ok());
  REQUIRE(net->WaitConverged(std::chrono::seconds(20)).ok());
}

TEST_CASE("the folder a restore keeps is named with a readable time, never one taken",
          "[tools][backup]") {
  testing::TempDir tmp;
  const int64_t t = 1764595925;  // 2025-12-01 13:32:05 UTC
  CHECK(tools::BeforeRestoreName(tmp.Sub("db"), t) ==
        tmp.Sub("db.before-restore-2025-12-01T133205Z"));
  std::filesystem::create_directory(tmp.Sub("db.before-restore-2025-12-01T133205Z"));
  CHECK(tools::BeforeRestoreName(tmp.Sub("db"), t) ==
        tmp.Sub("db.before-restore-2025-12-01T133205Z-2"));
}
