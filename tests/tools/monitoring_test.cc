// The example alert rules (docs/prometheus-alerts.yml) against what real nodes export.
#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "tests/testing/process_testing.h"
#include "tests/tools/hoso_cli.h"
#include "tools/api_client.h"

using namespace hoso;

namespace {

std::string Scrape(const std::string& node_dir) {
  auto client = tools::ApiClient::ForNode(node_dir);
  if (!client.ok()) return "";
  auto reply = client->Call("GET", "/metrics", "", "");
  return reply.ok() && reply->status == 200 ? reply->body : "";
}

// Whether the scrape has a sample of `name` whose labels contain `labels` ("" for any).
bool HasSample(const std::string& scrape, const std::string& name, const std::string& labels) {
  std::istringstream in(scrape);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
    char next = line[name.size()];
    if ((next == ' ' && labels.empty()) ||
        (next == '{' && line.find(labels) != std::string::npos)) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("monitoring: every metric docs/prometheus-alerts.yml uses is exported by a real node",
          "[tools][monitoring]") {
  // The metric names of the rules' expressions and annotations (comments aside).
  std::string rules = testing::ReadWholeFile(HOSO_DOCS_DIR "/prometheus-alerts.yml");
  REQUIRE_FALSE(rules.empty());
  std::set<std::string> names;
  size_t exprs = 0;
  {
    std::istringstream in(rules);
    std::string line;
    const std::regex metric("hoso_[a-z0-9_]+");
    while (std::getline(in, line)) {
      size_t first = line.find_first_not_of(' ');
      if (first == std::string::npos || line[first] == '#') continue;
      if (line.compare(first, 6, "expr: ") == 0) {
        ++exprs;
        CHECK(std::regex_search(line, metric));  // every rule reads the node's own metrics
      }
      for (std::sregex_iterator it(line.begin(), line.end(), metric), end; it != end; ++it) {
        names.insert(it->str());
      }
    }
  }
  CHECK(exprs >= 10);
  // The four: offline for a day, clock skew, stale revocation data, a full disk.
  for (const char* needed :
       {"hoso_office_last_sync_age_seconds", "hoso_peer_last_success_timestamp_seconds",
        "hoso_office_clock_skew_ms", "hoso_crl_next_update_timestamp_seconds",
        "hoso_data_disk_free_bytes"}) {
    CHECK(names.count(needed));
  }

  // A province and a commune syncing, with health reports every 200 ms.
  testing::TempDir tmp;
  auto net = testing::ProcessNetwork(tmp.Sub("net"), {"89", "30280"});
  const std::vector<std::string> fast = {"--health_interval_ms", "200", "--keepalive_ms", "200"};
  REQUIRE(net->Start("89", true, fast).ok());
  REQUIRE(net->Start("30280", true, fast).ok());
  REQUIRE(net->LoadDirectory().ok());
  const std::string commune = net->NodeDir("30280"), province = net->NodeDir("89");
  REQUIRE(testing::Hoso(tmp, {"case", "new", "--dir", commune, "--officer", "nv.lan", "--procedure",
                              "TEST-1002668", "--name", "Trần Văn Bình"})
              .rc == 0);
  REQUIRE(net->WaitConverged(std::chrono::seconds(30)).ok());
  std::string at_commune, at_province;
  bool ready = testing::WaitFor(
      [&] {
        at_commune = Scrape(commune);
        at_province = Scrape(province);
        return HasSample(at_commune, "hoso_peer_last_success_timestamp_seconds",
                         "direction=\"upstream\"") &&
               HasSample(at_province, "hoso_office_last_sync_age_seconds", "unit=\"30280\"");
      },
      std::chrono::seconds(30));
  INFO(at_commune);
  INFO(at_province);
  REQUIRE(ready);
  for (const std::string& name : names) {
    INFO(name);
    // Each family is declared by the commune, which has an upstream and reports its own
    // health (a series may have no sample while nothing is wrong: no origin's clock is ahead
    // here); the root has no upstream, so no hoso_upstream_events_waiting.
    CHECK_THAT(at_commune, Catch::Contains("# TYPE " + name + " "));
  }
  // And the rules that watch a healthy network have samples to read.
  for (const char* name :
       {"hoso_crl_next_update_timestamp_seconds", "hoso_data_disk_free_bytes",
        "hoso_data_disk_total_bytes", "hoso_self_check_state", "hoso_upstream_events_waiting",
        "hoso_offices_silent", "hoso_login_failures_total"}) {
    INFO(name);
    CHECK(HasSample(at_commune, name, ""));
  }
  CHECK(HasSample(at_province, "hoso_office_clock_skew_ms", "unit=\"30280\""));
  CHECK(HasSample(at_commune, "hoso_peer_clock_skew_ms", "direction=\"upstream\""));
  CHECK(HasSample(at_province, "hoso_build_info", "store_format=\"2\""));
}
