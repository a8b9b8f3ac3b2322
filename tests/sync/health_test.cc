// Office health (sync/health.h): the report codec and its bounds, signatures, what a node
// keeps of its children's reports, and two sessions exchanging them.
#include "sync/health.h"

#include <catch2/catch.hpp>

#include "sync/session.h"
#include "tests/testing/testing.h"

using namespace hoso;
using namespace hoso::sync;
using testing::OpenTestNode;
using testing::TempDir;

namespace {

HealthReport Sample(const std::string& unit = "30280", uint64_t seq = 1) {
  HealthReport r;
  r.unit = unit;
  r.epoch = 1;
  r.seq = seq;
  r.made_at_ms = testing::kTestNow;
  r.version = "hoso protocol 2, store format 1";
  r.protocol = 2;
  r.store_format = "1";
  r.clock_skew_ms = int64_t{300} * 86'400'000;  // 300 days ahead
  r.last_sync_ms = testing::kTestNow - 5000;
  r.events_waiting = 12;
  r.self_check = "passed";
  r.disk_free_bytes = uint64_t{40} << 30;
  return r;
}

SignedReport Signed(const HealthReport& r, int key = 0) {
  std::string body = EncodeHealthReport(r);
  auto sig = SignHealthReport(body, testing::KeyFor(key ? key : std::stoi(r.unit)));
  REQUIRE(sig.ok());
  return {body, *sig};
}

// A province, a district and its commune, each store trusting the others' keys (as the TLS
// transport and ORIGIN messages would make them).
struct Three {
  TempDir dir;
  std::unique_ptr<testing::TestNode> province, district, commune;
  Three() {
    province = OpenTestNode(dir.Sub("89"), "89");
    district = OpenTestNode(dir.Sub("883"), "883");
    commune = OpenTestNode(dir.Sub("30280"), "30280");
    REQUIRE(province->store->Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok());
    for (auto* n : {district.get(), commune.get()}) {
      REQUIRE(testing::CopyAll(*province->store, *n->store, [](const std::string& c) {
                return IsSystemChannel(c);
              }).ok());
    }
    for (auto* n : {province.get(), district.get(), commune.get()}) {
      for (const char* u : {"89", "883", "884", "30280", "30283", "30316"}) {
        if (!n->store->OriginKey(u, 1).ok()) {
          REQUIRE(n->store->TrustOrigin(u, 1, testing::KeyFor(std::stoi(u)).public_key(), "").ok());
        }
      }
    }
  }
};

}  // namespace

TEST_CASE("health: a report round-trips in one canonical encoding", "[health]") {
  HealthReport r = Sample();
  std::string body = EncodeHealthReport(r);
  CHECK(body.size() <= kMaxHealthReportBytes);
  auto back = DecodeHealthReport(body);
  REQUIRE(back.ok());
  CHECK(back->unit == "30280");
  CHECK(back->clock_skew_ms == r.clock_skew_ms);
  CHECK(back->events_waiting == 12);
  CHECK(back->self_check == "passed");
  CHECK(EncodeHealthReport(*back) == body);
  // The message carrying it.
  SignedReport s = Signed(r);
  auto m = DecodeMessage(EncodeMessage(HealthMsg{{s, s}}));
  REQUIRE(m.ok());
  REQUIRE(std::holds_alternative<HealthMsg>(*m));
  CHECK(std::get<HealthMsg>(*m).reports.size() == 2);
  CHECK(std::string(MessageName(*m)) == "HEALTH");
}

