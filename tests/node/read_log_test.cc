// The read log (node/read_log.h) on a real store, alone and behind the local API: batches,
// the day's case and its continuation, a full queue, the officer, purpose and view of a read,
// and reads that do not wait for a flush.
#include "node/read_log.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <future>

#include "core/base/sync_point.h"
#include "core/domain/access_log.h"
#include "node/json.h"
#include "node/local_api.h"
#include "tests/node/test_officers.h"
#include "tests/testing/testing.h"

using namespace hoso;
using namespace hoso::node;
using namespace std::chrono_literals;
using testing::TempDir;

namespace {

constexpr const char* kToken = "0123456789abcdef0123456789abcdef";

// The root node 89 with its directory and two cases of its own channel.
struct Root {
  TempDir dir;
  std::unique_ptr<testing::TestNode> node = testing::OpenTestNode(dir.Sub("89"), "89");
  Store& store = *node->store;
  Root() {
    REQUIRE(store.Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
    REQUIRE(store.Append(testing::ReceiveWrite("89", "89-251124-0001", "Lê Thị Hoa", 1)).ok());
    REQUIRE(store.Append(testing::ReceiveWrite("89", "89-251124-0002", "Trần Văn Bình", 2)).ok());
  }
  ReadLogOptions Manual() {  // flushed by the test only
    ReadLogOptions o;
    o.period = 1h;
    return o;
  }
  std::vector<AccessRead> Reads(const std::string& code) {
    auto view = store.GetCase(code);
    REQUIRE(view.ok());
    std::vector<AccessRead> out;
    for (const auto& h : view->history) {
      CHECK(h.event.type == "access.read");
      CHECK(h.event.officer == "system");
      auto reads = ParseAccessReadBody(h.event.body);
      REQUIRE(reads.ok());
      out.insert(out.end(), reads->begin(), reads->end());
    }
    return out;
  }
  const std::string today = AccessCaseCode("89", 1, testing::kTestNow, 1);
};

AccessRead Read(const std::string& officer, std::vector<std::string> cases,
                const std::string& purpose = "") {
  return AccessRead{officer, std::move(cases), purpose, 0, "case"};
}

}  // namespace

TEST_CASE("read log: queued reads are written as one access.read event in the day's case",
          "[node][read_log]") {
  Root r;
  CHECK(r.today == "89-access-20251124");
  ReadLog log(&r.store, &r.node->clock, nullptr, r.Manual());
  CHECK(log.Record(Read("nv.lan", {"89-251124-0001"}, "giải quyết hồ sơ")));
  CHECK(log.Record(Read("cb.minh", {"89-251124-0001", "89-251124-0002"})));
  // A read of the read log itself is not one.
  CHECK(log.Record(Read("cb.minh", {r.today})));
  CHECK(log.counts().queued == 3);
  CHECK(r.store.GetCaseState(r.today).status().code() == Code::kNotFound);  // nothing yet
  REQUIRE(log.Flush().ok());
  auto view = r.store.GetCase(r.today);
  REQUIRE(view.ok());
  CHECK(view->history.size() == 1);
  auto reads = r.Reads(r.today);
  REQUIRE(reads.size() == 2);
  CHECK(reads[0].officer == "nv.lan");
  CHECK(reads[0].purpose == "giải quyết hồ sơ");
  CHECK(reads[0].at_ms == testing::kTestNow);
  CHECK(reads[1].cases == std::vector<std::string>{"89-251124-0001", "89-251124-0002"});
  auto c = log.counts();
  CHECK(c.queued == 0);
  CHECK(c.recorded == 3);
  CHECK(c.events == 1);
  CHECK(c.dropped == 0);
  // The read log case is no case of the counter: no status, no applicant, no due date.
  CHECK(view->state.TextOr("status", "") == "");
  CHECK(view->state.Get("applicant").is_null());
  // Stop writes what is still queued.
  CHECK(log.Record(Read("nv.hung", {"89-251124-0002"})));
  log.Stop();
  CHECK(r.Reads(r.today).size() == 3);
  CHECK_FALSE(log.Record(Read("nv.hung", {"89-251124-0002"})));  // stopped: counted
  CHECK(log.counts().dropped == 1);
}

TEST_CASE("read log: a day's full case goes on in part 2", "[node][read_log]") {
  Root r;
  // The day's case filled by kMaxCaseEvents events (as a busy province's would be).
  AccessRead one = Read("nv.lan", {"89-251124-0001"});
  one.at_ms = testing::kTestNow;
  cbor::Value body = AccessReadBodies({one}).at(0);
  for (size_t done = 0; done < kMaxCaseEvents;) {
    std::vector<LocalWrite> writes;
    for (; writes.size() < kMaxAppendWrites && done < kMaxCaseEvents; ++done) {
      writes.push_back({"89", r.today, "access.read", body, "system"});
    }
    REQUIRE(r.store.Append(std::move(writes)).ok());
  }
  // The store refuses one more there.
  CHECK(r.store.Append({"89", r.today, "access.read", body, "system"}).status().code() ==
        Code::kOutOfRange);
  ReadLog log(&r.store, &r.node->clock, nullptr, r.Manual());
  CHECK(log.Record(Read("cb.tam", {"89-251124-0002"})));
  REQUIRE(log.Flush().ok());
  const std::string part2 = AccessCaseCode("89", 1, testing::kTestNow, 2);
  CHECK(part2 == "89-access-20251124-2");
  auto reads = r.Reads(part2);
  REQUIRE(reads.size() == 1);
  CHECK(reads[0].officer == "cb.tam");
  CHECK(IsAccessCaseCode(part2));
  // The next day starts at part 1 again.
  r.node->clock.Advance(24 * 3600 * 1000);
  CHECK(log.Record(Read("cb.tam", {"89-251124-0002"})));
  REQUIRE(log.Flush().ok());
  CHECK(r.Reads(AccessCaseCode("89", 1, r.node->clock.NowMs(), 1)).size() == 1);
}

TEST_CASE("read log: a full queue drops reads, counts them, and says so at warning",
          "[node][read_log]") {
  Root r;
  TempDir logs;
  FILE* file = std::fopen(logs.Sub("node.log").c_str(), "w+");
  REQUIRE(file);
  {
    Logger logger(file, LogPrefix::kNone);
    ReadLogOptions o = r.Manual();
    o.max_queued_cases = 3;
    ReadLog log(&r.store, &r.node->clock, &logger, o);
    CHECK(log.Record(Read("nv.lan", {"89-251124-0001", "89-251124-0002"})));
    CHECK(log.Record(Read("nv.lan", {"89-251124-0001"})));
    CHECK_FALSE(log.Record(Read("nv.lan", {"89-251124-0002"})));
    CHECK_FALSE(log.Record(Read("nv.lan", {"89-251124-0001", "89-251124-0002"})));
    CHECK(log.counts().dropped == 3);
    CHECK_THAT(log.Metrics(), Catch::Contains("hoso_read_log_dropped_total 3\n"));
    CHECK_THAT(log.Metrics(), Catch::Contains("hoso_read_log_queued 3\n"));
    REQUIRE(log.Flush().ok());
    CHECK_THAT(log.Metrics(), Catch::Contains("hoso_read_log_recorded_total 3\n"));
    CHECK(log.Record(Read("nv.lan", {"89-251124-0002"})));  // room again
  }
  std::fflush(file);
  std::fclose(file);
  std::string text = testing::ReadWholeFile(logs.Sub("node.log"));
  CHECK_THAT(text, Catch::Contains("\"level\":\"warn\""));
  CHECK_THAT(text, Catch::Contains("3 case read(s) not recorded"));
  CHECK(r.Reads(r.today).size() == 3);
}

TEST_CASE("read log: the API records who read a case or a list, why, and from which screen",
          "[node][read_log][api]") {
  Root r;
  ReadLog log(&r.store, &r.node->clock, nullptr, r.Manual());
  NodeView view;
  view.officers_file = testing::WriteTestOfficers(r.dir.Sub("officers.json"));
  view.read_log = &log;
  LocalApi api(&r.store, &r.node->clock, kToken, view);
  auto login =
      api.Handle({"POST", "/v1/login", "", R"({"login":"nv.lan","password":"mat-khau-thu-nghiem"})",
                  "", "application/json"});
  REQUIRE(login.status == 200);
  std::string cookie = login.set_cookie.substr(0, login.set_cookie.find(';'));
  auto get = [&](const std::string& target) { return api.Handle({"GET", target, "", "", cookie}); };
  CHECK(get("/v1/cases/89-251124-0001?purpose=x%C3%A1c%20minh").status == 200);
  CHECK(get("/v1/cases/89-251124-0002?view=slip").status == 200);
  CHECK(get("/v1/cases/89-251124-0009").status == 404);  // nothing read
  // A search by name records the cases whose names it showed; "purpose" is not refused.
  auto found = get("/v1/cases?applicant=tran&purpose=tra%20c%E1%BB%A9u");
  REQUIRE(found.status == 200);
  CHECK_THAT(found.body, Catch::Contains("89-251124-0002"));
  // With the API token, the officer named is recorded as the token's.
  CHECK(api.Handle(
               {"GET", "/v1/cases/89-251124-0001?officer=cb.minh", std::string("Bearer ") + kToken})
            .status == 200);
  REQUIRE(log.Flush().ok());
  auto reads = r.Reads(r.today);
  REQUIRE(reads.size() == 4);
  CHECK(reads[0].officer == "nv.lan");
  CHECK(reads[0].cases == std::vector<std::string>{"89-251124-0001"});
  CHECK(reads[0].purpose == "xác minh");
  CHECK(reads[0].view == "case");
  CHECK(reads[1].view == "slip");
  CHECK(reads[2].view == "list");
  CHECK(reads[2].cases == std::vector<std::string>{"89-251124-0002"});
  CHECK(reads[2].purpose == "tra cứu");
  CHECK(reads[3].officer == "api-token:cb.minh");
  // Reading the read log's case is not recorded as a read, and no list shows it.
  CHECK(get("/v1/cases/" + r.today).status == 200);
  CHECK(log.counts().queued == 0);
  for (const char* list : {"/v1/cases", "/v1/cases?office=89"}) {
    auto all = get(list);
    REQUIRE(all.status == 200);
    CHECK_THAT(all.body, Catch::Contains("89-251124-0001"));
    CHECK(all.body.find("-access-") == std::string::npos);
  }
  REQUIRE(log.Flush().ok());  // those lists' reads
  CHECK_THAT(api.Handle({"GET", "/metrics", std::string("Bearer ") + kToken}).body,
             Catch::Contains("hoso_read_log_recorded_total 8\n"));
}

TEST_CASE("read log: a read returns while the flush is held", "[node][read_log][api]") {
  Root r;
  SyncPoints::Enable();
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ReadLogOptions o;
  o.period = 20ms;
  o.before_append = [released] { released.wait(); };
  ReadLog log(&r.store, &r.node->clock, nullptr, o);
  bool open = false;
  auto Open = [&] {
    if (!open) release.set_value();
    open = true;
  };
  struct OpenAtExit {  // a failed REQUIRE must not leave the log's last flush held
    std::function<void()> open;
    ~OpenAtExit() { open(); }
  } at_exit{Open};
  NodeView view;
  view.read_log = &log;
  LocalApi api(&r.store, &r.node->clock, kToken, view);
  auto get = [&](const std::string& code) {
    return api.Handle(
        {"GET", "/v1/cases/" + code + "?officer=nv.lan", std::string("Bearer ") + kToken});
  };
  REQUIRE(get("89-251124-0001").status == 200);
  // The flusher took that read and waits before its Append.
  REQUIRE(SyncPoints::WaitFor("ReadLog::Flushing", 1, 5s));
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) REQUIRE(get("89-251124-0002").status == 200);
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(took < 2s);
  CHECK(log.counts().queued == 20);  // queued behind the held flush
  CHECK(r.store.GetCaseState(r.today).status().code() == Code::kNotFound);
  Open();
  REQUIRE(SyncPoints::WaitFor("ReadLog::Flushed", 2, 5s));
  CHECK(r.Reads(r.today).size() == 21);
  SyncPoints::Disable();
}

