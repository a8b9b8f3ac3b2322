#include "core/format/certificate.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "core/format/x509_util.h"

namespace hoso {

namespace {

using namespace openssl;

Result<PkeyPtr> PrivatePkey(const SigningKey& key) {
  HOSO_ASSIGN_OR_RETURN(std::string seed, key.raw_private());
  PkeyPtr p(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                         reinterpret_cast<const unsigned char*>(seed.data()), 32));
  if (!p) return Status::InvalidArgument(SslError("loading Ed25519 key"));
  return p;
}

Result<std::string> WritePem(int (*write)(BIO*, void*), void* object, const char* what) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!write(bio.get(), object)) return Status::IOError(SslError(what));
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

int WriteX509(BIO* b, void* x) { return PEM_write_bio_X509(b, static_cast<X509*>(x)); }
int WriteCrl(BIO* b, void* x) { return PEM_write_bio_X509_CRL(b, static_cast<X509_CRL*>(x)); }

Status AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return Status::InvalidArgument(SslError("certificate extension " + value));
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return Status::Ok();
}

Result<PkeyPtr> PublicPkey(std::string_view raw) {
  if (raw.size() != kPublicKeySize) return Status::InvalidArgument("public key must be 32 bytes");
  PkeyPtr p(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
  if (!p) return Status::InvalidArgument(SslError("loading public key"));
  return p;
}

// The hoso://node/<unit>?epoch=<n> URI of a certificate's SAN: exactly one, with a valid unit
// and an epoch of 1 .. kMaxEpoch in plain decimal. Returns "" or why there is no identity.
std::string NodeIdentity(X509* cert, std::string* unit, uint64_t* epoch) {
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return "no hoso://node/ identity URI";
  const std::string prefix = "hoso://node/";
  int count = 0;
  std::string error = "no hoso://node/ identity URI";
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
    if (gn->type != GEN_URI) continue;
    std::string uri(
        reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier)),
        ASN1_STRING_length(gn->d.uniformResourceIdentifier));
    if (uri.rfind(prefix, 0) != 0) continue;
    if (++count > 1) {
      error = "more than one hoso://node/ identity URI";
      break;
    }
    size_t q = uri.find("?epoch=");
    error = "malformed hoso://node/ identity URI";
    if (q == std::string::npos) continue;
    std::string u = uri.substr(prefix.size(), q - prefix.size());
    std::string digits = uri.substr(q + 7);
    if (digits.empty() || digits.size() > 10 || digits[0] == '0' ||
        digits.find_first_not_of("0123456789") != std::string::npos ||
        !ValidateName("unit", u).ok()) {
      continue;
    }
    uint64_t e = std::stoull(digits);
    if (e > kMaxEpoch) {
      error = "identity epoch out of range (1 .. " + std::to_string(kMaxEpoch) + ")";
      continue;
    }
    *unit = u;
    *epoch = e;
    error.clear();
  }
  GENERAL_NAMES_free(names);
  if (!error.empty()) {
    unit->clear();
    *epoch = 0;
  }
  return error;
}

// Honours a CRL's revocations whatever its validity period (security.md: revocation and expiry
// never stop the network).
int AcceptCrlTime(int ok, X509_STORE_CTX* ctx) {
  if (!ok && IsCrlTimeError(X509_STORE_CTX_get_error(ctx))) {
    X509_STORE_CTX_set_error(ctx, X509_V_OK);
    return 1;
  }
  return ok;
}

}  // namespace

std::string NodeUri(std::string_view unit, uint64_t epoch) {
  return "hoso://node/" + std::string(unit) + "?epoch=" + std::to_string(epoch);
}

Result<std::string> MakeCaCertificate(const SigningKey& ca_key, std::string_view root_unit,
                                      int64_t not_before, int64_t not_after) {
  HOSO_ASSIGN_OR_RETURN(PkeyPtr key, PrivatePkey(ca_key));
  HOSO_ASSIGN_OR_RETURN(X509Ptr cert, NewCert(1, "hoso CA " + std::string(root_unit), not_before,
                                              not_after, key.get()));
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  HOSO_RETURN_IF_ERROR(AddExt(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE"));
  HOSO_RETURN_IF_ERROR(
      AddExt(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  HOSO_RETURN_IF_ERROR(AddExt(cert.get(), cert.get(), NID_subject_key_identifier, "hash"));
  if (X509_sign(cert.get(), key.get(), nullptr) <= 0) {
    return Status::IOError(SslError("signing CA certificate"));
  }
  return WritePem(WriteX509, cert.get(), "writing CA certificate");
}

namespace {

Result<std::string> IssueWithSan(const SigningKey& ca_key, std::string_view ca_pem,
                                 const std::string& cn, const std::string& san,
                                 std::string_view node_public_key, uint64_t serial,
                                 int64_t not_before, int64_t not_after) {
  HOSO_ASSIGN_OR_RETURN(PkeyPtr signer, PrivatePkey(ca_key));
  HOSO_ASSIGN_OR_RETURN(X509Ptr ca, ReadCert(ca_pem, "certificate PEM"));
  HOSO_ASSIGN_OR_RETURN(PkeyPtr subject, PublicPkey(node_public_key));
  HOSO_ASSIGN_OR_RETURN(X509Ptr cert, NewCert(serial, cn, not_before, not_after, subject.get()));
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get()));
  HOSO_RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE"));
  HOSO_RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature"));
  HOSO_RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth,clientAuth"));
  HOSO_RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_subject_alt_name, san));
  if (X509_sign(cert.get(), signer.get(), nullptr) <= 0) {
    return Status::IOError(SslError("signing node certificate"));
  }
  return WritePem(WriteX509, cert.get(), "writing node certificate");
}

}  // namespace

