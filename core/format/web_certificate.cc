#include "core/format/web_certificate.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <memory>

#include "core/format/x509_util.h"

namespace hoso {
namespace {

using namespace openssl;

Result<PkeyPtr> ReadKey(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return Status::InvalidArgument(SslError("reading the web key"));
  return key;
}

Result<std::string> Pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_X509(bio.get(), cert)) return Status::IOError(SslError("writing PEM"));
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Result<std::string> Pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)) {
    return Status::IOError(SslError("writing the key"));
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

// Browsers and Windows take ECDSA P-256 everywhere.
Result<PkeyPtr> NewKey() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return Status::IOError(SslError("making an ECDSA P-256 key"));
  return key;
}

Status AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return Status::InvalidArgument(SslError(std::string("certificate extension ") + value));
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return Status::Ok();
}

bool IsIp(const std::string& s, unsigned char* out, int* len) {
  if (inet_pton(AF_INET, s.c_str(), out) == 1) {
    *len = 4;
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), out) == 1) {
    *len = 16;
    return true;
  }
  return false;
}

int64_t ToUnix(const ASN1_TIME* t) {
  struct tm tm {};
  ASN1_TIME_to_tm(t, &tm);
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

Result<WebKeyPair> MakeWebCa(std::string_view root_unit, int64_t not_before, int64_t not_after) {
  HOSO_ASSIGN_OR_RETURN(PkeyPtr key, NewKey());
  HOSO_ASSIGN_OR_RETURN(X509Ptr cert, NewCert(1, "hoso web CA " + std::string(root_unit),
                                              not_before, not_after, key.get()));
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  // pathlen 0: it signs web certificates only, never another CA.
  HOSO_RETURN_IF_ERROR(
      AddExt(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  HOSO_RETURN_IF_ERROR(
      AddExt(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  HOSO_RETURN_IF_ERROR(AddExt(cert.get(), cert.get(), NID_subject_key_identifier, "hash"));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    return Status::IOError(SslError("signing the web root"));
  }
  WebKeyPair out;
  HOSO_ASSIGN_OR_RETURN(out.key_pem, Pem(key.get()));
  HOSO_ASSIGN_OR_RETURN(out.cert_pem, Pem(cert.get()));
  return out;
}

Result<std::string> WebName(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!n.empty() && n.front() == '[') {
    size_t close = n.find(']');
    if (close == std::string::npos) {
      return Status::InvalidArgument("'" + std::string(name) + "' is not a host name or address");
    }
    n = n.substr(1, close - 1);
  } else if (std::count(n.begin(), n.end(), ':') == 1) {
    n = n.substr(0, n.find(':'));  // name:port
  }
  unsigned char ip[16];
  int len = 0;
  if (IsIp(n, ip, &len)) return n;
  bool ok = !n.empty() && n.size() <= 253 && n.front() != '.' && n.back() != '.';
  size_t label = 0;
  for (size_t i = 0; ok && i < n.size(); ++i) {
    char c = n[i];
    if (c == '.') {
      ok = label > 0 && n[i - 1] != '-';
      label = 0;
      continue;
    }
    ok = (std::isalnum(static_cast<unsigned char>(c)) || (c == '-' && label > 0)) && ++label <= 63;
  }
  if (!ok || n.back() == '-') {
    return Status::InvalidArgument("'" + std::string(name) +
                                   "' is not a host name (letters, digits, '-' and '.') or an "
                                   "IP address");
  }
  return n;
}

Result<WebKeyPair> IssueWebCertificate(std::string_view ca_key_pem, std::string_view ca_pem,
                                       std::string_view unit, const std::vector<std::string>& names,
                                       uint64_t serial, int64_t not_before, int64_t not_after) {
  if (names.empty()) return Status::InvalidArgument("a web certificate names at least one host");
  HOSO_ASSIGN_OR_RETURN(PkeyPtr signer, ReadKey(ca_key_pem));
  HOSO_ASSIGN_OR_RETURN(X509Ptr ca, ReadCert(ca_pem, "the web root"));
  HOSO_ASSIGN_OR_RETURN(PkeyPtr key, NewKey());
  NamesPtr san(sk_GENERAL_NAME_new_null());
  std::vector<std::string> seen;
  for (const auto& raw : names) {
    HOSO_ASSIGN_OR_RETURN(std::string n, WebName(raw));
    if (std::find(seen.begin(), seen.end(), n) != seen.end()) continue;
    seen.push_back(n);
    GENERAL_NAME* gn = GENERAL_NAME_new();
    unsigned char ip[16];
    int len = 0;
    if (IsIp(n, ip, &len)) {
      ASN1_OCTET_STRING* os = ASN1_OCTET_STRING_new();
      ASN1_OCTET_STRING_set(os, ip, len);
      GENERAL_NAME_set0_value(gn, GEN_IPADD, os);
    } else {
      ASN1_IA5STRING* s = ASN1_IA5STRING_new();
      ASN1_STRING_set(s, n.data(), static_cast<int>(n.size()));
      GENERAL_NAME_set0_value(gn, GEN_DNS, s);
    }
    sk_GENERAL_NAME_push(san.get(), gn);
  }
  HOSO_ASSIGN_OR_RETURN(X509Ptr cert,
                        NewCert(serial, seen.front(), not_before, not_after, key.get()));
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "OU", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(std::string(unit).c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get()));
  HOSO_RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE"));
  HOSO_RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature"));
  HOSO_RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth"));
  HOSO_RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_subject_key_identifier, "hash"));
  HOSO_RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_authority_key_identifier, "keyid"));
  if (X509_add1_ext_i2d(cert.get(), NID_subject_alt_name, san.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return Status::InvalidArgument(SslError("subjectAltName"));
  }
  if (X509_sign(cert.get(), signer.get(), EVP_sha256()) <= 0) {
    return Status::IOError(SslError("signing the web certificate"));
  }
  WebKeyPair out;
  HOSO_ASSIGN_OR_RETURN(out.key_pem, Pem(key.get()));
  HOSO_ASSIGN_OR_RETURN(out.cert_pem, Pem(cert.get()));
  return out;
}

