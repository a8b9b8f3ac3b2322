// The province CA's web root and the web certificates of nodes' APIs (`hoso cert web`;
// docs/operations.md, "HTTPS on the office LAN"; core/format/web_certificate.h says why the web has
// a root of its own).
//
// In the CA directory (besides provision.h's files):
//   web-ca.key       the web root's ECDSA P-256 key (PEM, 0600): offline, like ca.key
//   web-ca.pem       the web root: what every office browser trusts once
//   web-issued.tsv   one line per web certificate: serial TAB unit TAB not_after TAB names
// A web certificate is written as web.pem, web.key (0600) and web-ca.pem: into a bundle
// (`--out`, which `hoso init --tls` copies) or straight into a node's data directory (`--dir`:
// its api_cert, api_key and api_ca).
// Thread-safety: functions on the filesystem; callers do not run two on one directory at once.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "node/config.h"

namespace hoso::tools {

// The root unit of a deployment's CA certificate, from its subject ("hoso CA 89"); "" when
// the PEM is no certificate.
std::string RootUnitOf(const std::string& ca_pem);

// Makes web-ca.key and web-ca.pem in ca_dir unless they exist. `root_unit` names the
// deployment in the root's subject; `years` its validity.
Status WebCaInit(const std::string& ca_dir, const std::string& root_unit, int years);

struct WebIssued {
  uint64_t serial = 0;
  std::string unit;
  std::vector<std::string> names;  // as in the certificate's subjectAltName
  int64_t not_after = 0;
};

// Where a web certificate goes.
struct WebFiles {
  std::string cert, key, ca;
};

// A new key and web certificate for `unit` naming `names` plus loopback (localhost,
// 127.0.0.1, ::1: the hoso CLI on the node's own machine), valid `days` days (at most 825,
// the longest that Apple's systems accept), written to `files`. Makes the web root first if
// the CA has none (a CA made before it existed).
Result<WebIssued> IssueWeb(const std::string& ca_dir, const std::string& unit,
                           const std::vector<std::string>& names, int days, const WebFiles& files);

// The names a node's clerks reach its API by: its bound address (unless a wildcard or
// loopback) and api_names.
std::vector<std::string> WebNamesOf(const node::NodeConfig& config);

// `hoso cert web`: --ca DIR, then --dir DATA (unit, names and paths from the node's config)
// or --out BUNDLE with --unit; --name (repeated), --days. Prints what it did (JSON with
// `json`); returns the exit code (0, 1 failed, 2 usage).
int CertWebCommand(const std::map<std::string, std::vector<std::string>>& flags, bool json);

}  // namespace hoso::tools
