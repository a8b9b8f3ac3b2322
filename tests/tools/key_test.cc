// The master key as an operator lives with it, on real nodes: a store left by the previous
// release (format 1, plaintext) encrypted at the first start, a key rotation, and no citizen's
// name in any file of a data directory (node/master_key.h, core/log/store_cipher.h).
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/log/store_cipher.h"
#include "core/log/store_migrate.h"
#include "node/master_key.h"
#include "tests/testing/process_testing.h"
#include "tests/tools/hoso_cli.h"

using namespace hoso;
using namespace std::chrono_literals;

namespace {

using testing::Hoso;
using testing::Json;

// The first file under `dir` holding `needle` ("" when none does), skipping `skip` folders.
std::string FileHolding(const std::string& dir, std::string_view needle,
                        std::string_view skip = "\x01") {
  for (auto it = std::filesystem::recursive_directory_iterator(dir);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    if (it->is_directory() && it->path().filename().string().find(skip) != std::string::npos) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (bytes.find(needle) != std::string::npos) return it->path().string();
  }
  return "";
}

// A province and one commune, running.
struct CommuneAndProvince {
  testing::TempDir tmp;
  std::unique_ptr<tools::LocalNetwork> net =
      testing::RunningNetwork(tmp.Sub("net"), {"89", "30280"});
  std::string node_dir = net->NodeDir("30280"), db = node_dir + "/db";
};

// A case received at the node through the CLI, as a clerk would; its code.
std::string Receive(const testing::TempDir& tmp, const std::string& node_dir,
                    const std::string& name) {
  auto made = Hoso(tmp, {"case", "new", "--dir", node_dir, "--officer", "nv.lan", "--procedure",
                         "TEST-2000908", "--name", name, "--json"});
  REQUIRE(made.rc == 0);
  return std::string(Json(made).at("code").as_string());
}

unsigned Mode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

}  // namespace

TEST_CASE("upgrade: a format-1 store is encrypted at the node's first start, nothing lost",
          "[tools][key]") {
  CommuneAndProvince n;
  auto& [tmp, net, node_dir, db] = n;
  const std::string code = Receive(tmp, node_dir, "Phan Thị Mến");
  REQUIRE(net->WaitConverged(20s).ok());
  REQUIRE(net->Stop("30280").ok());

  // As the previous release left it: a plaintext store and no key file.
  auto key = node::ReadMasterKeyFile(node_dir + "/master.key");
  REQUIRE(key.ok());
  REQUIRE(RewriteStore(db, *key, "").ok());
  std::filesystem::remove(node_dir + "/master.key");
  // The name was sealed in its event; the case code is in clear in format 1.
  REQUIRE(FileHolding(db, code) != "");

  REQUIRE(net->Start("30280").ok());
  const std::string log = testing::ReadLog(node_dir);
  CHECK_THAT(log, Catch::Contains("made the master key"));
  CHECK_THAT(log, Catch::Contains("is format 1 (plaintext): kept a checkpoint of it in"));
  CHECK_THAT(log, Catch::Contains("the case log is encrypted:"));
  CHECK(Mode(node_dir + "/master.key") == 0600);
  std::string id;
  CHECK(ProbeStoreEncryption(db, &id).value() == StoreEncryption::kEncrypted);
  CHECK(id == MasterKeyId(node::ReadMasterKeyFile(node_dir + "/master.key").value()).value());
  CHECK(FileHolding(db, code) == "");
  CHECK(FileHolding(db, "Phan Thị Mến") == "");
  CHECK(FileHolding(db, "phan thi men") == "");
  // The checkpoint kept for a rollback is the plaintext store, whole.
  bool kept = false;
  for (const auto& e : std::filesystem::directory_iterator(node_dir)) {
    if (e.path().filename().string().rfind("db.format1-", 0) == 0) {
      kept = true;
      CHECK(ProbeStoreEncryption(e.path().string()).value() == StoreEncryption::kPlain);
    }
  }
  CHECK(kept);
  auto node = net->Call("30280", "GET", "/v1/node");
  REQUIRE(node.ok());
  CHECK(node->at("store_format").as_string() == "2");
  auto held = net->Call("30280", "GET", "/v1/cases/" + code);
  REQUIRE(held.ok());
  CHECK(held->at("fields").at("applicant").at("name").as_string() == "Phan Thị Mến");
  CHECK(testing::WaitFor(
      [&] {
        auto n = net->Call("30280", "GET", "/v1/node");
        return n.ok() && n->at("self_check").at("state").as_string() == "passed";
      },
      20s));
  REQUIRE(net->Call("89", "POST", "/v1/cases/" + code + "/steps",
                    R"({"officer":"cb.minh","status":"processing"})")
              .ok());
  REQUIRE(net->WaitConverged(20s).ok());
}

TEST_CASE("hoso key rotate: the store moves to a new key, the old one is kept aside",
          "[tools][key]") {
  CommuneAndProvince n;
  auto& [tmp, net, node_dir, db] = n;
  const std::string code = Receive(tmp, node_dir, "Vi Văn Khởi");
  auto running = Hoso(tmp, {"key", "rotate", "--dir", node_dir});
  CHECK(running.rc != 0);
  CHECK_THAT(running.err, Catch::Contains("stop it first"));
  REQUIRE(net->Stop("30280").ok());
  const std::string before = testing::ReadWholeFile(node_dir + "/master.key");

  auto rotated = Hoso(tmp, {"key", "rotate", "--dir", node_dir, "--json"});
  INFO(rotated.out << rotated.err);
  REQUIRE(rotated.rc == 0);
  auto report = Json(rotated);
  const std::string old_file(report.at("old_key_file").as_string());
  CHECK(testing::ReadWholeFile(old_file) == before);
  CHECK(Mode(old_file) == 0600);
  CHECK(testing::ReadWholeFile(node_dir + "/master.key") != before);
  CHECK(Mode(node_dir + "/master.key") == 0600);
  std::string id;
  REQUIRE(ProbeStoreEncryption(db, &id).value() == StoreEncryption::kEncrypted);
  CHECK(id == std::string(report.at("new_key").as_string()));
  CHECK(id != std::string(report.at("old_key").as_string()));

  // A rotation cut after the rewrite, before the key files moved: the next start finishes it.
  REQUIRE(std::filesystem::copy_file(node_dir + "/master.key", node_dir + "/master.key.new"));
  std::filesystem::permissions(
      node_dir + "/master.key.new",
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  REQUIRE(std::filesystem::copy_file(old_file, node_dir + "/master.key",
                                     std::filesystem::copy_options::overwrite_existing));
  REQUIRE(net->Start("30280").ok());
  CHECK_THAT(testing::ReadLog(node_dir),
             Catch::Contains("finished the rotation of the master key"));
  CHECK_FALSE(std::filesystem::exists(node_dir + "/master.key.new"));
  auto held = net->Call("30280", "GET", "/v1/cases/" + code);
  REQUIRE(held.ok());
  CHECK(held->at("fields").at("applicant").at("name").as_string() == "Vi Văn Khởi");
  REQUIRE(net->WaitConverged(20s).ok());

  // No data directory holds the name, at the commune or the province, nor their logs.
  for (const std::string unit : {"30280", "89"}) {
    CHECK(FileHolding(net->NodeDir(unit), "Vi Văn Khởi") == "");
    CHECK(FileHolding(net->NodeDir(unit), "vi van khoi") == "");
  }
}
