// Certificates for HTTPS on the office LAN: the web app and API of a node bound beyond
// loopback (docs/operations.md, "HTTPS on the office LAN").
//
// They come from the province's CA directory but not from its Ed25519 key: browsers verify
// no Ed25519 certificate (Chromium and Windows do not implement it, and NSS, Firefox's and
// Chromium's store on Linux, refuses to import an Ed25519 root), so the CA has a second root,
// the web root, an ECDSA P-256 key that signs only web certificates. An office browser trusts
// the web root once; each node's web certificate names the host names and addresses clerks
// type (subjectAltName) and has an ECDSA P-256 key of its own.
// Certificates and keys are PEM text; times are seconds since the Unix epoch.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace hoso {

struct WebKeyPair {
  std::string key_pem;   // PKCS#8
  std::string cert_pem;  // the certificate
};

// A new web root for the deployment rooted at `root_unit` (key and self-signed certificate).
Result<WebKeyPair> MakeWebCa(std::string_view root_unit, int64_t not_before, int64_t not_after);

// A host name or address a web certificate may name: a DNS name (letters, digits, '-', '.',
// at most 253 bytes) or an IPv4 / IPv6 literal ("[::1]" and "::1" alike). A port
// ("name:7480", as api_names allows) is dropped. Returns the name as it goes in the SAN.
Result<std::string> WebName(std::string_view name);

// A new key and a server certificate for `names` (at least one; each through WebName) for
// office `unit`, signed by the web root.
Result<WebKeyPair> IssueWebCertificate(std::string_view ca_key_pem, std::string_view ca_pem,
                                       std::string_view unit, const std::vector<std::string>& names,
                                       uint64_t serial, int64_t not_before, int64_t not_after);

struct WebCertificateInfo {
  std::vector<std::string> names;  // SAN DNS names and IP addresses, in order
  int64_t not_before = 0, not_after = 0;
  std::string subject;  // the CN
  uint64_t serial = 0;
};
// The first certificate of a PEM chain.
Result<WebCertificateInfo> ParseWebCertificate(std::string_view pem);

// Checks that the first certificate of `cert_pem` chains to `ca_pem` (the validity period
// aside: WebCertificateExpiry says that) and that `key_pem` is its key.
Status CheckWebCertificate(std::string_view cert_pem, std::string_view key_pem,
                           std::string_view ca_pem);

// "" while the certificate is valid for more than `warn_before` seconds; else what the
// operator must know: it expires in N days, or expired N days ago (browsers then warn, and
// clerks can still go on past the warning: docs/operations.md).
std::string WebCertificateExpiry(const WebCertificateInfo& info, int64_t now,
                                 int64_t warn_before = 30 * 86400);

}  // namespace hoso
