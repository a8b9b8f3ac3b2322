#include "tools/provision.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <sstream>

#include "core/format/aead.h"
#include "core/format/certificate.h"
#include "core/format/crypto.h"
#include "core/log/store_cipher.h"
#include "node/backup.h"
#include "node/daemon.h"
#include "node/master_key.h"
#include "sync/bundle.h"
#include "tools/api_client.h"
#include "tools/web_cert.h"

namespace hoso::tools {
namespace fs = std::filesystem;

namespace {

constexpr int64_t kYear = 365 * 86400;
// Certificates are valid from an hour ago: clocks of offices differ.
constexpr int64_t kBackdate = 3600;

int64_t Now() { return static_cast<int64_t>(::time(nullptr)); }

Result<SigningKey> CaKey(const std::string& ca_dir) {
  HOSO_ASSIGN_OR_RETURN(std::string pem, node::ReadPrivateFile(ca_dir + "/ca.key", "CA key"));
  return SigningKeyFromPem(pem);
}

Result<std::vector<uint64_t>> Revoked(const std::string& ca_dir) {
  std::vector<uint64_t> out;
  if (!fs::exists(ca_dir + "/revoked")) return out;
  HOSO_ASSIGN_OR_RETURN(std::string text, node::ReadTextFile(ca_dir + "/revoked", "revoked list"));
  std::istringstream in(text);
  uint64_t serial;
  while (in >> serial) out.push_back(serial);
  return out;
}

Status WriteCrl(const std::string& ca_dir, const SigningKey& key, const std::string& ca_pem) {
  HOSO_ASSIGN_OR_RETURN(auto revoked, Revoked(ca_dir));
  HOSO_ASSIGN_OR_RETURN(std::string crl,
                        MakeCrl(key, ca_pem, revoked, Now() - kBackdate, Now() + kYear));
  return node::WriteFileAtomic(ca_dir + "/crl.pem", crl);
}

Status CopyFile(const std::string& from, const std::string& to, unsigned mode) {
  HOSO_ASSIGN_OR_RETURN(std::string data, node::ReadTextFile(from, "file"));
  return node::WriteFileAtomic(to, data, mode);
}

// How a set-up bundle's origins are trusted: against the deployment's CA and CRL, as sync.
sync::OriginVerifier TrustedBy(std::string ca_pem, std::string crl_pem) {
  return [ca = std::move(ca_pem), crl = std::move(crl_pem)](const sync::OriginMsg& o) {
    return sync::CheckOriginCertificate(o, ca, crl, Now());
  };
}

// The CRL beside a CA certificate, "" when there is none.
Result<std::string> CrlIn(const std::string& dir) {
  if (!fs::exists(dir + "/crl.pem")) return std::string();
  return node::ReadTextFile(dir + "/crl.pem", "CRL");
}

// A node bundle's set-up bundle, checked against the bundle's CA for `root`: "" when it has
// none.
Result<std::string> CheckedSetupBundle(const std::string& tls_bundle, const std::string& ca_pem,
                                       const std::string& root) {
  const std::string file = tls_bundle + "/" + std::string(node::kSystemBundleFile);
  if (!fs::exists(file)) return std::string();
  HOSO_ASSIGN_OR_RETURN(std::string bytes, node::ReadTextFile(file, "set-up bundle"));
  HOSO_ASSIGN_OR_RETURN(std::string crl, CrlIn(tls_bundle));
  auto checked = sync::CheckSystemBundle(bytes, TrustedBy(ca_pem, crl), root);
  if (!checked.ok()) {
    return checked.status().Annotate("the set-up bundle " + file +
                                     " is refused and nothing was written (issue the office's "
                                     "bundle again with hoso ca issue --root-node)");
  }
  return bytes;
}

}  // namespace

Status CaInit(const std::string& ca_dir, const std::string& root_unit, int years) {
  HOSO_RETURN_IF_ERROR(ValidateName("root unit", root_unit));
  if (fs::exists(ca_dir + "/ca.key")) {
    return Status::AlreadyExists(ca_dir + " already holds a CA (ca.key); choose another --ca");
  }
  std::error_code ec;
  fs::create_directories(ca_dir, ec);
  if (ec) return Status::IOError("cannot create " + ca_dir + ": " + ec.message());
  fs::permissions(ca_dir, fs::perms::owner_all, ec);
  HOSO_ASSIGN_OR_RETURN(SigningKey key, SigningKey::Generate());
  HOSO_ASSIGN_OR_RETURN(
      std::string ca, MakeCaCertificate(key, root_unit, Now() - kBackdate, Now() + years * kYear));
  HOSO_ASSIGN_OR_RETURN(std::string key_pem, PrivateKeyPem(key));
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(ca_dir + "/ca.key", key_pem, 0600));
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(ca_dir + "/ca.pem", ca));
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(ca_dir + "/issued.tsv", ""));
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(ca_dir + "/revoked", ""));
  HOSO_RETURN_IF_ERROR(WriteCrl(ca_dir, key, ca));
  return WebCaInit(ca_dir, root_unit, years);
}

