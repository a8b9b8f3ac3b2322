// What the IT team runs the node by: its log lines' priorities for the journal, failed logins
// in the log, /metrics and /v1/node naming the build, and backups (node/backup.h).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>

#include "core/base/version.h"
#include "core/domain/case_log.h"
#include "core/format/certificate.h"
#include "node/backup.h"
#include "node/daemon.h"
#include "node/json.h"
#include "node/local_api.h"
#include "node/log.h"
#include "node/officers.h"
#include "tests/node/test_officers.h"
#include "tests/testing/testing.h"

using namespace hoso;
using namespace hoso::node;
using testing::TempDir;

namespace {

constexpr const char* kToken = "0123456789abcdef0123456789abcdef";

// What a Logger wrote to `f` (a tmpfile), line by line.
std::vector<std::string> LinesOf(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::vector<std::string> out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, f)) {
    std::string line(buf);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    out.push_back(line);
  }
  return out;
}

// "dev:ino" of `fd`, as systemd writes $JOURNAL_STREAM.
std::string StreamId(int fd) {
  struct stat st;
  REQUIRE(::fstat(fd, &st) == 0);
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

HttpResponse Call(LocalApi& api, const std::string& method, const std::string& target) {
  return api.Handle({method, target, std::string("Bearer ") + kToken, ""});
}

json::object Body(const HttpResponse& r) {
  auto v = ParseJson(r.body);
  REQUIRE(v.ok());
  REQUIRE(v->is_object());
  return v->as_object();
}

// The value of the sample `name{labels}` (labels as written, "" for none) in a scrape.
std::optional<double> Sample(const std::string& scrape, const std::string& series) {
  std::istringstream in(scrape);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

std::string Reception(const std::string& due_at) {
  return json::serialize(json::object{
      {"officer", "nv.lan"},
      {"procedure", "TEST-1002668"},
      {"applicant", json::object{{"name", "Nguyễn Văn An"}, {"id_no", "012345678901"}}},
      {"channel", "counter"},
      {"due_at", due_at}});
}

// Commune 30280 at `path`, holding the directory of units its root wrote (as after a sync), so
// that it receives cases.
std::unique_ptr<testing::TestNode> Commune(const TempDir& dir, const std::string& path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  auto province = testing::OpenTestNode(dir.Sub("province-db"), "89");
  REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  auto commune = testing::OpenTestNode(path, "30280");
  REQUIRE(testing::CopyAll(*province->store, *commune->store, [](const std::string& c) {
            return c == kDirectoryChannel;
          }).ok());
  return commune;
}

}  // namespace

TEST_CASE("log: each line starts with its syslog priority for the journal, else plain JSON",
          "[node][log]") {
  FILE* f = std::tmpfile();
  REQUIRE(f);
  Logger journal(f, LogPrefix::kPriority);
  journal.SetLevel(LogLevel::kDebug);
  journal.Log(LogLevel::kError, "node", "e");
  journal.Log(LogLevel::kWarn, "api", "w");
  journal.Log(LogLevel::kInfo, "sync", "i\nsecond line");  // one line, the newline escaped
  journal.Log(LogLevel::kDebug, "api", "d");
  auto lines = LinesOf(f);
  REQUIRE(lines.size() == 4);
  const char* prefixes[] = {"<3>{", "<4>{", "<6>{", "<7>{"};
  const char* levels[] = {"error", "warn", "info", "debug"};
  for (size_t i = 0; i < 4; ++i) {
    CHECK_THAT(lines[i], Catch::StartsWith(prefixes[i]));
    auto v = ParseJson(lines[i].substr(3));
    REQUIRE(v.ok());
    CHECK(v->at("level").as_string() == levels[i]);
  }
  CHECK(ParseJson(lines[2].substr(3))->at("msg").as_string() == "i\nsecond line");
  std::fclose(f);

  FILE* g = std::tmpfile();
  REQUIRE(g);
  Logger plain(g, LogPrefix::kNone);
  plain.Log(LogLevel::kError, "node", "e");
  plain.Log(LogLevel::kDebug, "node", "below the level: not written");
  lines = LinesOf(g);
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::StartsWith("{\"ts\":"));
  CHECK(ParseJson(lines[0]).ok());
  std::fclose(g);
}

