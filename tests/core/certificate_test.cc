#include "core/format/certificate.h"

#include <catch2/catch.hpp>

#include "tests/testing/testing.h"

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

TEST_CASE("certificate: an expired CRL still revokes but never refuses the others",
          "[certificate]") {
  Ca ca;
  SigningKey node = testing::KeyFor(30280);
  std::string revoked = ca.Issue("30280", 1, node, 5);
  std::string good = ca.Issue("30281", 1, testing::KeyFor(30281), 6);
  // nextUpdate a month in the past: nobody renewed it.
  std::string expired = MakeCrl(ca.key, ca.pem, {5}, kNow - kYear, kNow - 30 * 86400).value();
  CHECK(VerifyNodeCertificate(good, ca.pem, expired, kNow).ok());
  CHECK_THAT(VerifyNodeCertificate(revoked, ca.pem, expired, kNow).status().message(),
             Catch::Contains("revoked"));
  // A CRL from the future (a clock behind) is honoured the same way.
  std::string future = MakeCrl(ca.key, ca.pem, {5}, kNow + 86400, kNow + kYear).value();
  CHECK(VerifyNodeCertificate(good, ca.pem, future, kNow).ok());
  CHECK_THAT(VerifyNodeCertificate(revoked, ca.pem, future, kNow).status().message(),
             Catch::Contains("revoked"));
  // The warning starts 30 days before nextUpdate and goes on after it.
  std::string fresh = MakeCrl(ca.key, ca.pem, {}, kNow - 60, kNow + 60 * 86400).value();
  std::string soon = MakeCrl(ca.key, ca.pem, {}, kNow - 60, kNow + 10 * 86400).value();
  CHECK(CrlExpiryWarning(fresh, kNow).empty());
  CHECK_THAT(CrlExpiryWarning(soon, kNow), Catch::Contains("expires in 10 days"));
  CHECK_THAT(CrlExpiryWarning(expired, kNow), Catch::Contains("expired 30 days ago"));
  CHECK(CrlExpiryWarning("", kNow).empty());
}

TEST_CASE("certificate: exactly one hoso://node/ URI with an epoch in range", "[certificate]") {
  Ca ca;
  std::string key = testing::KeyFor(30280).public_key();
  auto issue = [&](const std::string& san) {
    return IssueCertificateWithSanForTesting(ca.key, ca.pem, san, key, 40, kNow - 3600,
                                             kNow + kYear)
        .value();
  };
  auto one =
      VerifyNodeCertificate(issue("URI:hoso://node/30280?epoch=4294967296"), ca.pem, "", kNow);
  REQUIRE(one.ok());
  CHECK(one->epoch == 4294967296u);
  // Another URI scheme next to it is not an identity.
  CHECK(VerifyNodeCertificate(issue("URI:hoso://node/30280?epoch=3,URI:https://example.org/"),
                              ca.pem, "", kNow)
            .ok());
  CHECK_THAT(
      VerifyNodeCertificate(issue("URI:hoso://node/30280?epoch=1,URI:hoso://node/89?epoch=1"),
                            ca.pem, "", kNow)
          .status()
          .message(),
      Catch::Contains("more than one"));
  CHECK_THAT(
      VerifyNodeCertificate(issue("URI:hoso://node/30280?epoch=1,URI:hoso://node/30280?epoch=1"),
                            ca.pem, "", kNow)
          .status()
          .message(),
      Catch::Contains("more than one"));
  for (std::string bad :
       {"hoso://node/30280?epoch=4294967297", "hoso://node/30280?epoch=0",
        "hoso://node/30280?epoch=18446744073709551616", "hoso://node/30280?epoch=-1",
        "hoso://node/30280?epoch=1x", "hoso://node/30280?epoch=+1", "hoso://node/?epoch=1"}) {
    INFO(bad);
    CHECK_FALSE(VerifyNodeCertificate(issue("URI:" + bad), ca.pem, "", kNow).ok());
  }
}
