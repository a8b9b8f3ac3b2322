// ApiClient: a small blocking HTTP/1.1 client of a node's local API (Boost.Beast), for the
// hoso CLI, the demo and tests. ForNode finds a node's API address and token in its data
// directory: run.json (written by a running node: the address actually bound, and whether it
// serves HTTPS) or else the "api" and "api_tls" options of hoso.conf, and the token_file.
// Over HTTPS the node must present a certificate from the web root in `api_ca` (or the file
// given), naming the address or name connected to; one past its validity period is accepted
// with a warning (ApiReply::warning): an expired web certificate must not lock IT out of its
// own node.
// Thread-safety: one client per thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/base/status.h"

namespace hoso::tools {

struct ApiReply {
  int status = 0;
  std::string body;
  std::string warning;  // for the operator, e.g. the node's web certificate expired
  std::map<std::string, std::string> headers;  // by lower-case name (the last of repeated ones)
};

class ApiClient {
 public:
  ApiClient(std::string host, uint16_t port, std::string token)
      : host_(std::move(host)), port_(port), token_(std::move(token)) {}
  // `api_ca`: the web root to verify an HTTPS node with instead of the config's api_ca.
  static Result<ApiClient> ForNode(const std::string& data_dir, const std::string& api_ca = "");
  // HTTPS from now on, verifying the node with this root (PEM).
  ApiClient& UseTls(std::string ca_pem) {
    tls_ = true;
    ca_pem_ = std::move(ca_pem);
    return *this;
  }
  bool tls() const { return tls_; }

  // One request on a fresh connection. A Status error means the node could not be reached
  // (kIOError) or answered garbage; any HTTP status is a reply.
  Result<ApiReply> Call(const std::string& method, const std::string& target,
                        const std::string& body = "",
                        const std::string& content_type = "application/json") const;
  std::string address() const {
    return std::string(tls_ ? "https://" : "") + host_ + ":" + std::to_string(port_);
  }
  const std::string& token() const { return token_; }

 private:
  std::string host_;
  uint16_t port_;
  std::string token_;
  bool tls_ = false;
  std::string ca_pem_;
};

// Percent-encodes a query value (UTF-8 names included).
std::string UrlEncode(std::string_view s);

}  // namespace hoso::tools