TEST_CASE("log: the journal is recognised by JOURNAL_STREAM matching the stream's device and inode",
          "[node][log]") {
  FILE* f = std::tmpfile();
  FILE* other = std::tmpfile();
  REQUIRE(f);
  REQUIRE(other);
  const std::string id = StreamId(::fileno(f));
  CHECK(IsJournalStream(::fileno(f), id.c_str()));
  CHECK_FALSE(IsJournalStream(::fileno(other), id.c_str()));  // inherited, but not our stream
  CHECK_FALSE(IsJournalStream(::fileno(f), nullptr));
  for (const char* bad : {"", ":", "12", "12:", ":34", "a:b", "12:34x", "12:34:56"}) {
    CHECK_FALSE(IsJournalStream(::fileno(f), bad));
  }
  const char* saved = std::getenv("JOURNAL_STREAM");
  std::string kept = saved ? saved : "";
  ::setenv("JOURNAL_STREAM", id.c_str(), 1);
  CHECK(DetectLogPrefix(f) == LogPrefix::kPriority);
  CHECK(DetectLogPrefix(other) == LogPrefix::kNone);
  Logger detected(f);
  CHECK(detected.prefix() == LogPrefix::kPriority);
  detected.Log(LogLevel::kWarn, "node", "w");
  CHECK_THAT(LinesOf(f).back(), Catch::StartsWith("<4>{"));
  ::unsetenv("JOURNAL_STREAM");
  CHECK(DetectLogPrefix(f) == LogPrefix::kNone);
  if (saved) ::setenv("JOURNAL_STREAM", kept.c_str(), 1);
  std::fclose(f);
  std::fclose(other);
}

TEST_CASE("API: failed logins and throttling are logged at warning, naming no login",
          "[node][log][officers][api]") {
  TempDir dir;
  auto commune = testing::OpenTestNode(dir.Sub("30280"), "30280");
  OfficerDirectory officers;
  REQUIRE(officers.Add("tt.hoa", "Lê Thị Hoa", Role::kAuditor, "mat-khau-dai-3", 1000).ok());
  REQUIRE(officers.Save(dir.Sub("officers.json")).ok());
  FILE* f = std::tmpfile();
  REQUIRE(f);
  Logger log(f, LogPrefix::kPriority);
  NodeView view;
  view.officers_file = dir.Sub("officers.json");
  view.log = &log;
  LocalApi api(commune->store.get(), &commune->clock, kToken, view);
  auto login = [&](const std::string& who, const std::string& password) {
    return api.Handle({"POST", "/v1/login", "",
                       json::serialize(json::object{{"login", who}, {"password", password}}), "",
                       "application/json", "", "127.0.0.1:7480", "192.168.1.66"});
  };
  CHECK(login("tt.hoa", "guess-number-1").status == 401);
  auto lines = LinesOf(f);
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::StartsWith("<4>{"));
  CHECK_THAT(lines[0], Catch::Contains("\"level\":\"warn\""));
  CHECK_THAT(lines[0], Catch::Contains("failed login from 192.168.1.66"));
  CHECK(login("Nguyễn Thị Lan", "guess-number-2").status == 401);  // a name typed as a login
  CHECK(login("tt.hoa", "guess-number-3").status == 401);
  CHECK(login("tt.hoa", "guess-number-4").status == 401);  // the third for it: a wait begins
  CHECK(login("tt.hoa", "mat-khau-dai-3").status == 429);  // within the wait
  lines = LinesOf(f);
  REQUIRE(lines.size() == 5);  // four failures and the throttle; the 429 is counted only
  CHECK_THAT(lines[3], Catch::Contains("4 from this address within 15 minutes"));
  CHECK_THAT(lines[4], Catch::StartsWith("<4>{"));
  CHECK_THAT(lines[4], Catch::Contains("logins throttled from 192.168.1.66 for 1 s"));
  for (const auto& l : lines) {
    CHECK_THAT(l, !Catch::Contains("tt.hoa") && !Catch::Contains("Lan") &&
                      !Catch::Contains("guess") && !Catch::Contains("mat-khau"));
  }
  auto metrics = Call(api, "GET", "/metrics").body;
  CHECK(Sample(metrics, "hoso_login_failures_total") == 4);
  CHECK(Sample(metrics, "hoso_login_throttled_total") == 1);
  std::fclose(f);
}

