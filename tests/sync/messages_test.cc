#include "sync/messages.h"

#include <malloc.h>
#include <zstd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>
#include <random>

#include "tests/sync/alloc_counter.h"
#include "tests/testing/testing.h"

using namespace hoso;
using namespace hoso::sync;

// The counting operator new and delete (tests/sync/alloc_counter.h) for this test binary.
namespace {
std::atomic<bool> g_counting{false};
std::atomic<int64_t> g_live{0}, g_peak{0};
void Counted(void* p, int64_t sign) {
  if (!p || !g_counting.load(std::memory_order_relaxed)) return;
  int64_t now = g_live.fetch_add(sign * static_cast<int64_t>(malloc_usable_size(p)),
                                 std::memory_order_relaxed) +
                sign * static_cast<int64_t>(malloc_usable_size(p));
  int64_t peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}
}  // namespace

// GCC takes the free() of a block from this operator new, once both are inlined into a
// container, for a mismatch: they are the pair.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  Counted(p, 1);
  return p;
}
void operator delete(void* p) noexcept {
  Counted(p, -1);
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  Counted(p, -1);
  std::free(p);
}
#pragma GCC diagnostic pop

namespace hoso::testing {
AllocationPeak::AllocationPeak() {
  g_live = 0;
  g_peak = 0;
  g_counting = true;
}
AllocationPeak::~AllocationPeak() { g_counting = false; }
int64_t AllocationPeak::peak() const { return g_peak.load(); }
int64_t AllocationPeak::live() const { return g_live.load(); }
}  // namespace hoso::testing

namespace {

// A BATCH whose `count` events of 65,000 zero bytes compress to a few KB: a bomb.
std::string BombMessage(size_t count) {
  BatchMsg m;
  m.batch.stream = {"30283", "30283", 1};
  m.batch.events.assign(count, std::string(65000, '\0'));
  m.batch.head.seq = count;
  m.batch.head.signature.assign(kSignatureSize, 'x');
  return EncodeMessage(m);
}

// A BATCH message whose events are the zstd frame `z` as given.
std::string BatchWithEvents(const std::string& z) {
  cbor::Value v = cbor::Value::Array();
  v.Append(cbor::Value::Uint(3));
  cbor::Value stream = cbor::Value::Array();
  stream.Append(cbor::Value::Text("30283"));
  stream.Append(cbor::Value::Text("30283"));
  stream.Append(cbor::Value::Uint(1));
  v.Append(std::move(stream));
  v.Append(cbor::Value::Uint(1));
  v.Append(cbor::Value::Bytes(z));
  v.Append(cbor::Value::Bytes(std::string(kSignatureSize, 'x')));
  return cbor::Encode(v);
}

}  // namespace

TEST_CASE("messages: every type round-trips through frames", "[messages]") {
  StreamKey s{"30280", "883", 2};
  testing::StreamWriter w(s, testing::KeyFor(883));
  w.Next("K", "case.step", testing::Body({{"status", testing::Text("processing")}}), 7);
  Batch b = w.Seal();
  VersionVector vv{{s, StreamHead{5, Sha256("x"), false}}};
  std::vector<Message> all = {Hello{1, "30280", 1, -5, 77, 66},
                              Changes{12, vv},
                              OriginMsg{"883", 2, testing::KeyFor(883).public_key(), "der"},
                              BatchMsg{b},
                              Ack{s, 9, 13},
                              Ping{123},
                              Pong{123, 456},
                              ErrorMsg{"PermissionDenied", "no"},
                              ChunkWant{Sha256("c"), 16384, 8192},
                              ChunkMsg{Sha256("c"), 16384, std::string(8192, 'z')},
                              ChunkMsg{Sha256("c"), 0, std::nullopt}};
  FrameReader reader;
  std::string wire;
  for (const auto& m : all) wire += Frame(EncodeMessage(m));
  // Delivered one byte at a time.
  std::vector<Message> got;
  for (char c : wire) {
    REQUIRE(reader.Append(std::string_view(&c, 1)).ok());
    while (true) {
      auto next = reader.Next();
      REQUIRE(next.ok());
      if (!*next) break;
      auto m = DecodeMessage(**next);
      REQUIRE(m.ok());
      got.push_back(*m);
    }
  }
  REQUIRE(got.size() == all.size());
  for (size_t i = 0; i < all.size(); ++i) CHECK(EncodeMessage(got[i]) == EncodeMessage(all[i]));
  const auto& batch = std::get<BatchMsg>(got[3]).batch;
  CHECK(batch.head.id == b.head.id);  // recomputed from the last event
  CHECK(batch.head.Verify(testing::KeyFor(883).public_key()).ok());
}