Result<std::string> IssueNodeCertificate(const SigningKey& ca_key, std::string_view ca_pem,
                                         std::string_view unit, uint64_t epoch,
                                         std::string_view node_public_key, uint64_t serial,
                                         int64_t not_before, int64_t not_after) {
  HOSO_RETURN_IF_ERROR(ValidateName("unit", unit));
  if (epoch == 0 || epoch > kMaxEpoch) {
    return Status::InvalidArgument("epoch must be 1 .. " + std::to_string(kMaxEpoch));
  }
  std::string cn = "hoso node " + std::string(unit) + " epoch " + std::to_string(epoch);
  return IssueWithSan(ca_key, ca_pem, cn, "URI:" + NodeUri(unit, epoch), node_public_key, serial,
                      not_before, not_after);
}

Result<std::string> IssueCertificateWithSanForTesting(
    const SigningKey& ca_key, std::string_view ca_pem, const std::string& san,
    std::string_view node_public_key, uint64_t serial, int64_t not_before, int64_t not_after) {
  return IssueWithSan(ca_key, ca_pem, "hoso node (test)", san, node_public_key, serial, not_before,
                      not_after);
}

Result<std::string> MakeCrl(const SigningKey& ca_key, std::string_view ca_pem,
                            const std::vector<uint64_t>& revoked, int64_t this_update,
                            int64_t next_update) {
  HOSO_ASSIGN_OR_RETURN(PkeyPtr signer, PrivatePkey(ca_key));
  HOSO_ASSIGN_OR_RETURN(X509Ptr ca, ReadCert(ca_pem, "certificate PEM"));
  CrlPtr crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.get()));
  ASN1_TIME* t = ASN1_TIME_set(nullptr, static_cast<time_t>(this_update));
  X509_CRL_set1_lastUpdate(crl.get(), t);
  ASN1_TIME_set(t, static_cast<time_t>(next_update));
  X509_CRL_set1_nextUpdate(crl.get(), t);
  for (uint64_t serial : revoked) {
    X509_REVOKED* r = X509_REVOKED_new();
    ASN1_INTEGER* s = ASN1_INTEGER_new();
    ASN1_INTEGER_set_uint64(s, serial);
    X509_REVOKED_set_serialNumber(r, s);
    ASN1_TIME_set(t, static_cast<time_t>(this_update));
    X509_REVOKED_set_revocationDate(r, t);
    X509_CRL_add0_revoked(crl.get(), r);
    ASN1_INTEGER_free(s);
  }
  ASN1_TIME_free(t);
  X509_CRL_sort(crl.get());
  if (X509_CRL_sign(crl.get(), signer.get(), nullptr) <= 0) {
    return Status::IOError(SslError("signing CRL"));
  }
  return WritePem(WriteCrl, crl.get(), "writing CRL");
}

Result<CertificateInfo> ParseCertificate(std::string_view pem) {
  HOSO_ASSIGN_OR_RETURN(X509Ptr cert, ReadCert(pem, "certificate PEM"));
  CertificateInfo info;
  info.identity_error = NodeIdentity(cert.get(), &info.unit, &info.epoch);
  EVP_PKEY* key = X509_get0_pubkey(cert.get());
  info.public_key.assign(kPublicKeySize, '\0');
  size_t len = kPublicKeySize;
  if (!key || EVP_PKEY_get_raw_public_key(
                  key, reinterpret_cast<unsigned char*>(info.public_key.data()), &len) != 1) {
    return Status::InvalidArgument(SslError("certificate key is not Ed25519"));
  }
  ASN1_INTEGER_get_uint64(&info.serial, X509_get0_serialNumber(cert.get()));
  info.is_ca = X509_check_ca(cert.get()) != 0;
  auto to_unix = [](const ASN1_TIME* t) {
    struct tm tm {};
    ASN1_TIME_to_tm(t, &tm);
    return static_cast<int64_t>(timegm(&tm));
  };
  info.not_before = to_unix(X509_get0_notBefore(cert.get()));
  info.not_after = to_unix(X509_get0_notAfter(cert.get()));
  return info;
}

