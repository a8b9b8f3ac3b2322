// Issue 19's proof: a commune receives a case with three scans while offline; its link comes
// up throttled and is cut again and again; the province ends with byte-identical files whose
// SHA-256 are the ones the signed events name, and its audit checks every chunk. Real
// hoso-node processes over TLS, through the fault proxy.
#include <catch2/catch.hpp>
#include <thread>

#include "core/format/crypto.h"
#include "node/json.h"
#include "tests/testing/fault_proxy.h"
#include "tests/testing/process_testing.h"
#include "tests/tools/hoso_cli.h"
#include "tools/network/local_network.h"

using namespace hoso;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

// Scans as a counter makes them: a camera JPEG, a scanner PDF, a PNG (incompressible bodies).
std::vector<std::pair<std::string, std::string>> Scans() {
  return {
      {"CCCD mặt trước.jpg", std::string("\xFF\xD8\xFF\xE0", 4) + testing::Pattern(310 * 1024, 1)},
      {"Tờ khai.pdf", "%PDF-1.5\n" + testing::Pattern(620 * 1024, 2) + "\n%%EOF\n"},
      {"Sổ hộ khẩu.png", std::string("\x89PNG\r\n\x1a\n", 8) + testing::Pattern(200 * 1024, 3)},
  };
}

std::string Upload(const std::string& code, const std::string& name) {
  std::string path = "/v1/cases/" + code + "/documents?officer=nv.lan&kind=copy&name=";
  return path + tools::UrlEncode(name);
}

}  // namespace

TEST_CASE(
    "documents: three scans received offline reach the province through a cut, "
    "throttled link, byte-identical",
    "[integration][documents]") {
  testing::TempDir dir;
  auto net = testing::RunningNetwork(dir.path(), {"89", "30280"});
  REQUIRE(net->Stop("30280").ok());
  REQUIRE(net->Start("30280", /*online=*/false).ok());
  auto commune = net->node("30280").Client();
  REQUIRE(commune.ok());
  auto created = net->Call(
      "30280", "POST", "/v1/cases",
      json::serialize(json::object{
          {"officer", "nv.lan"},
          {"procedure", "TEST-1001193"},
          {"channel", "counter"},
          {"applicant", json::object{{"name", "Lâm Thị Mỹ Dung"}}},
          {"documents", json::array{json::object{{"name", "Tờ khai"}, {"kind", "original"}}}}}));
  REQUIRE(created.ok());
  const std::string code(created->at("code").as_string());
  const auto scans = Scans();
  std::map<std::string, std::string> by_sha;  // the signed SHA-256 -> the bytes handed in
  for (const auto& [name, bytes] : scans) {
    auto r = commune->Call("POST", Upload(code, name), bytes, "application/octet-stream");
    REQUIRE(r.ok());
    INFO(r->body);
    REQUIRE(r->status == 201);
    by_sha[std::string(node::ParseJson(r->body)->at("sha256").as_string())] = bytes;
  }
  REQUIRE(net->Stop("30280").ok());

  // 512 kbit/s, 300 ms round trip, each connection cut after 256 KB: about every 4 s of file
  // bytes, so every file's transfer spans cuts.
  auto province = node::ParseHostPort(net->node("89").listen());
  REQUIRE(province.ok());
  testing::FaultProxy proxy(
      province->port,
      {.delay = 150ms, .rate_bps = 512000, .cuts = std::vector<uint64_t>(8, 256 * 1024)});
  REQUIRE(net->Start("30280", true, {"--upstream", "89@127.0.0.1:" + std::to_string(proxy.port())})
              .ok());

  json::array listed;
  auto all_here = [&] {
    auto r = net->Call("89", "GET", "/v1/cases/" + code + "/documents");
    if (!r.ok()) return false;
    listed = r->at("documents").as_array();
    if (listed.size() != scans.size()) return false;
    for (const auto& d : listed) {
      if (d.at("state").as_string() != "here") return false;
    }
    return true;
  };
  REQUIRE(testing::WaitFor(all_here, 240s));
  INFO("connections through the proxy: " << proxy.connections());
  CHECK(proxy.connections() >= 4);  // the link was cut, and every cut resumed

  auto client = net->node("89").Client();
  REQUIRE(client.ok());
  for (const auto& d : listed) {
    const std::string sha(d.at("sha256").as_string());
    REQUIRE(by_sha.count(sha) == 1);
    auto file = client->Call("GET", "/v1/cases/" + code + "/documents/" + sha + "?download=1");
    REQUIRE(file.ok());
    REQUIRE(file->status == 200);
    CHECK(file->body == by_sha[sha]);       // byte-identical
    CHECK(Hex(Sha256(file->body)) == sha);  // and what the signed event names
  }
  // The province's auditor hashes every chunk against the docrefs of the signed events.
  testing::TempDir tmp;
  auto audit = testing::Hoso(tmp, {"audit", "verify", "--data", net->NodeDir("89"), "--json"});
  INFO(audit.out << audit.err);
  REQUIRE(audit.rc == 0);
  auto report = testing::Json(audit);
  CHECK(report.at("documents").to_number<int>() == 3);
  CHECK(report.at("chunks_missing").to_number<int>() == 0);
  CHECK(report.at("chunks_checked").to_number<int>() == 2 + 3 + 1);  // 310, 620, 200 KiB
}
