#include "node/api_tls.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <cstdio>
#include <filesystem>

#include "node/daemon.h"
#include "node/json.h"

namespace hoso::node {

namespace ssl = boost::asio::ssl;

Result<ApiTls> LoadApiTls(const NodeConfig& c, Logger* log, int64_t now) {
  ApiTls tls;
  const std::string cert_path = c.Path(c.api_cert), key_path = c.Path(c.api_key);
  auto cert = ReadTextFile(cert_path, "web certificate");
  if (!cert.ok()) {
    return Status::NotFound(
        "the API binds " + c.api +
        (c.api_tls == "always" ? " with api_tls = always," : ", beyond loopback,") +
        " so it serves HTTPS only, and its web certificate " + cert_path +
        " cannot be read: make one at the province's CA with `hoso cert web --ca CA_DIR --dir " +
        c.dir + "` (docs/operations.md, \"HTTPS on the office LAN\")" +
        (c.api_tls == "always" ? ", or set api_tls = auto"
                               : ", or bind the API to 127.0.0.1 to serve this machine only"));
  }
  tls.cert_pem = std::move(cert).value();
  HOSO_ASSIGN_OR_RETURN(tls.key_pem, ReadPrivateFile(key_path, "web key"));
  auto info = ParseWebCertificate(tls.cert_pem);
  if (!info.ok()) return info.status().Annotate("web certificate " + cert_path);
  tls.info = std::move(info).value();
  Status own = CheckWebCertificate(tls.cert_pem, tls.key_pem, "");
  if (!own.ok()) return own.Annotate(key_path + " and " + cert_path);
  // A certificate from elsewhere (an office's own CA) may be meant; the CLI and browsers that
  // trust only the province's web root will refuse it, so say so, but serve it.
  const std::string ca_path = c.Path(c.api_ca);
  if (std::filesystem::exists(ca_path)) {
    auto ca = ReadTextFile(ca_path, "web root");
    Status chained = ca.ok() ? CheckWebCertificate(tls.cert_pem, tls.key_pem, *ca) : ca.status();
    if (!chained.ok()) {
      log->Log(LogLevel::kWarn, "api",
               cert_path + ": " + chained.message() + " (" + ca_path +
                   "): the hoso CLI and browsers trusting that root will refuse it");
    }
  }
  std::string expiry = WebCertificateExpiry(tls.info, now);
  if (!expiry.empty()) {
    log->Log(tls.info.not_after <= now ? LogLevel::kError : LogLevel::kWarn, "api", expiry);
  }
  return tls;
}

Result<std::shared_ptr<ssl::context>> MakeApiTlsContext(const ApiTls& tls) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  // TLS 1.2 for the office PCs that lack 1.3; on 1.2 only ECDHE with AES-GCM or ChaCha20
  // (forward secrecy, no CBC). No renegotiation, no compression.
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(
      native, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_cipher_list(native, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1) {
    return Status::InvalidArgument("TLS 1.2 cipher suites refused by OpenSSL");
  }
  boost::system::error_code ec;
  ctx->use_certificate_chain(boost::asio::buffer(tls.cert_pem), ec);
  if (ec) return Status::InvalidArgument("web certificate: " + ec.message());
  ctx->use_private_key(boost::asio::buffer(tls.key_pem), ssl::context::pem, ec);
  if (ec) return Status::InvalidArgument("web key: " + ec.message());
  if (SSL_CTX_check_private_key(native) != 1) {
    return Status::InvalidArgument("the web key does not belong to the web certificate");
  }
  return ctx;
}

std::string HstsValue(int64_t not_after, int64_t now) {
  int64_t age = std::clamp<int64_t>(not_after - now, 0, 365 * 86400);
  return "max-age=" + std::to_string(age);
}

void ApiTlsState::Set(const ApiTls* tls, int64_t now) {
  std::lock_guard lock(mu_);
  https_ = tls != nullptr;
  info_ = tls ? tls->info : WebCertificateInfo{};
  warned_ = now;  // LoadApiTls has just said it
}

boost::json::object ApiTlsState::Json(int64_t now) const {
  std::lock_guard lock(mu_);
  boost::json::object o;
  o["scheme"] = https_ ? "https" : "http";
  if (!https_) return o;
  boost::json::array names;
  for (const auto& n : info_.names) names.push_back(boost::json::value(n));
  o["names"] = std::move(names);
  o["not_after"] = FormatTime(info_.not_after * 1000);
  int64_t left = info_.not_after - now;
  o["days_left"] = left >= 0 ? left / 86400 : -((-left + 86399) / 86400);
  std::string warning = WebCertificateExpiry(info_, now);
  if (!warning.empty()) o["warning"] = warning;
  return o;
}

std::string ApiTlsState::Metrics(int64_t now) const {
  std::lock_guard lock(mu_);
  if (!https_) return "";
  return "# HELP hoso_api_cert_expiry_seconds Seconds until the API's web certificate expires "
         "(negative: expired).\n# TYPE hoso_api_cert_expiry_seconds gauge\n"
         "hoso_api_cert_expiry_seconds " +
         std::to_string(info_.not_after - now) + "\n";
}

void ApiTlsState::WarnIfDue(int64_t now) {
  std::string warning;
  bool expired = false;
  {
    std::lock_guard lock(mu_);
    if (!https_ || now - warned_ < 3600) return;
    warning = WebCertificateExpiry(info_, now);
    if (warning.empty()) return;
    warned_ = now;
    expired = info_.not_after <= now;
  }
  log_->Log(expired ? LogLevel::kError : LogLevel::kWarn, "api", warning);
}

}  // namespace hoso::node