// Found by the sync_message fuzz target (docs/fuzzing.md): CHANGES with its entries out of
// stream order, or one stream twice, was accepted (the last entry winning), so one message
// had several encodings. EncodeMessage writes them in order, once each; nothing else is read.
TEST_CASE("messages: CHANGES out of stream order or with a stream twice is refused", "[messages]") {
  StreamKey a{"30280", "30280", 1}, b{"30283", "30283", 1};
  VersionVector vv{{a, StreamHead{5, Sha256("a"), false}}, {b, StreamHead{7, Sha256("b"), false}}};
  const std::string ordered = EncodeMessage(Changes{3, vv});
  REQUIRE(DecodeMessage(ordered).ok());
  auto entry = [](const StreamKey& s, uint64_t seq, const Hash& id) {
    cbor::Value e = cbor::Value::Array();
    cbor::Value key = cbor::Value::Array();
    key.Append(cbor::Value::Text(s.channel));
    key.Append(cbor::Value::Text(s.origin));
    key.Append(cbor::Value::Uint(s.epoch));
    e.Append(std::move(key));
    e.Append(cbor::Value::Uint(seq));
    e.Append(cbor::Value::Bytes(AsView(id)));
    return e;
  };
  for (const auto& [first, second] :
       {std::pair{b, a}, std::pair{a, a}}) {  // out of order; the same stream twice
    cbor::Value m = cbor::Value::Array();
    m.Append(cbor::Value::Uint(1));
    m.Append(cbor::Value::Uint(3));
    cbor::Value entries = cbor::Value::Array();
    entries.Append(entry(first, 5, Sha256("a")));
    entries.Append(entry(second, 7, Sha256("b")));
    m.Append(std::move(entries));
    auto got = DecodeMessage(cbor::Encode(m));
    CHECK(got.status().code() == Code::kInvalidArgument);
    CHECK_THAT(got.status().message(), Catch::Contains("CHANGES entries out of stream order"));
  }
}

TEST_CASE("messages: oversize, empty and malformed frames are refused", "[messages]") {
  FrameReader reader(1024);
  CHECK(reader.Append(std::string("\x00\x00\x04\x01", 4)).code() == Code::kOutOfRange);
  FrameReader empty;
  CHECK(empty.Append(std::string("\x00\x00\x00\x00", 4)).code() == Code::kInvalidArgument);
  CHECK_THAT(DecodeMessage("\x81\x63\x61\x62\x63").status().message(),
             Catch::Contains("array starting with its type"));
  cbor::Value unknown = cbor::Value::Array();
  unknown.Append(cbor::Value::Uint(42));
  CHECK_THAT(DecodeMessage(cbor::Encode(unknown)).status().message(),
             Catch::Contains("unknown message type 42"));
  cbor::Value bad_ack = cbor::Value::Array();
  bad_ack.Append(cbor::Value::Uint(4));
  bad_ack.Append(cbor::Value::Uint(1));
  CHECK_THAT(DecodeMessage(cbor::Encode(bad_ack)).status().message(), Catch::Contains("ACK"));
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::string junk(rng() % 64, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    auto m = DecodeMessage(junk);
    if (m.ok()) CHECK(EncodeMessage(*m) == junk);
  }
}

