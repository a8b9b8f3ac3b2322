// hoso ca init|issue|revoke|list: the province's certificate authority, kept offline (the
// keys, certificates, CRL and issued list of tools/provision.h).
#include <cstdio>
#include <set>
#include <sstream>

#include "node/daemon.h"
#include "node/json.h"
#include "tools/cli/commands.h"
#include "tools/cli/output.h"
#include "tools/provision.h"

namespace hoso::cli {

namespace json = boost::json;

int CaInitCmd(const Args& a) {
  bool ok;
  int years = static_cast<int>(ParseNumber(a.Get("years", "10"), &ok));
  if (!ok || years < 1 || years > 50) return Fail(kUsage, "--years must be 1 to 50");
  Status s = tools::CaInit(a.Get("ca"), a.Get("root"), years);
  if (!s.ok()) return FromStatus(s);
  if (a.json) {
    PrintJson(json::object{{"ca", a.Get("ca")}, {"root", a.Get("root")}});
  } else {
    std::printf(
        "CA for root unit %s made in %s:\n  ca.pem   the CA certificate (give it to every "
        "node)\n  ca.key   the CA key: keep it offline, mode 0600\n  crl.pem  the revocation "
        "list\n  web-ca.pem, web-ca.key  the web root of the nodes' HTTPS (hoso cert web); "
        "office browsers trust web-ca.pem once\nNext: hoso ca issue --ca %s --unit UNIT --out "
        "BUNDLE_DIR\n",
        a.Get("root").c_str(), a.Get("ca").c_str(), a.Get("ca").c_str());
  }
  return kOk;
}

int CaIssueCmd(const Args& a) {
  bool ok_epoch, ok_years;
  uint64_t epoch = ParseNumber(a.Get("epoch", "1"), &ok_epoch);
  int years = static_cast<int>(ParseNumber(a.Get("years", "3"), &ok_years));
  if (!ok_epoch || epoch == 0) return Fail(kUsage, "--epoch must be a number from 1");
  if (!ok_years || years < 1 || years > 20) return Fail(kUsage, "--years must be 1 to 20");
  if (a.Has("root-node") && a.Has("no-system")) {
    return Fail(kUsage, "give --root-node DIR or --no-system, not both");
  }
  auto root = tools::CaRootUnit(a.Get("ca"));
  if (!root.ok()) return FromStatus(root.status());
  const bool is_root = a.Get("unit") == *root;
  // The office's set-up bundle: the root node's system channels, fetched before anything is
  // written, so a root that does not answer leaves the CA and BUNDLE as they were.
  tools::SystemBundle system;
  if (!is_root && !a.Has("no-system")) {
    if (!a.Has("root-node")) {
      return Fail(kUsage,
                  "give --root-node DIR, the root node " + *root +
                      "'s data directory: its system channels (directory, catalogue, calendar, "
                      "revocations) go into the bundle so the office receives cases before its "
                      "first sync; or --no-system to issue without them. Nothing was written");
    }
    auto fetched = tools::FetchSystemBundle(a.Get("ca"), a.Get("root-node"));
    if (!fetched.ok()) {
      const bool down = fetched.status().code() == Code::kIOError;
      std::string why = fetched.status().message() +
                        "\nNo certificate was issued and nothing was written." +
                        (down ? " Start the root node and run this again, or give --no-system "
                                "(the office then refuses cases until its first sync)."
                              : "");
      return Fail(down ? kUnreachable : kFailed, why);
    }
    system = std::move(fetched).value();
  }
  auto issued =
      tools::CaIssue(a.Get("ca"), a.Get("unit"), epoch, a.Get("out"), years, system.bytes);
  if (!issued.ok()) return FromStatus(issued.status());
  json::array channels;
  for (const auto& c : system.channels) channels.push_back(json::value(c));
  if (a.json) {
    PrintJson(json::object{{"serial", issued->serial},
                           {"unit", issued->unit},
                           {"epoch", issued->epoch},
                           {"bundle", a.Get("out")},
                           {"system_channels", std::move(channels)},
                           {"system_events", system.events}});
    return kOk;
  }
  std::printf("certificate %llu for unit %s epoch %llu in %s (node.pem, node.key, ca.pem, crl.pem",
              static_cast<unsigned long long>(issued->serial), issued->unit.c_str(),
              static_cast<unsigned long long>(issued->epoch), a.Get("out").c_str());
  if (!system.bytes.empty()) {
    std::string names;
    for (const auto& c : system.channels) names += (names.empty() ? "" : ", ") + c;
    std::printf(", system.bundle: %llu events of %s from the root node)\n",
                static_cast<unsigned long long>(system.events), names.c_str());
  } else if (is_root) {
    std::printf(")\nThe root node writes the system channels itself (hoso directory load).\n");
  } else {
    std::printf(
        ")\nWithout system channels (--no-system): the office refuses cases until its first "
        "sync.\n");
  }
  std::printf("Next, on the office's machine: hoso init --dir DATA_DIR --tls %s --root %s ...\n",
              a.Get("out").c_str(), root->c_str());
  return kOk;
}

int CaRevokeCmd(const Args& a) {
  uint64_t serial = 0;
  bool ok = false;
  if (a.Has("serial")) {
    serial = ParseNumber(a.Get("serial"), &ok);
    if (!ok) return Fail(kUsage, "--serial must be a number");
  } else if (a.Has("unit")) {
    bool ok_epoch;
    uint64_t epoch = ParseNumber(a.Get("epoch", "1"), &ok_epoch);
    if (!ok_epoch) return Fail(kUsage, "--epoch must be a number");
    auto issued = tools::CaIssued(a.Get("ca"));
    if (!issued.ok()) return FromStatus(issued.status());
    for (const auto& i : *issued) {
      if (i.unit == a.Get("unit") && i.epoch == epoch) serial = i.serial;
    }
    if (!serial) {
      return Fail(kNotFound, "no certificate was issued for " + a.Get("unit") + " epoch " +
                                 std::to_string(epoch));
    }
  } else {
    return Fail(kUsage, "give --serial N, or --unit U [--epoch E] (see hoso ca revoke --help)");
  }
  auto crl = tools::CaRevoke(a.Get("ca"), serial);
  if (!crl.ok()) return FromStatus(crl.status());
  if (a.json) {
    PrintJson(json::object{{"revoked", serial}, {"crl", *crl}});
  } else {
    std::printf(
        "serial %llu revoked. Copy %s to every node's tls/crl.pem and send it SIGHUP\n"
        "(systemctl reload hoso-node).\n",
        static_cast<unsigned long long>(serial), crl->c_str());
  }
  return kOk;
}

int CaListCmd(const Args& a) {
  auto issued = tools::CaIssued(a.Get("ca"));
  if (!issued.ok()) return FromStatus(issued.status());
  auto revoked_text = node::ReadTextFile(a.Get("ca") + "/revoked", "revoked list");
  std::set<uint64_t> revoked;
  if (revoked_text.ok()) {
    std::istringstream in(*revoked_text);
    uint64_t s;
    while (in >> s) revoked.insert(s);
  }
  json::array list;
  if (!a.json) std::printf("%-7s %-8s %-6s %-20s %s\n", "serial", "unit", "epoch", "not after", "");
  for (const auto& i : *issued) {
    bool r = revoked.count(i.serial) > 0;
    list.push_back(json::object{{"serial", i.serial},
                                {"unit", i.unit},
                                {"epoch", i.epoch},
                                {"not_after", node::FormatTime(i.not_after * 1000)},
                                {"revoked", r}});
    if (!a.json) {
      std::printf("%-7llu %-8s %-6llu %-20s %s\n", static_cast<unsigned long long>(i.serial),
                  i.unit.c_str(), static_cast<unsigned long long>(i.epoch),
                  node::FormatTime(i.not_after * 1000).substr(0, 10).c_str(), r ? "revoked" : "");
    }
  }
  if (a.json) PrintJson(list);
  return kOk;
}

}  // namespace hoso::cli
