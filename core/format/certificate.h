// X.509 certificates of a deployment: the province's CA, node certificates binding a unit and
// epoch to the node's Ed25519 key, and the CA's revocation list.
//
// A node certificate carries its identity in a SAN URI, hoso://node/<unit>?epoch=<n>, and its
// public key is the key that signs the node's stream heads: the certificate that authenticates
// a TLS peer is also the one that lets any node verify that origin's events offline.
// Certificates and CRLs are PEM text. Times are seconds since the Unix epoch.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/format/crypto.h"
#include "core/format/event.h"

namespace hoso {

struct CertificateInfo {
  std::string unit;  // from the SAN URI (empty for a CA)
  uint64_t epoch = 0;
  std::string public_key;  // raw Ed25519, 32 bytes
  uint64_t serial = 0;
  int64_t not_before = 0, not_after = 0;
  bool is_ca = false;
  std::string identity_error;  // why there is no identity ("" when there is one)
};

std::string NodeUri(std::string_view unit, uint64_t epoch);

// A self-signed CA certificate for the deployment rooted at `root_unit`.
Result<std::string> MakeCaCertificate(const SigningKey& ca_key, std::string_view root_unit,
                                      int64_t not_before, int64_t not_after);
// A node certificate for (unit, epoch) and the node's public key, signed by the CA.
Result<std::string> IssueNodeCertificate(const SigningKey& ca_key, std::string_view ca_pem,
                                         std::string_view unit, uint64_t epoch,
                                         std::string_view node_public_key, uint64_t serial,
                                         int64_t not_before, int64_t not_after);
// A CRL listing revoked serials, signed by the CA.
Result<std::string> MakeCrl(const SigningKey& ca_key, std::string_view ca_pem,
                            const std::vector<uint64_t>& revoked, int64_t this_update,
                            int64_t next_update);

// Tests only: a certificate like IssueNodeCertificate's with `san` as its subjectAltName
// (OpenSSL syntax, e.g. "URI:hoso://node/1?epoch=1,URI:...") and no checks on it.
Result<std::string> IssueCertificateWithSanForTesting(
    const SigningKey& ca_key, std::string_view ca_pem, const std::string& san,
    std::string_view node_public_key, uint64_t serial, int64_t not_before, int64_t not_after);

// Epochs of a node identity are 1 .. kMaxEpoch.
constexpr uint64_t kMaxEpoch = uint64_t{1} << 32;

// A node certificate carries exactly one hoso://node/ URI in its SAN, with a valid unit and an
// epoch in range; a certificate with two is refused by VerifyNodeCertificate (unit empty
// here, identity_error says why).
Result<CertificateInfo> ParseCertificate(std::string_view pem);
// Checks a node certificate against the CA (signature, validity at `now`, not a CA itself,
// an identity URI present) and, if given, the CRL. Returns its identity.
Result<CertificateInfo> VerifyNodeCertificate(std::string_view pem, std::string_view ca_pem,
                                              std::string_view crl_pem, int64_t now);

// A CRL never bricks a node: one past its nextUpdate (nobody renewed it) or before its
// lastUpdate (a clock behind) still revokes what it lists, but refuses nothing else. Verifiers
// accept these OpenSSL verify errors (X509_V_ERR_CRL_HAS_EXPIRED, _CRL_NOT_YET_VALID).
bool IsCrlTimeError(int openssl_verify_error);
// "" while the CRL is valid for more than `warn_before` seconds (or there is none), else a
// warning for the operator: it expires soon, or expired, and must be renewed.
std::string CrlExpiryWarning(std::string_view crl_pem, int64_t now,
                             int64_t warn_before = 30 * 86400);

// The CRL's thisUpdate and nextUpdate (seconds since the epoch; next_update 0 when it names
// none), for monitoring how stale the revocations a node enforces are (/metrics).
struct CrlTimes {
  int64_t this_update = 0;
  int64_t next_update = 0;
};
Result<CrlTimes> ReadCrlTimes(std::string_view crl_pem);

// The PEM (PKCS#8) form of a signing key, for TLS libraries and key files.
Result<std::string> PrivateKeyPem(const SigningKey& key);
Result<SigningKey> SigningKeyFromPem(std::string_view pem);

}  // namespace hoso
