#include "node/config.h"

#include <catch2/catch.hpp>
#include <fstream>

#include "node/api_server.h"
#include "node/api_tls.h"
#include "sync/tls/node.h"
#include "tests/testing/testing.h"

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
  CHECK(c->config_file == dir.Sub("hoso.conf"));  // what a backup copies
  {
    std::ofstream f(dir.Sub("elsewhere.conf"));
    f << "root = 89\n";
  }
  auto other = LoadNodeConfig({"--dir", dir.path(), "--config", dir.Sub("elsewhere.conf")});
  REQUIRE(other.ok());
  CHECK(other->config_file == dir.Sub("elsewhere.conf"));
  auto flags_only = LoadNodeConfig({"--dir", dir.Sub("nothing-here"), "--root", "89"});
  REQUIRE(flags_only.ok());
  CHECK(flags_only->config_file.empty());

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

TEST_CASE("config: an upstream is pinned to its parent's unit as UNIT@host:port",
          "[node][config][upstream]") {
  NodeConfig c;
  REQUIRE(
      ParseConfigText("root = 89\nupstream = 883@10.0.0.1:7400, [fe80::1]:7400\n", "hoso.conf", &c)
          .ok());
  CHECK(c.upstream == std::vector<std::string>{"883@10.0.0.1:7400", "[fe80::1]:7400"});
  auto pinned = ParseUpstream(c.upstream[0]);
  REQUIRE(pinned.ok());
  CHECK(pinned->unit == "883");
  CHECK(pinned->address.host == "10.0.0.1");
  CHECK(pinned->address.port == 7400);
  auto bare = ParseUpstream(c.upstream[1]);
  REQUIRE(bare.ok());
  CHECK(bare->unit.empty());  // still works, unpinned (the node warns at start)
  CHECK(bare->address.host == "fe80::1");
  // The rendered config keeps the pin.
  NodeConfig back;
  REQUIRE(ParseConfigText(RenderConfig(c), "rendered", &back).ok());
  CHECK(back.upstream == c.upstream);

  struct Bad {
    const char* text;
    const char* expect;
  };
  for (const auto& b :
       {Bad{"root = 89\nupstream = @10.0.0.1:7400\n", "hoso.conf:2: option 'upstream'"},
        Bad{"upstream = 8 83@h:1\n", "is not a unit code"},
        Bad{"upstream = $directory@h:1\n", "is not a unit code"},
        Bad{"upstream = 883@h\n", "expected host:port"},
        Bad{"upstream = 883@h:1@x:2\n", "expected UNIT@host:port"}}) {
    NodeConfig bad;
    Status s = ParseConfigText(b.text, "hoso.conf", &bad);
    INFO(b.text);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains(b.expect));
  }
}

TEST_CASE("config: the API serves HTTPS whenever it binds beyond loopback",
          "[node][config][https]") {
  NodeConfig c;
  c.root = "89";
  for (const char* loopback :
       {"127.0.0.1:7480", "127.0.0.2:7480", "[::1]:7480", "localhost:7480"}) {
    c.api = loopback;
    INFO(loopback);
    CHECK_FALSE(c.ApiUsesTls());
  }
  for (const char* lan : {"192.168.1.10:7480", "0.0.0.0:7480", "[::]:7480", "hoso.xa.vn:7480"}) {
    c.api = lan;
    INFO(lan);
    CHECK(c.ApiUsesTls());
  }
  c.api = "127.0.0.1:7480";
  REQUIRE(SetOption(&c, "api_tls", "always", "--api_tls").ok());
  CHECK(c.ApiUsesTls());
  Status never = SetOption(&c, "api_tls", "never", "hoso.conf:4");
  REQUIRE_FALSE(never.ok());
  CHECK_THAT(never.message(),
             Catch::Contains("hoso.conf:4: option 'api_tls': expected auto or always"));
  CHECK(c.Path(c.api_cert) == "./tls/web.pem");
  CHECK(c.Path(c.api_key) == "./tls/web.key");
  CHECK(c.Path(c.api_ca) == "./tls/web-ca.pem");
}

TEST_CASE(
    "config: an API beyond loopback without a web certificate is refused, saying how to "
    "make one",
    "[node][config][https]") {
  testing::TempDir dir;
  NodeConfig c;
  c.dir = dir.path();
  c.root = "89";
  c.api = "192.168.1.10:7480";
  Logger log;
  auto tls = LoadApiTls(c, &log, 1764000000);
  REQUIRE_FALSE(tls.ok());
  CHECK(tls.status().code() == Code::kNotFound);
  CHECK_THAT(tls.status().message(),
             Catch::Contains("the API binds 192.168.1.10:7480, beyond loopback, so it serves HTTPS "
                             "only, and its web certificate " +
                             dir.path() + "/tls/web.pem cannot be read"));
  CHECK_THAT(tls.status().message(),
             Catch::Contains("hoso cert web --ca CA_DIR --dir " + dir.path()));
  CHECK_THAT(tls.status().message(), Catch::Contains("or bind the API to 127.0.0.1"));
}

