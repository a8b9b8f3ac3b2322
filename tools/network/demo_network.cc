// hoso-demo: the quick start's network: one hoso-node process per office on loopback, with
// real mutual TLS, set up the way an operator would (docs/operations.md).
//
//   hoso-demo [--tree 2025|2019] [--units FILE] [--cases N] [--dir DIR] [--keep]
//
// The two-tier province of 2025 (default): province 91, a relay 883 (the former district
// server of Long Xuyên) forwarding communes 30307 and 30316, and commune 30325 under the
// province, from the project's 2025 units. --tree 2019 runs the three-tier history instead:
// province 89, districts 883 and 884, communes 30280, 30283 (883) and 30316 (884). A CA is
// made, every office gets a certificate and a data directory, the province loads the units,
// and every node receives them by sync. The last commune then goes offline; the communes
// receive N cases (default 200) through their local API, a third of them forwarded at once;
// it comes back online. In the two-tier province a citizen of 30307 then applies at 30325's
// counter while 30307 is offline: the province routes the case, 30307 processes it when it
// is back, and 30325 returns the result (docs/routing.md); each hop is timed. The program
// prints every node's cases by status and whether each commune's fingerprint agrees at every
// node above it, then stops the nodes with SIGTERM. Exit status 1 if the network has not
// converged within 60 s or a node did not stop cleanly. --keep leaves the nodes running and
// prints their API addresses and tokens.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/base/text.h"
#include "core/domain/reference_data.h"
#include "core/domain/routing.h"
#include "node/daemon.h"
#include "node/json.h"
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

// The shipped catalogue of the communes' procedures (data/catalogue-commune-2025.csv).
const std::vector<Procedure>& Catalogue() {
  static const std::vector<Procedure> procedures = [] {
    auto csv = node::ReadTextFile(std::string(HOSO_DATA_DIR) + "/catalogue-commune-2025.csv",
                                  "catalogue CSV");
    if (!csv.ok()) Die(csv.status().message());
    auto parsed = ParseCatalogueCsv(*csv);
    if (!parsed.ok()) Die(parsed.status().message());
    return std::move(*parsed);
  }();
  return procedures;
}

const Procedure& CatalogueProcedure(std::string_view code) {
  for (const auto& p : Catalogue()) {
    if (p.code == code) return p;
  }
  Die("the catalogue has no procedure " + std::string(code));
}

// Case i of the benchmark workload as a reception request of the local API, for one of the
// catalogue's procedures (one the post may carry when it comes by post), processed where it
// was received.
std::string ReceptionJson(const CaseWorkload& work, uint64_t i) {
  LocalWrite w = work.Reception(i);
  auto text = [&](const cbor::Value& m, const char* k) {
    const cbor::Value* v = m.Find(k);
    return v && v->is_text() ? v->str() : std::string();
  };
  const cbor::Value& app = *w.body.Find("applicant");
  std::string channel = text(w.body, "channel");
  std::vector<const Procedure*> fit;
  for (const auto& p : Catalogue()) {
    if (p.postal || channel != "postal") fit.push_back(&p);
  }
  const Procedure& proc = *fit[i % fit.size()];
  json::object req;
  req["officer"] = w.officer;
  req["procedure"] = proc.code;
  if (proc.competent == "residence") req["residence"] = work.Office(i);
  req["applicant"] = json::object{{"name", text(app, "name")},
                                  {"id_no", text(app, "id_no")},
                                  {"phone", text(app, "phone")},
                                  {"address", text(app, "address")}};
  req["channel"] = channel;
  if (channel == "postal") {
    req["return_by_post"] = true;
    req["return_address"] = text(app, "address");
  }
  json::array documents;
  for (size_t d = 0; d < proc.documents.size() && d < 2; ++d) {
    documents.push_back(json::object{{"name", proc.documents[d]}, {"kind", "original"}});
  }
  req["documents"] = std::move(documents);
  return json::serialize(req);
}

struct DemoTree {
  std::string units_file, root;
  std::vector<std::string> members, communes;  // members parents first; communes receive
  std::vector<UnitRecord> relays;              // added to the units, with their communes
  std::map<std::string, std::string> behind;   // commune -> relay
};

DemoTree TwoTier() {
  return {
      std::string(HOSO_DATA_DIR) + "/units-an-giang-2025.csv",
      "91",
      {"91", "883", "30307", "30316", "30325"},
      {"30307", "30316", "30325"},
      {{"883", "91", "Trạm chuyển tiếp Long Xuyên (máy chủ huyện cũ)", std::string(kRelayType)}},
      {{"30307", "883"}, {"30316", "883"}}};
}

