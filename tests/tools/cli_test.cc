// The hoso command line as a user runs it: a real binary, real files, a real node.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <mutex>
#include <thread>

#include "node/daemon.h"
#include "node/json.h"
#include "node/officers.h"
#include "tests/testing/process_testing.h"
#include "tests/tools/hoso_cli.h"
#include "tools/network/local_network.h"
#include "tools/provision.h"

using namespace hoso;
namespace json = boost::json;

namespace {

using testing::Hoso;
using testing::Json;

// A stand-in for a node's API on loopback that answers every request with 200 and the body
// it is given: what a broken node, or a node of another version, might send.
class FakeApi {
 public:
  FakeApi() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeApi() {
    ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  void Answer(std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    body_ = std::move(body);
  }
  // The body of the last request.
  std::string LastRequestBody() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_body_;
  }

 private:
  void Serve() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string request;
      char buf[4096];
      auto read_more = [&] {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n > 0) request.append(buf, static_cast<size_t>(n));
        return n > 0;
      };
      while (request.find("\r\n\r\n") == std::string::npos && read_more()) {
      }
      size_t head = request.find("\r\n\r\n");
      size_t length = 0;
      if (size_t at = request.find("Content-Length: "); at != std::string::npos && at < head) {
        length = std::stoul(request.substr(at + 16));
      }
      while (head != std::string::npos && request.size() < head + 4 + length && read_more()) {
      }
      std::string body;
      {
        std::lock_guard<std::mutex> lock(mu_);
        body = body_;
        last_body_ = head == std::string::npos ? "" : request.substr(head + 4);
      }
      std::string reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      for (size_t sent = 0; sent < reply.size();) {
        ssize_t n = ::write(c, reply.data() + sent, reply.size() - sent);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      ::close(c);
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::string body_;
  std::string last_body_;
};

// A node's data directory whose config and token point the CLI at `api`.
std::string NodeDirOf(testing::TempDir& tmp, const FakeApi& api) {
  std::string dir = tmp.Sub("node");
  std::filesystem::create_directories(dir);
  REQUIRE(tools::WriteFileAtomic(dir + "/hoso.conf",
                                 "root = 89\napi = 127.0.0.1:" + std::to_string(api.port()) + "\n")
              .ok());
  REQUIRE(tools::WriteFileAtomic(dir + "/api-token", "token\n", 0600).ok());
  return dir;
}

}  // namespace

TEST_CASE("hoso CLI: usage errors exit 2 and say what to do", "[tools][cli]") {
  testing::TempDir tmp;
  auto none = Hoso(tmp, {});
  CHECK(none.rc == 2);
  CHECK_THAT(none.out, Catch::Contains("hoso case new"));
  CHECK(Hoso(tmp, {"--help"}).rc == 0);
  auto unknown = Hoso(tmp, {"frobnicate"});
  CHECK(unknown.rc == 2);
  CHECK_THAT(unknown.err, Catch::Contains("unknown command 'frobnicate'"));
  auto partial = Hoso(tmp, {"ca"});
  CHECK(partial.rc == 2);
  CHECK_THAT(partial.err, Catch::Contains("hoso ca init"));
  auto missing = Hoso(tmp, {"ca", "init", "--ca", tmp.Sub("ca")});
  CHECK(missing.rc == 2);
  CHECK_THAT(missing.err, Catch::Contains("needs --root"));
  auto bad_flag = Hoso(tmp, {"case", "list", "--colour", "red"});
  CHECK(bad_flag.rc == 2);
  CHECK_THAT(bad_flag.err, Catch::Contains("unknown option --colour"));
  auto extra = Hoso(tmp, {"case", "show", "A", "B"});
  CHECK(extra.rc == 2);
  auto help = Hoso(tmp, {"case", "step", "--help"});
  CHECK(help.rc == 0);
  CHECK_THAT(help.out, Catch::Contains("--status STATUS"));
  CHECK_FALSE(std::filesystem::exists(tmp.Sub("ca")));  // nothing was made
}