// Issue 16: the connection caps of both ports and the received-batch limits are options, with
// the transport's own defaults, and values that make no sense are refused by name.
TEST_CASE("config: connection caps and batch limits default to the transport's, nonsense refused",
          "[node][config][bounds]") {
  NodeConfig c;
  sync::TlsConfig tls;
  CHECK(c.sync_max_conns == static_cast<int64_t>(tls.max_conns));
  CHECK(c.sync_max_conns_per_address == static_cast<int64_t>(tls.max_conns_per_address));
  CHECK(c.sync_max_pre_tls_conns == static_cast<int64_t>(tls.max_pre_tls_conns));
  CHECK(c.sync_tls_start_timeout_ms == tls.tls_start_timeout.count());
  CHECK(c.sync_batch_budget_mib << 20 == static_cast<int64_t>(tls.max_inflight_batch_bytes));
  CHECK(c.sync_identity_batch_mib << 20 == static_cast<int64_t>(tls.max_session_batch_bytes));
  ApiServerOptions api;
  CHECK(c.api_max_conns == static_cast<int64_t>(api.connections.total));
  CHECK(c.api_max_conns_per_address == static_cast<int64_t>(api.connections.per_address));
  CHECK(c.api_max_pending_conns == static_cast<int64_t>(api.connections.pending));
  CHECK(c.api_first_byte_ms == api.first_byte.count());
  CHECK(c.store_cache_mib == static_cast<int64_t>(StoreOptions{}.block_cache_mb));

  REQUIRE(ParseConfigText("root = 89\nsync_max_conns = 1000\nsync_max_conns_per_address = 16\n"
                          "sync_max_pre_tls_conns = 128\nsync_tls_start_timeout_ms = 5000\n"
                          "sync_batch_budget_mib = 1024\nsync_identity_batch_mib = 64\n"
                          "api_max_conns = 2048\napi_max_conns_per_address = 256\n"
                          "api_max_pending_conns = 100\napi_first_byte_ms = 2000\n"
                          "store_cache_mib = 8\n",
                          "hoso.conf", &c)
              .ok());
  CHECK(Validate(c).ok());
  CHECK(c.sync_max_conns == 1000);
  CHECK(c.sync_identity_batch_mib == 64);
  CHECK(c.api_max_pending_conns == 100);
  CHECK(c.api_first_byte_ms == 2000);
  CHECK(c.store_cache_mib == 8);

  struct Bad {
    const char* text;
    const char* expect;
  };
  for (const auto& b : {
           Bad{"sync_max_conns = 0\n", "option 'sync_max_conns': expected a whole number from 1"},
           Bad{"api_max_conns = -5\n", "option 'api_max_conns': expected a whole number from 1"},
           Bad{"api_max_pending_conns = many\n", "option 'api_max_pending_conns'"},
           Bad{"api_first_byte_ms = 0\n", "option 'api_first_byte_ms': expected milliseconds"},
           Bad{"store_cache_mib = 2\n", "option 'store_cache_mib': expected a whole number from 4"},
           Bad{"sync_identity_batch_mib = 16\n", "expected a whole number from 32"},
           Bad{"sync_batch_budget_mib = 0\n", "expected a whole number from 32"},
           Bad{"sync_identity_batch_mib = 512\n",
               "sync_identity_batch_mib (512) is above sync_batch_budget_mib (256)"},
           Bad{"sync_max_conns_per_address = 300\n",
               "sync_max_conns_per_address (300) is above sync_max_conns (256)"},
           Bad{"sync_max_pre_tls_conns = 257\n",
               "sync_max_pre_tls_conns (257) is above sync_max_conns (256)"},
           Bad{"sync_tls_start_timeout_ms = 20000\n",
               "sync_tls_start_timeout_ms (20000) is above handshake_timeout_ms (10000)"},
           Bad{"api_max_conns = 16\n",
               "api_max_conns_per_address (32) is above api_max_conns (16)"},
           Bad{"api_max_conns = 48\n", "api_max_pending_conns (64) is above api_max_conns (48)"},
       }) {
    INFO(b.text);
    NodeConfig bad;
    Status s = ParseConfigText(std::string("root = 89\n") + b.text, "hoso.conf", &bad);
    if (s.ok()) s = Validate(bad);
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK_THAT(s.message(), Catch::Contains(b.expect));
  }
}