DemoTree History2019() {
  return {std::string(HOSO_DATA_DIR) + "/units-an-giang.csv",
          "89",
          {"89", "883", "884", "30280", "30283", "30316"},
          {"30280", "30283", "30316"},
          {},
          {}};
}

// The procedure the routed case is for: processed by the citizen's commune of residence.
// Registered by the citizen's commune of residence, wherever it is received.
const Procedure& ResidenceProcedure() { return CatalogueProcedure("1.004222"); }

std::string StatusAt(tools::LocalNetwork& net, const std::string& unit, const std::string& code) {
  auto c = net.Call(unit, "GET", "/v1/cases/" + code);
  return c.ok() ? std::string(c->at("fields").at("status").as_string()) : "";
}

// Seconds until `unit` holds `code` at `status` (60 s at most, else the demo fails).
double Until(tools::LocalNetwork& net, const std::string& unit, const std::string& code,
             const std::string& status) {
  auto t0 = std::chrono::steady_clock::now();
  while (StatusAt(net, unit, code) != status) {
    if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(60)) {
      Die(code + " did not reach " + status + " at " + unit + " within 60 s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void Step(tools::LocalNetwork& net, const std::string& unit, const std::string& code,
          const std::string& status) {
  json::object step{{"officer", "nv.lan"}, {"status", status}};
  Check(net.Call(unit, "POST", "/v1/cases/" + code + "/steps", json::serialize(step)).status());
}

// A citizen of A applies at B's counter while A is offline; A processes it once back.
void RoutedCase(tools::LocalNetwork& net, const std::string& a, const std::string& b) {
  std::printf("\na citizen of %s applies at %s's counter while %s is offline:\n", a.c_str(),
              b.c_str(), a.c_str());
  auto stopped = net.Stop(a);
  if (!stopped.ok() || *stopped != 0) Die(a + " did not stop cleanly");
  json::object req{
      {"officer", "nv.lan"},
      {"procedure", ResidenceProcedure().code},
      {"residence", a},
      {"applicant", json::object{{"name", "Phan Thị Ngọc Hân"}}},
      {"channel", "counter"},
      {"documents", json::array{json::object{{"name", ResidenceProcedure().documents[0]},
                                             {"kind", "original"}}}}};
  auto received = net.Call(b, "POST", "/v1/cases", json::serialize(req));
  if (!received.ok()) Die(received.status().message());
  std::string code(received->at("code").as_string());
  std::string linked = LinkedCaseCode(a, code);
  double routed = Until(net, b, code, "forwarded");
  std::printf("  %s received at %s; routed by the province to %s as %s: %.2f s\n", code.c_str(),
              b.c_str(), a.c_str(), linked.c_str(), routed);
  Check(net.Start(a));
  double arrived = Until(net, a, linked, "forwarded");
  std::printf("  %s back online: it holds %s after %.2f s\n", a.c_str(), linked.c_str(), arrived);
  Step(net, a, linked, "processing");
  Step(net, a, linked, "result_ready");
  double result = Until(net, b, code, "result_ready");
  std::printf("  %s finished it: the result is ready at %s's counter after %.2f s\n", a.c_str(),
              b.c_str(), result);
  Step(net, b, code, "returned");
  double back = Until(net, a, linked, "returned");
  std::printf("  %s returned it to the citizen: %s shows it returned after %.2f s\n", b.c_str(),
              a.c_str(), back);
}

}  // namespace

int main(int argc, char** argv) {
  DemoTree tree = TwoTier();
  std::string units_file;
  std::string dir;
  uint64_t cases = 200;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--tree") {
      std::string t = value();
      if (t != "2025" && t != "2019") Die("--tree is 2025 (two tiers) or 2019 (three tiers)");
      tree = t == "2025" ? TwoTier() : History2019();
    } else if (a == "--units") {
      units_file = value();
    } else if (a == "--cases") {
      cases = std::stoull(value());
    } else if (a == "--dir") {
      dir = value();
    } else if (a == "--keep") {
      keep = true;
    } else if (a == "--help" || a == "-h") {
      std::printf(
          "Usage: hoso-demo [--tree 2025|2019] [--units FILE] [--cases N] [--dir DIR] "
          "[--keep]\n");
      return 0;
    } else {
      Die("unknown argument " + a + " (hoso-demo --help)");
    }
  }
  if (units_file.empty()) units_file = tree.units_file;
  auto csv = node::ReadTextFile(units_file, "units CSV");
  if (!csv.ok()) Die(csv.status().message());
  auto units = ParseUnitsCsv(*csv);
  if (!units.ok()) Die(units.status().message());
  for (auto& u : *units) {
    if (auto relay = tree.behind.find(u.code); relay != tree.behind.end()) u.parent = relay->second;
  }
  units->insert(units->end(), tree.relays.begin(), tree.relays.end());
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
  o.members = tree.members;
  o.node_binary = tools::ExecutableDir() + "/hoso-node";
  o.detach = keep;
  auto made = tools::LocalNetwork::Create(o);
  if (!made.ok()) Die(made.status().message());
  tools::LocalNetwork& net = **made;
  for (const auto& unit : o.members) Check(net.Start(unit));
  std::printf("hoso demo: CA and %zu nodes (hoso-node processes, TLS on loopback) in %s\n",
              o.members.size(), dir.c_str());
  Check(net.LoadDirectory());
  std::printf("the province loaded %zu units; every node received them by sync\n", units->size());
  // The communes' catalogue of procedures (the national database's, data/README.md) goes the
  // same way; due dates are computed from it and the working calendar.
  const std::vector<Procedure>& catalogue = Catalogue();
  auto loaded =
      net.Call(tree.root, "POST", "/v1/catalogue?officer=system", CatalogueCsv(catalogue));
  if (!loaded.ok()) Die(loaded.status().message());
  Check(net.WaitForEveryNode(
      [&](const std::string& unit) {
        auto c = net.Call(unit, "GET", "/v1/catalogue?limit=1");
        return c.ok() && c->at("total").to_number<size_t>() == catalogue.size();
      },
      "the catalogue", std::chrono::seconds(30)));
  std::printf("the province loaded %zu procedures into the catalogue; every node has them\n",
              catalogue.size());

  // The last commune goes offline; the communes keep receiving cases.
  const std::string offline = tree.communes.back();
  auto stopped = net.Stop(offline);
  if (!stopped.ok() || *stopped != 0) Die(offline + " did not stop cleanly");
  Check(net.Start(offline, /*online=*/false));
  std::printf("%s is offline (no upstream); receiving %llu cases at the communes\n",
              offline.c_str(), static_cast<unsigned long long>(cases));
  CaseWorkload work(7, tree.communes);
  auto t_receive = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < cases; ++i) {
    std::string office = work.Office(i);
    auto c = net.Call(office, "POST", "/v1/cases", ReceptionJson(work, i));
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
  std::printf("received %llu cases in %.2f s; bringing %s online\n",
              static_cast<unsigned long long>(cases), receive_s, offline.c_str());
  stopped = net.Stop(offline);
  if (!stopped.ok() || *stopped != 0) Die(offline + " did not stop cleanly");
  auto t0 = std::chrono::steady_clock::now();
  Check(net.Start(offline));
  Status converged = net.WaitConverged(std::chrono::seconds(60));
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (converged.ok() && tree.root == "91") {
    RoutedCase(net, tree.communes.front(), tree.communes.back());
    converged = net.WaitConverged(std::chrono::seconds(60));
  }

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
  std::printf("\nfingerprint of each commune's cases, at the commune and every node above it:\n");
  for (const std::string& commune : tree.communes) {
    auto own = net.Fingerprints(commune);
    if (!own.ok()) Die("reading fingerprints failed");
    std::string fp = (*own)[commune], above;
    bool same = true;
    for (std::string up = net.parent(commune); !up.empty(); up = net.parent(up)) {
      auto theirs = net.Fingerprints(up);
      if (!theirs.ok()) Die("reading fingerprints failed");
      same = same && (*theirs)[commune] == fp;
      above += (above.empty() ? "" : ", ") + up;
    }
    std::printf("  %-6s %s  %s (%s)\n", commune.c_str(), fp.substr(0, 16).c_str(),
                same ? "agree" : "DIFFER", above.c_str());
  }
  if (!converged.ok()) {
    std::printf("\n%s\n", converged.message().c_str());
  } else {
    std::printf("\nconverged in %.2f s after %s came online\n", secs, offline.c_str());
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
        "Try: build/bin/hoso case list --dir %s/nodes/%s\n"
        "Stop them with: kill $(cat %s/nodes/*/run.json | sed 's/.*\"pid\":\\([0-9]*\\).*/\\1/')\n",
        dir.c_str(), tree.communes.front().c_str(), dir.c_str());
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
