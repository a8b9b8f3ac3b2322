// ApiClient: a small blocking HTTP/1.1 client of a node's local API (Boost.Beast), for the
// hoso CLI, the demo and tests. ForNode finds a node's API address and token in its data
// directory: run.json (written by a running node: the address actually bound) or else the
// "api" option of hoso.conf, and the token_file.
// Thread-safety: one client per thread.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace hoso::tools {

struct ApiReply {
  int status = 0;
  std::string body;
};

class ApiClient {
 public:
  ApiClient(std::string host, uint16_t port, std::string token)
      : host_(std::move(host)), port_(port), token_(std::move(token)) {}
  static Result<ApiClient> ForNode(const std::string& data_dir);

  // One request on a fresh connection. A Status error means the node could not be reached
  // (kIOError) or answered garbage; any HTTP status is a reply.
  Result<ApiReply> Call(const std::string& method, const std::string& target,
                        const std::string& body = "",
                        const std::string& content_type = "application/json") const;
  std::string address() const { return host_ + ":" + std::to_string(port_); }
  const std::string& token() const { return token_; }

 private:
  std::string host_;
  uint16_t port_;
  std::string token_;
};

// Percent-encodes a query value (UTF-8 names included).
std::string UrlEncode(std::string_view s);

}  // namespace hoso::tools
