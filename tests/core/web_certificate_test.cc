#include "core/format/web_certificate.h"

#include <catch2/catch.hpp>

using namespace hoso;

namespace {
constexpr int64_t kNow = 1764000000;  // seconds
constexpr int64_t kDay = 86400;
}  // namespace

TEST_CASE("web certificate: the web root issues ECDSA server certificates for the names given",
          "[certificate][web]") {
  auto root = MakeWebCa("89", kNow - kDay, kNow + 3650 * kDay);
  REQUIRE(root.ok());
  auto issued = IssueWebCertificate(
      root->key_pem, root->cert_pem, "30280",
      {"hoso.xa-my-binh.vn:7480", "192.168.1.10", "[::1]", "localhost", "HOSO.XA-MY-BINH.VN"}, 77,
      kNow - 3600, kNow + 730 * kDay);
  REQUIRE(issued.ok());
  auto info = ParseWebCertificate(issued->cert_pem);
  REQUIRE(info.ok());
  // Ports dropped, names lower-cased, duplicates once, addresses as IP entries.
  CHECK(info->names ==
        std::vector<std::string>{"hoso.xa-my-binh.vn", "192.168.1.10", "::1", "localhost"});
  CHECK(info->subject == "hoso.xa-my-binh.vn");
  CHECK(info->serial == 77);
  CHECK(info->not_after == kNow + 730 * kDay);
  CHECK(CheckWebCertificate(issued->cert_pem, issued->key_pem, root->cert_pem).ok());
  CHECK(issued->key_pem.find("BEGIN PRIVATE KEY") != std::string::npos);

  // Another root's certificate does not chain; a key of another certificate is not its key.
  auto other = MakeWebCa("89", kNow - kDay, kNow + 3650 * kDay);
  auto foreign = IssueWebCertificate(other->key_pem, other->cert_pem, "30280", {"localhost"}, 1,
                                     kNow, kNow + kDay);
  REQUIRE(foreign.ok());
  Status chained = CheckWebCertificate(foreign->cert_pem, foreign->key_pem, root->cert_pem);
  CHECK(chained.code() == Code::kPermissionDenied);
  CHECK_THAT(chained.message(), Catch::Contains("does not chain to the web root"));
  Status mismatched = CheckWebCertificate(issued->cert_pem, foreign->key_pem, "");
  REQUIRE_FALSE(mismatched.ok());
  CHECK_THAT(mismatched.message(), Catch::Contains("does not belong"));

  // An expired certificate still chains: its dates are reported, never a reason to refuse.
  auto old = IssueWebCertificate(root->key_pem, root->cert_pem, "30280", {"localhost"}, 2,
                                 kNow - 800 * kDay, kNow - 10 * kDay);
  REQUIRE(old.ok());
  CHECK(CheckWebCertificate(old->cert_pem, old->key_pem, root->cert_pem).ok());
}

TEST_CASE("web certificate: only host names and addresses are certified", "[certificate][web]") {
  CHECK(WebName("Hoso.Xa.VN").value() == "hoso.xa.vn");
  CHECK(WebName("10.0.0.7:7480").value() == "10.0.0.7");
  CHECK(WebName("[fe80::1]:7480").value() == "fe80::1");
  CHECK(WebName("fe80::1").value() == "fe80::1");
  for (const char* bad : {"", "-hoso.vn", "hoso-.vn", "ho so.vn", "hoso..vn", ".hoso.vn",
                          "*.hoso.vn", "hoso.vn/x", "xã.vn", "[::1"}) {
    INFO(bad);
    CHECK_FALSE(WebName(bad).ok());
  }
  CHECK_FALSE(WebName(std::string(64, 'a') + ".vn").ok());  // a label over 63 bytes
  auto root = MakeWebCa("89", kNow, kNow + kDay);
  CHECK_FALSE(
      IssueWebCertificate(root->key_pem, root->cert_pem, "30280", {}, 1, kNow, kNow + 1).ok());
  CHECK_FALSE(
      IssueWebCertificate(root->key_pem, root->cert_pem, "30280", {"a b"}, 1, kNow, kNow + 1).ok());
}

TEST_CASE("web certificate: its expiry is warned of 30 days ahead and after",
          "[certificate][web]") {
  WebCertificateInfo info;
  info.not_after = kNow + 40 * kDay;
  CHECK(WebCertificateExpiry(info, kNow).empty());
  CHECK_THAT(WebCertificateExpiry(info, kNow + 20 * kDay), Catch::Contains("expires in 20 days"));
  CHECK_THAT(WebCertificateExpiry(info, kNow + 45 * kDay), Catch::Contains("expired 5 days ago"));
  CHECK_THAT(WebCertificateExpiry(info, kNow + 45 * kDay),
             Catch::Contains("clerks can go on past the warning"));
}
