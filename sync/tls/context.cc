#include "sync/tls/context.h"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "core/format/certificate.h"

namespace hoso::sync {

namespace asio = boost::asio;
namespace ssl = asio::ssl;

Result<std::shared_ptr<ssl::context>> MakeContext(const TlsConfig& c, const std::string& crl) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls);
  SSL_CTX* native = ctx->native_handle();
  // TLS 1.3 only, mutual authentication.
  SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION);
  SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION);
  boost::system::error_code ec;
  ctx->use_certificate_chain(asio::buffer(c.cert_pem), ec);
  if (ec) return Status::InvalidArgument("node certificate: " + ec.message());
  ctx->use_private_key(asio::buffer(c.key_pem), ssl::context::pem, ec);
  if (ec) return Status::InvalidArgument("node key: " + ec.message());
  ctx->add_certificate_authority(asio::buffer(c.ca_pem), ec);
  if (ec) return Status::InvalidArgument("CA certificate: " + ec.message());
  // add_certificate_authority put the CA in the context's store, where the CRL goes too.
  X509_STORE* store = SSL_CTX_get_cert_store(native);
  if (!crl.empty()) {
    BIO* bio = BIO_new_mem_buf(crl.data(), static_cast<int>(crl.size()));
    X509_CRL* x = PEM_read_bio_X509_CRL(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!x) return Status::InvalidArgument("CRL is not PEM");
    X509_STORE_add_crl(store, x);
    X509_CRL_free(x);
    X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  }
  // A CRL past its nextUpdate (or before its lastUpdate) still revokes what it lists but
  // refuses no one else: an unrenewed CRL must not stop the network (CrlExpiryWarning warns).
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     [](int ok, X509_STORE_CTX* x) -> int {
                       if (!ok && IsCrlTimeError(X509_STORE_CTX_get_error(x))) {
                         X509_STORE_CTX_set_error(x, X509_V_OK);
                         return 1;
                       }
                       return ok;
                     });
  return ctx;
}

std::string PeerCertificatePem(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (!cert) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  X509_free(cert);
  return pem;
}

std::string VerifyFailure(SSL* ssl) {
  long r = SSL_get_verify_result(ssl);
  if (r == X509_V_OK) return "";
  return std::string(" (certificate: ") + X509_verify_cert_error_string(r) + ")";
}

}  // namespace hoso::sync