Result<CertificateInfo> VerifyNodeCertificate(std::string_view pem, std::string_view ca_pem,
                                              std::string_view crl_pem, int64_t now) {
  HOSO_ASSIGN_OR_RETURN(X509Ptr cert, ReadCert(pem, "certificate PEM"));
  HOSO_ASSIGN_OR_RETURN(X509Ptr ca, ReadCert(ca_pem, "certificate PEM"));
  StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca.get());
  unsigned long flags = 0;
  if (!crl_pem.empty()) {
    BioPtr bio(BIO_new_mem_buf(crl_pem.data(), static_cast<int>(crl_pem.size())));
    CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    if (!crl) return Status::InvalidArgument(SslError("reading CRL PEM"));
    X509_STORE_add_crl(store.get(), crl.get());
    flags |= X509_V_FLAG_CRL_CHECK;
  }
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr);
  X509_STORE_CTX_set_flags(ctx.get(), flags);
  X509_STORE_CTX_set_verify_cb(ctx.get(), AcceptCrlTime);
  X509_STORE_CTX_set_time(ctx.get(), 0, static_cast<time_t>(now));
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return Status::PermissionDenied(std::string("certificate refused: ") +
                                    X509_verify_cert_error_string(err));
  }
  HOSO_ASSIGN_OR_RETURN(CertificateInfo info, ParseCertificate(pem));
  if (info.is_ca) return Status::PermissionDenied("certificate refused: a CA is not a node");
  if (!info.identity_error.empty()) {
    return Status::PermissionDenied("certificate refused: " + info.identity_error);
  }
  return info;
}

bool IsCrlTimeError(int err) {
  return err == X509_V_ERR_CRL_HAS_EXPIRED || err == X509_V_ERR_CRL_NOT_YET_VALID;
}

std::string CrlExpiryWarning(std::string_view crl_pem, int64_t now, int64_t warn_before) {
  if (crl_pem.empty()) return "";
  BioPtr bio(BIO_new_mem_buf(crl_pem.data(), static_cast<int>(crl_pem.size())));
  CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  if (!crl) {
    ERR_clear_error();
    return "";
  }
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get());
  if (!next) return "";
  struct tm tm {};
  if (ASN1_TIME_to_tm(next, &tm) != 1) return "";
  int64_t at = static_cast<int64_t>(timegm(&tm));
  if (at - now > warn_before) return "";
  auto days = [](int64_t s) { return std::to_string((s + 86399) / 86400); };
  if (at > now) {
    return "the CRL expires in " + days(at - now) +
           " days (nextUpdate): sign a new one at the CA and reload it; until then it is "
           "still honoured";
  }
  return "the CRL expired " + std::to_string((now - at) / 86400) +
         " days ago (nextUpdate): its revocations are still honoured and no peer is refused "
         "for it; sign a new one at the CA and reload it";
}

Result<CrlTimes> ReadCrlTimes(std::string_view crl_pem) {
  BioPtr bio(BIO_new_mem_buf(crl_pem.data(), static_cast<int>(crl_pem.size())));
  CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  if (!crl) {
    ERR_clear_error();
    return Status::InvalidArgument("not a PEM CRL");
  }
  auto seconds = [](const ASN1_TIME* t, int64_t* out) {
    struct tm tm {};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return false;
    *out = static_cast<int64_t>(timegm(&tm));
    return true;
  };
  CrlTimes out;
  if (!seconds(X509_CRL_get0_lastUpdate(crl.get()), &out.this_update)) {
    return Status::InvalidArgument("the CRL has no readable thisUpdate");
  }
  if (X509_CRL_get0_nextUpdate(crl.get()) &&
      !seconds(X509_CRL_get0_nextUpdate(crl.get()), &out.next_update)) {
    return Status::InvalidArgument("the CRL has no readable nextUpdate");
  }
  return out;
}

Result<std::string> PrivateKeyPem(const SigningKey& key) {
  HOSO_ASSIGN_OR_RETURN(PkeyPtr p, PrivatePkey(key));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), p.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
    return Status::IOError(SslError("writing private key"));
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<SigningKey> SigningKeyFromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr p(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!p) return Status::InvalidArgument(SslError("reading private key PEM"));
  std::string seed(32, '\0');
  size_t len = seed.size();
  if (EVP_PKEY_get_raw_private_key(p.get(), reinterpret_cast<unsigned char*>(seed.data()), &len) !=
      1) {
    return Status::InvalidArgument(SslError("private key is not Ed25519"));
  }
  return SigningKey::FromRaw(seed);
}

}  // namespace hoso
