// routing_bench: how long a routed case takes per hop over rural links (issue 18).
//
// Real hoso-node processes over TLS on loopback: province 91 and communes A (30307) and B
// (30316) of the 2025 tree, each commune's link to the province through a FaultProxy (one-way
// delay, bit rate). A citizen of A applies at B's counter; the bench times each leg of the
// journey: B's case routed (B -> province -> B: forwarded), the linked case at A (province ->
// A), the result back at B (A -> province -> B), the return mirrored at A (B -> province -> A).
// A leg of two hops is at least two link round trips of the protocol's push; per hop is half.
//
//   routing_bench [--cases N] [--delay-ms D] [--rate-bps R]   (defaults 5, 300, 256000)
//
// Prints JSON lines {"bench": "routing", "metric", "value", "unit"}: the median of N cases.
#include <chrono>
#include <cstdio>
#include <thread>

#include "bench/bench_util.h"
#include "core/domain/reference_data.h"
#include "core/domain/routing.h"
#include "node/config.h"
#include "node/daemon.h"
#include "node/json.h"
#include "tests/testing/fault_proxy.h"
#include "tests/testing/testing.h"
#include "tools/network/local_network.h"

using namespace hoso;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "routing_bench: %s\n", why.c_str());
  std::exit(1);
}

void Check(const Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.message());
}

std::string StatusAt(tools::LocalNetwork& net, const std::string& unit, const std::string& code) {
  auto c = net.Call(unit, "GET", "/v1/cases/" + code);
  return c.ok() ? std::string(c->at("fields").at("status").as_string()) : "";
}

// Milliseconds until `unit` holds `code` at `status`.
double Until(tools::LocalNetwork& net, const std::string& unit, const std::string& code,
             const std::string& status) {
  bench::Stopwatch w;
  while (StatusAt(net, unit, code) != status) {
    if (w.Seconds() > 120) Die(code + " never reached " + status + " at " + unit);
    std::this_thread::sleep_for(5ms);
  }
  return w.Seconds() * 1000;
}

void Step(tools::LocalNetwork& net, const std::string& unit, const std::string& code,
          const std::string& status) {
  json::object step{{"officer", "nv.lan"}, {"status", status}};
  Check(net.Call(unit, "POST", "/v1/cases/" + code + "/steps", json::serialize(step)).status(),
        "step " + status);
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t cases = 5, delay_ms = 300, rate_bps = 256000;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (i + 1 >= argc)
      Die(a + " needs a value (routing_bench --cases N --delay-ms D --rate-bps R)");
    uint64_t* target = a == "--cases"      ? &cases
                       : a == "--delay-ms" ? &delay_ms
                       : a == "--rate-bps" ? &rate_bps
                                           : nullptr;
    if (!target || !bench::ParseWholeNumber(argv[++i], target)) Die("bad argument " + a);
  }
  const std::string A = "30307", B = "30316";
  testing::TempDir dir;
  auto csv = node::ReadTextFile(std::string(HOSO_DATA_DIR) + "/units-an-giang-2025.csv", "units");
  Check(csv.status(), "reading the units");
  tools::NetworkOptions o;
  o.dir = dir.path();
  auto units = ParseUnitsCsv(*csv);
  Check(units.status(), "parsing the units");
  o.units = *units;
  o.members = {"91", A, B};
  o.node_binary = tools::ExecutableDir() + "/hoso-node";
  auto made = tools::LocalNetwork::Create(o);
  Check(made.status(), "making the network");
  tools::LocalNetwork& net = **made;
  Check(net.Start("91"), "starting 91");
  auto province = node::ParseHostPort(net.node("91").listen());
  Check(province.status(), "the province's address");
  testing::FaultProxy::Options link{std::chrono::milliseconds(delay_ms), rate_bps, {}};
  testing::FaultProxy to_a(province->port, link), to_b(province->port, link);
  Check(net.Start(A, true, {"--upstream", "91@127.0.0.1:" + std::to_string(to_a.port())}), A);
  Check(net.Start(B, true, {"--upstream", "91@127.0.0.1:" + std::to_string(to_b.port())}), B);
  Check(net.LoadDirectory(120s), "loading the directory");
  Procedure residence{"TEST-9000001", "Đăng ký thường trú", "Công an cấp xã", 3, true, true,
                      0,          {"Tờ khai"},          "residence"};
  Check(net.Call("91", "POST", "/v1/catalogue?officer=system", CatalogueCsv({residence})).status(),
        "loading the catalogue");
  Check(net.WaitForEveryNode(
            [&](const std::string& unit) {
              auto c = net.Call(unit, "GET", "/v1/catalogue?limit=1");
              return c.ok() && c->at("total").to_number<int64_t>() == 1;
            },
            "the catalogue", 120s),
        "the catalogue");

  std::vector<double> routed, arrived, result, returned;
  for (uint64_t i = 0; i < cases; ++i) {
    json::object req{{"officer", "nv.lan"},
                     {"procedure", residence.code},
                     {"residence", A},
                     {"applicant", json::object{{"name", "Phan Thị Ngọc Hân"}}},
                     {"channel", "counter"}};
    bench::Stopwatch journey;
    auto received = net.Call(B, "POST", "/v1/cases", json::serialize(req));
    Check(received.status(), "reception");
    std::string code(received->at("code").as_string());
    std::string linked = LinkedCaseCode(A, code);
    routed.push_back(Until(net, B, code, "forwarded"));
    (void)Until(net, A, linked, "forwarded");
    arrived.push_back(journey.Seconds() * 1000);
    Step(net, A, linked, "processing");
    Step(net, A, linked, "result_ready");
    result.push_back(Until(net, B, code, "result_ready"));
    Step(net, B, code, "returned");
    returned.push_back(Until(net, A, linked, "returned"));
  }
  const std::string b = "routing";
  bench::Emit(b, "link_one_way_delay", static_cast<double>(delay_ms), "ms");
  bench::Emit(b, "link_rate", static_cast<double>(rate_bps), "bit/s");
  bench::Emit(b, "cases", static_cast<double>(cases), "cases");
  bench::Emit(b, "routed_back_at_receiver_p50", bench::Percentile(routed, 0.5), "ms");
  bench::Emit(b, "reception_to_competent_p50", bench::Percentile(arrived, 0.5), "ms");
  bench::Emit(b, "reception_to_competent_per_hop_p50", bench::Percentile(arrived, 0.5) / 2, "ms");
  bench::Emit(b, "result_to_receiver_p50", bench::Percentile(result, 0.5), "ms");
  bench::Emit(b, "result_to_receiver_per_hop_p50", bench::Percentile(result, 0.5) / 2, "ms");
  bench::Emit(b, "return_to_competent_p50", bench::Percentile(returned, 0.5), "ms");
  for (const auto& unit : o.members) (void)net.Stop(unit);
  return 0;
}