TEST_CASE("read log: a flush that fails keeps its reads for the next one", "[node][read_log]") {
  // A commune before its first sync: no directory yet, so it may write no event.
  TempDir dir;
  auto commune = testing::OpenTestNode(dir.Sub("30280"), "30280");
  FILE* file = std::fopen(dir.Sub("node.log").c_str(), "w+");
  REQUIRE(file);
  Logger logger(file, LogPrefix::kNone);
  ReadLogOptions o;
  o.period = 1h;
  ReadLog log(commune->store.get(), &commune->clock, &logger, o);
  CHECK(log.Record(Read("nv.lan", {"30280-251124-0001"})));
  Status failed = log.Flush();
  CHECK(failed.code() == Code::kPermissionDenied);
  CHECK(log.Flush().code() == Code::kPermissionDenied);  // logged once, not at every flush
  auto c = log.counts();
  CHECK(c.queued == 1);
  CHECK(c.failed_flushes == 2);
  CHECK(c.dropped == 0);
  CHECK(log.Record(Read("nv.hung", {"30280-251124-0002"})));
  // The directory arrives: the next flush writes both, in order.
  auto root = testing::OpenTestNode(dir.Sub("89"), "89");
  REQUIRE(root->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
  REQUIRE(testing::CopyAll(*root->store, *commune->store, [](const std::string& ch) {
            return ch == kDirectoryChannel;
          }).ok());
  REQUIRE(log.Flush().ok());
  auto view = commune->store->GetCase(AccessCaseCode("30280", 1, testing::kTestNow, 1));
  REQUIRE(view.ok());
  auto reads = ParseAccessReadBody(view->history.at(0).event.body);
  REQUIRE(reads.ok());
  REQUIRE(reads->size() == 2);
  CHECK((*reads)[0].officer == "nv.lan");
  CHECK((*reads)[1].officer == "nv.hung");
  log.Stop();
  std::fflush(file);
  std::string text = testing::ReadWholeFile(dir.Sub("node.log"));
  std::fclose(file);
  size_t first = text.find("the read log could not be written");
  CHECK(first != std::string::npos);
  CHECK(text.find("the read log could not be written", first + 1) == std::string::npos);
  CHECK_THAT(text, Catch::Contains("the read log is written again"));
}

TEST_CASE("read log: a busy period's reads go in few events", "[node][read_log]") {
  Root r;
  ReadLogOptions o = r.Manual();
  ReadLog log(&r.store, &r.node->clock, nullptr, o);
  for (int i = 0; i < 20000; ++i) {
    REQUIRE(log.Record(Read("nv.lan", {i % 2 ? "89-251124-0001" : "89-251124-0002"}, "bench")));
  }
  Status flushed = log.Flush();
  INFO(flushed.ToString());
  REQUIRE(flushed.ok());
  auto c = log.counts();
  CHECK(c.recorded == 20000);
  CHECK(c.events <= 40);
  CHECK(r.Reads(r.today).size() == 20000);
}
