#include "node/config.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/testing.h"

using namespace hoso;
using namespace hoso::node;

TEST_CASE("config file: options, comments, lists and defaults", "[node][config]") {
  NodeConfig c;
  REQUIRE(ParseConfigText("# a node\nroot = 89\n\nlisten = 0.0.0.0:7400  # peers\n"
                          "upstream = 10.0.0.1:7400, prov.example:7400\nidle_timeout_ms=5000\n"
                          "api_names = hoso.xa.vn, 192.168.1.10:7480\n",
                          "hoso.conf", &c)
              .ok());
  CHECK(c.root == "89");
  CHECK(c.listen == "0.0.0.0:7400");
  CHECK(c.upstream == std::vector<std::string>{"10.0.0.1:7400", "prov.example:7400"});
  CHECK(c.idle_timeout_ms == 5000);
  CHECK(c.api_names == std::vector<std::string>{"hoso.xa.vn", "192.168.1.10:7480"});
  CHECK(c.api == "127.0.0.1:7480");  // default kept
  CHECK(Validate(c).ok());
}

TEST_CASE("config file: every mistake names its line and option", "[node][config]") {
  struct Bad {
    const char* text;
    const char* expect;
  };
  for (const auto& b :
       {Bad{"root = 89\nlistne = 1.2.3.4:5\n", "hoso.conf:2: unknown option 'listne'"},
        Bad{"root = 89\nroot = 90\n", "hoso.conf:2: option 'root' is set twice"},
        Bad{"just words\n", "hoso.conf:1: expected 'name = value'"},
        Bad{"keepalive_ms = soon\n", "hoso.conf:1: option 'keepalive_ms'"},
        Bad{"log_level = loud\n", "expected debug, info, warn or error"},
        Bad{"upstream = host-without-port\n", "expected host:port"},
        Bad{"upstream = h:99999\n", "not a number from 0 to 65535"}}) {
    NodeConfig c;
    Status s = ParseConfigText(b.text, "hoso.conf", &c);
    INFO(b.text);
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK_THAT(s.message(), Catch::Contains(b.expect));
  }
}

TEST_CASE("config: flags override the file, and a missing root is explained", "[node][config]") {
  testing::TempDir dir;
  {
    std::ofstream f(dir.Sub("hoso.conf"));
    f << "root = 89\napi = 127.0.0.1:7480\nupstream = a:1, b:2\n";
  }
  auto c = LoadNodeConfig({"--dir", dir.path(), "--api=127.0.0.1:9000", "--upstream", "c:3"});
  REQUIRE(c.ok());
  CHECK(c->api == "127.0.0.1:9000");
  CHECK(c->upstream == std::vector<std::string>{"c:3"});  // flags replace the file's list
  CHECK(c->Path(c->db) == dir.path() + "/db");

  auto no_dir = LoadNodeConfig({"--dir", dir.Sub("nothing-here")});
  REQUIRE_FALSE(no_dir.ok());
  CHECK_THAT(no_dir.status().message(), Catch::Contains("hoso init"));
  auto dangling = LoadNodeConfig({"--dir", dir.path(), "--api"});
  REQUIRE_FALSE(dangling.ok());
  CHECK_THAT(dangling.status().message(), Catch::Contains("--api needs a value"));
  auto unknown = LoadNodeConfig({"--dir", dir.path(), "--colour", "blue"});
  REQUIRE_FALSE(unknown.ok());
  CHECK_THAT(unknown.status().message(), Catch::Contains("unknown option 'colour'"));
  auto inverted =
      LoadNodeConfig({"--dir", dir.path(), "--backoff_min_ms", "5000", "--backoff_max_ms", "100"});
  REQUIRE_FALSE(inverted.ok());
  CHECK_THAT(inverted.status().message(), Catch::Contains("backoff_min_ms"));
}

TEST_CASE("config: a rendered config reads back as the same options", "[node][config]") {
  NodeConfig c;
  c.root = "89";
  c.listen = "0.0.0.0:7400";
  c.upstream = {"10.1.1.1:7400", "10.1.1.2:7400"};
  c.log_level = "debug";
  c.keepalive_ms = 1234;
  std::string text = RenderConfig(c);
  NodeConfig back;
  REQUIRE(ParseConfigText(text, "rendered", &back).ok());
  CHECK(back.root == c.root);
  CHECK(back.listen == c.listen);
  CHECK(back.upstream == c.upstream);
  CHECK(back.log_level == "debug");
  CHECK(back.keepalive_ms == 1234);
  CHECK(back.api == NodeConfig().api);
  // Every option is documented in the rendered file.
  for (const auto& o : NodeOptions()) CHECK_THAT(text, Catch::Contains(std::string(o.name)));
}
