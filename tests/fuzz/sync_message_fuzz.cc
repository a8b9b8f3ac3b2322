// Fuzz target: sync frames and messages (sync/messages.h) as a peer's TLS stream delivers
// them: FrameReader cuts the bytes (fed in pieces whose sizes the input also chooses), and
// each frame goes to DecodeMessage, both inflating a BATCH's zstd events at once and deferred
// (as the transport does: reserve the declared size, then InflateBatch).
//
// Checks: a message accepted deferred re-encodes to the very bytes it came as (canonical:
// encode(decode(b)) == b, every type); one accepted inflated decodes the same whether inflated
// at once or deferred, and, re-encoded (its events compressed again), decodes back to the same
// message; inflated events never exceed the size their frame declared.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>

#include "sync/messages.h"
#include "tests/fuzz/fuzz.h"

using namespace hoso;
using namespace hoso::sync;

namespace {

// Equality of two decoded messages by their inflated encoding's fields (BatchMsg carries a
// hold and its compressed form, which need not match).
bool SameMessage(const Message& a, const Message& b) {
  if (a.index() != b.index()) return false;
  if (const auto* x = std::get_if<BatchMsg>(&a)) {
    const auto& y = std::get<BatchMsg>(b);
    return x->batch.stream == y.batch.stream && x->batch.events == y.batch.events &&
           x->batch.head.seq == y.batch.head.seq && x->batch.head.id == y.batch.head.id &&
           x->batch.head.signature == y.batch.head.signature;
  }
  return EncodeMessage(a) == EncodeMessage(b);
}

void CheckMessage(const std::string& bytes, size_t max_frame) {
  auto deferred = DecodeMessage(bytes, max_frame, BatchEvents::kDeferred);
  auto inflated = DecodeMessage(bytes, max_frame, BatchEvents::kInflate);
  if (deferred.ok()) {
    HOSO_FUZZ_CHECK(EncodeMessage(*deferred) == bytes,
                    std::string("an accepted ") + MessageName(*deferred) + " is not canonical");
  }
  if (!inflated.ok()) return;
  HOSO_FUZZ_CHECK(deferred.ok(), "accepted inflated but refused deferred");
  if (auto* m = std::get_if<BatchMsg>(&*deferred)) {
    uint64_t declared = m->plain_bytes;
    HOSO_FUZZ_CHECK(InflateBatch(m).ok(), "refused deferred but accepted inflated");
    HOSO_FUZZ_CHECK(BatchPlainBytes(m->batch.events) == declared,
                    "inflated events differ from the size declared");
  }
  HOSO_FUZZ_CHECK(SameMessage(*deferred, *inflated), "deferred and inflated decodes differ");
  auto back = DecodeMessage(EncodeMessage(*inflated), max_frame);
  HOSO_FUZZ_CHECK(back.ok() && SameMessage(*back, *inflated),
                  std::string("a re-encoded ") + MessageName(*inflated) + " does not decode back");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The whole input as one message: the seeds are messages.
  CheckMessage(std::string(fuzz::AsText(data, size)), kDefaultMaxFrame);
  // The input as a stream of frames, cut at sizes chosen from its first bytes.
  FuzzedDataProvider in(data, size);
  size_t max_frame = in.ConsumeBool() ? kDefaultMaxFrame : 64;
  FrameReader reader(max_frame);
  std::string stream = in.ConsumeRemainingBytesAsString();
  size_t pos = 0, step = 1;
  while (pos < stream.size()) {
    size_t n = std::min(stream.size() - pos, step);
    step = step * 3 + 1;  // pieces of 1, 4, 13, ... bytes
    Status s = reader.Append(std::string_view(stream).substr(pos, n));
    pos += n;
    if (!s.ok()) return 0;
    while (true) {
      auto next = reader.Next();
      if (!next.ok()) return 0;
      if (!*next) break;
      HOSO_FUZZ_CHECK((*next)->size() <= max_frame, "a frame over the limit was cut");
      CheckMessage(**next, max_frame);
    }
  }
  return 0;
}
