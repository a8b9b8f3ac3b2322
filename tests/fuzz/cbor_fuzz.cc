// Fuzz target: the canonical CBOR decoder (core/format/cbor.h), which every event, sync
// message and bundle item goes through first.
//
// Checks, beyond "no crash, leak or undefined behaviour": every accepted input is canonical,
// so encoding what was decoded gives back the same bytes (encode(decode(b)) == b), and decoding
// that again gives the same value (decode(encode(v)) == v); DecodePrefix agrees with Decode on
// an input that is exactly one item, and over a CBOR sequence never claims more bytes than it
// was given; the diagnostic notation of any accepted value can be printed.
#include <cstddef>
#include <cstdint>

#include "core/format/cbor.h"
#include "tests/fuzz/fuzz.h"

using namespace hoso;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::AsText(data, size);
  // Small limits as well as the defaults: the limit checks are part of what is fuzzed.
  cbor::Limits small;
  small.max_depth = 4;
  small.max_string = 64;
  small.max_collection = 16;
  small.max_items = 64;
  for (const cbor::Limits& limits : {cbor::Limits(), small}) {
    auto v = cbor::Decode(in, limits);
    size_t consumed = 0;
    auto prefix = cbor::DecodePrefix(in, &consumed, limits);
    if (v.ok()) {
      std::string again = cbor::Encode(*v);
      HOSO_FUZZ_CHECK(again == in, "an accepted input is not canonical: " + cbor::Diagnostic(*v));
      auto back = cbor::Decode(again, limits);
      HOSO_FUZZ_CHECK(back.ok() && *back == *v, "the re-encoded value does not decode back");
      HOSO_FUZZ_CHECK(prefix.ok() && consumed == size && *prefix == *v,
                      "DecodePrefix disagrees with Decode on one whole item");
      (void)cbor::Diagnostic(*v);
      if (auto u = cbor::UintItem(in)) HOSO_FUZZ_CHECK(v->is_uint() && v->uint() == *u, "UintItem");
      if (auto t = cbor::TextItem(in)) HOSO_FUZZ_CHECK(v->is_text() && v->str() == *t, "TextItem");
    }
    if (prefix.ok()) {
      HOSO_FUZZ_CHECK(consumed > 0 && consumed <= size, "DecodePrefix consumed out of range");
      std::string item = cbor::Encode(*prefix);
      HOSO_FUZZ_CHECK(in.substr(0, consumed) == item, "an accepted prefix is not canonical");
    }
  }
  return 0;
}