TEST_CASE("API: /v1/node and /metrics name the build, overdue cases, the disk, the CRL",
          "[node][api][metrics]") {
  TempDir dir;
  auto commune = Commune(dir, dir.Sub("30280"));
  testing::TestPki pki;
  const int64_t this_update = testing::kTestNow / 1000 - 86400;
  const int64_t next_update = this_update + 30 * 86400;
  std::string crl = MakeCrl(pki.ca_key, pki.ca, {7}, this_update, next_update).value();
  NodeView view{{}, {"127.0.0.1:1"}, testing::kTestNow};
  view.officers_file = testing::WriteTestOfficers(dir.Sub("officers.json"));
  view.data_dir = dir.path();
  view.crl_pem = [crl] { return crl; };
  LocalApi api(commune->store.get(), &commune->clock, kToken, view);

  auto node = Body(Call(api, "GET", "/v1/node"));
  CHECK(node.at("version").as_string() == HosoVersion());
  CHECK(node.at("commit").as_string() == HosoGitCommit());
  CHECK(node.at("store_format").as_string() == "1");  // a plaintext test store

  // Two cases due in a week; 10 days later, one of them is done (result ready), one overdue.
  auto first = api.Handle({"POST", "/v1/cases", std::string("Bearer ") + kToken,
                           Reception("2025-12-01T17:00:00+07:00")});
  REQUIRE(first.status == 201);
  auto second = api.Handle({"POST", "/v1/cases", std::string("Bearer ") + kToken,
                            Reception("2025-12-01T17:00:00+07:00")});
  REQUIRE(second.status == 201);
  std::string done(Body(second).at("code").as_string());
  for (const char* step : {"processing", "result_ready"}) {
    auto r = api.Handle({"POST", "/v1/cases/" + done + "/steps", std::string("Bearer ") + kToken,
                         json::serialize(json::object{{"officer", "nv.lan"}, {"status", step}})});
    INFO(r.body);
    REQUIRE(r.status == 201);
  }
  commune->clock.Advance(int64_t{10} * 86400 * 1000);
  auto scrape = Call(api, "GET", "/metrics");
  REQUIRE(scrape.status == 200);
  const std::string& m = scrape.body;
  CHECK_THAT(m, Catch::Contains("hoso_build_info{version=\"" + std::string(HosoVersion()) +
                                "\",commit=\"" + std::string(HosoGitCommit()) +
                                "\",store_format=\"1\"} 1\n"));
  CHECK(Sample(m, "hoso_cases_overdue{office=\"30280\"}") == 1);
  CHECK(Sample(m, "hoso_routed_cases_open") == 0);
  auto free = Sample(m, "hoso_data_disk_free_bytes");
  auto total = Sample(m, "hoso_data_disk_total_bytes");
  REQUIRE(free);
  REQUIRE(total);
  CHECK(*free > 0);
  CHECK(*total >= *free);
  CHECK(Sample(m, "hoso_crl_this_update_timestamp_seconds") == this_update);
  CHECK(Sample(m, "hoso_crl_next_update_timestamp_seconds") == next_update);
  CHECK(Sample(m, "hoso_offices_silent") == 0);  // this node's own row is always known
  // No upstream identified yet: what waits to go up is unknown, so no line (not a fake 0).
  CHECK_FALSE(Sample(m, "hoso_upstream_events_waiting"));
  CHECK_THAT(m, !Catch::Contains("document"));
}

