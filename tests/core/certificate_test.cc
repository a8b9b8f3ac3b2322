#include "core/certificate.h"

#include <catch2/catch.hpp>

#include "tests/testing.h"

using namespace hoso;

namespace {
constexpr int64_t kNow = 1764000000;  // seconds
constexpr int64_t kYear = 365 * 86400;

struct Ca {
  SigningKey key = testing::KeyFor(9000);
  std::string pem = MakeCaCertificate(key, "89", kNow - kYear, kNow + 10 * kYear).value();
  std::string Issue(const std::string& unit, uint64_t epoch, const SigningKey& node,
                    uint64_t serial, int64_t not_after = kNow + kYear) {
    return IssueNodeCertificate(key, pem, unit, epoch, node.public_key(), serial, kNow - 3600,
                                not_after)
        .value();
  }
};
}  // namespace

TEST_CASE("certificate: a node certificate binds unit, epoch and the head-signing key",
          "[certificate]") {
  Ca ca;
  SigningKey node = testing::KeyFor(30280);
  std::string cert = ca.Issue("30280", 2, node, 17);
  auto info = VerifyNodeCertificate(cert, ca.pem, "", kNow);
  REQUIRE(info.ok());
  CHECK(info->unit == "30280");
  CHECK(info->epoch == 2);
  CHECK(info->public_key == node.public_key());
  CHECK(info->serial == 17);
  CHECK_FALSE(info->is_ca);
  CHECK(ParseCertificate(ca.pem)->is_ca);
}

TEST_CASE("certificate: another CA, expiry, revocation and a CA as node are refused",
          "[certificate]") {
  Ca ca;
  SigningKey node = testing::KeyFor(30280);
  std::string cert = ca.Issue("30280", 1, node, 5);
  Ca other;
  other.key = testing::KeyFor(9001);
  other.pem = MakeCaCertificate(other.key, "89", kNow - kYear, kNow + kYear).value();
  CHECK_THAT(VerifyNodeCertificate(cert, other.pem, "", kNow).status().message(),
             Catch::Contains("certificate refused"));
  CHECK_THAT(VerifyNodeCertificate(cert, ca.pem, "", kNow + 2 * kYear).status().message(),
             Catch::Contains("expired"));
  std::string crl = MakeCrl(ca.key, ca.pem, {5}, kNow - 60, kNow + 86400).value();
  CHECK_THAT(VerifyNodeCertificate(cert, ca.pem, crl, kNow).status().message(),
             Catch::Contains("revoked"));
  std::string crl_other = MakeCrl(ca.key, ca.pem, {6}, kNow - 60, kNow + 86400).value();
  CHECK(VerifyNodeCertificate(cert, ca.pem, crl_other, kNow).ok());
  CHECK_THAT(VerifyNodeCertificate(ca.pem, ca.pem, "", kNow).status().message(),
             Catch::Contains("CA is not a node"));
  CHECK_FALSE(VerifyNodeCertificate("not a certificate", ca.pem, "", kNow).ok());
}

TEST_CASE("certificate: private keys round-trip through PEM", "[certificate]") {
  SigningKey k = testing::KeyFor(42);
  auto pem = PrivateKeyPem(k);
  REQUIRE(pem.ok());
  CHECK(pem->find("BEGIN PRIVATE KEY") != std::string::npos);
  auto back = SigningKeyFromPem(*pem);
  REQUIRE(back.ok());
  CHECK(back->public_key() == k.public_key());
  CHECK_FALSE(SigningKeyFromPem("garbage").ok());
}