Result<WebCertificateInfo> ParseWebCertificate(std::string_view pem) {
  HOSO_ASSIGN_OR_RETURN(X509Ptr cert, ReadCert(pem, "the web certificate"));
  WebCertificateInfo info;
  info.not_before = ToUnix(X509_get0_notBefore(cert.get()));
  info.not_after = ToUnix(X509_get0_notAfter(cert.get()));
  ASN1_INTEGER_get_uint64(&info.serial, X509_get0_serialNumber(cert.get()));
  char cn[256] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn);
  info.subject = cn;
  NamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    GENERAL_NAME* gn = sk_GENERAL_NAME_value(names.get(), i);
    if (gn->type == GEN_DNS) {
      info.names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(gn->d.dNSName)),
                              ASN1_STRING_length(gn->d.dNSName));
    } else if (gn->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = gn->d.iPAddress;
      char text[INET6_ADDRSTRLEN] = "";
      int family = ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6;
      if (ASN1_STRING_length(ip) == 4 || ASN1_STRING_length(ip) == 16) {
        inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof text);
        info.names.emplace_back(text);
      }
    }
  }
  ERR_clear_error();
  return info;
}

Status CheckWebCertificate(std::string_view cert_pem, std::string_view key_pem,
                           std::string_view ca_pem) {
  HOSO_ASSIGN_OR_RETURN(X509Ptr cert, ReadCert(cert_pem, "the web certificate"));
  HOSO_ASSIGN_OR_RETURN(PkeyPtr key, ReadKey(key_pem));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument("the web key does not belong to the web certificate");
  }
  if (ca_pem.empty()) return Status::Ok();
  HOSO_ASSIGN_OR_RETURN(X509Ptr ca, ReadCert(ca_pem, "the web root"));
  StorePtr store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca.get());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr);
  // Expiry is WebCertificateExpiry's to report: a certificate out of date must not stop
  // the node.
  X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_NO_CHECK_TIME);
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER);
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return Status::PermissionDenied(std::string("the web certificate does not chain to the web "
                                                "root: ") +
                                    X509_verify_cert_error_string(err));
  }
  return Status::Ok();
}

std::string WebCertificateExpiry(const WebCertificateInfo& info, int64_t now, int64_t warn_before) {
  if (info.not_after - now > warn_before) return "";
  if (info.not_after > now) {
    return "the API's web certificate expires in " +
           std::to_string((info.not_after - now + 86399) / 86400) +
           " days: issue a new one (hoso cert web) and reload the node";
  }
  return "the API's web certificate expired " + std::to_string((now - info.not_after) / 86400) +
         " days ago: browsers warn before the web app (clerks can go on past the warning) until "
         "a new one is issued (hoso cert web) and the node reloaded";
}

}  // namespace hoso