Result<std::vector<Issued>> CaIssued(const std::string& ca_dir) {
  HOSO_ASSIGN_OR_RETURN(std::string text,
                        node::ReadTextFile(ca_dir + "/issued.tsv", "issued list"));
  std::vector<Issued> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Issued i;
    if (fields >> i.serial >> i.unit >> i.epoch >> i.not_after) out.push_back(i);
  }
  return out;
}

Result<std::string> CaRootUnit(const std::string& ca_dir) {
  HOSO_ASSIGN_OR_RETURN(std::string ca_pem, node::ReadTextFile(ca_dir + "/ca.pem", "CA"));
  std::string root = RootUnitOf(ca_pem);
  if (root.empty()) return Status::InvalidArgument(ca_dir + "/ca.pem is not a hoso CA");
  return root;
}

Result<SystemBundle> FetchSystemBundle(const std::string& ca_dir, const std::string& root_dir) {
  HOSO_ASSIGN_OR_RETURN(std::string ca_pem, node::ReadTextFile(ca_dir + "/ca.pem", "CA"));
  HOSO_ASSIGN_OR_RETURN(std::string root, CaRootUnit(ca_dir));
  HOSO_ASSIGN_OR_RETURN(std::string crl_pem, CrlIn(ca_dir));
  auto client = ApiClient::ForNode(root_dir);
  if (!client.ok()) {
    return Status::FailedPrecondition(root_dir + " is not the data directory of the root node " +
                                      root + ": " + client.status().message());
  }
  auto reply = client->Call("GET", "/v1/bundle/system");
  if (!reply.ok()) {
    return Status::IOError("cannot reach the root node " + root + " (" + root_dir +
                           "): " + reply.status().message());
  }
  if (reply->status != 200) {
    return Status::FailedPrecondition("the node at " + root_dir +
                                      " did not give its system channels: HTTP " +
                                      std::to_string(reply->status) + " " + reply->body);
  }
  SystemBundle out;
  sync::BundleSummary summary;
  auto channels = sync::CheckSystemBundle(reply->body, TrustedBy(ca_pem, crl_pem), root, &summary);
  if (!channels.ok()) {
    return channels.status().Annotate("the system channels of the node at " + root_dir);
  }
  if (!channels->count("$directory")) {
    return Status::FailedPrecondition(
        "the node at " + root_dir +
        " holds no directory of units yet: load it first (hoso directory load --dir " + root_dir +
        " ...), so that the office can receive cases");
  }
  out.bytes = std::move(reply->body);
  out.channels = std::move(channels).value();
  out.events = summary.events;
  return out;
}

