// hoso: the command line of a hoso deployment (docs/cli.md).
//
//   hoso ca init|issue|revoke|list    the province's CA (keys, certificates, CRL)
//   hoso cert web                     a node API's HTTPS certificate (tools/web_cert.h)
//   hoso init                         a node's data directory and config
//   hoso directory load|show          the units tree (root node only for load)
//   hoso case new|step|show|list      cases, through a running node's local API
//   hoso sync status, hoso node status
//
// Every command takes --help; --json prints the machine-readable result on stdout.
// Exit codes: 0 done, 1 refused or failed (the message says why), 2 bad command line,
// 3 the node's API does not answer, 4 not found, 5 the audit found something.
#include <charconv>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/domain/case_log.h"
#include "core/audit/audit.h"
#include "core/format/certificate.h"
#include "core/domain/reference_data.h"
#include "core/audit/replay.h"
#include "core/log/store.h"
#include "core/base/text.h"
#include "node/config.h"
#include "node/daemon.h"
#include "node/json.h"
#include "node/officers.h"
#include "sync/bundle.h"
#include "sync/receipt.h"
#include "tools/api_client.h"
#include "tools/catalogue_gen.h"
#include "tools/provision.h"
#include "tools/web_cert.h"

using namespace hoso;
namespace json = boost::json;

namespace {

enum Exit { kOk = 0, kFailed = 1, kUsage = 2, kUnreachable = 3, kNotFound = 4, kFindings = 5 };

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> flags;
  bool json = false;

  bool Has(const std::string& f) const { return flags.count(f) > 0; }
  std::string Get(const std::string& f, const std::string& fallback = "") const {
    auto it = flags.find(f);
    return it == flags.end() ? fallback : it->second.back();
  }
};

struct Command {
  std::string name;  // "case new"
  std::string synopsis;
  std::string help;
  std::set<std::string> value_flags;
  std::set<std::string> bool_flags;
  std::set<std::string> required;
  size_t min_positional = 0, max_positional = 0;
  std::function<int(const Args&)> run;
};

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "hoso: %s\n", message.c_str());
  return code;
}

int FromStatus(const Status& s) {
  int code = s.code() == Code::kNotFound ? kNotFound : kFailed;
  return Fail(code, s.message());
}

void PrintJson(const json::value& v) { std::printf("%s\n", json::serialize(v).c_str()); }

