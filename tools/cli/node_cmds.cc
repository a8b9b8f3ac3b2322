// The commands of one node: init (its data directory), backup and restore, its officers'
// accounts, and its sync and node status.
#include <cstdio>
#include <filesystem>
#include <vector>

#include "core/base/text.h"
#include "core/format/certificate.h"
#include "node/config.h"
#include "node/daemon.h"
#include "node/master_key.h"
#include "node/officers.h"
#include "tools/api_client.h"
#include "tools/cli/commands.h"
#include "tools/cli/node_api.h"
#include "tools/cli/output.h"
#include "tools/provision.h"

namespace hoso::cli {

namespace json = boost::json;

namespace {

// Whether the certificate of a node's data directory names the root unit of its config.
bool IsRootNode(const node::NodeConfig& config) {
  auto cert = node::ReadTextFile(config.Path(config.cert), "node certificate");
  auto info = cert.ok() ? ParseCertificate(*cert) : Result<CertificateInfo>(cert.status());
  return info.ok() && info->unit == config.root;
}

}  // namespace

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
  const bool setup =
      std::filesystem::exists(config.dir + "/" + std::string(node::kSystemBundleFile));
  if (a.json) {
    PrintJson(json::object{{"dir", config.dir}, {"system_bundle", setup}});
    return kOk;
  }
  std::printf(
      "node data directory %s made: hoso.conf, api-token (0600), master.key (0600), tls/%s\n",
      config.dir.c_str(), setup ? ", system.bundle" : "");
  std::printf(
      "master.key encrypts the case log and its backups: give a copy to the province's key "
      "custodian (docs/privacy.md); without it a backup cannot be restored.\n");
  if (setup) {
    std::printf(
        "At its first start the node imports the root's system channels (system.bundle) and "
        "receives cases before its first sync.\n");
  } else if (!IsRootNode(config)) {
    std::fprintf(stderr,
                 "hoso: note: %s has no system.bundle: the node refuses cases until its first "
                 "sync brings the directory of units (hoso ca issue --root-node DIR writes one)\n",
                 a.Get("tls").c_str());
  }
  std::printf("Start it with: hoso-node --dir %s   (or the systemd unit, docs/operations.md)\n",
              config.dir.c_str());
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
    return kOk;
  }
  std::string files;
  if (auto list = Answer(reply).Elements("files"); list.ok()) {
    for (const auto& f : *list) {
      auto name = f.Text();
      if (!name.ok()) return BadAnswer(name.status());
      files +=
          (files.empty() ? "" : ", ") + (*name == "db" ? std::string("db/ (the case log)") : *name);
    }
  }
  std::printf("backup of %s cases written to %s%s%s; copy it off the machine\n",
              Answer(reply).Str("cases").c_str(), out.c_str(), files.empty() ? "" : ": ",
              files.c_str());
  return kOk;
}

int RestoreCmd(const Args& a) {
  auto restored = tools::RestoreNode(a.Get("dir"), a.Get("from"), a.Get("tls"));
  if (!restored.ok()) return FromStatus(restored.status());
  static constexpr const char* kOfficers[] = {"none_in_backup", "from_backup", "kept_current"};
  if (a.json) {
    PrintJson(json::object{{"dir", a.Get("dir")},
                           {"from", a.Get("from")},
                           {"kept_db", restored->kept_db},
                           {"officers", kOfficers[restored->officers]}});
    return kOk;
  }
  std::printf("restored %s from %s with the new certificate.\n", a.Get("dir").c_str(),
              a.Get("from").c_str());
  if (!restored->kept_db.empty()) {
    std::printf("The old case log is kept in %s (delete it once the node runs well).\n",
                restored->kept_db.c_str());
  }
  if (restored->officers == tools::Restored::kFromBackup) {
    std::printf("Officer accounts restored from the backup (officers.json).\n");
  } else if (restored->officers == tools::Restored::kKeptCurrent) {
    std::printf(
        "Officer accounts: the data directory's officers.json is kept (newer than the "
        "backup's, which stays in %s/officers.json).\n",
        a.Get("from").c_str());
  }
  std::printf("Start the node: it learns what it wrote after the backup from its upstream.\n");
  return kOk;
}

