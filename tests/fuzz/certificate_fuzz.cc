// Fuzz target: node certificates (core/format/certificate.h) as a peer presents them (TLS,
// an ORIGIN message, a bundle's origin records): ParseCertificate with the SAN identity
// (hoso://node/<unit>?epoch=<n>), VerifyNodeCertificate against a test CA and its CRL, and
// CheckOriginCertificate (sync/session.h). The first byte chooses how the rest is read: as
// PEM text, or (most inputs, so mutations reach the ASN.1 rather than the base64) as DER
// that the target wraps in PEM.
//
// Checks: an identity, when there is one, is a valid unit name and an epoch in 1..kMaxEpoch,
// and the public key is 32 bytes; a certificate the CA verifies has the identity
// ParseCertificate reads, and CheckOriginCertificate accepts exactly that identity and key.
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>

#include "core/format/certificate.h"
#include "sync/session.h"
#include "tests/fuzz/fuzz.h"

using namespace hoso;

namespace {

struct Pki {
  testing::TestPki pki;
  std::string crl =
      MakeCrl(pki.ca_key, pki.ca, {2}, testing::TestPki::kFrom, testing::TestPki::kTo).value();
};

const Pki& TheCa() {
  static auto* p = new Pki;
  return *p;
}

std::string DerToPem(std::string_view der) {
  std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                          reinterpret_cast<const unsigned char*>(der.data()),
                          static_cast<int>(der.size()));
  b64.resize(n);
  std::string pem = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) pem += b64.substr(i, 64) + "\n";
  return pem + "-----END CERTIFICATE-----\n";
}

}  // namespace

// Builds the test CA and its CRL before the first input, so that its cost (stores, keys) is not
// counted against that input's 1 s.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  TheCa();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Pki& ca = TheCa();
  std::string_view rest = fuzz::AsText(data + 1, size - 1);
  std::string pem = data[0] == 'P' ? std::string(rest) : DerToPem(rest);
  auto info = ParseCertificate(pem);
  if (!info.ok()) return 0;
  HOSO_FUZZ_CHECK(info->public_key.size() == kPublicKeySize, "public key size");
  if (info->identity_error.empty()) {
    HOSO_FUZZ_CHECK(ValidateName("unit", info->unit).ok(), "identity unit: " + info->unit);
    HOSO_FUZZ_CHECK(info->epoch >= 1 && info->epoch <= kMaxEpoch, "identity epoch");
  } else {
    HOSO_FUZZ_CHECK(info->unit.empty() && info->epoch == 0, "an identity with an error");
  }
  const int64_t now = testing::kTestNow / 1000;
  for (std::string_view crl : {std::string_view(), std::string_view(ca.crl)}) {
    auto verified = VerifyNodeCertificate(pem, ca.pki.ca, crl, now);
    if (!verified.ok()) continue;
    HOSO_FUZZ_CHECK(verified->unit == info->unit && verified->epoch == info->epoch &&
                        verified->public_key == info->public_key && !verified->unit.empty(),
                    "verified identity differs from the parsed one");
    sync::OriginMsg o{verified->unit, verified->epoch, verified->public_key, pem};
    HOSO_FUZZ_CHECK(sync::CheckOriginCertificate(o, ca.pki.ca, crl, now).ok(),
                    "a verified certificate's own origin is refused");
    o.epoch += 1;
    HOSO_FUZZ_CHECK(!sync::CheckOriginCertificate(o, ca.pki.ca, crl, now).ok(),
                    "an origin with another epoch is accepted");
  }
  return 0;
}
