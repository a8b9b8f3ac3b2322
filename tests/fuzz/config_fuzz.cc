// Fuzz target: the node's config file (ParseConfigText, node/config.h), as an operator or an
// installer script writes it.
//
// Checks: no text crashes the parser or Validate; a config it accepts survives its own
// writer (RenderConfig, parsed again, renders the same text), so `hoso init`'s files and the
// operator's edits mean one thing.
#include <cstddef>
#include <cstdint>

#include "node/config.h"
#include "tests/fuzz/fuzz.h"

using namespace hoso;
using namespace hoso::node;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  NodeConfig config;
  if (!ParseConfigText(fuzz::AsText(data, size), "fuzz.conf", &config).ok()) return 0;
  (void)Validate(config);
  std::string rendered = RenderConfig(config);
  NodeConfig again;
  Status s = ParseConfigText(rendered, "rendered.conf", &again);
  HOSO_FUZZ_CHECK(s.ok(), "a rendered config does not parse: " + s.ToString());
  HOSO_FUZZ_CHECK(RenderConfig(again) == rendered, "a rendered config does not render the same");
  return 0;
}