Result<Issued> CaIssue(const std::string& ca_dir, const std::string& unit, uint64_t epoch,
                       const std::string& out_dir, int years, const std::string& system_bundle) {
  HOSO_RETURN_IF_ERROR(ValidateName("unit", unit));
  if (epoch == 0) return Status::InvalidArgument("the epoch starts at 1");
  HOSO_ASSIGN_OR_RETURN(SigningKey ca_key, CaKey(ca_dir));
  HOSO_ASSIGN_OR_RETURN(std::string ca_pem, node::ReadTextFile(ca_dir + "/ca.pem", "CA"));
  HOSO_ASSIGN_OR_RETURN(auto issued, CaIssued(ca_dir));
  for (const auto& i : issued) {
    if (i.unit == unit && i.epoch == epoch) {
      return Status::AlreadyExists("a certificate for " + unit + " epoch " + std::to_string(epoch) +
                                   " was already issued (serial " + std::to_string(i.serial) +
                                   "); a restored or re-installed node takes the next epoch");
    }
  }
  if (fs::exists(out_dir + "/node.key")) {
    return Status::AlreadyExists(out_dir + " already holds a node key; choose another --out");
  }
  Issued next;
  next.serial = issued.empty() ? 1 : issued.back().serial + 1;
  next.unit = unit;
  next.epoch = epoch;
  next.not_after = Now() + years * kYear;
  HOSO_ASSIGN_OR_RETURN(SigningKey key, SigningKey::Generate());
  HOSO_ASSIGN_OR_RETURN(std::string cert,
                        IssueNodeCertificate(ca_key, ca_pem, unit, epoch, key.public_key(),
                                             next.serial, Now() - kBackdate, next.not_after));
  HOSO_ASSIGN_OR_RETURN(std::string key_pem, PrivateKeyPem(key));
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return Status::IOError("cannot create " + out_dir + ": " + ec.message());
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(out_dir + "/node.key", key_pem, 0600));
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(out_dir + "/node.pem", cert));
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(out_dir + "/ca.pem", ca_pem));
  HOSO_RETURN_IF_ERROR(CopyFile(ca_dir + "/crl.pem", out_dir + "/crl.pem", 0644));
  if (fs::exists(ca_dir + "/web-ca.pem")) {  // for the hoso CLI to check the node's HTTPS
    HOSO_RETURN_IF_ERROR(CopyFile(ca_dir + "/web-ca.pem", out_dir + "/web-ca.pem", 0644));
  }
  if (!system_bundle.empty()) {  // public reference data, no personal data
    HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(out_dir + "/" + std::string(node::kSystemBundleFile),
                                               system_bundle, 0644));
  }
  HOSO_ASSIGN_OR_RETURN(std::string list,
                        node::ReadTextFile(ca_dir + "/issued.tsv", "issued list"));
  list += std::to_string(next.serial) + "\t" + unit + "\t" + std::to_string(epoch) + "\t" +
          std::to_string(next.not_after) + "\n";
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(ca_dir + "/issued.tsv", list));
  return next;
}

Result<std::string> CaRevoke(const std::string& ca_dir, uint64_t serial) {
  HOSO_ASSIGN_OR_RETURN(SigningKey ca_key, CaKey(ca_dir));
  HOSO_ASSIGN_OR_RETURN(std::string ca_pem, node::ReadTextFile(ca_dir + "/ca.pem", "CA"));
  HOSO_ASSIGN_OR_RETURN(auto issued, CaIssued(ca_dir));
  bool known = false;
  for (const auto& i : issued) known |= i.serial == serial;
  if (!known) {
    return Status::NotFound("serial " + std::to_string(serial) +
                            " was not issued by this CA (see issued.tsv)");
  }
  HOSO_ASSIGN_OR_RETURN(auto revoked, Revoked(ca_dir));
  std::string list;
  for (uint64_t r : revoked) {
    if (r == serial)
      return Status::AlreadyExists("serial " + std::to_string(serial) + " is already revoked");
    list += std::to_string(r) + "\n";
  }
  list += std::to_string(serial) + "\n";
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(ca_dir + "/revoked", list));
  HOSO_RETURN_IF_ERROR(WriteCrl(ca_dir, ca_key, ca_pem));
  return ca_dir + "/crl.pem";
}

std::string BeforeRestoreName(const std::string& path, int64_t now_s) {
  return node::UnusedPath(path + ".before-restore-" + node::FileTimeStamp(now_s));
}

