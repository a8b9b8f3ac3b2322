// HTTPS for the local API and web app (docs/operations.md, "HTTPS on the office LAN").
//
// A node whose API binds beyond loopback (config `api`; or `api_tls = always`) serves HTTPS
// only, with the web certificate of `api_cert` / `api_key` (core/format/web_certificate.h): TLS 1.2
// or 1.3, forward-secret AEAD suites only. Without that certificate the node refuses to start
// and says how to make one; it never serves plain HTTP on the LAN. A web certificate out of
// date never stops the node: it keeps serving, logs an error, and /v1/node and /metrics show
// it (browsers then warn before the app, and clerks can go on past the warning, since the
// Strict-Transport-Security the node sent never outlives the certificate: HstsValue).
// Thread-safety: pure functions, and ApiTlsState's methods from any thread.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/base/status.h"
#include "core/format/web_certificate.h"
#include "node/config.h"
#include "node/log.h"

namespace hoso::node {

struct ApiTls {
  std::string cert_pem, key_pem;
  WebCertificateInfo info;
};

// Reads and checks the web certificate and key of a node whose API serves HTTPS: the key is
// private (0600) and belongs to the certificate. A missing certificate is refused with the
// command that makes one. A certificate that does not chain to `api_ca` (when that file
// exists) or is out of date, or about to be, is logged, not refused.
Result<ApiTls> LoadApiTls(const NodeConfig& config, Logger* log, int64_t now);

// The server's TLS context for `tls`.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeApiTlsContext(const ApiTls& tls);

// Strict-Transport-Security for a certificate valid until `not_after`: a year at most, and
// never past the certificate's end, so a browser never holds HSTS for a certificate that
// expired (HSTS makes a certificate warning impossible to go past: an expired certificate
// would lock the clerks out until IT renews it).
std::string HstsValue(int64_t not_after, int64_t now);

// The API's HTTPS as the node serves it now, for /v1/node, /metrics and the log.
class ApiTlsState {
 public:
  explicit ApiTlsState(Logger* log) : log_(log) {}
  // nullptr: plain HTTP (loopback). The next warning is due an hour after `now`.
  void Set(const ApiTls* tls, int64_t now);
  // {"scheme": "http"} or {"scheme": "https", "names", "not_after", "days_left", "warning"}.
  boost::json::object Json(int64_t now) const;
  // Prometheus lines (hoso_api_cert_expiry_seconds), "" for plain HTTP.
  std::string Metrics(int64_t now) const;
  // Logs the expiry warning at most once an hour (called on connections).
  void WarnIfDue(int64_t now);

 private:
  Logger* log_;
  mutable std::mutex mu_;
  bool https_ = false;
  WebCertificateInfo info_;
  int64_t warned_ = 0;
};

}  // namespace hoso::node