TEST_CASE("health: fields out of their bounds are refused, naming the field", "[health]") {
  auto refused = [](HealthReport r, const std::string& what) {
    auto d = DecodeHealthReport(EncodeHealthReport(r));
    INFO(what);
    REQUIRE_FALSE(d.ok());
    CHECK_THAT(d.status().message(), Catch::Contains(what));
  };
  HealthReport r = Sample();
  r.made_at_ms = 0;
  refused(r, "made_at_ms");
  r = Sample();
  r.made_at_ms = int64_t{5'000'000'000'000};  // year 2128
  refused(r, "made_at_ms");
  r = Sample();
  r.last_sync_ms = -5;
  refused(r, "last_sync_ms");
  r = Sample();
  r.clock_skew_ms = kHealthMaxSkewMs + 1;
  refused(r, "clock_skew_ms");
  r = Sample();
  r.version = std::string(65, 'v');
  refused(r, "version");
  r = Sample();
  r.version = "hoso\n2";
  refused(r, "version");
  r = Sample();
  r.self_check = "fine";
  refused(r, "self_check");
  r = Sample();
  r.events_waiting = kHealthMaxCount + 1;
  refused(r, "events_waiting");
  r = Sample();
  r.epoch = 0;
  refused(r, "epoch");
  r = Sample();
  r.unit = "";
  CHECK_FALSE(DecodeHealthReport(EncodeHealthReport(r)).ok());
  // Bytes after the report.
  std::string body = EncodeHealthReport(Sample());
  CHECK_FALSE(DecodeHealthReport(body + std::string(1, '\0')).ok());
  // Oversized: a body past the limit is refused before it is decoded, and by the codec.
  CHECK_FALSE(DecodeHealthReport(std::string(kMaxHealthReportBytes + 1, 'x')).ok());
  SignedReport big{std::string(kMaxHealthReportBytes + 1, 'x'), std::string(64, 's')};
  CHECK_FALSE(DecodeMessage(EncodeMessage(HealthMsg{{big}})).ok());
  std::vector<SignedReport> many(kMaxHealthReports + 1, Signed(Sample()));
  CHECK_FALSE(DecodeMessage(EncodeMessage(HealthMsg{many})).ok());
  SignedReport short_sig{body, std::string(63, 's')};
  CHECK_FALSE(DecodeMessage(EncodeMessage(HealthMsg{{short_sig}})).ok());
}

TEST_CASE("health: a parent keeps its children's signed reports and refuses tampered ones",
          "[health]") {
  Three t;
  HealthBook district(t.district->store.get(), &t.district->clock);
  SignedReport good = Signed(Sample());
  size_t kept = 0;
  REQUIRE(district.Accept("30280", {good}, &kept).ok());
  CHECK(kept == 1);
  auto held = district.Held();
  REQUIRE(held.size() == 1);
  CHECK(held[0].report.unit == "30280");
  CHECK(held[0].relayed_by == "30280");
  CHECK(held[0].received_ms == testing::kTestNow);

  SECTION("a relay that alters a report") {
    HealthReport altered = Sample("30280", 2);
    SignedReport forged = Signed(Sample("30280", 2));
    altered.clock_skew_ms = 0;  // hide the skew, keep the office's signature
    forged.body = EncodeHealthReport(altered);
    Status s = district.Accept("30280", {forged});
    CHECK(s.code() == Code::kPermissionDenied);
    CHECK_THAT(s.message(), Catch::Contains("does not verify"));
    CHECK(district.Held()[0].report.seq == 1);  // nothing of it kept
  }
  SECTION("a report signed with another office's key") {
    Status s = district.Accept("30280", {Signed(Sample("30280", 2), 30283)});
    CHECK_FALSE(s.ok());
  }
  SECTION("a reporter outside the relaying peer's subtree, or outside this node's scope") {
    // 30283 is the district's too, but 30280 may not relay it.
    Status s = district.Accept("30280", {Signed(Sample("30283", 1))});
    CHECK(s.code() == Code::kPermissionDenied);
    CHECK_THAT(s.message(), Catch::Contains("outside its scope"));
    // 30316 is under 884, not this district; and a report of the district itself.
    CHECK_FALSE(district.Accept("30316", {Signed(Sample("30316", 1))}).ok());
    CHECK_FALSE(district.Accept("30280", {Signed(Sample("883", 1))}).ok());
    // From the parent.
    CHECK_FALSE(district.Accept("89", {Signed(Sample("89", 1))}).ok());
  }
  SECTION("one bad report refuses the whole message") {
    HealthReport next = Sample("30280", 5);
    Status s = district.Accept("30280", {Signed(next), Signed(Sample("30316", 1))});
    CHECK_FALSE(s.ok());
    CHECK(district.Held()[0].report.seq == 1);
  }
  SECTION("an older report, a repeated unit and too many reports") {
    REQUIRE(district.Accept("30280", {Signed(Sample("30280", 3))}).ok());
    REQUIRE(district.Accept("30280", {Signed(Sample("30280", 2))}, &kept).ok());
    CHECK(kept == 0);
    CHECK(district.Held()[0].report.seq == 3);
    CHECK_FALSE(
        district.Accept("30280", {Signed(Sample("30280", 4)), Signed(Sample("30280", 5))}).ok());
    std::vector<SignedReport> many(kMaxHealthReports + 1, good);
    CHECK(district.Accept("30280", many).code() == Code::kOutOfRange);
  }
}

