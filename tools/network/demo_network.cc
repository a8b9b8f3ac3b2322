// hoso-demo: the quick start's network: one hoso-node process per office on loopback, with
// real mutual TLS, set up the way an operator would (docs/operations.md).
//
//   hoso-demo [--units FILE] [--cases N] [--dir DIR] [--keep]
//
// Province 89, districts 883 and 884, communes 30280, 30283 (883) and 30316 (884), from the
// project's An Giang units. A CA is made, every office gets a certificate and a data
// directory, the province loads the units, and every node receives them by sync. Commune
// 30316 then goes offline; the communes receive N cases (default 200) through their local
// API, a third of them forwarded at once; 30316 comes back online. The program prints every
// node's cases by status and whether each commune's fingerprint agrees at its district and
// the province, then stops the nodes with SIGTERM. Exit status 1 if the network has not
// converged within 60 s or a node did not stop cleanly. --keep leaves the nodes running and
// prints their API addresses and tokens.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/base/text.h"
#include "node/daemon.h"
#include "node/json.h"
#include "tools/catalogue_gen.h"
#include "tools/network/local_network.h"
#include "tools/workload.h"

using namespace hoso;
namespace json = boost::json;

namespace {

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "hoso-demo: %s\n", why.c_str());
  std::exit(1);
}

void Check(const Status& s) {
  if (!s.ok()) Die(s.message());
}

// Case i of the benchmark workload as a reception request of the local API.
std::string ReceptionRequest(const CaseWorkload& work, uint64_t i) {
  LocalWrite w = work.Reception(i);
  auto text = [&](const cbor::Value& m, const char* k) {
    const cbor::Value* v = m.Find(k);
    return v && v->is_text() ? v->str() : std::string();
  };
  const cbor::Value& app = *w.body.Find("applicant");
  json::object req;
  req["officer"] = w.officer;
  req["procedure"] = text(w.body, "procedure");
  req["applicant"] = json::object{{"name", text(app, "name")},
                                  {"id_no", text(app, "id_no")},
                                  {"phone", text(app, "phone")},
                                  {"address", text(app, "address")}};
  std::string channel = text(w.body, "channel");
  req["channel"] = channel;
  req["fee"] = w.body.Find("fee")->uint();
  if (channel == "postal") {
    req["return_by_post"] = true;
    req["return_address"] = text(app, "address");
  }
  req["documents"] = json::array{json::object{{"name", "Tờ khai"}, {"kind", "original"}},
                                 json::object{{"name", "Căn cước công dân"}, {"kind", "copy"}}};
  return json::serialize(req);
}

}  // namespace

