#include "sync/messages.h"

#include <catch2/catch.hpp>
#include <random>

#include "tests/testing.h"

using namespace hoso;
using namespace hoso::sync;

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
                              ErrorMsg{"PermissionDenied", "no"}};
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