TEST_CASE("hoso CLI: the CA, a node's data directory, cases, and exit codes", "[tools][cli]") {
  testing::TempDir tmp;
  std::string ca = tmp.Sub("ca");
  REQUIRE(Hoso(tmp, {"ca", "init", "--ca", ca, "--root", "89"}).rc == 0);
  struct stat st;
  REQUIRE(::stat((ca + "/ca.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(Hoso(tmp, {"ca", "init", "--ca", ca, "--root", "89"}).rc == 1);  // never overwritten

  auto issued =
      Hoso(tmp, {"ca", "issue", "--ca", ca, "--unit", "89", "--out", tmp.Sub("b89"), "--json"});
  REQUIRE(issued.rc == 0);
  CHECK(Json(issued).at("serial").to_number<int>() == 1);
  auto twice = Hoso(tmp, {"ca", "issue", "--ca", ca, "--unit", "89", "--out", tmp.Sub("b89b")});
  CHECK(twice.rc == 1);
  CHECK_THAT(twice.err, Catch::Contains("next epoch"));
  REQUIRE(Hoso(tmp, {"ca", "issue", "--ca", ca, "--unit", "30280", "--epoch", "2", "--out",
                     tmp.Sub("b30280"), "--no-system"})
              .rc == 0);
  auto revoked = Hoso(tmp, {"ca", "revoke", "--ca", ca, "--unit", "30280", "--epoch", "2"});
  CHECK(revoked.rc == 0);
  CHECK_THAT(revoked.out, Catch::Contains("SIGHUP"));
  auto list = Json(Hoso(tmp, {"ca", "list", "--ca", ca, "--json"}));
  REQUIRE(list.as_array().size() == 2);
  CHECK_FALSE(list.as_array()[0].at("revoked").as_bool());
  CHECK(list.as_array()[1].at("revoked").as_bool());
  CHECK(Hoso(tmp, {"ca", "revoke", "--ca", ca, "--serial", "77"}).rc == 4);

  std::string node_dir = tmp.Sub("n89");
  auto init = Hoso(tmp, {"init", "--dir", node_dir, "--tls", tmp.Sub("b89"), "--root", "89",
                         "--api", "127.0.0.1:0", "--listen", "127.0.0.1:0"});
  REQUIRE(init.rc == 0);
  REQUIRE(::stat((node_dir + "/api-token").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(Hoso(tmp, {"init", "--dir", node_dir, "--tls", tmp.Sub("b89"), "--root", "89"}).rc == 1);
  auto bad_option = Hoso(tmp, {"init", "--dir", tmp.Sub("n2"), "--tls", tmp.Sub("b89"), "--root",
                               "89", "--log_level", "loud"});
  CHECK(bad_option.rc == 2);

  // No node running: exit 3, and a hint.
  auto down = Hoso(tmp, {"case", "list", "--dir", node_dir});
  CHECK(down.rc == 3);
  CHECK_THAT(down.err, Catch::Contains("is hoso-node running?"));

  // Every event names a known officer (docs/api.md); 1,000 iterations, for the test only.
  node::OfficerDirectory officers;
  for (const char* login : {"nv.lan", "cb.tam"}) {
    REQUIRE(officers.Add(login, login, node::Role::kHead, "mat-khau-thu-nghiem", 1000).ok());
  }
  REQUIRE(officers.Save(node_dir + "/officers.json").ok());
  tools::NodeProcess node(HOSO_BIN_DIR "/hoso-node", node_dir);
  REQUIRE(node.Start().ok());
  std::string csv = tmp.Sub("units.csv");
  REQUIRE(tools::WriteFileAtomic(csv, UnitsCsv(testing::SmallTree())).ok());
  REQUIRE(Hoso(tmp, {"directory", "load", "--dir", node_dir, "--officer", "system", csv}).rc == 0);
  auto tree = Hoso(tmp, {"directory", "show", "--dir", node_dir});
  CHECK_THAT(tree.out, Catch::Contains("    30280  Phường Mỹ Bình"));

  auto created =
      Hoso(tmp, {"case", "new", "--dir", node_dir, "--officer", "nv.lan", "--procedure",
                 "TEST-1002668", "--name", "Phạm Thị Mai", "--id-no", "012345678901",
                 "--return-address", "Ấp Tân Phú", "--doc", "Tờ khai:original:1", "--json"});
  REQUIRE(created.rc == 0);
  std::string code(Json(created).at("code").as_string());
  CHECK(Json(created).at("fields").at("return_by_post").as_bool());
  auto refused = Hoso(tmp, {"case", "new", "--dir", node_dir, "--officer", "nv.lan", "--procedure",
                            "TEST-1002668", "--name", "X", "--channel", "fax"});
  CHECK(refused.rc == 1);
  CHECK_THAT(refused.err, Catch::Contains("channel"));
  CHECK_THAT(refused.err, Catch::Contains("hình thức tiếp nhận"));

  // Issue 16: an officer that is no account of this node is refused, and nothing is written.
  auto ghost = Hoso(tmp, {"case", "step", "--dir", node_dir, code, "--officer", "khong.co",
                          "--status", "processing"});
  CHECK(ghost.rc == 1);
  CHECK_THAT(ghost.err, Catch::Contains("officer"));
  CHECK_THAT(ghost.err, Catch::Contains("khong.co"));
  for (const char* status : {"processing", "result_ready"}) {
    REQUIRE(Hoso(tmp, {"case", "step", "--dir", node_dir, code, "--officer", "cb.tam", "--status",
                       status})
                .rc == 0);
  }
  auto skipped = Hoso(tmp, {"case", "step", "--dir", node_dir, code, "--officer", "cb.tam",
                            "--status", "delivered"});
  CHECK(skipped.rc == 1);
  CHECK_THAT(skipped.err, Catch::Contains("allowed next: dispatched, returned"));
  auto untracked = Hoso(tmp, {"case", "step", "--dir", node_dir, code, "--officer", "cb.tam",
                              "--status", "dispatched"});
  CHECK(untracked.rc == 1);
  CHECK_THAT(untracked.err, Catch::Contains("tracking"));
  auto step = Hoso(tmp, {"case", "step", "--dir", node_dir, code, "--officer", "cb.tam", "--status",
                         "dispatched", "--tracking", "EB123456789VN"});
  REQUIRE(step.rc == 0);
  CHECK_THAT(step.out, Catch::Contains("Mã vận đơn:"));
  CHECK_THAT(step.out, Catch::Contains("EB123456789VN"));
  auto shown = Hoso(tmp, {"case", "show", "--dir", node_dir, code});
  REQUIRE(shown.rc == 0);
  CHECK_THAT(shown.out, Catch::Contains("Phạm Thị Mai"));
  // Values in words beside Vietnamese labels, never the API's English names.
  CHECK_THAT(shown.out, Catch::Contains("Trạng thái:    Đã gửi kết quả qua bưu điện"));
  CHECK_THAT(shown.out, Catch::Contains("Ghi bước"));
  CHECK(shown.out.find("dispatched") == std::string::npos);
  CHECK(shown.out.find("case.step") == std::string::npos);
  auto found =
      Json(Hoso(tmp, {"case", "list", "--dir", node_dir, "--applicant", "pham thi", "--json"}));
  REQUIRE(found.at("cases").as_array().size() == 1);
  CHECK(found.at("cases").as_array()[0].at("code").as_string() == code);
  CHECK(Hoso(tmp, {"case", "show", "--dir", node_dir, "NOPE"}).rc == 4);
  auto sync = Json(Hoso(tmp, {"sync", "status", "--dir", node_dir, "--json"}));
  CHECK(sync.at("state").as_string() == "no_upstream");
  auto info = Json(Hoso(tmp, {"node", "status", "--dir", node_dir, "--json"}));
  CHECK(info.at("cases").to_number<int>() == 1);

  // The shipped catalogue, found by words and shown in words; a procedure decided by the
  // citizen's commune of residence needs --residence.
  REQUIRE(Hoso(tmp, {"catalogue", "load", "--dir", node_dir, "--officer", "system",
                     HOSO_DATA_DIR "/catalogue-commune-2025.csv"})
              .rc == 0);
  auto listed = Hoso(tmp, {"catalogue", "search", "--dir", node_dir, "khai sinh"});
  CHECK_THAT(listed.out, Catch::Contains("1.001193") && Catch::Contains("Đăng ký khai sinh") &&
                             Catch::Contains("trong ngày") &&
                             Catch::Contains("Đăng ký lại khai sinh"));
  auto nowhere = Hoso(tmp, {"case", "new", "--dir", node_dir, "--officer", "nv.lan", "--procedure",
                            "1.001193", "--name", "Trịnh Minh Khang"});
  CHECK(nowhere.rc == 1);
  CHECK_THAT(nowhere.err, Catch::Contains("residence"));
  auto born =
      Hoso(tmp, {"case", "new", "--dir", node_dir, "--officer", "nv.lan", "--procedure", "1.001193",
                 "--residence", "30280", "--name", "Trịnh Minh Khang", "--json"});
  INFO(born.err);
  REQUIRE(born.rc == 0);
  CHECK(Json(born).at("fields").at("procedure_name").as_string() == "Đăng ký khai sinh");
  auto rc = node.Stop();
  REQUIRE(rc.ok());
  CHECK(*rc == 0);
}

TEST_CASE("hoso audit verify and replay on a running node's store", "[tools][cli][audit]") {
  testing::TempDir tmp;
  auto net = testing::RunningNetwork(tmp.Sub("net"), {"89", "30280"});
  std::string commune = net->NodeDir("30280"), province = net->NodeDir("89");
  auto created = Hoso(tmp, {"case", "new", "--dir", commune, "--officer", "nv.lan", "--procedure",
                            "TEST-1001193", "--name", "Huỳnh Thị Thảo", "--json"});
  REQUIRE(created.rc == 0);
  std::string code(Json(created).at("code").as_string());
  REQUIRE(Hoso(tmp, {"case", "step", "--dir", commune, code, "--officer", "nv.lan", "--status",
                     "forwarded"})
              .rc == 0);
  REQUIRE(net->WaitConverged(std::chrono::seconds(20)).ok());

  auto verified = Hoso(tmp, {"audit", "verify", "--data", province, "--json"});
  INFO(verified.out << verified.err);
  REQUIRE(verified.rc == 0);
  auto report = Json(verified);
  CHECK(report.at("ok").as_bool());
  CHECK(report.at("certificates_checked").as_bool());
  CHECK(report.at("cases").to_number<int>() == 1);
  CHECK(report.at("origins").to_number<int>() == 2);

  // The commune's certificate revoked since: its history stays valid, and the auditor holding
  // the new CRL notes the origin as signed by a since-revoked key (issue 16, ec2072e).
  REQUIRE(Hoso(tmp, {"ca", "revoke", "--ca", tmp.Sub("net") + "/ca", "--unit", "30280"}).rc == 0);
  auto noted =
      Hoso(tmp, {"audit", "verify", "--data", province, "--crl", tmp.Sub("net") + "/ca/crl.pem"});
  INFO(noted.out << noted.err);
  CHECK(noted.rc == 0);
  CHECK_THAT(noted.out,
             Catch::Contains("note: origin 30280#1: signed by a key the CRL has revoked"));

  auto replay = Json(Hoso(tmp, {"audit", "replay", "--data", province, "--case", code, "--json"}));
  REQUIRE(replay.at("steps").as_array().size() == 2);
  CHECK(replay.at("steps").as_array()[1].at("officer").as_string() == "nv.lan");
  CHECK(replay.at("state").at("status").as_string() == "forwarded");
  auto none =
      Hoso(tmp, {"audit", "replay", "--data", province, "--case", code, "--as-of", "2020-01-01"});
  CHECK(none.rc == 4);  // the case did not exist then
  auto scope = Json(Hoso(tmp, {"audit", "replay", "--data", province, "--scope", "89", "--json"}));
  CHECK(scope.at("cases").to_number<int>() == 1);
  auto live = net->Call("89", "GET", "/v1/node");
  REQUIRE(live.ok());
  CHECK(scope.at("fingerprint") == live->at("scope_fingerprint"));
  CHECK(Hoso(tmp, {"audit", "replay", "--data", province}).rc == 2);

  // The province signed receipts for what the commune delivered; the commune kept them.
  json::value receipts;
  for (int i = 0; i < 100; ++i) {
    auto r = Hoso(tmp, {"audit", "receipts", "--data", commune, "--json"});
    REQUIRE(r.rc == 0);
    receipts = Json(r);
    if (!receipts.at("receipts").as_array().empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE_FALSE(receipts.at("receipts").as_array().empty());
  const auto& last = receipts.at("receipts").as_array().back();
  CHECK(last.at("holder").as_string() == "89");
  CHECK(last.at("verified").as_bool());
  bool covers_commune = false;
  for (const auto& h : last.at("heads").as_array()) {
    covers_commune |= h.at("channel").as_string() == "30280" && h.at("seq").to_number<int>() >= 1;
  }
  CHECK(covers_commune);
  CHECK(Hoso(tmp, {"audit", "verify", "--data", tmp.Sub("nothing")}).rc == 4);
}

TEST_CASE("hoso export, audit verify FILE, import: cases carried by post", "[tools][cli][bundle]") {
  testing::TempDir tmp;
  auto net = testing::RunningNetwork(tmp.Sub("net"), {"89", "30280"});
  REQUIRE(net->Stop("30280").ok());
  REQUIRE(net->Start("30280", /*online=*/false).ok());
  std::string commune = net->NodeDir("30280"), province = net->NodeDir("89");
  std::vector<std::string> codes;
  for (const char* name : {"Đặng Văn Quang", "Hồ Thị Nhung", "Dương Minh Trí"}) {
    auto r = Hoso(tmp, {"case", "new", "--dir", commune, "--officer", "nv.lan", "--procedure",
                        "TEST-1004946", "--name", name, "--json"});
    REQUIRE(r.rc == 0);
    codes.emplace_back(Json(r).at("code").as_string());
  }
  // The province's vector travelled to the commune earlier; the commune exports the rest.
  REQUIRE(Hoso(tmp, {"vector", "--data", province, "--out", tmp.Sub("province.vec")}).rc == 0);
  auto exported = Hoso(tmp, {"export", "--data", commune, "--scope", "30280", "--since",
                             tmp.Sub("province.vec"), "--out", tmp.Sub("post.bundle"), "--json"});
  INFO(exported.err);
  REQUIRE(exported.rc == 0);
  CHECK(Json(exported).at("events").to_number<int>() == 3);  // not the directory again
  struct stat st;
  REQUIRE(stat(tmp.Sub("post.bundle").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);  // it holds the scope's personal data
  std::string ca = tmp.Sub("net") + "/ca/ca.pem";
  auto verified = Hoso(tmp, {"audit", "verify", tmp.Sub("post.bundle"), "--ca", ca, "--json"});
  CHECK(verified.rc == 0);
  CHECK(Json(verified).at("ok").as_bool());

  auto imported = Hoso(tmp, {"import", "--dir", province, tmp.Sub("post.bundle"), "--json"});
  INFO(imported.out << imported.err);
  REQUIRE(imported.rc == 0);
  CHECK(Json(imported).at("applied").to_number<int>() == 3);
  for (const auto& code : codes) CHECK(net->Call("89", "GET", "/v1/cases/" + code).ok());
  auto again = Hoso(tmp, {"import", "--dir", province, tmp.Sub("post.bundle"), "--json"});
  REQUIRE(again.rc == 0);
  CHECK(Json(again).at("applied").to_number<int>() == 0);
  CHECK(Json(again).at("duplicates").to_number<int>() == 3);

  // Damaged in the post.
  std::string bytes = node::ReadTextFile(tmp.Sub("post.bundle"), "b").value();
  bytes[bytes.size() / 2] ^= 0x20;
  REQUIRE(tools::WriteFileAtomic(tmp.Sub("damaged.bundle"), bytes).ok());
  CHECK(Hoso(tmp, {"audit", "verify", tmp.Sub("damaged.bundle"), "--ca", ca}).rc == 5);
  auto refused = Hoso(tmp, {"import", "--dir", province, tmp.Sub("damaged.bundle")});
  CHECK(refused.rc == 1);
  CHECK_THAT(refused.err, Catch::Contains("HTTP 400"));
}

TEST_CASE("hoso revoke: the root revokes a node as data, its sessions end, its history stays",
          "[tools][cli][revocation]") {
  testing::TempDir tmp;
  auto net = testing::RunningNetwork(tmp.Sub("net"), {"89", "30280"});
  std::string province = net->NodeDir("89");
  auto created = net->Call("30280", "POST", "/v1/cases",
                           R"({"officer":"nv.lan","procedure":"TEST-1002668","channel":"counter",
                               "applicant":{"name":"Lê Thị Hoa"}})");
  REQUIRE(created.ok());
  std::string code(created->at("code").as_string());
  REQUIRE(net->WaitConverged(std::chrono::seconds(20)).ok());

  // Only the root writes revocations, with a known officer.
  auto elsewhere = Hoso(tmp, {"revoke", "--dir", net->NodeDir("30280"), "--officer", "system",
                              "--unit", "30280", "--reason", "x"});
  CHECK(elsewhere.rc != 0);
  auto revoked = Hoso(tmp, {"revoke", "--dir", province, "--officer", "system", "--unit", "30280",
                            "--epoch", "1", "--reason", "Quyết định 12/QĐ-UBND: máy bị mất"});
  INFO(revoked.out << revoked.err);
  REQUIRE(revoked.rc == 0);
  CHECK_THAT(revoked.out, Catch::Contains("origin 30280#1 revoked"));
  auto again = Hoso(tmp, {"revoke", "--dir", province, "--officer", "system", "--unit", "30280",
                          "--reason", "again"});
  CHECK(again.rc != 0);  // already revoked
  auto list = net->Call("89", "GET", "/v1/revocations");
  REQUIRE(list.ok());
  REQUIRE(list->at("revocations").as_array().size() == 1);
  CHECK(list->at("revocations").as_array()[0].at("reason").as_string() ==
        "Quyết định 12/QĐ-UBND: máy bị mất");

  // The commune's session at the province ends and is refused after; its case stays.
  auto cut = [&] {
    auto s = net->Call("89", "GET", "/v1/sync/status");
    if (!s.ok()) return false;
    for (const auto& p : s->at("peers").as_array()) {
      if (p.at("connected").as_bool()) return false;
    }
    return true;
  };
  bool closed = false;
  for (int i = 0; i < 250 && !closed; ++i) {
    closed = cut();
    if (!closed) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(closed);
  CHECK(net->Call("89", "GET", "/v1/cases/" + code).ok());
  auto audit = Hoso(tmp, {"audit", "verify", "--data", province, "--json"});
  INFO(audit.out << audit.err);
  CHECK(audit.rc == 0);
  CHECK_THAT(audit.out, Catch::Contains("since-revoked key"));
}

// Issue 17: no exception escapes the CLI. A node's answer that lacks a field the output needs,
// or holds it with another type, is exit 1 and a message naming the field, not an abort.
TEST_CASE("hoso CLI: a malformed answer from the node names the field and exits 1",
          "[tools][cli]") {
  testing::TempDir tmp;
  FakeApi api;
  const std::string dir = NodeDirOf(tmp, api);
  struct Case {
    std::vector<std::string> args;
    std::string answer, message;
  };
  const std::vector<Case> cases = {
      {{"sync", "status"}, "[1,2]", "the node's answer is an array, not an object"},
      {{"node", "status"}, "\"ok\"", "the node's answer is a string, not an object"},
      {{"case", "show", "A"},
       R"({"code":"A","fields":{},"history":[]})",
       "the node's answer lacks conflicts"},
      {{"case", "show", "A"},
       R"({"code":"A","fields":[],"conflicts":[],"history":[]})",
       "the node's answer has fields as an array, not an object"},
      {{"case", "show", "A"},
       R"({"code":"A","fields":{},"conflicts":[],"history":[{"changes":{},"office":"89"}]})",
       "the node's answer lacks history[0].at"},
      {{"case", "show", "A"},
       R"({"code":"A","fields":{},"conflicts":[{"field":"x","candidates":[{"winner":1}]}],)"
       R"("history":[]})",
       "the node's answer has conflicts[0].candidates[0].winner as a number, not a boolean"},
      {{"case", "list"},
       R"({"cases":[{"code":"A"}],"truncated":false})",
       "the node's answer lacks cases[0].overdue"},
      {{"case", "list"},
       R"({"cases":{},"truncated":false})",
       "the node's answer has cases as an object, not an array"},
      {{"catalogue", "search"},
       R"({"procedures":[{"code":"1","working_days":"yes","postal":true}],"total":1})",
       "the node's answer has procedures[0].working_days as a string, not a boolean"},
      {{"calendar", "show"},
       R"({"sessions":[["07:00"]],"years":[]})",
       "the node's answer has sessions[0] of 1 elements, not a start and an end"},
      {{"calendar", "show"},
       R"({"sessions":[],"years":[{"holidays":[1],"working_days":[]}]})",
       "the node's answer has years[0].holidays[0] as a number, not a string"},
      {{"sync", "status"},
       R"({"unit":"89","peers":[{"unit":"8901","connected":null}]})",
       "the node's answer has peers[0].connected as null, not a boolean"},
      {{"report"},
       R"({"rows":[],"total":{"received":{},"resolved":{},"in_progress":{},"on_time_rate":"x"}})",
       "the node's answer has total.on_time_rate as a string, not a number"},
      {{"directory", "show"},
       R"({"units":[{"code":"89"},"8901"]})",
       "the node's answer has units[1] as a string, not an object"},
      {{"directory", "load", "--officer", "system", dir + "/hoso.conf"},
       R"({"units":3})",
       "the node's answer lacks valid_from"},
      {{"revoke", "--officer", "system", "--unit", "8901", "--reason", "lost"},
       R"({"unit":"8901","epoch":1})",
       "the node's answer lacks revoked_at"},
  };
  for (const auto& c : cases) {
    api.Answer(c.answer);
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {"--dir", dir});
    auto r = Hoso(tmp, args);
    INFO(c.args[0] << " " << c.answer << "\n" << r.out << r.err);
    CHECK(r.rc == 1);
    CHECK_THAT(r.err, Catch::Contains(c.message));
  }
  // The import's exit code depends on `refused`, so it is checked with --json too.
  REQUIRE(tools::WriteFileAtomic(tmp.Sub("b.bundle"), "bundle").ok());
  api.Answer(R"({"applied":1})");
  auto imported = Hoso(tmp, {"import", "--dir", dir, tmp.Sub("b.bundle"), "--json"});
  CHECK(imported.rc == 1);
  CHECK_THAT(imported.err, Catch::Contains("the node's answer lacks refused"));

  // Well-formed answers print; what a peer put in a field reaches the terminal escaped.
  api.Answer(R"({"cases":[],"count":0,"truncated":false})");
  auto none = Hoso(tmp, {"case", "list", "--dir", dir});
  CHECK(none.rc == 0);
  CHECK_THAT(none.out, Catch::Contains("0 hồ sơ"));
  api.Answer(R"({"units":[{"code":"89","name":"An Giang\u001b[2J","parent":null}]})");
  auto tree = Hoso(tmp, {"directory", "show", "--dir", dir});
  CHECK(tree.rc == 0);
  CHECK_THAT(tree.out, Catch::Contains("89     An Giang\\x1b[2J"));
}

TEST_CASE("hoso calendar set sends the days and sessions given", "[tools][cli]") {
  testing::TempDir tmp;
  FakeApi api;
  const std::string dir = NodeDirOf(tmp, api);
  api.Answer(R"({"key":"2026"})");
  // Lists longer than a short string's inline buffer: their items once pointed into a freed
  // temporary.
  auto year = Hoso(
      tmp, {"calendar", "set", "--dir", dir, "--officer", "system", "--year", "2026", "--holidays",
            "2026-01-01, 2026-04-30,2026-05-01", "--working-days", "2026-05-09,2026-05-16"});
  INFO(year.out << year.err);
  REQUIRE(year.rc == 0);
  CHECK_THAT(year.out, Catch::Contains("calendar 2026 written"));
  auto sent = node::ParseJson(api.LastRequestBody());
  REQUIRE(sent.ok());
  CHECK(sent->at("year").to_number<int>() == 2026);
  CHECK(sent->at("holidays") == json::array{"2026-01-01", "2026-04-30", "2026-05-01"});
  CHECK(sent->at("working_days") == json::array{"2026-05-09", "2026-05-16"});

  api.Answer(R"({"key":"hours/89"})");
  auto hours = Hoso(tmp, {"calendar", "set", "--dir", dir, "--officer", "system", "--unit", "89",
                          "--sessions", "07:00-11:30,13:30-17:00"});
  INFO(hours.out << hours.err);
  REQUIRE(hours.rc == 0);
  sent = node::ParseJson(api.LastRequestBody());
  REQUIRE(sent.ok());
  CHECK(sent->at("unit") == "89");
  CHECK(sent->at("sessions") ==
        json::array{json::array{"07:00", "11:30"}, json::array{"13:30", "17:00"}});
}