int KeyRotateCmd(const Args& a) {
  auto config = node::LoadNodeConfig({"--dir", a.Get("dir")});
  if (!config.ok()) return FromStatus(config.status());
  if (Status s = node::CheckNodeStopped(config->dir); !s.ok()) return FromStatus(s);
  node::Logger log(stderr);
  auto rotated = node::RotateMasterKey(*config, &log);
  if (!rotated.ok()) return FromStatus(rotated.status());
  if (a.json) {
    PrintJson(json::object{{"old_key", rotated->old_id},
                           {"new_key", rotated->new_id},
                           {"old_key_file", rotated->old_key_file},
                           {"seconds", rotated->seconds}});
    return kOk;
  }
  std::printf(
      "The case log is now encrypted under master key %s (it was %s), rewritten in %.1f s.\n"
      "The old key is kept in %s: backups made before today need it; destroy it with them.\n"
      "Give the province's key custodian the new key (docs/privacy.md).\n",
      rotated->new_id.c_str(), rotated->old_id.c_str(), rotated->seconds,
      rotated->old_key_file.c_str());
  return kOk;
}

namespace {

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

}  // namespace

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

namespace {

// The sync status for people; an error names what the answer lacks.
Status PrintSyncStatus(const Answer& answer) {
  HOSO_ASSIGN_OR_RETURN(const json::object* op, answer.Object());
  HOSO_ASSIGN_OR_RETURN(std::vector<Answer> peers, answer.Elements("peers"));
  const json::object& o = *op;
  std::printf("node %s#%s: %s", Str(o, "unit").c_str(), Str(o, "epoch").c_str(),
              Str(o, "state").c_str());
  if (const json::value* since = o.if_contains("since")) {
    std::printf(" since %s", Local(*since).c_str());
  }
  if (const json::value* last = o.if_contains("last_success")) {
    std::printf(", last sync %s", Local(*last).c_str());
  }
  std::printf("\n%-10s %-10s %-22s %-5s %-16s %8s %8s %11s %11s\n", "peer", "direction", "address",
              "conn", "last success", "behind", "skew ms", "sent B", "received B");
  for (const Answer& p : peers) {
    HOSO_ASSIGN_OR_RETURN(const json::object* xp, p.Object());
    HOSO_ASSIGN_OR_RETURN(bool connected, p.Bool("connected"));
    const json::object& x = *xp;
    const json::value* last = x.if_contains("last_success");
    std::printf("%-10s %-10s %-22s %-5s %-16s %8s %8s %11s %11s\n", Str(x, "unit").c_str(),
                Str(x, "direction").c_str(), Str(x, "address").c_str(), connected ? "yes" : "no",
                last ? Local(*last).c_str() : "never", Str(x, "events_behind").c_str(),
                Str(x, "clock_skew_ms").c_str(), Str(x, "bytes_sent").c_str(),
                Str(x, "bytes_received").c_str());
    if (x.contains("last_error"))
      std::printf("           last error: %s\n", Str(x, "last_error").c_str());
  }
  return Status::Ok();
}

}  // namespace

int SyncStatusCmd(const Args& a) {
  json::value out;
  if (int rc = CallNode(a, "GET", "/v1/sync/status", "", &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  if (Status s = PrintSyncStatus(Answer(out)); !s.ok()) return BadAnswer(s);
  return kOk;
}

int NodeStatusCmd(const Args& a) {
  json::value out;
  if (int rc = CallNode(a, "GET", "/v1/node", "", &out); rc != kOk) return rc;
  if (a.json) {
    PrintJson(out);
    return kOk;
  }
  auto o = Answer(out).Object();
  if (!o.ok()) return BadAnswer(o.status());
  for (const auto& [k, v] : **o) {
    std::printf("%-18s %s\n", ForTerminal(k).c_str(),
                v.is_string() ? ForTerminal(v.get_string()).c_str() : json::serialize(v).c_str());
  }
  return kOk;
}

}  // namespace hoso::cli
