// Provisioning: the province's CA directory and a node's data directory, as the `hoso ca` and
// `hoso init` commands (and the demo) make them.
//
// CA directory (docs/operations.md):
//   ca.key      the CA's Ed25519 key (PEM, 0600): keep it offline
//   ca.pem      the CA certificate; its subject names the root unit
//   issued.tsv  one line per certificate: serial TAB unit TAB epoch TAB not_after
//   revoked     one revoked serial per line
//   crl.pem     the CRL signed by the CA, rewritten on every revocation
//   web-ca.key, web-ca.pem, web-issued.tsv   the web root (tools/web_cert.h)
// Node bundle (what `hoso ca issue --out` writes and `hoso init --tls` takes):
//   ca.pem, crl.pem, node.pem, node.key (0600), web-ca.pem; system.bundle, the root node's
//   system channels (directory, catalogue, calendar, revocations) for an office other than
//   the root, unless issued with --no-system; web.pem and web.key (0600) once
//   `hoso cert web --out` wrote them
// Data directory (what `hoso init` writes; the node adds db/ and run.json):
//   hoso.conf, api-token (0600), system.bundle (imported at the node's first start,
//   node/daemon.h), tls/{ca.pem, crl.pem, node.pem, node.key, web-ca.pem, web.pem, web.key}
// Thread-safety: functions on the filesystem; callers do not run two on one directory at once.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "node/config.h"
#include "node/daemon.h"

namespace hoso::tools {

Status CaInit(const std::string& ca_dir, const std::string& root_unit, int years);

struct Issued {
  uint64_t serial = 0;
  std::string unit;
  uint64_t epoch = 0;
  int64_t not_after = 0;
};
Result<std::vector<Issued>> CaIssued(const std::string& ca_dir);
// A new key and certificate for (unit, epoch), written as a node bundle in out_dir, with
// `system_bundle` (FetchSystemBundle) as its system.bundle unless it is empty.
Result<Issued> CaIssue(const std::string& ca_dir, const std::string& unit, uint64_t epoch,
                       const std::string& out_dir, int years,
                       const std::string& system_bundle = "");

// The root unit a CA was made for (the subject of its ca.pem).
Result<std::string> CaRootUnit(const std::string& ca_dir);

struct SystemBundle {
  std::string bytes;
  std::set<std::string> channels;  // the system channels it carries; "$directory" always
  uint64_t events = 0;
};
// The set-up bundle of a new office: the system channels of the running root node whose data
// directory is `root_dir` (GET /v1/bundle/system), checked against the CA and CRL of `ca_dir`
// (sync::CheckSystemBundle). IOError when the node's API does not answer; FailedPrecondition
// when it is not the CA's root or holds no directory of units yet.
Result<SystemBundle> FetchSystemBundle(const std::string& ca_dir, const std::string& root_dir);
// Revokes a serial and rewrites crl.pem. Returns the CRL path.
Result<std::string> CaRevoke(const std::string& ca_dir, uint64_t serial);

// Makes a node's data directory from a node bundle: copies the TLS files and the set-up
// bundle, writes a fresh API token and hoso.conf with `config`'s options (config.dir is the
// directory to make; it may exist but must not hold a hoso.conf). A set-up bundle that does
// not verify against the bundle's CA, or whose channels are not all the root's
// (config.root), is refused, and nothing is written.
Status InitNode(const node::NodeConfig& config, const std::string& tls_bundle);

// Restores a stopped node's data directory from a backup (node/backup.h, made by `hoso
// backup`; one of the older layout, the checkpoint alone, too): the old db/ is kept as
// db.before-restore-<UTC time, 2026-12-01T213205Z>, the backup's case log copied in, and the
// node's certificate and key replaced by the bundle's, which must be for the same unit at a
// higher epoch: events the node signed after the backup are still out there under the old
// epoch, and the restored node must never sign different events at the same positions. A
// backup of another unit is refused. The bundle's set-up bundle, if it has one that
// verifies, replaces the data directory's. The backup's officers.json is copied in only
// when the data directory has none (a re-installed machine): accounts there are newer.
struct Restored {
  std::string kept_db;  // where the old db/ went; empty when there was none
  enum Officers { kNoneInBackup, kFromBackup, kKeptCurrent } officers = kNoneInBackup;
};
Result<Restored> RestoreNode(const std::string& dir, const std::string& backup,
                             const std::string& tls_bundle);
// `path` + ".before-restore-" + the UTC time of `now_s` ("2026-12-01T213205Z"), with "-2",
// "-3"... when that name is taken.
std::string BeforeRestoreName(const std::string& path, int64_t now_s);

using node::WriteFileAtomic;

}  // namespace hoso::tools