TEST_CASE(
    "messages: a decompression bomb is refused from its declared size, or decoded with "
    "no copy of it (issue 16)",
    "[messages][bounds]") {
  SECTION("over the limit: refused before anything is allocated for it") {
    // 1,032 events of 65,000 bytes: 63.98 MiB, the bomb flood_bench measured (under the
    // former limit of 64 MiB).
    std::string bomb = BombMessage(1032);
    REQUIRE(bomb.size() < 16384);
    testing::AllocationPeak alloc;
    auto m = DecodeMessage(bomb);
    INFO("peak " << alloc.peak() << " bytes");
    REQUIRE_FALSE(m.ok());
    CHECK(m.status().code() == Code::kOutOfRange);
    CHECK_THAT(m.status().message(), Catch::Contains("exceed the limit of 33554432"));
    CHECK(alloc.peak() < (1 << 20));
  }
  SECTION("just under it: what is held is the events, once") {
    size_t count = (kMaxBatchPlainBytes - 3) / (65000 + 3);  // 516: 31.99 MiB
    std::string bomb = BombMessage(count);
    std::vector<std::string> expect(count, std::string(65000, '\0'));
    const size_t plain = BatchPlainBytes(expect);
    REQUIRE(plain <= kMaxBatchPlainBytes);
    expect.clear();
    testing::AllocationPeak alloc;
    auto m = DecodeMessage(bomb);
    REQUIRE(m.ok());
    const auto& b = std::get<BatchMsg>(*m).batch;
    CHECK(b.events.size() == count);
    CHECK(b.head.id == Sha256(std::string(65000, '\0')));
    // The events themselves, and a few hundred KB of decoding (before: the plain text, a CBOR
    // tree's copy and the events, three times the size).
    INFO("peak " << alloc.peak() << " bytes for " << plain << " bytes of events");
    CHECK(alloc.peak() < static_cast<int64_t>(plain + (1 << 20)));
  }
  SECTION("deferred: the declared size first, the events on InflateBatch") {
    std::string bomb = BombMessage(100);
    testing::AllocationPeak alloc;
    auto m = DecodeMessage(bomb, kDefaultMaxFrame, BatchEvents::kDeferred);
    REQUIRE(m.ok());
    CHECK(alloc.peak() < (1 << 20));
    auto& b = std::get<BatchMsg>(*m);
    CHECK(b.batch.events.empty());
    CHECK(b.plain_bytes == BatchPlainBytes(std::vector<std::string>(100, std::string(65000, 0))));
    CHECK(EncodeMessage(*m) == bomb);  // not inflated: sent on as it came
    REQUIRE(InflateBatch(&b).ok());
    CHECK(b.batch.events.size() == 100);
    CHECK(b.events_z.empty());
    CHECK(b.batch.head.id == Sha256(std::string(65000, '\0')));
  }
}

TEST_CASE("messages: BATCH events that lie about their size or window are refused (issue 16)",
          "[messages][bounds]") {
  std::string plain;
  cbor::Encoder enc(&plain);
  enc.ArrayHeader(2);
  enc.Bytes("first");
  enc.Bytes("second");
  auto compress = [](const std::string& in, int window_log) {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
    if (window_log) ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, window_log);
    std::string out(ZSTD_compressBound(in.size()), '\0');
    size_t n = ZSTD_compress2(cctx, out.data(), out.size(), in.data(), in.size());
    ZSTD_freeCCtx(cctx);
    REQUIRE_FALSE(ZSTD_isError(n));
    out.resize(n);
    return out;
  };
  REQUIRE(DecodeMessage(BatchWithEvents(compress(plain, 0))).ok());
  SECTION("a frame that asks for a window over 4 MiB") {
    // 6 MiB of events in a frame whose window is the whole of them: decoding it would take
    // a 6 MiB buffer the declared size does not count.
    std::string big;
    cbor::Encoder e(&big);
    e.ArrayHeader(100);
    std::mt19937_64 rng(3);
    for (int i = 0; i < 100; ++i) {
      std::string pattern(200, '\0');
      for (char& c : pattern) c = static_cast<char>(rng());
      std::string ev;
      while (ev.size() < 60000) ev += pattern;
      e.Bytes(ev.substr(0, 60000));
    }
    auto m = DecodeMessage(BatchWithEvents(compress(big, 27)), size_t{64} << 20);
    REQUIRE_FALSE(m.ok());
    CHECK_THAT(m.status().message(), Catch::Contains("too much memory"));
  }
  SECTION("a frame without its size") {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
    std::string out(ZSTD_compressBound(plain.size()), '\0');
    size_t n = ZSTD_compress2(cctx, out.data(), out.size(), plain.data(), plain.size());
    ZSTD_freeCCtx(cctx);
    REQUIRE_FALSE(ZSTD_isError(n));
    out.resize(n);
    CHECK_THAT(DecodeMessage(BatchWithEvents(out)).status().message(),
               Catch::Contains("not a zstd frame with its size"));
  }
  SECTION("trailing bytes, a cut frame, and events that are not byte strings") {
    std::string z = compress(plain, 0);
    CHECK_FALSE(DecodeMessage(BatchWithEvents(z + "x")).ok());
    CHECK_FALSE(DecodeMessage(BatchWithEvents(z.substr(0, z.size() - 3))).ok());
    std::string texts;
    cbor::Encoder t(&texts);
    t.ArrayHeader(1);
    t.Text("not bytes");
    CHECK_THAT(DecodeMessage(BatchWithEvents(compress(texts, 0))).status().message(),
               Catch::Contains("malformed BATCH events"));
    std::string long_form = std::string("\x98\x01\x41", 3) + "x";  // count 1 in two bytes
    CHECK_THAT(DecodeMessage(BatchWithEvents(compress(long_form, 0))).status().message(),
               Catch::Contains("shortest form"));
    std::string huge;
    cbor::Encoder h(&huge);
    h.ArrayHeader(1);
    h.Bytes(std::string(kMaxEventBytes + 1, 'e'));
    CHECK(DecodeMessage(BatchWithEvents(compress(huge, 0))).status().code() == Code::kOutOfRange);
  }
}