namespace {
// An encrypted backup is restored only where its master key is: the node's key file must be
// the one it was written under (after a disk loss, the province's copy put back first).
Status CheckBackupKey(const node::NodeConfig& config, const std::string& store_dir) {
  std::string backup_key;
  HOSO_ASSIGN_OR_RETURN(StoreEncryption found, ProbeStoreEncryption(store_dir, &backup_key));
  if (found != StoreEncryption::kEncrypted) return Status::Ok();
  const std::string path = node::MasterKeyPath(config);
  if (!fs::exists(path)) {
    return Status::FailedPrecondition("the backup is encrypted under master key " + backup_key +
                                      ", and " + path +
                                      " is missing: put that key there (the province's copy, "
                                      "mode 0600) and restore again");
  }
  HOSO_ASSIGN_OR_RETURN(std::string key, node::ReadMasterKeyFile(path));
  HOSO_ASSIGN_OR_RETURN(std::string node_key, MasterKeyId(key));
  if (node_key != backup_key) {
    return Status::FailedPrecondition("the backup is encrypted under master key " + backup_key +
                                      ", not this node's key " + node_key + " (" + path +
                                      "): put the key it was made with there");
  }
  return Status::Ok();
}
}  // namespace

Result<Restored> RestoreNode(const std::string& dir, const std::string& backup,
                             const std::string& tls_bundle) {
  auto config = node::LoadNodeConfig({"--dir", dir});
  if (!config.ok()) return config.status();
  HOSO_RETURN_IF_ERROR(node::CheckNodeStopped(dir));
  HOSO_ASSIGN_OR_RETURN(node::FoundBackup found, node::FindBackup(backup));
  HOSO_ASSIGN_OR_RETURN(std::string old_cert,
                        node::ReadTextFile(config->Path(config->cert), "node certificate"));
  HOSO_ASSIGN_OR_RETURN(std::string ca, node::ReadTextFile(config->Path(config->ca), "CA"));
  HOSO_ASSIGN_OR_RETURN(std::string new_cert,
                        node::ReadTextFile(tls_bundle + "/node.pem", "node certificate"));
  HOSO_ASSIGN_OR_RETURN(std::string new_key,
                        node::ReadPrivateFile(tls_bundle + "/node.key", "node key"));
  HOSO_ASSIGN_OR_RETURN(CertificateInfo before, ParseCertificate(old_cert));
  if (found.has_manifest && found.unit != before.unit) {
    return Status::InvalidArgument(backup + " is a backup of unit " + found.unit + " (made " +
                                   found.made + "); this node is unit " + before.unit +
                                   ": restore a backup of this node");
  }
  HOSO_RETURN_IF_ERROR(CheckBackupKey(*config, found.store_dir));
  auto after = VerifyNodeCertificate(new_cert, ca, "", Now());
  if (!after.ok()) return after.status().Annotate(tls_bundle + "/node.pem");
  if (after->unit != before.unit || after->epoch <= before.epoch) {
    return Status::InvalidArgument("the new certificate is for " + after->unit + " epoch " +
                                   std::to_string(after->epoch) + "; a restore needs unit " +
                                   before.unit + " at an epoch above " +
                                   std::to_string(before.epoch) + ": hoso ca issue --unit " +
                                   before.unit + " --epoch " + std::to_string(before.epoch + 1));
  }
  HOSO_ASSIGN_OR_RETURN(std::string setup, CheckedSetupBundle(tls_bundle, ca, config->root));
  Restored out;
  std::string db = config->Path(config->db);
  std::error_code ec;
  if (fs::exists(db)) {
    out.kept_db = BeforeRestoreName(db, Now());
    fs::rename(db, out.kept_db, ec);
    if (ec) return Status::IOError("cannot move " + db + " aside: " + ec.message());
  }
  fs::copy(found.store_dir, db, fs::copy_options::recursive, ec);
  if (ec) {
    return Status::IOError("cannot copy " + found.store_dir + " to " + db + ": " + ec.message());
  }
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(config->Path(config->cert), new_cert));
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(config->Path(config->key), new_key, 0600));
  if (fs::exists(tls_bundle + "/crl.pem")) {
    HOSO_RETURN_IF_ERROR(CopyFile(tls_bundle + "/crl.pem", config->Path(config->crl), 0644));
  }
  if (!setup.empty()) {  // newer system channels than the backup's, before the first sync
    HOSO_RETURN_IF_ERROR(
        node::WriteFileAtomic(dir + "/" + std::string(node::kSystemBundleFile), setup, 0644));
  }
  // The accounts in the data directory, when there are any, are newer than the backup's: an
  // officer removed since (who left the office) must not come back with the backup.
  const std::string officers = config->Path(config->officers_file);
  if (found.officers_file.empty()) {
    out.officers = Restored::kNoneInBackup;
  } else if (fs::exists(officers, ec)) {
    out.officers = Restored::kKeptCurrent;
  } else {
    HOSO_RETURN_IF_ERROR(CopyFile(found.officers_file, officers, 0600));
    out.officers = Restored::kFromBackup;
  }
  return out;
}