TEST_CASE("API: a backup holds the case log, officers.json and hoso.conf in a new folder",
          "[node][api][backup]") {
  TempDir dir;
  auto commune = Commune(dir, dir.Sub("data/db"));
  OfficerDirectory officers;
  REQUIRE(officers.Add("nv.lan", "Nguyễn Thị Lan", Role::kHead, "mat-khau-dai-3", 1000).ok());
  REQUIRE(officers.Save(dir.Sub("data/officers.json")).ok());
  REQUIRE(WriteFileAtomic(dir.Sub("data/hoso.conf"), "root = 89\n").ok());
  NodeView view;
  view.officers_file = dir.Sub("data/officers.json");
  view.config_file = dir.Sub("data/hoso.conf");
  LocalApi api(commune->store.get(), &commune->clock, kToken, view);
  REQUIRE(api.Handle({"POST", "/v1/cases", std::string("Bearer ") + kToken,
                      Reception("2025-12-01T17:00:00+07:00")})
              .status == 201);

  auto made = Call(api, "POST", "/v1/backup?dir=" + dir.Sub("backup"));
  INFO(made.body);
  REQUIRE(made.status == 201);
  auto body = Body(made);
  CHECK(body.at("cases").to_number<int>() == 1);
  json::array files = body.at("files").as_array();
  CHECK(files == json::array{"db", "officers.json", "hoso.conf"});
  struct stat st;
  REQUIRE(::stat(dir.Sub("backup").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);  // the case log holds citizens' data
  REQUIRE(::stat(dir.Sub("backup/officers.json").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(testing::ReadWholeFile(dir.Sub("backup/officers.json")) ==
        testing::ReadWholeFile(dir.Sub("data/officers.json")));
  CHECK(testing::ReadWholeFile(dir.Sub("backup/hoso.conf")) == "root = 89\n");
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    CHECK_THAT(e.path().filename().string(), !Catch::Contains(".partial"));
  }
  auto found = FindBackup(dir.Sub("backup"));
  REQUIRE(found.ok());
  CHECK(found->store_dir == dir.Sub("backup/db"));
  CHECK(found->unit == "30280");
  CHECK(found->epoch == 1);
  CHECK(found->officers_file == dir.Sub("backup/officers.json"));
  {
    StoreOptions o;
    o.path = found->store_dir;
    o.root_unit = "89";
    o.read_only = true;
    UseCaseLogRules(&o);
    auto copy = Store::Open(o);
    REQUIRE(copy.ok());
    CHECK((*copy)->CaseCount() == 1);
  }
}

TEST_CASE("API: a backup refuses a folder that exists or whose parent is missing, saying so",
          "[node][api][backup]") {
  TempDir dir;
  auto commune = testing::OpenTestNode(dir.Sub("db"), "30280");
  LocalApi api(commune->store.get(), &commune->clock, kToken, NodeView{});
  std::filesystem::create_directory(dir.Sub("taken"));

  auto exists = Call(api, "POST", "/v1/backup?dir=" + dir.Sub("taken"));
  CHECK(exists.status == 409);
  auto e = Body(exists);
  CHECK(e.at("error").as_string() == "exists");
  CHECK(e.at("field").as_string() == "dir");
  CHECK_THAT(std::string(e.at("reason").as_string()),
             Catch::Contains(dir.Sub("taken") + " already exists"));
  CHECK_THAT(std::string(e.at("message").as_string()), Catch::Contains("đã có sẵn"));

  auto missing = Call(api, "POST", "/v1/backup?dir=" + dir.Sub("usb/backup"));
  CHECK(missing.status == 400);
  auto m = Body(missing);
  CHECK(m.at("error").as_string() == "invalid");
  CHECK_THAT(std::string(m.at("reason").as_string()),
             Catch::Contains("the folder " + dir.Sub("usb") + " does not exist"));
  CHECK_THAT(std::string(m.at("message").as_string()),
             Catch::Contains("Không tìm thấy thư mục " + dir.Sub("usb")));
  CHECK_FALSE(std::filesystem::exists(dir.Sub("usb")));

  auto relative = Call(api, "POST", "/v1/backup?dir=backup");
  CHECK(relative.status == 400);
  CHECK_THAT(relative.body, Catch::Contains("absolute path"));

  if (::geteuid() != 0) {  // root may write anywhere
    std::filesystem::create_directory(dir.Sub("locked"));
    ::chmod(dir.Sub("locked").c_str(), 0500);
    auto denied = Call(api, "POST", "/v1/backup?dir=" + dir.Sub("locked/backup"));
    CHECK(denied.status == 403);
    CHECK_THAT(denied.body, Catch::Contains("may not write in the folder"));
    CHECK_THAT(denied.body, Catch::Contains("không được phép ghi"));
    ::chmod(dir.Sub("locked").c_str(), 0700);
  }
  // Nothing of the refused backups was made.
  CHECK(std::filesystem::is_empty(dir.Sub("taken")));
}