// Dates for people: local time of Vietnam (+07:00), "2026-11-26 16:30".
std::string Local(const json::value& v) {
  if (!v.is_string()) return "";
  auto ms = node::ParseTime(std::string(v.get_string()));
  if (!ms.ok()) return std::string(v.get_string());
  time_t secs = static_cast<time_t>(*ms / 1000 + 7 * 3600);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

// A field of a node's answer for the terminal: whatever a peer put in it (an error message, a
// unit name) is printed with its control characters escaped.
std::string Str(const json::object& o, const char* k) {
  auto it = o.find(k);
  if (it == o.end()) return "";
  if (it->value().is_string()) return ForTerminal(it->value().get_string());
  if (it->value().is_null()) return "";
  return json::serialize(it->value());
}

// The node's data directory: --dir, else $HOSO_DIR, else the current directory.
std::string NodeDirOf(const Args& a) {
  if (a.Has("dir") && !a.Get("dir").empty()) return a.Get("dir");
  const char* env = std::getenv("HOSO_DIR");
  return env && *env ? env : ".";
}

// Calls the node whose data directory is --dir (default $HOSO_DIR, else "."). On success
// *out holds the parsed reply; otherwise returns the exit code after printing why.
int CallNode(const Args& a, const std::string& method, const std::string& target,
             const std::string& body, json::value* out,
             const std::string& content_type = "application/json") {
  std::string dir = NodeDirOf(a);
  auto client = tools::ApiClient::ForNode(dir, a.Get("api-ca"));
  if (!client.ok()) return Fail(kFailed, client.status().message());
  auto reply = client->Call(method, target, body, content_type);
  if (!reply.ok()) return Fail(kUnreachable, reply.status().message());
  if (!reply->warning.empty()) std::fprintf(stderr, "hoso: warning: %s\n", reply->warning.c_str());
  auto parsed = node::ParseJson(reply->body);
  if (reply->status >= 400) {
    if (a.json) std::printf("%s", reply->body.c_str());
    std::string why = reply->body;
    if (parsed.ok() && parsed->is_object()) {
      const auto& o = parsed->as_object();
      why = Str(o, "reason");
      if (!Str(o, "field").empty()) why = Str(o, "field") + ": " + why;
      if (!Str(o, "message").empty()) why += "\n      " + Str(o, "message");
    }
    return Fail(reply->status == 404 ? kNotFound : kFailed,
                "the node refused (HTTP " + std::to_string(reply->status) + "): " + why);
  }
  if (!parsed.ok()) return Fail(kFailed, "the node answered something that is not JSON");
  *out = std::move(parsed).value();
  return kOk;
}

uint64_t ParseNumber(const std::string& s, bool* ok) {
  uint64_t v = 0;
  *ok = !s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 19;
  if (*ok) v = std::stoull(s);
  return v;
}

// ---- ca

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
  auto issued = tools::CaIssue(a.Get("ca"), a.Get("unit"), epoch, a.Get("out"), years);
  if (!issued.ok()) return FromStatus(issued.status());
  if (a.json) {
    PrintJson(json::object{{"serial", issued->serial},
                           {"unit", issued->unit},
                           {"epoch", issued->epoch},
                           {"bundle", a.Get("out")}});
  } else {
    std::printf(
        "certificate %llu for unit %s epoch %llu in %s (node.pem, node.key, ca.pem, crl.pem)\n"
        "Next, on the office's machine: hoso init --dir DATA_DIR --tls %s --root ROOT ...\n",
        static_cast<unsigned long long>(issued->serial), issued->unit.c_str(),
        static_cast<unsigned long long>(issued->epoch), a.Get("out").c_str(), a.Get("out").c_str());
  }
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

// ---- init

int InitCmd(const Args& a) {
  node::NodeConfig config;
  config.dir = a.Get("dir");
  for (const auto& [flag, values] : a.flags) {
    if (flag == "dir" || flag == "tls") continue;
    for (const auto& v : values) {
      Status s = node::SetOption(&config, flag, v, "--" + flag);
      if (!s.ok()) return Fail(kUsage, s.message());
    }
  }
  Status s = tools::InitNode(config, a.Get("tls"));
  if (!s.ok()) return FromStatus(s);
  for (const auto& u : config.upstream) {
    if (u.find('@') == std::string::npos) {
      std::fprintf(stderr, "hoso: warning: upstream %s is not pinned: write it UNIT@%s\n",
                   u.c_str(), u.c_str());
    }
  }
  if (a.json) {
    PrintJson(json::object{{"dir", config.dir}});
  } else {
    std::printf(
        "node data directory %s made: hoso.conf, api-token (0600), tls/\n"
        "Start it with: hoso-node --dir %s   (or the systemd unit, docs/operations.md)\n",
        config.dir.c_str(), config.dir.c_str());
  }
  return kOk;
}

int BackupCmd(const Args& a) {
  std::string out = std::filesystem::absolute(a.Get("out")).lexically_normal().string();
  json::value reply;
  if (int rc = CallNode(a, "POST", "/v1/backup?dir=" + tools::UrlEncode(out), "", &reply);
      rc != kOk) {
    return rc;
  }
  if (a.json) {
    PrintJson(reply);
  } else {
    std::printf(
        "backup of %s cases written to %s (a RocksDB checkpoint; copy it off the machine)\n",
        Str(reply.as_object(), "cases").c_str(), out.c_str());
  }
  return kOk;
}

int RestoreCmd(const Args& a) {
  Status s = tools::RestoreNode(a.Get("dir"), a.Get("from"), a.Get("tls"));
  if (!s.ok()) return FromStatus(s);
  if (a.json) {
    PrintJson(json::object{{"dir", a.Get("dir")}, {"from", a.Get("from")}});
  } else {
    std::printf(
        "restored %s from %s with the new certificate. Start the node: it learns what it wrote "
        "after the backup from its upstream.\n",
        a.Get("dir").c_str(), a.Get("from").c_str());
  }
  return kOk;
}

// ---- audit

struct AuditTarget {
  std::unique_ptr<Store> store;
  std::string ca_pem, crl_pem;
  std::string db;
  std::string secondary;  // scratch directory of the secondary instance
  ~AuditTarget() {
    store.reset();
    std::error_code ec;
    if (!secondary.empty()) std::filesystem::remove_all(secondary, ec);
  }
};

// --data is a node's data directory (its hoso.conf names the db and the CA) or a store
// itself (a backup); opened read-only as a secondary instance, so the node may keep running.
Status OpenForAudit(const Args& a, AuditTarget* t) {
  std::string data = a.Get("data");
  std::string ca_file = a.Get("ca"), crl_file = a.Get("crl");
  t->db = data;
  if (std::filesystem::exists(data + "/hoso.conf")) {
    auto config = node::LoadNodeConfig({"--dir", data});
    if (!config.ok()) return config.status();
    t->db = config->Path(config->db);
    if (ca_file.empty()) ca_file = config->Path(config->ca);
    if (crl_file.empty() && std::filesystem::exists(config->Path(config->crl))) {
      crl_file = config->Path(config->crl);
    }
  }
  if (!std::filesystem::exists(t->db + "/CURRENT")) {
    return Status::NotFound(t->db +
                            " holds no case log (give a node's data directory or a backup)");
  }
  if (!ca_file.empty()) {
    HOSO_ASSIGN_OR_RETURN(t->ca_pem, node::ReadTextFile(ca_file, "CA certificate"));
  }
  if (!crl_file.empty()) {
    HOSO_ASSIGN_OR_RETURN(t->crl_pem, node::ReadTextFile(crl_file, "CRL"));
  }
  std::string scratch = (std::filesystem::temp_directory_path() / "hoso-audit-XXXXXX").string();
  if (!mkdtemp(scratch.data())) return Status::IOError("cannot create a temporary directory");
  t->secondary = scratch;
  StoreOptions o;
  o.path = t->db;
  o.read_only = true;
  o.secondary_path = scratch;
  o.enforce_scope = false;
  UseCaseLogRules(&o);
  auto store = Store::Open(o);
  if (!store.ok()) return store.status();
  t->store = std::move(store).value();
  return Status::Ok();
}

// A vector file (hoso vector): what a node holds, so an export sends only the rest.
//   {"unit": tstr, "streams": [{"channel", "origin", "epoch", "seq"}]}
Result<VersionVector> ReadVectorFile(const std::string& path) {
  HOSO_ASSIGN_OR_RETURN(std::string text, node::ReadTextFile(path, "vector file"));
  auto v = node::ParseJson(text);
  if (!v.ok() || !v->is_object() || !v->as_object().contains("streams") ||
      !v->at("streams").is_array()) {
    return Status::InvalidArgument(path + " is not a vector file (make one with hoso vector)");
  }
  VersionVector out;
  for (const auto& s : v->at("streams").as_array()) {
    const auto* o = s.if_object();
    if (!o || !o->contains("channel") || !o->contains("origin") || !o->contains("epoch") ||
        !o->contains("seq") || !o->at("channel").is_string() || !o->at("origin").is_string() ||
        !o->at("epoch").is_number() || !o->at("seq").is_number()) {
      return Status::InvalidArgument(path + ": a stream entry lacks channel, origin, epoch or seq");
    }
    StreamKey k{std::string(o->at("channel").as_string()), std::string(o->at("origin").as_string()),
                o->at("epoch").to_number<uint64_t>()};
    out[k].seq = o->at("seq").to_number<uint64_t>();
  }
  return out;
}

int VectorCmd(const Args& a) {
  AuditTarget t;
  if (Status s = OpenForAudit(a, &t); !s.ok()) return FromStatus(s);
  json::array streams;
  for (const auto& [k, h] : t.store->Vector([](const std::string&) { return true; })) {
    streams.push_back(json::object{
        {"channel", k.channel}, {"origin", k.origin}, {"epoch", k.epoch}, {"seq", h.seq}});
  }
  const auto& id = t.store->options().identity;
  json::object out{{"unit", id ? id->unit : ""}, {"streams", std::move(streams)}};
  std::string text = json::serialize(out) + "\n";
  if (Status s = tools::WriteFileAtomic(a.Get("out"), text); !s.ok()) return FromStatus(s);
  if (!a.json) {
    std::printf("%zu streams written to %s; give it to the office that exports for you\n",
                out.at("streams").as_array().size(), a.Get("out").c_str());
  } else {
    PrintJson(out);
  }
  return kOk;
}

int ExportCmd(const Args& a) {
  VersionVector since;
  if (a.Has("since")) {
    auto v = ReadVectorFile(a.Get("since"));
    if (!v.ok()) return FromStatus(v.status());
    since = std::move(v).value();
  }
  AuditTarget t;
  if (Status s = OpenForAudit(a, &t); !s.ok()) return FromStatus(s);
  sync::BundleSummary sum;
  auto bundle = sync::ExportBundle(*t.store, a.Get("scope"), since, &sum);
  if (!bundle.ok()) return FromStatus(bundle.status());
  // A bundle holds the scope's personal data: readable by its owner only.
  if (Status s = tools::WriteFileAtomic(a.Get("out"), *bundle, 0600); !s.ok()) {
    return FromStatus(s);
  }
  if (a.json) {
    PrintJson(json::object{{"out", a.Get("out")},
                           {"bytes", bundle->size()},
                           {"streams", sum.streams},
                           {"batches", sum.batches},
                           {"events", sum.events},
                           {"origins", sum.origins}});
  } else {
    std::printf("%llu events of %llu streams for scope %s written to %s (%zu bytes)\n",
                static_cast<unsigned long long>(sum.events),
                static_cast<unsigned long long>(sum.streams), a.Get("scope").c_str(),
                a.Get("out").c_str(), bundle->size());
  }
  return kOk;
}

int ImportCmd(const Args& a) {
  auto bytes = node::ReadTextFile(a.positional[0], "bundle");
  if (!bytes.ok()) return FromStatus(bytes.status());
  json::value out;
  if (int rc = CallNode(a, "POST", "/v1/bundle", *bytes, &out, "application/cbor-seq"); rc != kOk) {
    return rc;
  }
  const auto& o = out.as_object();
  if (a.json) {
    PrintJson(out);
  } else {
    std::printf("bundle of scope %s from %s (%s): %s events applied, %s already held\n",
                Str(o, "scope").c_str(), Str(o, "exporter").c_str(), Local(o.at("created")).c_str(),
                Str(o, "applied").c_str(), Str(o, "duplicates").c_str());
    for (const auto& r : o.at("refused").as_array()) {
      std::printf("  refused: %s\n", std::string(r.as_string()).c_str());
    }
  }
  return o.at("refused").as_array().empty() ? kOk : kFailed;
}

int VerifyBundleFile(const Args& a) {
  auto bytes = node::ReadTextFile(a.positional[0], "bundle");
  if (!bytes.ok()) return FromStatus(bytes.status());
  std::string ca, crl;
  if (a.Has("ca")) {
    auto c = node::ReadTextFile(a.Get("ca"), "CA certificate");
    if (!c.ok()) return FromStatus(c.status());
    ca = *c;
  }
  if (a.Has("crl")) {
    auto c = node::ReadTextFile(a.Get("crl"), "CRL");
    if (!c.ok()) return FromStatus(c.status());
    crl = *c;
  }
  if (ca.empty()) return Fail(kUsage, "verifying a bundle needs the deployment's CA: --ca FILE");
  sync::BundleSummary sum;
  auto problems = sync::VerifyBundle(
      *bytes,
      [&](const sync::OriginMsg& o) {
        return sync::CheckOriginCertificate(o, ca, crl, SystemClock::Default()->NowMs() / 1000);
      },
      &sum);
  if (!problems.ok()) {
    if (a.json) {
      PrintJson(json::object{{"ok", false},
                             {"findings", json::array{json::value(problems.status().message())}}});
    }
    std::fprintf(stderr, "hoso: %s\n", problems.status().message().c_str());
    return kFindings;
  }
  json::array findings;
  for (const auto& p : *problems) findings.push_back(json::value(p));
  if (a.json) {
    PrintJson(json::object{{"ok", problems->empty()},
                           {"scope", sum.scope},
                           {"exporter", sum.exporter},
                           {"streams", sum.streams},
                           {"events", sum.events},
                           {"origins", sum.origins},
                           {"findings", std::move(findings)}});
  } else {
    std::printf(
        "bundle of scope %s from %s: %llu streams, %llu events, %llu origins\n", sum.scope.c_str(),
        sum.exporter.c_str(), static_cast<unsigned long long>(sum.streams),
        static_cast<unsigned long long>(sum.events), static_cast<unsigned long long>(sum.origins));
    for (const auto& p : *problems) std::printf("  %s\n", p.c_str());
    std::printf(problems->empty() ? "no findings\n" : "%zu finding(s)\n", problems->size());
  }
  return problems->empty() ? kOk : kFindings;
}

int AuditVerifyCmd(const Args& a) {
  if (!a.positional.empty()) {
    if (a.Has("data")) return Fail(kUsage, "give --data DIR or a bundle FILE, not both");
    return VerifyBundleFile(a);
  }
  if (!a.Has("data")) return Fail(kUsage, "give --data DIR (a store) or a bundle FILE");
  AuditTarget t;
  if (Status s = OpenForAudit(a, &t); !s.ok()) return FromStatus(s);
  AuditOptions options;
  options.ca_pem = t.ca_pem;
  options.crl_pem = t.crl_pem;
  options.check_states = !a.Has("no-states");
  auto start = std::chrono::steady_clock::now();
  auto report = AuditStore(*t.store, options);
  if (!report.ok()) return FromStatus(report.status());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const AuditReport& r = *report;
  json::array notes;
  for (const auto& n : r.notes) notes.push_back(json::value(n));
  if (a.json) {
    json::array findings;
    for (const auto& f : r.findings) {
      json::object o{{"kind", f.kind}, {"message", f.message}};
      if (!f.stream.channel.empty() || !f.stream.origin.empty()) {
        o["stream"] = json::object{
            {"channel", f.stream.channel}, {"origin", f.stream.origin}, {"epoch", f.stream.epoch}};
      }
      if (f.seq) o["seq"] = f.seq;
      if (!f.case_code.empty()) o["case"] = f.case_code;
      findings.push_back(std::move(o));
    }
    PrintJson(json::object{{"store", t.db},
                           {"ok", r.ok()},
                           {"certificates_checked", !t.ca_pem.empty()},
                           {"states_checked", options.check_states},
                           {"channels", r.channels},
                           {"streams", r.streams},
                           {"events", r.events},
                           {"signatures", r.signatures},
                           {"origins", r.origins},
                           {"cases", r.cases},
                           {"seconds", secs},
                           {"findings", std::move(findings)},
                           {"notes", std::move(notes)}});
  } else {
    std::printf(
        "audited %s: %llu channels, %llu streams, %llu events, %llu signatures, "
        "%llu origins, %llu cases in %.2f s\n",
        t.db.c_str(), static_cast<unsigned long long>(r.channels),
        static_cast<unsigned long long>(r.streams), static_cast<unsigned long long>(r.events),
        static_cast<unsigned long long>(r.signatures), static_cast<unsigned long long>(r.origins),
        static_cast<unsigned long long>(r.cases), secs);
    if (t.ca_pem.empty()) {
      std::printf("certificates NOT checked: no CA given (--ca FILE)\n");
    }
    for (const auto& f : r.findings) {
      std::string where =
          f.stream.channel.empty() && f.stream.origin.empty() ? "" : " " + f.stream.ToString();
      if (f.seq) where += " seq " + std::to_string(f.seq);
      if (!f.case_code.empty()) where += " case " + f.case_code;
      std::printf("  %-11s%s: %s\n", f.kind.c_str(), where.c_str(), f.message.c_str());
    }
    for (const auto& n : r.notes) std::printf("  note: %s\n", n.c_str());
    std::printf(r.ok() ? "no findings: every chain, signature, certificate, write rule and "
                         "state checks out\n"
                       : "%zu finding(s)\n",
                r.findings.size());
  }
  return r.ok() ? kOk : kFindings;
}

int AuditReceiptsCmd(const Args& a) {
  AuditTarget t;
  if (Status s = OpenForAudit(a, &t); !s.ok()) return FromStatus(s);
  json::array list;
  size_t bad = 0;
  for (const auto& stored : t.store->Receipts()) {
    std::string problem;
    auto r = sync::DecodeReceipt(stored.body);
    auto key = t.store->OriginKey(stored.holder, stored.holder_epoch);
    if (!r.ok()) {
      problem = r.status().message();
    } else if (!key.ok()) {
      problem = "no key for the holder " + stored.holder;
    } else if (!sync::VerifyReceipt(stored.body, stored.signature, *key).ok()) {
      problem = "the signature does not verify";
    } else if (!t.ca_pem.empty()) {
      std::string cert = t.store->OriginCertificate(stored.holder, stored.holder_epoch);
      auto info = VerifyNodeCertificate(cert, t.ca_pem, t.crl_pem, stored.at_ms / 1000);
      if (!info.ok()) {
        problem = "the holder's certificate: " + info.status().message();
      } else if (info->public_key != *key) {
        problem = "the holder's certificate carries another key";
      }
    }
    bad += !problem.empty();
    json::array heads;
    if (r.ok()) {
      for (const auto& [stream, head] : r->heads) {
        heads.push_back(json::object{{"channel", stream.channel},
                                     {"origin", stream.origin},
                                     {"epoch", stream.epoch},
                                     {"seq", head.seq},
                                     {"id", Hex(head.id)}});
      }
    }
    json::object o{{"holder", stored.holder},
                   {"holder_epoch", stored.holder_epoch},
                   {"at", node::FormatTime(stored.at_ms)},
                   {"verified", problem.empty()},
                   {"heads", std::move(heads)}};
    if (!problem.empty()) o["problem"] = problem;
    list.push_back(std::move(o));
  }
  if (a.json) {
    PrintJson(json::object{{"receipts", list}, {"ok", bad == 0}});
  } else {
    for (const auto& x : list) {
      const auto& o = x.as_object();
      std::printf(
          "%s  held by %s#%s  %s\n", Local(o.at("at")).c_str(), Str(o, "holder").c_str(),
          Str(o, "holder_epoch").c_str(),
          o.at("verified").as_bool() ? "verified" : ("NOT VERIFIED: " + Str(o, "problem")).c_str());
      for (const auto& h : o.at("heads").as_array()) {
        std::printf("    %s/%s#%s up to seq %s\n", Str(h.as_object(), "channel").c_str(),
                    Str(h.as_object(), "origin").c_str(), Str(h.as_object(), "epoch").c_str(),
                    Str(h.as_object(), "seq").c_str());
      }
    }
    std::printf("%zu receipt(s), %zu not verified%s\n", list.size(), bad,
                t.ca_pem.empty() ? " (certificates not checked: no CA)" : "");
  }
  return bad == 0 ? kOk : kFindings;
}

int64_t AsOf(const Args& a, int* rc) {
  if (!a.Has("as-of")) return INT64_MAX / 2;
  auto t = node::ParseTime(a.Get("as-of"));
  if (!t.ok()) *rc = Fail(kUsage, "--as-of: " + t.status().message());
  return t.ok() ? *t : 0;
}

int AuditReplayCmd(const Args& a) {
  if (a.Has("case") == a.Has("scope")) {
    return Fail(kUsage, "give --case CODE or --scope UNIT (hoso audit replay --help)");
  }
  int rc = kOk;
  int64_t as_of = AsOf(a, &rc);
  if (rc != kOk) return rc;
  if (a.Has("scope") && !a.Has("as-of")) as_of = SystemClock::Default()->NowMs();
  AuditTarget t;
  if (Status s = OpenForAudit(a, &t); !s.ok()) return FromStatus(s);
  if (a.Has("scope")) {
    auto r = ReplayScope(*t.store, a.Get("scope"), as_of);
    if (!r.ok()) return FromStatus(r.status());
    json::object by_status;
    for (const auto& [s, n] : r->by_status) by_status[s] = n;
    if (a.json) {
      json::array channels;
      for (const auto& [c, fp] : r->channels) {
        channels.push_back(json::object{{"channel", c}, {"fingerprint", Hex(fp)}});
      }
      PrintJson(json::object{{"scope", a.Get("scope")},
                             {"as_of", node::FormatTime(as_of)},
                             {"cases", r->cases},
                             {"events", r->events},
                             {"by_status", by_status},
                             {"fingerprint", Hex(r->fingerprint)},
                             {"channels", std::move(channels)}});
    } else {
      std::printf("scope %s as of %s: %llu cases (%llu events)\n", a.Get("scope").c_str(),
                  Local(json::value(node::FormatTime(as_of))).c_str(),
                  static_cast<unsigned long long>(r->cases),
                  static_cast<unsigned long long>(r->events));
      for (const auto& [s, n] : r->by_status) {
        std::printf("  %-22s %llu\n", s.c_str(), static_cast<unsigned long long>(n));
      }
      std::printf("fingerprint %s\n", Hex(r->fingerprint).c_str());
    }
    return kOk;
  }
  auto r = ReplayCase(*t.store, a.Get("case"), as_of);
  if (!r.ok()) return FromStatus(r.status());
  json::array steps;
  for (const auto& s : r->steps) {
    json::array opened, resolved;
    for (const auto& f : s.conflicts_opened) opened.push_back(json::value(f));
    for (const auto& f : s.conflicts_resolved) resolved.push_back(json::value(f));
    steps.push_back(json::object{{"at", node::FormatTime(static_cast<int64_t>(s.event.hlc >> 16))},
                                 {"office", s.event.stream.origin},
                                 {"epoch", s.event.stream.epoch},
                                 {"seq", s.event.seq},
                                 {"officer", s.event.officer},
                                 {"type", s.event.type},
                                 {"changes", node::CborToJson(s.event.body)},
                                 {"conflicts_opened", std::move(opened)},
                                 {"conflicts_resolved", std::move(resolved)},
                                 {"recorded_before_deps", s.recorded_before_deps},
                                 {"id", Hex(s.id)}});
  }
  json::object state;
  for (const auto& f : r->state.fields()) {
    if (const LiveWrite* w = r->state.Winner(f)) {
      auto v = cbor::Decode(w->value);
      state[f.name] = v.ok() ? node::CborToJson(*v) : json::value(nullptr);
    }
  }
  json::array conflicts;
  for (const auto* f : r->state.Conflicts()) conflicts.push_back(json::value(f->name));
  if (a.json) {
    PrintJson(json::object{
        {"case", a.Get("case")},
        {"as_of", a.Has("as-of") ? json::value(node::FormatTime(as_of)) : json::value(nullptr)},
        {"steps", std::move(steps)},
        {"state", std::move(state)},
        {"conflicts", std::move(conflicts)},
        {"later_events", r->later_events},
        {"fingerprint", Hex(r->state.Fingerprint())}});
    return kOk;
  }
  std::printf("Hồ sơ %s%s\n", a.Get("case").c_str(),
              a.Has("as-of")
                  ? (" tại thời điểm " + Local(json::value(node::FormatTime(as_of)))).c_str()
                  : "");
  for (const auto& s : steps) {
    const auto& o = s.as_object();
    std::string changes;
    for (const auto& [k, v] : o.at("changes").as_object()) {
      if (k == "applicant" || k == "documents" || k == "return_address") {
        changes += std::string(k) + " ";
        continue;  // personal data stays in `case show`
      }
      changes += std::string(k) + "=" +
                 (v.is_string() ? std::string(v.get_string()) : json::serialize(v)) + " ";
    }
    std::printf("  %s  %-6s %-10s %-14s %s\n", Local(o.at("at")).c_str(), Str(o, "office").c_str(),
                Str(o, "officer").c_str(), Str(o, "type").c_str(), changes.c_str());
    if (o.at("recorded_before_deps").as_bool()) {
      std::printf("      thời điểm ghi sớm hơn bước mà nó dựa vào (đồng hồ máy sai?)\n");
    }
    for (const auto& f : o.at("conflicts_opened").as_array()) {
      std::printf("      xung đột mở: %s\n", std::string(f.as_string()).c_str());
    }
    for (const auto& f : o.at("conflicts_resolved").as_array()) {
      std::printf("      xung đột đã giải quyết: %s\n", std::string(f.as_string()).c_str());
    }
  }
  std::printf("Trạng thái: %s", r->state.TextOr("status", "").c_str());
  if (!conflicts.empty()) std::printf(" (còn %zu xung đột)", conflicts.size());
  if (r->later_events) std::printf("; %zu sự kiện sau thời điểm này", r->later_events);
  std::printf("\nfingerprint %s\n", Hex(r->state.Fingerprint()).c_str());
  return kOk;
}

// ---- catalogue and calendar

int CatalogueGenerateCmd(const Args& a) {
  bool ok_count, ok_seed;
  uint64_t count = ParseNumber(a.Get("count", "1000"), &ok_count);
  uint64_t seed = ParseNumber(a.Get("seed", "1"), &ok_seed);
  if (!ok_count || count == 0 || count > 100000) return Fail(kUsage, "--count must be 1 to 100000");
  if (!ok_seed) return Fail(kUsage, "--seed must be a number");
  auto procedures = GenerateCatalogue(seed, count);
  if (Status s = tools::WriteFileAtomic(a.Get("out"), CatalogueCsv(procedures)); !s.ok()) {
    return FromStatus(s);
  }
  size_t postal = 0;
  for (const auto& p : procedures) postal += p.postal;
  if (a.json) {
    PrintJson(json::object{{"out", a.Get("out")}, {"procedures", count}, {"postal", postal}});
  } else {
    std::printf("%llu procedures (%zu postal-eligible) written to %s\n",
                static_cast<unsigned long long>(count), postal, a.Get("out").c_str());
  }
  return kOk;
}

int CatalogueLoadCmd(const Args& a) {
  auto csv = node::ReadTextFile(a.positional[0], "catalogue CSV");
  if (!csv.ok()) return FromStatus(csv.status());
  json::value out;
  std::string target = "/v1/catalogue?officer=" + tools::UrlEncode(a.Get("officer"));
  if (int rc = CallNode(a, "POST", target, *csv, &out, "text/csv"); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
  } else {
    std::printf("catalogue loaded: %s procedures; every node receives it by sync\n",
                Str(out.as_object(), "procedures").c_str());
  }
  return kOk;
}

int CatalogueSearchCmd(const Args& a) {
  json::value out;
  std::string target =
      "/v1/catalogue?q=" + tools::UrlEncode(a.positional.empty() ? "" : a.positional[0]) +
      "&limit=" + tools::UrlEncode(a.Get("limit", "20"));
  if (int rc = CallNode(a, "GET", target, "", &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  for (const auto& p : out.at("procedures").as_array()) {
    const auto& o = p.as_object();
    std::printf("%-10s %s %3s %-9s %-11s %s\n", Str(o, "code").c_str(),
                PadUtf8(Str(o, "name"), 60).c_str(), Str(o, "days").c_str(),
                o.at("working_days").as_bool() ? "ngày LV" : "ngày",
                o.at("postal").as_bool() ? "qua BĐ" : "tại quầy", Str(o, "agency").c_str());
  }
  std::printf("%zu / %s thủ tục\n", out.at("procedures").as_array().size(),
              Str(out.as_object(), "total").c_str());
  return kOk;
}

int CalendarSetCmd(const Args& a) {
  json::object req{{"officer", a.Get("officer")}};
  if (a.Has("year") == a.Has("unit")) {
    return Fail(
        kUsage,
        "give --year Y --holidays ... or --unit U --sessions ... (hoso calendar set --help)");
  }
  if (a.Has("year")) {
    bool ok;
    uint64_t year = ParseNumber(a.Get("year"), &ok);
    if (!ok) return Fail(kUsage, "--year must be a number");
    req["year"] = year;
    json::array holidays, working;
    for (const auto& d : SplitList(a.Get("holidays"))) holidays.push_back(json::value(d));
    for (const auto& d : SplitList(a.Get("working-days"))) working.push_back(json::value(d));
    req["holidays"] = std::move(holidays);
    req["working_days"] = std::move(working);
  } else {
    req["unit"] = a.Get("unit");
    json::array sessions;
    for (const auto& s : SplitList(a.Get("sessions"))) {
      size_t dash = s.find('-');
      if (dash == std::string::npos)
        return Fail(kUsage, "--sessions is like 07:00-11:30,13:30-17:00");
      sessions.push_back(
          json::array{json::value(s.substr(0, dash)), json::value(s.substr(dash + 1))});
    }
    req["sessions"] = std::move(sessions);
  }
  json::value out;
  if (int rc = CallNode(a, "POST", "/v1/calendar", json::serialize(req), &out); rc != kOk)
    return rc;
  if (a.json) {
    PrintJson(out);
  } else {
    std::printf("calendar %s written; every node receives it by sync\n",
                Str(out.as_object(), "key").c_str());
  }
  return kOk;
}

int CalendarShowCmd(const Args& a) {
  std::string target = "/v1/calendar";
  if (a.Has("year")) target += "?year=" + tools::UrlEncode(a.Get("year"));
  json::value out;
  if (int rc = CallNode(a, "GET", target, "", &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  const auto& o = out.as_object();
  std::string sessions;
  for (const auto& s : o.at("sessions").as_array()) {
    sessions += std::string(s.as_array()[0].as_string()) + "-" +
                std::string(s.as_array()[1].as_string()) + " ";
  }
  std::printf("Giờ làm việc (%s): %s\n", Str(o, "unit").c_str(), sessions.c_str());
  for (const auto& y : o.at("years").as_array()) {
    const auto& x = y.as_object();
    std::printf("Năm %s (%s): nghỉ", Str(x, "year").c_str(), Str(x, "source").c_str());
    for (const auto& d : x.at("holidays").as_array())
      std::printf(" %s", std::string(d.as_string()).c_str());
    if (!x.at("working_days").as_array().empty()) {
      std::printf("; làm bù");
      for (const auto& d : x.at("working_days").as_array()) {
        std::printf(" %s", std::string(d.as_string()).c_str());
      }
    }
    std::printf("\n");
  }
  return kOk;
}

// ---- officers

Result<std::string> OfficersFile(const Args& a) {
  std::string dir = NodeDirOf(a);
  HOSO_ASSIGN_OR_RETURN(node::NodeConfig config, node::LoadNodeConfig({"--dir", dir}));
  return config.Path(config.officers_file);
}

// The password from --password-file, else the first line of standard input.
Result<std::string> PasswordOf(const Args& a) {
  std::string password;
  if (a.Has("password-file")) {
    HOSO_ASSIGN_OR_RETURN(password, node::ReadPrivateFile(a.Get("password-file"), "password file"));
  } else {
    std::fprintf(stderr, "password (at least %zu characters): ", node::kMinPasswordLength);
    char buf[1024];
    if (!std::fgets(buf, sizeof buf, stdin)) return Status::InvalidArgument("no password given");
    password = buf;
  }
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
    password.pop_back();
  }
  return password;
}

int OfficerCmd(const Args& a, const std::string& action) {
  auto file = OfficersFile(a);
  if (!file.ok()) return FromStatus(file.status());
  auto dir = node::OfficerDirectory::Load(*file);
  if (!dir.ok()) return FromStatus(dir.status());
  Status s;
  if (action == "add") {
    auto role = node::ParseRole(a.Get("role"));
    if (!role.ok()) return Fail(kUsage, role.status().message());
    auto password = PasswordOf(a);
    if (!password.ok()) return FromStatus(password.status());
    s = dir->Add(a.Get("login"), a.Get("name", a.Get("login")), *role, *password);
  } else if (action == "passwd") {
    auto password = PasswordOf(a);
    if (!password.ok()) return FromStatus(password.status());
    s = dir->SetPassword(a.Get("login"), *password);
  } else if (action == "remove") {
    s = dir->Remove(a.Get("login"));
  }
  if (s.ok() && action != "list") s = dir->Save(*file);
  if (!s.ok()) return FromStatus(s);
  json::array list;
  for (const auto& o : dir->officers()) {
    list.push_back(
        json::object{{"login", o.login}, {"name", o.name}, {"role", node::RoleName(o.role)}});
    if (!a.json && action == "list") {
      std::printf("%-16s %-12s %s\n", o.login.c_str(), std::string(node::RoleName(o.role)).c_str(),
                  o.name.c_str());
    }
  }
  if (a.json) PrintJson(json::object{{"officers", std::move(list)}});
  if (!a.json && action != "list")
    std::printf("officer %s: %s done\n", a.Get("login").c_str(), action.c_str());
  return kOk;
}

// ---- reports

int ReportCmd(const Args& a) {
  std::string query;
  for (auto [flag, param] :
       {std::pair{"scope", "scope"}, {"from", "from"}, {"to", "to"}, {"by", "by"}}) {
    if (a.Has(flag)) {
      query += std::string(query.empty() ? "?" : "&") + param + "=" + tools::UrlEncode(a.Get(flag));
    }
  }
  if (a.Has("csv")) {
    std::string dir = NodeDirOf(a);
    auto client = tools::ApiClient::ForNode(dir, a.Get("api-ca"));
    if (!client.ok()) return Fail(kFailed, client.status().message());
    auto reply =
        client->Call("GET", "/v1/report" + query + (query.empty() ? "?" : "&") + "format=csv");
    if (!reply.ok()) return Fail(kUnreachable, reply.status().message());
    if (reply->status != 200) return Fail(kFailed, "the node refused: " + reply->body);
    if (Status s = tools::WriteFileAtomic(a.Get("csv"), reply->body); !s.ok()) {
      return FromStatus(s);
    }
    std::printf("report written to %s\n", a.Get("csv").c_str());
    return kOk;
  }
  json::value out;
  if (int rc = CallNode(a, "GET", "/v1/report" + query, "", &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  const auto& o = out.as_object();
  std::printf("Báo cáo %s, %s đến %s\n", Str(o, "scope").c_str(), Str(o, "from").c_str(),
              Str(o, "to").c_str());
  std::printf("%-8s %-10s %-8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %7s\n", "đơn vị", "thủ tục",
              "tháng", "nhận", "kỳ trước", "giải q.", "trước h.", "đúng h.", "quá h.", "đang g.",
              "đang trễ", "bưu chính", "đúng h%");
  auto row = [&](const json::object& r) {
    const auto& rec = r.at("received").as_object();
    const auto& res = r.at("resolved").as_object();
    const auto& prog = r.at("in_progress").as_object();
    std::printf("%-8s %-10s %-8s %8s %8s %8s %8s %8s %8s %8s %8s %8s %6.1f%%\n",
                Str(r, "unit").c_str(), Str(r, "procedure").c_str(), Str(r, "month").c_str(),
                Str(rec, "total").c_str(), Str(rec, "carried_over").c_str(),
                Str(res, "total").c_str(), Str(res, "early").c_str(), Str(res, "on_time").c_str(),
                Str(res, "late").c_str(), Str(prog, "total").c_str(), Str(prog, "late").c_str(),
                Str(r, "postal").c_str(), 100 * r.at("on_time_rate").to_number<double>());
  };
  for (const auto& r : o.at("rows").as_array()) row(r.as_object());
  json::object total = o.at("total").as_object();
  total["unit"] = "tổng";
  row(total);
  return kOk;
}

// ---- directory

int DirectoryLoadCmd(const Args& a) {
  auto csv = node::ReadTextFile(a.positional[0], "units CSV");
  if (!csv.ok()) return FromStatus(csv.status());
  std::string target = "/v1/directory?officer=" + tools::UrlEncode(a.Get("officer"));
  if (a.Has("valid-from")) target += "&valid_from=" + tools::UrlEncode(a.Get("valid-from"));
  json::value out;
  if (int rc = CallNode(a, "POST", target, *csv, &out, "text/csv"); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
  } else {
    std::printf("directory loaded: %s units, valid from %s\n",
                Str(out.as_object(), "units").c_str(),
                Local(out.as_object().at("valid_from")).c_str());
  }
  return kOk;
}

int RevokeCmd(const Args& a) {
  uint64_t epoch = 1;
  if (a.Has("epoch")) {
    auto [p, ec] = std::from_chars(a.Get("epoch").data(),
                                   a.Get("epoch").data() + a.Get("epoch").size(), epoch);
    if (ec != std::errc() || epoch == 0)
      return Fail(kUsage, "--epoch must be a whole number, 1 or more");
  }
  json::object req{{"officer", a.Get("officer")},
                   {"unit", a.Get("unit")},
                   {"epoch", epoch},
                   {"reason", a.Get("reason")}};
  json::value out;
  if (int rc = CallNode(a, "POST", "/v1/revocations", json::serialize(req), &out); rc != kOk) {
    return rc;
  }
  if (a.json) {
    PrintJson(out);
  } else {
    std::printf(
        "origin %s#%s revoked from %s; every node refuses its new events and closes its "
        "sessions as soon as it receives this\n",
        Str(out.as_object(), "unit").c_str(), Str(out.as_object(), "epoch").c_str(),
        Local(out.as_object().at("revoked_at")).c_str());
  }
  return kOk;
}

int DirectoryShowCmd(const Args& a) {
  json::value out;
  if (int rc = CallNode(a, "GET", "/v1/directory", "", &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  std::map<std::string, std::vector<const json::object*>> children;
  for (const auto& u : out.as_object().at("units").as_array()) {
    children[Str(u.as_object(), "parent")].push_back(&u.as_object());
  }
  std::function<void(const std::string&, int)> print = [&](const std::string& parent, int depth) {
    for (const auto* u : children[parent]) {
      std::printf("%s%-6s %s\n", std::string(depth * 2, ' ').c_str(), Str(*u, "code").c_str(),
                  Str(*u, "name").c_str());
      print(Str(*u, "code"), depth + 1);
    }
  };
  print("", 0);
  if (children.empty()) std::printf("(the directory is empty)\n");
  return kOk;
}

// ---- case

void PrintCase(const json::object& c) {
  const json::object& f = c.at("fields").as_object();
  auto field = [&](const char* k) { return Str(f, k); };
  std::string applicant;
  if (f.contains("applicant") && f.at("applicant").is_object()) {
    applicant = Str(f.at("applicant").as_object(), "name");
  }
  auto time_field = [&](const char* k) -> std::string {
    if (!f.contains(k) || (!f.at(k).is_uint64() && !f.at(k).is_int64())) return "";
    return Local(json::value(node::FormatTime(f.at(k).to_number<int64_t>())));
  };
  std::printf("%s %s\n", PadUtf8("Mã hồ sơ:", 14).c_str(), Str(c, "code").c_str());
  std::printf("%s %s\n", PadUtf8("Đơn vị:", 14).c_str(), Str(c, "office").c_str());
  std::printf("%s %s\n", PadUtf8("Trạng thái:", 14).c_str(), field("status").c_str());
  std::printf("%s %s\n", PadUtf8("Người nộp:", 14).c_str(), applicant.c_str());
  std::printf("%s %s\n", PadUtf8("Thủ tục:", 14).c_str(), field("procedure").c_str());
  std::printf("%s %s\n", PadUtf8("Hình thức:", 14).c_str(), field("channel").c_str());
  std::printf("%s %s\n", PadUtf8("Tiếp nhận:", 14).c_str(), time_field("received_at").c_str());
  std::printf("%s %s\n", PadUtf8("Hẹn trả:", 14).c_str(), time_field("due_at").c_str());
  if (!field("tracking").empty()) {
    std::printf("%s %s\n", PadUtf8("Mã vận đơn:", 14).c_str(), field("tracking").c_str());
  }
  const auto& conflicts = c.at("conflicts").as_array();
  if (!conflicts.empty()) {
    std::printf("Xung đột (%zu):\n", conflicts.size());
    for (const auto& x : conflicts) {
      std::printf("  %s:\n", Str(x.as_object(), "field").c_str());
      for (const auto& cand : x.as_object().at("candidates").as_array()) {
        const auto& o = cand.as_object();
        std::printf("    %s %s  (%s, %s, %s)\n", o.at("winner").as_bool() ? "*" : " ",
                    json::serialize(o.at("value")).c_str(), Str(o, "origin").c_str(),
                    Str(o, "officer").c_str(), Local(o.at("at")).c_str());
      }
    }
  }
  std::printf("Lịch sử:\n");
  for (const auto& h : c.at("history").as_array()) {
    const auto& o = h.as_object();
    std::string status;
    if (o.at("changes").is_object()) status = Str(o.at("changes").as_object(), "status");
    std::printf("  %s  %-6s %-10s %-14s %s\n", Local(o.at("at")).c_str(), Str(o, "office").c_str(),
                Str(o, "officer").c_str(), Str(o, "type").c_str(), status.c_str());
  }
}

int CaseNewCmd(const Args& a) {
  json::object req;
  req["officer"] = a.Get("officer");
  req["procedure"] = a.Get("procedure");
  if (a.Has("procedure-name")) req["procedure_name"] = a.Get("procedure-name");
  if (a.Has("code")) req["code"] = a.Get("code");
  json::object applicant;
  applicant["name"] = a.Get("name");
  for (auto [flag, field] : {std::pair{"id-no", "id_no"},
                             {"phone", "phone"},
                             {"email", "email"},
                             {"address", "address"}}) {
    if (a.Has(flag)) applicant[field] = a.Get(flag);
  }
  req["applicant"] = std::move(applicant);
  req["channel"] = a.Get("channel", "counter");
  if (a.Has("return-address")) {
    req["return_by_post"] = true;
    req["return_address"] = a.Get("return-address");
  }
  if (a.Has("due")) req["due_at"] = a.Get("due");
  if (a.Has("fee")) {
    bool ok;
    uint64_t fee = ParseNumber(a.Get("fee"), &ok);
    if (!ok) return Fail(kUsage, "--fee must be a whole number of đồng");
    req["fee"] = fee;
  }
  if (a.Has("note")) req["note"] = a.Get("note");
  if (a.Has("doc")) {
    json::array docs;
    for (const auto& d : a.flags.at("doc")) {
      // name[:original|copy[:count]]
      json::object doc;
      size_t c1 = d.find(':');
      doc["name"] = d.substr(0, c1);
      if (c1 != std::string::npos) {
        size_t c2 = d.find(':', c1 + 1);
        doc["kind"] = d.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1);
        if (c2 != std::string::npos) {
          bool ok;
          uint64_t count = ParseNumber(d.substr(c2 + 1), &ok);
          if (!ok) return Fail(kUsage, "--doc " + d + ": the count must be a number");
          doc["count"] = count;
        }
      }
      docs.push_back(std::move(doc));
    }
    req["documents"] = std::move(docs);
  }
  json::value out;
  if (int rc = CallNode(a, "POST", "/v1/cases", json::serialize(req), &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
  } else {
    std::printf("Đã tiếp nhận hồ sơ %s\n\n", Str(out.as_object(), "code").c_str());
    PrintCase(out.as_object());
  }
  return kOk;
}

int CaseStepCmd(const Args& a) {
  json::object req;
  req["officer"] = a.Get("officer");
  req["status"] = a.Get("status");
  if (a.Has("note")) req["note"] = a.Get("note");
  if (a.Has("tracking")) req["tracking"] = a.Get("tracking");
  json::value out;
  std::string target = "/v1/cases/" + tools::UrlEncode(a.positional[0]) + "/steps";
  if (int rc = CallNode(a, "POST", target, json::serialize(req), &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
  } else {
    std::printf("Đã ghi bước \"%s\" cho hồ sơ %s\n\n", a.Get("status").c_str(),
                a.positional[0].c_str());
    PrintCase(out.as_object());
  }
  return kOk;
}

int CaseShowCmd(const Args& a) {
  json::value out;
  int rc = CallNode(a, "GET", "/v1/cases/" + tools::UrlEncode(a.positional[0]), "", &out);
  if (rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
  } else {
    PrintCase(out.as_object());
  }
  return kOk;
}

int CaseListCmd(const Args& a) {
  std::string query;
  for (auto [flag, param] : {std::pair{"status", "status"},
                             {"office", "office"},
                             {"applicant", "applicant"},
                             {"due-before", "due_before"},
                             {"due-after", "due_after"},
                             {"limit", "limit"}}) {
    if (a.Has(flag))
      query += std::string(query.empty() ? "?" : "&") + param + "=" + tools::UrlEncode(a.Get(flag));
  }
  if (a.Has("overdue")) query += std::string(query.empty() ? "?" : "&") + "overdue=true";
  json::value out;
  if (int rc = CallNode(a, "GET", "/v1/cases" + query, "", &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  const auto& o = out.as_object();
  std::printf("%s %s %s %s %s\n", PadUtf8("Mã hồ sơ", 24).c_str(),
              PadUtf8("Trạng thái", 13).c_str(), PadUtf8("Người nộp", 26).c_str(),
              PadUtf8("Hẹn trả", 17).c_str(), "Quá hạn");
  for (const auto& c : o.at("cases").as_array()) {
    const auto& x = c.as_object();
    std::printf("%s %s %s %s %s\n", PadUtf8(Str(x, "code"), 24).c_str(),
                PadUtf8(Str(x, "status"), 13).c_str(), PadUtf8(Str(x, "applicant"), 26).c_str(),
                PadUtf8(x.contains("due_at") ? Local(x.at("due_at")) : "", 17).c_str(),
                x.at("overdue").as_bool() ? "quá hạn" : "");
  }
  std::printf("%s hồ sơ%s\n", Str(o, "count").c_str(),
              o.at("truncated").as_bool() ? " (còn nữa: dùng --limit)" : "");
  return kOk;
}

// ---- status

int SyncStatusCmd(const Args& a) {
  json::value out;
  if (int rc = CallNode(a, "GET", "/v1/sync/status", "", &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  const auto& o = out.as_object();
  std::printf("node %s#%s: %s", Str(o, "unit").c_str(), Str(o, "epoch").c_str(),
              Str(o, "state").c_str());
  if (o.contains("since")) std::printf(" since %s", Local(o.at("since")).c_str());
  if (o.contains("last_success")) {
    std::printf(", last sync %s", Local(o.at("last_success")).c_str());
  }
  std::printf("\n%-10s %-10s %-22s %-5s %-16s %8s %8s %11s %11s\n", "peer", "direction", "address",
              "conn", "last success", "behind", "skew ms", "sent B", "received B");
  for (const auto& p : o.at("peers").as_array()) {
    const auto& x = p.as_object();
    std::printf("%-10s %-10s %-22s %-5s %-16s %8s %8s %11s %11s\n", Str(x, "unit").c_str(),
                Str(x, "direction").c_str(), Str(x, "address").c_str(),
                x.at("connected").as_bool() ? "yes" : "no",
                x.contains("last_success") ? Local(x.at("last_success")).c_str() : "never",
                Str(x, "events_behind").c_str(), Str(x, "clock_skew_ms").c_str(),
                Str(x, "bytes_sent").c_str(), Str(x, "bytes_received").c_str());
    if (x.contains("last_error"))
      std::printf("           last error: %s\n", Str(x, "last_error").c_str());
  }
  return kOk;
}

int NodeStatusCmd(const Args& a) {
  json::value out;
  if (int rc = CallNode(a, "GET", "/v1/node", "", &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  for (const auto& [k, v] : out.as_object()) {
    std::printf("%-18s %s\n", std::string(k).c_str(),
                v.is_string() ? std::string(v.get_string()).c_str() : json::serialize(v).c_str());
  }
  return kOk;
}

std::vector<Command> Commands() {
  const std::set<std::string> node_flags = {"dir", "api-ca"};
  auto with = [](std::set<std::string> a, std::initializer_list<std::string> b) {
    a.insert(b);
    return a;
  };
  std::set<std::string> init_flags = {"dir", "tls"};
  for (const auto& o : node::NodeOptions()) init_flags.insert(std::string(o.name));
  return {
      {"ca init",
       "--ca DIR --root UNIT [--years 10]",
       "Makes the deployment's CA in DIR (a new directory): its key, certificate and an empty "
       "CRL. Run it once, at the province, on a machine that stays offline.",
       {"ca", "root", "years"},
       {},
       {"ca", "root"},
       0,
       0,
       CaInitCmd},
      {"ca issue",
       "--ca DIR --unit UNIT [--epoch 1] --out BUNDLE [--years 3]",
       "Makes a node key and a certificate for UNIT at EPOCH, written with the CA certificate "
       "and CRL to the BUNDLE directory for `hoso init --tls`. A node restored from a backup "
       "or re-installed gets the next epoch.",
       {"ca", "unit", "epoch", "out", "years"},
       {},
       {"ca", "unit", "out"},
       0,
       0,
       CaIssueCmd},
      {"ca revoke",
       "--ca DIR (--serial N | --unit UNIT [--epoch 1])",
       "Revokes a certificate and rewrites DIR/crl.pem. Copy it to every node's tls/crl.pem "
       "and send SIGHUP.",
       {"ca", "serial", "unit", "epoch"},
       {},
       {"ca"},
       0,
       0,
       CaRevokeCmd},
      {"ca list",
       "--ca DIR",
       "Lists the certificates issued, and which are revoked.",
       {"ca"},
       {},
       {"ca"},
       0,
       0,
       CaListCmd},
      {"cert web",
       "--ca DIR (--dir DATA | --out BUNDLE --unit UNIT) [--name NAME ...] [--days 730]",
       "Issues an HTTPS certificate for a node's web app and API from the CA's web root, for "
       "the names and addresses clerks type (--name, and with --dir the node's api and "
       "api_names) and loopback; writes it with its key (0600) and the web root into the "
       "node's tls/ (--dir) or a bundle for hoso init (--out).",
       {"ca", "dir", "out", "unit", "name", "days"},
       {},
       {"ca"},
       0,
       0,
       [](const Args& a) { return tools::CertWebCommand(a.flags, a.json); }},
      {"init",
       "--dir DIR --tls BUNDLE --root UNIT [--listen H:P] [--upstream UNIT@H:P] [--api H:P] ...",
       "Makes a node's data directory: copies the TLS files from BUNDLE, writes a fresh API "
       "token (0600) and hoso.conf. Any hoso-node option may be given as a flag "
       "(hoso-node --help lists them).",
       init_flags,
       {},
       {"dir", "tls", "root"},
       0,
       0,
       InitCmd},
      {"backup",
       "[--dir DIR] --out PATH",
       "Makes a consistent copy of the running node's case log at PATH (a new directory on "
       "the node's machine), without stopping it.",
       with(node_flags, {"out"}),
       {},
       {"out"},
       0,
       0,
       BackupCmd},
      {"restore",
       "--dir DIR --from BACKUP --tls BUNDLE",
       "Restores a stopped node from a backup. BUNDLE holds a new certificate for the same "
       "unit at the next epoch (hoso ca issue --epoch N+1); the old db/ is kept aside.",
       {"dir", "from", "tls"},
       {},
       {"dir", "from", "tls"},
       0,
       0,
       RestoreCmd},
      {"audit verify",
       "(--data DIR | FILE) [--ca FILE] [--crl FILE] [--no-states]",
       "Checks a store as an auditor: every stream's chain, every signed head, every origin's "
       "certificate against the CA, forks, write rules, canonical encoding, and that stored "
       "case states equal a fresh fold. DIR is a node's data directory (read while the node "
       "runs) or a backup. With a bundle FILE (and --ca): its structure, digest, chains, "
       "signatures and origin certificates. Exit 5 on any finding, each named by stream, seq "
       "and case.",
       {"data", "ca", "crl"},
       {"no-states"},
       {},
       0,
       1,
       AuditVerifyCmd},
      {"audit receipts",
       "--data DIR [--ca FILE] [--crl FILE]",
       "Lists the receipts this node's parents signed for what it delivered (who holds which "
       "streams up to which seq, since when) and verifies each signature and the holder's "
       "certificate. Exit 5 if one does not verify.",
       {"data", "ca", "crl"},
       {},
       {"data"},
       0,
       0,
       AuditReceiptsCmd},
      {"export",
       "--data DIR --scope UNIT [--since VECTOR_FILE] --out FILE",
       "Writes a bundle (docs/bundle-format.md): the streams of UNIT's scope and the system "
       "channels, with their signed heads and origins' certificates; with --since, only what "
       "the vector file's node lacks. For an office with no link: carry FILE by post.",
       {"data", "scope", "since", "out"},
       {},
       {"data", "scope", "out"},
       0,
       0,
       ExportCmd},
      {"import",
       "[--dir DIR] FILE",
       "Gives a bundle to the running node, which verifies it exactly as sync would and "
       "stores what it may hold. Importing the same file twice changes nothing.",
       node_flags,
       {},
       {},
       1,
       1,
       ImportCmd},
      {"vector",
       "--data DIR --out FILE",
       "Writes what the node holds (stream heads) to FILE, for `hoso export --since` at the "
       "office that will send it a bundle.",
       {"data", "out"},
       {},
       {"data", "out"},
       0,
       0,
       VectorCmd},
      {"audit replay",
       "--data DIR (--case CODE | --scope UNIT) [--as-of TIME]",
       "Rebuilds from the log alone a case's history (who, which office, when, what changed, "
       "conflicts opened and resolved) and its state at TIME, or a scope's counts by status "
       "and fingerprint at TIME.",
       {"data", "case", "scope", "as-of"},
       {},
       {"data"},
       0,
       0,
       AuditReplayCmd},
      {"catalogue generate",
       "--out FILE.csv [--count 1000] [--seed 1]",
       "Writes a realistic sample catalogue (about 40% not postal-eligible) as CSV: "
       "code,name,agency,days,day_kind,postal,fee,documents.",
       {"out", "count", "seed"},
       {},
       {"out"},
       0,
       0,
       CatalogueGenerateCmd},
      {"catalogue load",
       "[--dir DIR] --officer ID FILE.csv",
       "Writes the procedures of a CSV into the catalogue (root node only); every node "
       "receives it by sync.",
       with(node_flags, {"officer"}),
       {},
       {"officer"},
       1,
       1,
       CatalogueLoadCmd},
      {"catalogue search",
       "[--dir DIR] [QUERY] [--limit 20]",
       "Finds procedures by code prefix or by name, typed with or without diacritics.",
       with(node_flags, {"limit"}),
       {},
       {},
       0,
       1,
       CatalogueSearchCmd},
      {"calendar set",
       "[--dir DIR] --officer ID (--year Y --holidays D,D,... [--working-days D,...] | "
       "--unit U --sessions HH:MM-HH:MM,...)",
       "Root node only: replaces a year's public holidays and swapped working days, or a "
       "unit's working hours. Every node receives it by sync; due dates follow.",
       with(node_flags, {"officer", "year", "holidays", "working-days", "unit", "sessions"}),
       {},
       {"officer"},
       0,
       0,
       CalendarSetCmd},
      {"calendar show",
       "[--dir DIR] [--year Y]",
       "Shows this unit's working hours and each year's holidays, and where they come from.",
       with(node_flags, {"year"}),
       {},
       {},
       0,
       0,
       CalendarShowCmd},
      {"officer add",
       "[--dir DIR] --login LOGIN --role reception|processing|head|auditor [--name NAME] "
       "[--password-file FILE]",
       "Creates a web app account at this node (the password from FILE or standard input, at "
       "least 10 characters, stored as PBKDF2-HMAC-SHA256).",
       with(node_flags, {"login", "role", "name", "password-file"}),
       {},
       {"login", "role"},
       0,
       0,
       [](const Args& a) { return OfficerCmd(a, "add"); }},
      {"officer passwd",
       "[--dir DIR] --login LOGIN [--password-file FILE]",
       "Sets an officer's password.",
       with(node_flags, {"login", "password-file"}),
       {},
       {"login"},
       0,
       0,
       [](const Args& a) { return OfficerCmd(a, "passwd"); }},
      {"officer remove",
       "[--dir DIR] --login LOGIN",
       "Removes an officer's account.",
       with(node_flags, {"login"}),
       {},
       {"login"},
       0,
       0,
       [](const Args& a) { return OfficerCmd(a, "remove"); }},
      {"officer list",
       "[--dir DIR]",
       "Lists the officer accounts and their roles.",
       node_flags,
       {},
       {},
       0,
       0,
       [](const Args& a) { return OfficerCmd(a, "list"); }},
      {"report",
       "[--dir DIR] [--scope UNIT] [--from YYYY-MM] [--to YYYY-MM] "
       "[--by unit,procedure,month] [--csv FILE]",
       "The periodic report for a scope (default: this node's unit) and months (default: "
       "this month): received (online, in person, postal, carried over), resolved (early, on "
       "time, late), in progress (on time, late), postal share, on-time rate; grouped as "
       "asked; --csv writes it as CSV.",
       with(node_flags, {"scope", "from", "to", "by", "csv"}),
       {},
       {},
       0,
       0,
       ReportCmd},
      {"directory load",
       "[--dir DIR] --officer ID [--valid-from TIME] FILE.csv",
       "Writes the units of a CSV (code,parent_code,name,type) into the directory, valid from "
       "TIME (default now). Only on the root node; the other nodes receive it by sync.",
       with(node_flags, {"officer", "valid-from"}),
       {},
       {"officer"},
       1,
       1,
       DirectoryLoadCmd},
      {"revoke",
       "[--dir DIR] --officer ID --unit U [--epoch E] --reason TEXT",
       "Revokes a node (its unit and epoch) as data, in the $revocations channel. Only on the "
       "root node; the other nodes receive it by sync or bundle, close its sessions and refuse "
       "its new events, while what they held stays valid history.",
       with(node_flags, {"officer", "unit", "epoch", "reason"}),
       {},
       {"officer", "unit", "reason"},
       0,
       0,
       RevokeCmd},
      {"directory show",
       "[--dir DIR]",
       "Prints the units tree as the node holds it now.",
       node_flags,
       {},
       {},
       0,
       0,
       DirectoryShowCmd},
      {"case new",
       "[--dir DIR] --officer ID --procedure CODE --name NAME [--id-no N] [--phone P] "
       "[--email E] [--address A] [--channel counter|online|postal] [--return-address A] "
       "[--due TIME] [--fee DONG] [--doc NAME[:original|copy[:COUNT]]]... [--note T] [--code C]",
       "Receives a case at this node's office and prints its code (minted as "
       "UNIT-YYMMDD-NNNN unless --code is given). --return-address means the result goes back "
       "by post.",
       with(node_flags,
            {"officer", "procedure", "procedure-name", "name", "id-no", "phone", "email", "address",
             "channel", "return-address", "due", "fee", "doc", "note", "code"}),
       {},
       {"officer", "procedure", "name"},
       0,
       0,
       CaseNewCmd},
      {"case step",
       "[--dir DIR] CODE --officer ID --status STATUS [--tracking T] [--note T]",
       "Records a lifecycle step (forwarded, processing, supplement_requested, result_ready, "
       "dispatched, delivered, undeliverable, closed, ...).",
       with(node_flags, {"officer", "status", "note", "tracking"}),
       {},
       {"officer", "status"},
       1,
       1,
       CaseStepCmd},
      {"case show",
       "[--dir DIR] CODE",
       "Prints a case, its conflicts and its history.",
       node_flags,
       {},
       {},
       1,
       1,
       CaseShowCmd},
      {"case list",
       "[--dir DIR] [--status S] [--office UNIT] [--applicant NAME] [--overdue] "
       "[--due-before TIME] [--due-after TIME] [--limit N]",
       "Lists cases. The applicant's name matches as a prefix, typed with or without "
       "diacritics.",
       with(node_flags, {"status", "office", "applicant", "due-before", "due-after", "limit"}),
       {"overdue"},
       {},
       0,
       0,
       CaseListCmd},
      {"sync status",
       "[--dir DIR]",
       "Shows whether the node is online, since when, and per peer: connected, last success, "
       "events the peer lacks, clock skew, bytes sent and received.",
       node_flags,
       {},
       {},
       0,
       0,
       SyncStatusCmd},
      {"node status",
       "[--dir DIR]",
       "Shows the node's unit, case count and fingerprint.",
       node_flags,
       {},
       {},
       0,
       0,
       NodeStatusCmd},
  };
}

void PrintUsage(const std::vector<Command>& commands) {
  std::printf("Usage: hoso COMMAND [options] [--json]\n\nCommands:\n");
  for (const auto& c : commands)
    std::printf("  hoso %-15s %s\n", c.name.c_str(), c.synopsis.c_str());
  std::printf(
      "\n`hoso COMMAND --help` explains one. --dir defaults to $HOSO_DIR, else the current\n"
      "directory. Exit codes: 0 done, 1 refused or failed, 2 bad command line, 3 the node's\n"
      "API does not answer, 4 not found, 5 the audit found something.\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto commands = Commands();
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    PrintUsage(commands);
    return args.empty() ? kUsage : kOk;
  }
  const Command* cmd = nullptr;
  size_t used = 0;
  for (const auto& c : commands) {
    size_t space = c.name.find(' ');
    if (space == std::string::npos) {
      if (args[0] == c.name) cmd = &c, used = 1;
    } else if (args.size() >= 2 && args[0] == c.name.substr(0, space) &&
               args[1] == c.name.substr(space + 1)) {
      cmd = &c, used = 2;
    }
  }
  if (!cmd) {
    std::string first = args[0];
    std::string known;
    for (const auto& c : commands) {
      if (c.name.rfind(first + " ", 0) == 0) known += "\n  hoso " + c.name;
    }
    if (!known.empty()) return Fail(kUsage, "'" + first + "' needs a subcommand:" + known);
    return Fail(kUsage, "unknown command '" + first + "' (hoso --help lists them)");
  }
  Args a;
  for (size_t i = used; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s == "--help" || s == "-h") {
      std::printf("Usage: hoso %s %s\n\n%s\n", cmd->name.c_str(), cmd->synopsis.c_str(),
                  cmd->help.c_str());
      return kOk;
    }
    if (s == "--json") {
      a.json = true;
      continue;
    }
    if (s.rfind("--", 0) != 0) {
      a.positional.push_back(s);
      continue;
    }
    std::string name = s.substr(2), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (cmd->bool_flags.count(name)) {
      a.flags[name].push_back("true");
      continue;
    }
    if (!cmd->value_flags.count(name)) {
      return Fail(kUsage, "unknown option --" + name + " for 'hoso " + cmd->name + "' (hoso " +
                              cmd->name + " --help)");
    }
    if (!has_value) {
      if (i + 1 >= args.size()) return Fail(kUsage, "--" + name + " needs a value");
      value = args[++i];
    }
    a.flags[name].push_back(value);
  }
  for (const auto& r : cmd->required) {
    if (!a.Has(r) || a.Get(r).empty()) {
      return Fail(kUsage, "'hoso " + cmd->name + "' needs --" + r + " (usage: hoso " + cmd->name +
                              " " + cmd->synopsis + ")");
    }
  }
  if (a.positional.size() < cmd->min_positional || a.positional.size() > cmd->max_positional) {
    return Fail(kUsage, "usage: hoso " + cmd->name + " " + cmd->synopsis);
  }
  return cmd->run(a);
}