Status InitNode(const node::NodeConfig& config, const std::string& tls_bundle) {
  const std::string& dir = config.dir;
  if (fs::exists(dir + "/hoso.conf")) {
    return Status::AlreadyExists(dir + " is already a node's data directory (hoso.conf exists)");
  }
  HOSO_RETURN_IF_ERROR(node::Validate(config));
  HOSO_ASSIGN_OR_RETURN(std::string ca, node::ReadTextFile(tls_bundle + "/ca.pem", "CA"));
  HOSO_ASSIGN_OR_RETURN(std::string cert,
                        node::ReadTextFile(tls_bundle + "/node.pem", "node certificate"));
  HOSO_ASSIGN_OR_RETURN(std::string key,
                        node::ReadPrivateFile(tls_bundle + "/node.key", "node key"));
  auto id = VerifyNodeCertificate(cert, ca, "", Now());
  if (!id.ok()) return id.status().Annotate(tls_bundle + "/node.pem");
  HOSO_ASSIGN_OR_RETURN(std::string setup, CheckedSetupBundle(tls_bundle, ca, config.root));
  std::error_code ec;
  fs::create_directories(dir + "/tls", ec);
  if (ec) return Status::IOError("cannot create " + dir + "/tls: " + ec.message());
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec, ec);
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(dir + "/tls/ca.pem", ca));
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(dir + "/tls/node.pem", cert));
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(dir + "/tls/node.key", key, 0600));
  if (fs::exists(tls_bundle + "/crl.pem")) {
    HOSO_RETURN_IF_ERROR(CopyFile(tls_bundle + "/crl.pem", dir + "/tls/crl.pem", 0644));
  }
  // The API's HTTPS, when the bundle has it (hoso cert web --out BUNDLE): the web root alone
  // (from hoso ca issue), or with a web certificate and key.
  if (fs::exists(tls_bundle + "/web-ca.pem")) {
    HOSO_RETURN_IF_ERROR(CopyFile(tls_bundle + "/web-ca.pem", config.Path(config.api_ca), 0644));
  }
  if (fs::exists(tls_bundle + "/web.pem")) {
    HOSO_RETURN_IF_ERROR(CopyFile(tls_bundle + "/web.pem", config.Path(config.api_cert), 0644));
    HOSO_ASSIGN_OR_RETURN(std::string web_key,
                          node::ReadPrivateFile(tls_bundle + "/web.key", "web key"));
    HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(config.Path(config.api_key), web_key, 0600));
  }
  if (!setup.empty()) {  // imported at the node's first start (node/daemon.h)
    HOSO_RETURN_IF_ERROR(
        node::WriteFileAtomic(dir + "/" + std::string(node::kSystemBundleFile), setup, 0644));
  }
  HOSO_ASSIGN_OR_RETURN(std::string random, RandomBytes(24));
  std::string token = Hex(random);
  HOSO_RETURN_IF_ERROR(node::WriteFileAtomic(dir + "/api-token", token + "\n", 0600));
  // The key the case log is encrypted under (node/master_key.h); a systemd credential, when
  // there is one, takes its place.
  if (!fs::exists(config.Path(config.master_key))) {
    HOSO_RETURN_IF_ERROR(node::CreateMasterKeyFile(config.Path(config.master_key)).status());
  }
  node::NodeConfig written = config;
  written.dir = ".";  // never written: paths stay relative to wherever the directory lives
  return node::WriteFileAtomic(dir + "/hoso.conf", node::RenderConfig(written));
}

}  // namespace hoso::tools
