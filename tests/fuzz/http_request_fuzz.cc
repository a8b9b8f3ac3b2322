// Fuzz target: the HTTP/1.1 request parser of the local API as ApiServer runs it
// (node/api_server.cc): Boost.Beast's request_parser with the server's header limit (8 KiB)
// and body limit (1 MiB), fed the input as a client's bytes, possibly several pipelined
// requests; each request read whole becomes the HttpRequest the server builds (method,
// target, Authorization, Cookie, Content-Type, Origin, Host) and goes through
// LocalApi::Admit and Handle on the node of api_world.h, so the router's percent-decoding,
// query splitting, cookie and Origin checks see the parsed headers.
//
// Checks: the parser never reads past the input, and every request it yields is answered
// as api_fuzz.cc checks (no 500; JSON when it says JSON).
#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/api_world.h"

using namespace hoso;
namespace http = boost::beast::http;

namespace {
// As node/api_server.cc (kMaxHeader, kMaxBody).
constexpr uint32_t kMaxHeader = 8 * 1024;
constexpr uint64_t kMaxBody = 1 << 20;
}  // namespace

// Builds the root node and its officers before the first input, so that its cost (stores, keys) is
// not counted against that input's 1 s.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::TheApi();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t pos = 0;
  for (int requests = 0; requests < 8 && pos < size; ++requests) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeader);
    parser.body_limit(kMaxBody);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!parser.is_done() && pos < size) {
      size_t n = parser.put(boost::asio::buffer(data + pos, size - pos), ec);
      HOSO_FUZZ_CHECK(n <= size - pos, "the parser consumed more than it was given");
      pos += n;
      if (ec == http::error::need_more) {
        ec = {};
        if (n == 0) break;
      }
      if (ec) return 0;  // malformed: the server closes the connection
    }
    if (!parser.is_done()) {
      parser.put_eof(ec);
      if (ec || !parser.is_done()) return 0;
    }
    auto& req = parser.get();
    node::HttpRequest in{std::string(req.method_string()),
                         std::string(req.target()),
                         std::string(req[http::field::authorization]),
                         std::move(req.body()),
                         std::string(req[http::field::cookie]),
                         std::string(req[http::field::content_type]),
                         std::string(req[http::field::origin]),
                         std::string(req[http::field::host]),
                         "127.0.0.1"};
    fuzz::HandleAndCheck(in);
    if (!req.keep_alive()) return 0;
  }
  return 0;
}
