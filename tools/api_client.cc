#include "tools/api_client.h"

#include <boost/asio.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <filesystem>

#include "node/config.h"
#include "node/daemon.h"

namespace hoso::tools {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// Sends `req` and reads the reply on a connected stream, plain or TLS.
template <class Stream>
Result<ApiReply> Exchange(Stream& stream, http::request<http::string_body>& req,
                          const std::string& address) {
  beast::error_code write_ec, ec;
  http::write(stream, req, write_ec);
  // Even when the write failed, the node may have answered first (413 for a body over the
  // limit, then it closed): read what it said.
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 << 20);
  http::read(stream, buffer, parser, ec);
  if (ec) {
    return Status::IOError((write_ec ? "sending to " : "reading from ") + address + ": " +
                           (write_ec ? write_ec : ec).message());
  }
  ApiReply reply{static_cast<int>(parser.get().result_int()), parser.get().body(), "", {}};
  for (const auto& field : parser.get()) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    reply.headers[name] = std::string(field.value());
  }
  return reply;
}

}  // namespace

Result<ApiClient> ApiClient::ForNode(const std::string& data_dir, const std::string& api_ca) {
  auto config = node::LoadNodeConfig({"--dir", data_dir});
  if (!config.ok()) return config.status();
  std::string api = config->api;
  // A running node's run file has the address actually bound (the config may say port 0)
  // and the scheme it serves.
  bool tls = config->ApiUsesTls();
  if (auto run = node::ReadRunFile(data_dir); run.ok()) {
    api = run->api;
    tls = run->api_scheme == "https";
  }
  HOSO_ASSIGN_OR_RETURN(node::HostPort hp, node::ParseHostPort(api));
  // A node bound to every address is reached on loopback here (its web certificate names
  // loopback too).
  if (hp.host == "0.0.0.0") hp.host = "127.0.0.1";
  if (hp.host == "::") hp.host = "::1";
  HOSO_ASSIGN_OR_RETURN(std::string token,
                        node::ReadPrivateFile(config->Path(config->token_file), "API token"));
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  ApiClient client(hp.host, hp.port, token);
  if (tls) {
    std::string ca_file = api_ca.empty() ? config->Path(config->api_ca) : api_ca;
    auto ca = node::ReadTextFile(ca_file, "web root");
    if (!ca.ok()) {
      return Status::NotFound("the node's API serves HTTPS, and the web root to check it with (" +
                              ca_file +
                              ", option api_ca) cannot be read: copy web-ca.pem from the "
                              "province's CA there, or pass --api-ca FILE");
    }
    client.UseTls(std::move(ca).value());
  }
  return client;
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
  if (!tls_) {
    auto reply = Exchange(stream, req, address());
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    return reply;
  }
  ssl::context ctx(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  ctx.add_certificate_authority(asio::buffer(ca_pem_), ec);
  if (ec) return Status::InvalidArgument("the web root is not a PEM certificate: " + ec.message());
  ctx.set_verify_mode(ssl::verify_peer);
  // The province's web root and the name connected to; a certificate past its dates is
  // let through with a warning, anything else refused.
  std::string warning;
  ctx.set_verify_callback([this, &warning](bool preverified, ssl::verify_context& vc) {
    X509_STORE_CTX* x = vc.native_handle();
    int err = X509_STORE_CTX_get_error(x);
    if (!preverified &&
        (err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CERT_NOT_YET_VALID)) {
      warning = std::string("the node's web certificate is out of date (") +
                X509_verify_cert_error_string(err) +
                "): browsers warn before the web app; issue a new one with `hoso cert web`";
      X509_STORE_CTX_set_error(x, X509_V_OK);
      preverified = true;
    }
    return ssl::host_name_verification(host_)(preverified, vc);
  });
  beast::ssl_stream<beast::tcp_stream> tls(std::move(stream), ctx);
  beast::error_code addr_ec;
  asio::ip::make_address(host_, addr_ec);
  if (addr_ec) SSL_set_tlsext_host_name(tls.native_handle(), host_.c_str());  // SNI: names only
  tls.handshake(ssl::stream_base::client, ec);
  if (ec) {
    long verify = SSL_get_verify_result(tls.native_handle());
    return Status::PermissionDenied(
        "the node's API at " + address() + " was refused: " +
        (verify != X509_V_OK
             ? std::string("its certificate is not one of the province's web root for ") + host_ +
                   " (" + X509_verify_cert_error_string(verify) + ")"
             : "TLS handshake failed (" + ec.message() + ")"));
  }
  auto reply = Exchange(tls, req, address());
  if (reply.ok()) reply->warning = warning;
  // No close_notify wait: the reply was complete (Content-Length or chunked).
  tls.next_layer().socket().shutdown(tcp::socket::shutdown_both, ec);
  return reply;
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
