// hoso-node as a real process on the office LAN's terms: its API over HTTPS with a web
// certificate from the province's web root whenever it binds beyond loopback, and its upstream
// pinned to the parent's unit.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <thread>

#include "core/format/web_certificate.h"
#include "node/daemon.h"
#include "node/json.h"
#include "tests/testing/process_testing.h"
#include "tools/network/local_network.h"
#include "tools/provision.h"

using namespace hoso;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

using testing::ReadLog;
using testing::WaitFor;

// Runs a command line; its exit code.
int Run(const std::string& command) { return WEXITSTATUS(std::system(command.c_str())); }

std::string Read(const std::string& path) { return node::ReadTextFile(path, "file").value(); }

const std::string kHoso = HOSO_BIN_DIR "/hoso";

}  // namespace

TEST_CASE(
    "hoso-node: beyond loopback the API serves HTTPS only, checked with the province's "
    "web root",
    "[node][https]") {
  testing::TempDir dir;
  auto net = testing::ProcessNetwork(dir.path(), {"89"});
  REQUIRE(net->Start("89").ok());  // made on loopback, plain HTTP
  REQUIRE(net->Stop("89").ok());
  const std::string node_dir = net->NodeDir("89"), ca = dir.path() + "/ca";
  // The web certificate from the CA's web root, by the CLI, straight into the node's tls/.
  REQUIRE(Run(kHoso + " cert web --ca " + ca + " --dir " + node_dir +
              " --name hoso.tinh.vn --days 20 > " + dir.Sub("cert.txt")) == 0);
  CHECK_THAT(Read(dir.Sub("cert.txt")), Catch::Contains("hoso.tinh.vn, localhost, 127.0.0.1, ::1"));
  struct stat st;
  REQUIRE(::stat((node_dir + "/tls/web.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(Read(node_dir + "/tls/web-ca.pem") == Read(ca + "/web-ca.pem"));

  // Bound to every address (loopback is only reached from here): HTTPS, by default.
  REQUIRE(net->Start("89", true, {"--api", "0.0.0.0:0"}).ok());
  auto run = node::ReadRunFile(node_dir);
  REQUIRE(run.ok());
  CHECK(run->api_scheme == "https");
  auto client = net->node("89").Client();
  REQUIRE(client.ok());
  CHECK(client->tls());
  auto info = client->Call("GET", "/v1/node");
  REQUIRE(info.ok());
  REQUIRE(info->status == 200);
  CHECK(info->warning.empty());
  auto tls = node::ParseJson(info->body)->at("api_tls").as_object();
  CHECK(tls.at("scheme").as_string() == "https");
  CHECK(node::json::serialize(tls.at("names")).find("hoso.tinh.vn") != std::string::npos);
  // 20 days left: warned of in /v1/node, the log and /metrics.
  INFO(node::json::serialize(tls));
  int days_left = tls.at("days_left").to_number<int>();
  CHECK((days_left == 19 || days_left == 20));  // whole days left, floored
  CHECK_THAT(std::string(tls.at("warning").as_string()), Catch::Contains("expires in 20 days"));
  CHECK(ReadLog(node_dir).find("expires in 20 days") != std::string::npos);
  auto metrics = client->Call("GET", "/metrics");
  REQUIRE(metrics.ok());
  CHECK(metrics->body.find("hoso_api_cert_expiry_seconds 17") != std::string::npos);
  // HSTS for no longer than the certificate lasts.
  std::string hsts = info->headers["strict-transport-security"];
  REQUIRE(hsts.rfind("max-age=", 0) == 0);
  int64_t age = std::stoll(hsts.substr(8));
  CHECK(age <= 20 * 86400);
  CHECK(age > 19 * 86400);
  // The CLI speaks HTTPS to it, from the data directory alone.
  CHECK(Run(kHoso + " node status --dir " + node_dir + " > /dev/null") == 0);

  // Plain HTTP gets nothing of the API: a GET is sent to https://, anything else 400.
  auto api = node::ParseHostPort(run->api);
  REQUIRE(api.ok());
  tools::ApiClient plain("127.0.0.1", api->port, client->token());
  auto redirected = plain.Call("GET", "/v1/node");
  REQUIRE(redirected.ok());
  CHECK(redirected->status == 301);
  CHECK(redirected->headers["location"] ==
        "https://127.0.0.1:" + std::to_string(api->port) + "/v1/node");
  CHECK(redirected->body.find("\"unit\"") == std::string::npos);
  auto posted = plain.Call("POST", "/v1/cases", "{}");
  REQUIRE(posted.ok());
  CHECK(posted->status == 400);
  CHECK(posted->body.find("https_required") != std::string::npos);

  // The web app's session cookie is Secure over HTTPS.
  auto login = client->Call("POST", "/v1/login",
                            R"({"login":"nv.lan","password":"mat-khau-mang-thu-nghiem"})");
  REQUIRE(login.ok());
  CHECK(login->status == 200);
  std::string cookie = login->headers["set-cookie"];
  CHECK_THAT(cookie, Catch::StartsWith("hoso_session="));
  CHECK_THAT(cookie, Catch::Contains("HttpOnly"));
  CHECK_THAT(cookie, Catch::EndsWith("; Secure"));

  // A web certificate from another CA, loaded on SIGHUP: the node serves it (and warns), and
  // the CLI, trusting only the province's web root, refuses it.
  REQUIRE(tools::CaInit(dir.Sub("other-ca"), "89", 10).ok());
  REQUIRE(Run(kHoso + " cert web --ca " + dir.Sub("other-ca") + " --out " + dir.Sub("other") +
              " --unit 89 --name hoso.tinh.vn > /dev/null") == 0);
  fs::copy_file(dir.Sub("other/web.pem"), node_dir + "/tls/web.pem",
                fs::copy_options::overwrite_existing);
  fs::copy_file(dir.Sub("other/web.key"), node_dir + "/tls/web.key",
                fs::copy_options::overwrite_existing);
  ::kill(net->node("89").pid(), SIGHUP);
  REQUIRE(WaitFor(
      [&] { return ReadLog(node_dir).find("web certificate reloaded") != std::string::npos; }));
  CHECK(ReadLog(node_dir).find("does not chain to the web root") != std::string::npos);
  auto refused = client->Call("GET", "/v1/node");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == Code::kPermissionDenied);
  CHECK_THAT(refused.status().message(),
             Catch::Contains("is not one of the province's web root for 127.0.0.1"));
  CHECK(Run(kHoso + " node status --dir " + node_dir + " > /dev/null 2>&1") != 0);
  // Trusting that other root, the same client is served: the node did switch certificates.
  tools::ApiClient trusting = *client;
  trusting.UseTls(Read(dir.Sub("other/web-ca.pem")));
  auto served = trusting.Call("GET", "/healthz");
  REQUIRE(served.ok());
  CHECK(served->status == 200);
  CHECK(Run(kHoso + " node status --dir " + node_dir + " --api-ca " + dir.Sub("other/web-ca.pem") +
            " > /dev/null") == 0);
}

TEST_CASE(
    "hoso-node: HTTPS without a web certificate refuses to start, saying how to make one, "
    "but an expired one is still served",
    "[node][https]") {
  testing::TempDir dir;
  auto net = testing::ProcessNetwork(dir.path(), {"89"});
  REQUIRE(net->Start("89").ok());
  REQUIRE(net->Stop("89").ok());
  const std::string node_dir = net->NodeDir("89");
  auto exit_code = [&](std::vector<std::string> args) {
    std::string cmd = HOSO_BIN_DIR "/hoso-node --dir " + node_dir;
    for (const auto& a : args) cmd += " '" + a + "'";
    return Run(cmd + " 2>" + dir.Sub("err.txt"));
  };
  // Never plain HTTP on the LAN: no start at all, and the message says what to run.
  CHECK(exit_code({"--api", "0.0.0.0:0"}) == 1);
  std::string err = Read(dir.Sub("err.txt"));
  CHECK_THAT(err, Catch::Contains("the API binds 0.0.0.0:0, beyond loopback, so it serves HTTPS "
                                  "only, and its web certificate " +
                                  node_dir + "/tls/web.pem cannot be read"));
  CHECK_THAT(err, Catch::Contains("hoso cert web --ca CA_DIR --dir " + node_dir));
  CHECK_FALSE(fs::exists(node_dir + "/run.json"));
  CHECK(exit_code({"--api_tls", "always"}) == 1);  // on loopback, when asked for
  CHECK_THAT(Read(dir.Sub("err.txt")), Catch::Contains("or set api_tls = auto"));

  // A web certificate that expired 3 days ago: the node starts and serves it, with errors in
  // its log and /v1/node; the CLI goes on with a warning (IT must not be locked out), and
  // HSTS is withdrawn (max-age=0) so browsers let clerks past their warning.
  auto root_key = node::ReadPrivateFile(dir.path() + "/ca/web-ca.key", "key");
  auto root = node::ReadTextFile(dir.path() + "/ca/web-ca.pem", "root");
  REQUIRE(root.ok());
  int64_t now = static_cast<int64_t>(::time(nullptr));
  auto expired = IssueWebCertificate(*root_key, *root, "89", {"localhost", "127.0.0.1"}, 5,
                                     now - 400 * 86400, now - 3 * 86400 - 60);
  REQUIRE(expired.ok());
  REQUIRE(node::WriteFileAtomic(node_dir + "/tls/web.pem", expired->cert_pem).ok());
  REQUIRE(node::WriteFileAtomic(node_dir + "/tls/web.key", expired->key_pem, 0644).ok());
  REQUIRE(node::WriteFileAtomic(node_dir + "/tls/web-ca.pem", *root).ok());
  CHECK(exit_code({"--api_tls", "always"}) == 1);  // but a key readable by others is refused
  CHECK_THAT(Read(dir.Sub("err.txt")), Catch::Contains("chmod 600"));
  ::chmod((node_dir + "/tls/web.key").c_str(), 0600);
  REQUIRE(net->Start("89", true, {"--api_tls", "always"}).ok());
  CHECK(ReadLog(node_dir).find("web certificate expired 3 days ago") != std::string::npos);
  auto client = net->node("89").Client();
  REQUIRE(client.ok());
  auto info = client->Call("GET", "/v1/node");
  REQUIRE(info.ok());
  CHECK(info->status == 200);
  CHECK_THAT(info->warning, Catch::Contains("out of date"));
  auto tls = node::ParseJson(info->body)->at("api_tls").as_object();
  CHECK(tls.at("days_left").to_number<int>() == -4);
  CHECK_THAT(std::string(tls.at("warning").as_string()), Catch::Contains("expired 3 days ago"));
  CHECK(info->headers["strict-transport-security"] == "max-age=0");
  CHECK(Run(kHoso + " node status --dir " + node_dir + " > /dev/null 2>" + dir.Sub("cli.txt")) ==
        0);
  CHECK_THAT(Read(dir.Sub("cli.txt")), Catch::Contains("warning: the node's web certificate is out "
                                                       "of date"));
}

TEST_CASE(
    "hoso-node: the upstream is pinned to the parent's unit, another office answering "
    "there is refused",
    "[node][upstream]") {
  testing::TempDir dir;
  auto net = testing::RunningNetwork(dir.path(), {"89", "30280"});
  const std::string commune = net->NodeDir("30280");
  // The test network writes the pinned form, as provisioning should.
  std::string parent = net->node("89").listen();
  CHECK(Read(commune + "/hoso.conf").find("upstream = 89@" + parent) != std::string::npos);
  REQUIRE(net->WaitConverged(20s).ok());
  CHECK(ReadLog(commune).find("is not pinned") == std::string::npos);

  // The config says the parent is 883, but 89 answers there (a valid certificate of another
  // office): refused after the handshake, and sync status says why.
  REQUIRE(net->Stop("30280").ok());
  REQUIRE(net->Start("30280", true, {"--upstream", "883@" + parent}).ok());
  auto up = [&] {
    auto s = net->Call("30280", "GET", "/v1/sync/status");
    return s.ok() ? s->at("peers").as_array().at(0).as_object() : node::json::object();
  };
  REQUIRE(WaitFor([&] {
    auto p = up();
    return p.contains("last_error") &&
           std::string(p.at("last_error").as_string()).find("names unit 89") != std::string::npos;
  }));
  CHECK_THAT(std::string(up().at("last_error").as_string()),
             Catch::Contains("the upstream's certificate names unit 89, not the parent 883"));
  CHECK_FALSE(up().at("connected").as_bool());
  auto created = net->Call("30280", "POST", "/v1/cases",
                           R"({"officer":"nv.lan","procedure":"TEST-1002668","channel":"counter",
                               "applicant":{"name":"Lê Thị Hoa"}})");
  REQUIRE(created.ok());
  std::this_thread::sleep_for(500ms);
  CHECK_FALSE(net->Converged().value());  // nothing went to the impostor

  // A bare host:port still syncs, with a warning at start that it is not pinned.
  REQUIRE(net->Stop("30280").ok());
  REQUIRE(net->Start("30280", true, {"--upstream", parent}).ok());
  CHECK(ReadLog(commune).find("upstream " + parent + " is not pinned to a unit") !=
        std::string::npos);
  CHECK(net->WaitConverged(20s).ok());
}