int main(int argc, char** argv) {
  std::string units_file = std::string(HOSO_DATA_DIR) + "/units-an-giang.csv";
  std::string dir;
  uint64_t cases = 200;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--units") {
      units_file = value();
    } else if (a == "--cases") {
      cases = std::stoull(value());
    } else if (a == "--dir") {
      dir = value();
    } else if (a == "--keep") {
      keep = true;
    } else if (a == "--help" || a == "-h") {
      std::printf("Usage: hoso-demo [--units FILE] [--cases N] [--dir DIR] [--keep]\n");
      return 0;
    } else {
      Die("unknown argument " + a + " (hoso-demo --help)");
    }
  }
  auto csv = node::ReadTextFile(units_file, "units CSV");
  if (!csv.ok()) Die(csv.status().message());
  auto units = ParseUnitsCsv(*csv);
  if (!units.ok()) Die(units.status().message());
  std::map<std::string, std::string> names;
  for (const auto& u : *units) names[u.code] = u.name;
  bool temp_dir = dir.empty();
  if (temp_dir) {
    dir = (std::filesystem::temp_directory_path() / "hoso-demo-XXXXXX").string();
    if (!mkdtemp(dir.data())) Die("cannot create a temporary directory");
  }

  tools::NetworkOptions o;
  o.dir = dir;
  o.units = *units;
  o.members = {"89", "883", "884", "30280", "30283", "30316"};
  o.node_binary = tools::ExecutableDir() + "/hoso-node";
  o.detach = keep;
  auto made = tools::LocalNetwork::Create(o);
  if (!made.ok()) Die(made.status().message());
  tools::LocalNetwork& net = **made;
  for (const auto& unit : o.members) Check(net.Start(unit));
  std::printf("hoso demo: CA and 6 nodes (hoso-node processes, TLS on loopback) in %s\n",
              dir.c_str());
  Check(net.LoadDirectory());
  std::printf("the province loaded %zu units; every node received them by sync\n", units->size());
  // The procedure catalogue (a generated sample of 1,000) goes the same way; due dates are
  // computed from it and the working calendar.
  auto catalogue = GenerateCatalogue(1, 1000);
  auto loaded = net.Call("89", "POST", "/v1/catalogue?officer=system", CatalogueCsv(catalogue));
  if (!loaded.ok()) Die(loaded.status().message());
  Check(net.WaitForEveryNode(
      [&](const std::string& unit) {
        auto c = net.Call(unit, "GET", "/v1/catalogue?limit=1");
        return c.ok() && c->at("total").to_number<size_t>() == catalogue.size();
      },
      "the catalogue", std::chrono::seconds(30)));
  std::printf("the province loaded %zu procedures into the catalogue; every node has them\n",
              catalogue.size());

  // 30316 goes offline; the communes keep receiving cases.
  auto stopped = net.Stop("30316");
  if (!stopped.ok() || *stopped != 0) Die("30316 did not stop cleanly");
  Check(net.Start("30316", /*online=*/false));
  std::printf("30316 is offline (no upstream); receiving %llu cases at the communes\n",
              static_cast<unsigned long long>(cases));
  CaseWorkload work(7, {"30280", "30283", "30316"});
  auto t_receive = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < cases; ++i) {
    std::string office = work.Office(i);
    auto c = net.Call(office, "POST", "/v1/cases", ReceptionRequest(work, i));
    if (!c.ok()) Die(c.status().message());
    if (i % 3 == 0) {
      std::string code(c->at("code").as_string());
      json::object step{{"officer", "nv.lan"}, {"status", "forwarded"}};
      auto s = net.Call(office, "POST", "/v1/cases/" + code + "/steps", json::serialize(step));
      if (!s.ok()) Die(s.status().message());
    }
  }
  double receive_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_receive).count();
  std::printf("received %llu cases in %.2f s; bringing 30316 online\n",
              static_cast<unsigned long long>(cases), receive_s);
  stopped = net.Stop("30316");
  if (!stopped.ok() || *stopped != 0) Die("30316 did not stop cleanly");
  auto t0 = std::chrono::steady_clock::now();
  Check(net.Start("30316"));
  Status converged = net.WaitConverged(std::chrono::seconds(60));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::printf("\n%-6s %s %6s  %s\n", "node", PadUtf8("unit", 26).c_str(), "cases", "by status");
  for (const auto& unit : o.members) {
    auto scope = net.Call(unit, "GET", "/v1/scope");
    if (!scope.ok()) Die(scope.status().message());
    std::string by_status;
    for (const auto& [s, n] : scope->at("by_status").as_object()) {
      by_status += std::string(s) + " " + json::serialize(n) + "  ";
    }
    std::printf("%-6s %s %6s  %s\n", unit.c_str(), PadUtf8(names[unit], 26).c_str(),
                json::serialize(scope->at("cases")).c_str(), by_status.c_str());
  }
  std::printf(
      "\nfingerprint of each commune's cases, at the commune, its district, the province:\n");
  for (std::string commune : {"30280", "30283", "30316"}) {
    std::string district = net.parent(commune);
    auto a = net.Fingerprints(commune), b = net.Fingerprints(district), c = net.Fingerprints("89");
    if (!a.ok() || !b.ok() || !c.ok()) Die("reading fingerprints failed");
    std::string fp = (*a)[commune];
    bool same = fp == (*b)[commune] && fp == (*c)[commune];
    std::printf("  %-6s %s  %s (%s, 89)\n", commune.c_str(), fp.substr(0, 16).c_str(),
                same ? "agree" : "DIFFER", district.c_str());
  }
  if (!converged.ok()) {
    std::printf("\n%s\n", converged.message().c_str());
  } else {
    std::printf("\nconverged in %.2f s after 30316 came online\n", secs);
  }
  if (keep) {
    std::printf("\nThe nodes keep running (--keep). Local APIs:\n");
    for (const auto& unit : o.members) {
      auto client = net.node(unit).Client();
      std::printf("  %-6s http://%s  token %s\n", unit.c_str(), net.node(unit).api().c_str(),
                  client.ok() ? client->token().c_str() : "?");
      net.node(unit).Forget();
    }
    std::printf(
        "Try: build/bin/hoso case list --dir %s/nodes/30280\n"
        "Stop them with: kill $(cat %s/nodes/*/run.json | sed 's/.*\"pid\":\\([0-9]*\\).*/\\1/')\n",
        dir.c_str(), dir.c_str());
    return converged.ok() ? 0 : 1;
  }
  bool clean = true;
  for (auto it = o.members.rbegin(); it != o.members.rend(); ++it) {
    auto rc = net.Stop(*it);
    if (!rc.ok() || *rc != 0) {
      std::printf("node %s did not stop cleanly\n", it->c_str());
      clean = false;
    }
  }
  if (converged.ok() && clean && temp_dir) std::filesystem::remove_all(dir);
  std::printf("all nodes stopped%s\n", clean ? " cleanly" : "");
  return converged.ok() && clean ? 0 : 1;
}
