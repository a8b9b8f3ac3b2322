#include "tools/api_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>

#include "node/config.h"
#include "node/daemon.h"

namespace hoso::tools {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

Result<ApiClient> ApiClient::ForNode(const std::string& data_dir) {
  auto config = node::LoadNodeConfig({"--dir", data_dir});
  if (!config.ok()) return config.status();
  std::string api = config->api;
  // A running node's run file has the address actually bound (the config may say port 0).
  if (auto run = node::ReadRunFile(data_dir); run.ok()) api = run->api;
  HOSO_ASSIGN_OR_RETURN(node::HostPort hp, node::ParseHostPort(api));
  HOSO_ASSIGN_OR_RETURN(std::string token,
                        node::ReadPrivateFile(config->Path(config->token_file), "API token"));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  return ApiClient(hp.host, hp.port, token);
}

Result<ApiReply> ApiClient::Call(const std::string& method, const std::string& target,
                                 const std::string& body, const std::string& content_type) const {
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(host_, std::to_string(port_), ec);
  if (ec) return Status::IOError("cannot resolve " + address() + ": " + ec.message());
  stream.expires_after(std::chrono::seconds(60));
  stream.connect(endpoints, ec);
  if (ec) {
    return Status::IOError("the node's API at " + address() + " does not answer (" + ec.message() +
                           "): is hoso-node running?");
  }
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, host_);
  req.set(http::field::authorization, "Bearer " + token_);
  if (!body.empty()) req.set(http::field::content_type, content_type);
  req.body() = body;
  req.prepare_payload();
  beast::error_code write_ec;
  http::write(stream, req, write_ec);
  // Even when the write failed, the node may have answered first (413 for a body over the
  // limit, then it closed): read what it said.
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 << 20);
  http::read(stream, buffer, parser, ec);
  if (ec) {
    return Status::IOError((write_ec ? "sending to " : "reading from ") + address() + ": " +
                           (write_ec ? write_ec : ec).message());
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return ApiReply{static_cast<int>(parser.get().result_int()), parser.get().body()};
}

std::string UrlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace hoso::tools
