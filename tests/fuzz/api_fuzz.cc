// Fuzz target: the JSON (and CSV) bodies of the local API's routes (node/local_api.h,
// node/api/*.cc), through LocalApi::Handle: the seam the API server hands each request to,
// without sockets. An input is "METHOD TARGET\n" then the body, sent with the API token to
// the root node of api_world.h, whose store keeps what earlier inputs wrote. The seeds are
// the requests of docs/api.md and the API tests: receptions, steps, catalogue and directory
// CSVs, calendars, revocations, a bundle, logins, searches and reports.
//
// Checks: no answer is a 500 (a bad body gets a 4xx naming the field), and an answer that
// says it is JSON parses as JSON.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/api_world.h"

using namespace hoso;

// Builds the root node and its officers before the first input, so that its cost (stores, keys) is
// not counted against that input's 1 s.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::TheApi();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::AsText(data, size);
  size_t eol = in.find('\n');
  if (eol == std::string_view::npos) return 0;
  std::string_view line = in.substr(0, eol);
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return 0;
  node::HttpRequest r;
  r.method = std::string(line.substr(0, space));
  r.target = std::string(line.substr(space + 1));
  if (r.target.empty() || r.target[0] != '/') return 0;
  r.body = std::string(in.substr(eol + 1));
  r.authorization = std::string("Bearer ") + fuzz::kApiToken;
  r.content_type = "application/json";
  r.host = "127.0.0.1:7480";
  r.remote = "127.0.0.1";
  fuzz::HandleAndCheck(r);
  return 0;
}