TEST_CASE("health: reports are kept in the store across a restart", "[health]") {
  Three t;
  {
    HealthBook book(t.district->store.get(), &t.district->clock);
    REQUIRE(book.Accept("30280", {Signed(Sample("30280", 7))}).ok());
  }  // its destructor writes what is pending
  HealthBook again(t.district->store.get(), &t.district->clock);
  auto held = again.Held();
  REQUIRE(held.size() == 1);
  CHECK(held[0].report.seq == 7);
  CHECK(held[0].relayed_by == "30280");
}

TEST_CASE("health: a commune's report goes up through its district's sessions", "[health]") {
  Three t;
  t.commune->clock.Set(testing::kTestNow + int64_t{300} * 86'400'000);  // 300 days ahead
  auto commune_book = std::make_shared<HealthBook>(t.commune->store.get(), &t.commune->clock);
  auto district_book = std::make_shared<HealthBook>(t.district->store.get(), &t.district->clock);
  auto province_book = std::make_shared<HealthBook>(t.province->store.get(), &t.province->clock);
  auto exchange = [](testing::TestNode& child, const std::string& child_unit,
                     std::shared_ptr<HealthBook> child_book, testing::TestNode& parent,
                     const std::string& parent_unit, std::shared_ptr<HealthBook> parent_book) {
    SessionOptions co, po;
    co.health = std::move(child_book);
    po.health = std::move(parent_book);
    SyncSession c(child.store.get(), parent_unit, 1, nullptr, &child.clock, co);
    SyncSession p(parent.store.get(), child_unit, 1, nullptr, &parent.clock, po);
    std::vector<Message> to_p, to_c;
    REQUIRE(c.Start(&to_p).ok());
    REQUIRE(p.Start(&to_c).ok());
    for (int round = 0; round < 20 && (!to_p.empty() || !to_c.empty()); ++round) {
      std::vector<Message> next_p, next_c;
      for (auto& m : to_p) {
        auto d = DecodeMessage(EncodeMessage(m));
        REQUIRE(d.ok());
        REQUIRE(p.Handle(std::move(d).value(), &next_c).ok());
      }
      for (auto& m : to_c) {
        auto d = DecodeMessage(EncodeMessage(m));
        REQUIRE(d.ok());
        REQUIRE(c.Handle(std::move(d).value(), &next_p).ok());
      }
      to_p = std::move(next_p);
      to_c = std::move(next_c);
    }
    return c.stats().health_reports_sent;
  };
  CHECK(exchange(*t.commune, "30280", commune_book, *t.district, "883", district_book) == 1);
  CHECK(exchange(*t.district, "883", district_book, *t.province, "89", province_book) == 2);
  auto held = province_book->Held();
  REQUIRE(held.size() == 2);
  CHECK(held[0].report.unit == "30280");
  CHECK(held[0].relayed_by == "883");
  CHECK(held[0].report.clock_skew_ms > int64_t{299} * 86'400'000);
  CHECK(held[1].report.unit == "883");
  CHECK(held[1].relayed_by == "883");
  // A node without the feature (no book) is never sent HEALTH, and the session goes on.
  SyncSession old_parent(t.province->store.get(), "883", 1, nullptr, &t.province->clock, {});
  SessionOptions with;
  with.health = district_book;
  SyncSession child(t.district->store.get(), "89", 1, nullptr, &t.district->clock, with);
  std::vector<Message> to_p, to_c;
  REQUIRE(child.Start(&to_p).ok());
  REQUIRE(old_parent.Start(&to_c).ok());
  for (auto& m : to_c) REQUIRE(child.Handle(m, &to_p).ok());
  for (auto& m : to_p) {
    CHECK_FALSE(std::holds_alternative<HealthMsg>(m));
    REQUIRE(old_parent.Handle(m, &to_c).ok());
  }
}
