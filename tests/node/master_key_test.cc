// The master key's life on disk (node/master_key.h): cut rotations finished or undone whichever
// step they were cut at, never a new key for an encrypted store, never a rewrite under a node.
#include "node/master_key.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "core/domain/case_log.h"
#include "core/log/store.h"
#include "core/log/store_cipher.h"
#include "core/log/store_migrate.h"
#include "tests/testing/testing.h"

using namespace hoso;
namespace fs = std::filesystem;

namespace {

struct NodeDir {
  testing::TempDir tmp;
  node::NodeConfig config;
  node::Logger log{stderr};
  NodeDir() {
    config.dir = tmp.path();
    config.root = "89";
  }
  std::string KeyFile() const { return config.Path(config.master_key); }
  std::string Db() const { return config.Path(config.db); }
  Result<std::unique_ptr<Store>> Open(const std::string& key) const {
    StoreOptions o;
    o.path = Db();
    o.root_unit = "89";
    o.master_key = key;
    UseCaseLogRules(&o);
    return Store::Open(o);
  }
  std::string StoreKeyId() const {
    std::string id;
    REQUIRE(ProbeStoreEncryption(Db(), &id).value() == StoreEncryption::kEncrypted);
    return id;
  }
};

std::string IdOf(const std::string& key_file) {
  return MasterKeyId(node::ReadMasterKeyFile(key_file).value()).value();
}

}  // namespace

TEST_CASE("master key: none is made for an encrypted store whose key is missing", "[key]") {
  NodeDir n;
  auto key = node::LoadMasterKey(n.config, &n.log);
  REQUIRE(key.ok());
  REQUIRE(n.Open(*key).ok());
  const std::string id = n.StoreKeyId();
  fs::remove(n.KeyFile());
  auto missing = node::LoadMasterKey(n.config, &n.log);
  REQUIRE(missing.status().code() == Code::kFailedPrecondition);
  CHECK_THAT(missing.status().message(),
             Catch::Contains("is encrypted under master key " + id + ", and " + n.KeyFile() +
                             " is missing: put that key there"));
  CHECK_FALSE(fs::exists(n.KeyFile()));
}

TEST_CASE("master key: a rotation cut at any step ends under one key, kept", "[key]") {
  NodeDir n;
  const std::string a = node::LoadMasterKey(n.config, &n.log).value();
  REQUIRE(n.Open(a).ok());
  const std::string fresh = n.KeyFile() + ".new";

  SECTION("cut before the store was rewritten: the new key is dropped") {
    REQUIRE(node::CreateMasterKeyFile(fresh).ok());
    REQUIRE(node::LoadMasterKey(n.config, &n.log).value() == a);
    CHECK_FALSE(fs::exists(fresh));
  }
  SECTION("cut after the rewrite, before the key files moved: rotating again finishes it first") {
    const std::string b = node::CreateMasterKeyFile(fresh).value();
    REQUIRE(RewriteStore(n.Db(), a, b).ok());
    auto rotated = node::RotateMasterKey(n.config, &n.log);
    REQUIRE(rotated.ok());
    CHECK(rotated->old_id == MasterKeyId(b).value());
    CHECK(n.StoreKeyId() == IdOf(n.KeyFile()));
    CHECK(n.Open(node::ReadMasterKeyFile(n.KeyFile()).value()).ok());
  }
  SECTION("cut between the key files' renames: the next start finishes it") {
    const std::string b = node::CreateMasterKeyFile(fresh).value();
    REQUIRE(RewriteStore(n.Db(), a, b).ok());
    fs::rename(n.KeyFile(), n.KeyFile() + ".old-cut");
    REQUIRE(node::LoadMasterKey(n.config, &n.log).value() == b);
    CHECK_FALSE(fs::exists(fresh));
    CHECK(n.Open(b).ok());
  }
  SECTION("a store under neither key is left as found") {
    const std::string c(32, 'c');
    REQUIRE(node::CreateMasterKeyFile(fresh).ok());
    REQUIRE(RewriteStore(n.Db(), a, c).ok());
    auto neither = node::LoadMasterKey(n.config, &n.log);
    REQUIRE(neither.status().code() == Code::kFailedPrecondition);
    CHECK_THAT(neither.status().message(), Catch::Contains("is under neither: left as found"));
    CHECK(fs::exists(fresh));
    CHECK(IdOf(n.KeyFile()) == MasterKeyId(a).value());
  }
}

TEST_CASE("master key: a store a node holds open is never rewritten", "[key]") {
  NodeDir n;
  const std::string a = node::LoadMasterKey(n.config, &n.log).value();
  auto open = n.Open(a);
  REQUIRE(open.ok());
  auto rotated = node::RotateMasterKey(n.config, &n.log);
  REQUIRE(rotated.status().code() == Code::kFailedPrecondition);
  CHECK_THAT(rotated.status().message(), Catch::Contains("is in use"));
  CHECK_FALSE(fs::exists(n.KeyFile() + ".new"));
  CHECK(IdOf(n.KeyFile()) == MasterKeyId(a).value());
}
