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
//   ca.pem, crl.pem, node.pem, node.key (0600), web-ca.pem; web.pem and web.key (0600) once
//   `hoso cert web --out` wrote them
// Data directory (what `hoso init` writes; the node adds db/ and run.json):
//   hoso.conf, api-token (0600), tls/{ca.pem, crl.pem, node.pem, node.key, web-ca.pem,
//   web.pem, web.key}
// Thread-safety: functions on the filesystem; callers do not run two on one directory at once.
#pragma once

#include <cstdint>
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
// A new key and certificate for (unit, epoch), written as a node bundle in out_dir.
Result<Issued> CaIssue(const std::string& ca_dir, const std::string& unit, uint64_t epoch,
                       const std::string& out_dir, int years);
// Revokes a serial and rewrites crl.pem. Returns the CRL path.
Result<std::string> CaRevoke(const std::string& ca_dir, uint64_t serial);

// Makes a node's data directory from a node bundle: copies the TLS files, writes a fresh API
// token and hoso.conf with `config`'s options (config.dir is the directory to make; it may
// exist but must not hold a hoso.conf).
Status InitNode(const node::NodeConfig& config, const std::string& tls_bundle);

// Restores a stopped node's data directory from a backup (a checkpoint made by the node):
// the old db/ is kept as db.before-restore-<time>, the backup copied in, and the node's
// certificate and key replaced by the bundle's, which must be for the same unit at a higher
// epoch: events the node signed after the backup are still out there under the old epoch,
// and the restored node must never sign different events at the same positions.
Status RestoreNode(const std::string& dir, const std::string& backup,
                   const std::string& tls_bundle);

using node::WriteFileAtomic;

}  // namespace hoso::tools