TEST_CASE("messages: a batch at the limit round-trips through level-1 compression",
          "[messages][bounds]") {
  // 32 MiB of events, each its own pattern (a BATCH's compressed events may take 1 MiB of
  // the frame): the receiver's window limit must not refuse what a sender makes of them.
  std::mt19937_64 rng(11);
  BatchMsg m;
  m.batch.stream = {"30280", "30280", 1};
  while (BatchPlainBytes(m.batch.events) + 60003 <= kMaxBatchPlainBytes) {
    std::string pattern(200, '\0');
    for (char& c : pattern) c = static_cast<char>(rng());
    std::string ev;
    while (ev.size() < 60000) ev += pattern;
    ev.resize(60000);
    m.batch.events.push_back(std::move(ev));
  }
  m.batch.head.seq = m.batch.events.size();
  m.batch.head.signature.assign(kSignatureSize, 's');
  std::string wire = EncodeMessage(m);
  auto got = DecodeMessage(wire, wire.size());
  REQUIRE(got.ok());
  CHECK(std::get<BatchMsg>(*got).batch.events == m.batch.events);
}

TEST_CASE("messages: CHUNK_WANT and CHUNK out of bounds are refused", "[messages][documents]") {
  auto message = [](std::initializer_list<cbor::Value> fields) {
    cbor::Value v = cbor::Value::Array();
    for (const auto& f : fields) v.Append(f);
    return cbor::Encode(v);
  };
  auto name = cbor::Value::Bytes(AsView(Sha256("c")));
  auto want = [&](uint64_t offset, uint64_t length) {
    return DecodeMessage(message(
        {cbor::Value::Uint(12), name, cbor::Value::Uint(offset), cbor::Value::Uint(length)}));
  };
  CHECK(want(0, kMaxChunkPiece).ok());
  CHECK(want(kMaxSealedChunkBytes - 1, 1).ok());
  CHECK_FALSE(want(0, 0).ok());
  CHECK_FALSE(want(0, kMaxChunkPiece + 1).ok());
  CHECK_FALSE(want(kMaxSealedChunkBytes, 1).ok());
  CHECK_FALSE(want(UINT64_MAX, 2).ok());  // offset + length wraps
  CHECK_FALSE(DecodeMessage(message({cbor::Value::Uint(12), cbor::Value::Bytes("short"),
                                     cbor::Value::Uint(0), cbor::Value::Uint(1)}))
                  .ok());
  auto chunk = [&](const cbor::Value& bytes) {
    return DecodeMessage(message({cbor::Value::Uint(13), name, cbor::Value::Uint(0), bytes}));
  };
  CHECK(chunk(cbor::Value::Bytes("x")).ok());
  CHECK(chunk(cbor::Value::Null()).ok());
  CHECK_FALSE(chunk(cbor::Value::Bytes("")).ok());
  CHECK_FALSE(chunk(cbor::Value::Bytes(std::string(kMaxChunkPiece + 1, 'x'))).ok());
  CHECK_FALSE(chunk(cbor::Value::Text("x")).ok());
}
