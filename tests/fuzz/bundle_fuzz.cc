// Fuzz target: bundle files (sync/bundle.h, docs/bundle-format.md) as a USB stick brings
// them: header, origin and batch records, trailer. Each input is read twice: as it is (the
// digest check comes first), and with its trailer rewritten to count and digest what precedes
// it, so that mutations reach the records behind the digest. The fixed-up file goes through
// VerifyBundle and ImportBundle into district 883's store, in memory and shared by the inputs
// (session_world.h: only validly signed events stay in it).
//
// Checks: a file either parses in both VerifyBundle and ImportBundle or in neither; an import
// is idempotent (importing the same file again applies nothing); after it, every stream the
// store holds still verifies (Store::VerifyStream), whatever the file held.
#include <cstddef>
#include <cstdint>

#include "sync/bundle.h"
#include "tests/fuzz/session_world.h"

using namespace hoso;
using namespace hoso::sync;

namespace {

const fuzz::SessionWorld& World() {
  static auto* w = fuzz::BuildSessionWorld().release();
  return *w;
}

// The input with its last record replaced by a trailer that counts and digests the records
// before it; the input unchanged when it is not a sequence of CBOR items.
std::string FixTrailer(std::string_view in) {
  size_t pos = 0, last = 0;
  uint64_t batches = 0, events = 0, last_batch_events = 0;
  bool last_was_batch = false;
  while (pos < in.size()) {
    size_t used = 0;
    auto v = cbor::DecodePrefix(in.substr(pos), &used);
    if (!v.ok()) return std::string(in);
    last = pos;
    last_was_batch = v->is_array() && v->size() == 7 && v->items()[0].is_uint() &&
                     v->items()[0].uint() == 2 && v->items()[6].is_array();
    last_batch_events = last_was_batch ? v->items()[6].size() : 0;
    if (last_was_batch) {
      ++batches;
      events += last_batch_events;
    }
    pos += used;
  }
  if (last == 0) return std::string(in);  // the header alone, or nothing
  if (last_was_batch) {                   // the record replaced was a batch: uncount it
    --batches;
    events -= last_batch_events;
  }
  std::string out(in.substr(0, last));
  cbor::Value trailer = cbor::Value::Array();
  trailer.Append(cbor::Value::Uint(3));
  trailer.Append(cbor::Value::Uint(batches));
  trailer.Append(cbor::Value::Uint(events));
  trailer.Append(cbor::Value::Bytes(AsView(Sha256(out))));
  return out + cbor::Encode(trailer);
}

}  // namespace

// Builds the network and the shared district before the first input, so that its cost (stores,
// keys) is not counted against that input's 1 s.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::SharedDistrict(World());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw = fuzz::AsText(data, size);
  BundleSummary summary;
  (void)VerifyBundle(raw, fuzz::TestOriginVerifier, &summary);
  const std::string fixed = FixTrailer(raw);
  auto verified = VerifyBundle(fixed, fuzz::TestOriginVerifier, &summary);
  fuzz::MemNode* node = &fuzz::SharedDistrict(World());
  fuzz::StartInput(*node);
  auto imported = ImportBundle(*node->store, fixed, fuzz::TestOriginVerifier);
  HOSO_FUZZ_CHECK(imported.ok() == verified.ok(),
                  "VerifyBundle and ImportBundle disagree on whether the file parses");
  if (!imported.ok()) return 0;
  auto again = ImportBundle(*node->store, fixed, fuzz::TestOriginVerifier);
  HOSO_FUZZ_CHECK(again.ok() && again->applied == 0, "a second import applied events");
  for (const auto& [stream, head] : node->store->Vector([](const std::string&) { return true; })) {
    Status v = node->store->VerifyStream(stream);
    HOSO_FUZZ_CHECK(v.ok(), "a stream no longer verifies: " + v.ToString());
  }
  return 0;
}
