#include "core/format/cbor.h"

#include <catch2/catch.hpp>
#include <random>

#include "core/format/crypto.h"

using hoso::Code;
using hoso::FromHex;
using hoso::Hex;
using namespace hoso::cbor;

namespace {
std::string Bytes(const char* hex) { return FromHex(hex).value(); }

// Decoding must fail with this code and a message containing `why`.
void ExpectRejected(const char* hex, const std::string& why, Code code = Code::kInvalidArgument,
                    const Limits& limits = Limits()) {
  auto r = Decode(Bytes(hex), limits);
  INFO(hex);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == code);
  CHECK_THAT(r.status().message(), Catch::Contains(why));
}
}  // namespace

TEST_CASE("cbor: encodes integers in their shortest form", "[cbor]") {
  // RFC 8949 appendix A vectors.
  CHECK(Hex(Encode(Value::Uint(0))) == "00");
  CHECK(Hex(Encode(Value::Uint(23))) == "17");
  CHECK(Hex(Encode(Value::Uint(24))) == "1818");
  CHECK(Hex(Encode(Value::Uint(1000))) == "1903e8");
  CHECK(Hex(Encode(Value::Uint(1000000))) == "1a000f4240");
  CHECK(Hex(Encode(Value::Uint(1000000000000))) == "1b000000e8d4a51000");
  CHECK(Hex(Encode(Value::Int(-1))) == "20");
  CHECK(Hex(Encode(Value::Int(-1000))) == "3903e7");
  CHECK(Hex(Encode(Value::Text("IETF"))) == "6449455446");
  CHECK(Hex(Encode(Value::Text("ü"))) == "62c3bc");
  CHECK(Hex(Encode(Value::Bool(true))) == "f5");
  CHECK(Hex(Encode(Value::Null())) == "f6");
}

TEST_CASE("cbor: sorts map keys bytewise by their encoding", "[cbor]") {
  Value m = Value::Map();
  m.Set("bb", Value::Uint(2));
  m.Set(Value::Uint(10), Value::Uint(3));
  m.Set("a", Value::Uint(1));
  m.Set(Value::Int(-1), Value::Uint(4));
  // 0a < 20 < 6161 < 626262 (RFC 8949 4.2.1 order)
  CHECK(Hex(Encode(m)) ==
        "a40a0320046161016262620"
        "2");
  auto back = Decode(Encode(m));
  REQUIRE(back.ok());
  CHECK(Encode(*back) == Encode(m));
}

TEST_CASE("cbor: round-trips nested values", "[cbor]") {
  Value m = Value::Map();
  m.Set("name", Value::Text("Dương Văn Tuấn"));
  Value docs = Value::Array();
  docs.Append(Value::Bytes(std::string("\x00\x01\xff", 3)));
  docs.Append(Value::Int(-25000));
  docs.Append(Value::Null());
  m.Set("docs", docs);
  std::string bytes = Encode(m);
  auto back = Decode(bytes);
  REQUIRE(back.ok());
  CHECK(*back == m);
  CHECK(back->Find("name")->str() == "Dương Văn Tuấn");
}

TEST_CASE("cbor: rejects non-canonical and unsupported input, each with its reason", "[cbor]") {
  ExpectRejected("1805", "shortest form");        // 5 in two bytes
  ExpectRejected("190005", "shortest form");      // 5 in three bytes
  ExpectRejected("1a000000ff", "shortest form");  // 255 in five bytes
  ExpectRejected("3800", "shortest form");        // -1 in two bytes
  ExpectRejected("780161", "shortest form");      // text length 1 in two bytes
  ExpectRejected("980100", "shortest form");      // array count in two bytes
  ExpectRejected("a2616101616101", "duplicate map key");
  ExpectRejected("a2616201616101", "canonical order");
  ExpectRejected("a261610161", "truncated");
  ExpectRejected(
      "a2626161016162"
      "02",
      "canonical order");  // "aa" before "b"
  ExpectRejected("f93c00", "floating-point");
  ExpectRejected("fa3f800000", "floating-point");
  ExpectRejected("fb3ff0000000000000", "floating-point");
  ExpectRejected("9f01ff", "indefinite");
  ExpectRejected("bf616101ff", "indefinite");
  ExpectRejected("5f4101ff", "indefinite");
  ExpectRejected("7f6161ff", "indefinite");
  ExpectRejected("c11a514b67b0", "tags");
  ExpectRejected("f7", "undefined");
  ExpectRejected("0101", "trailing bytes");
  ExpectRejected(
      "83010203"
      "04",
      "trailing bytes");
  ExpectRejected("8301", "truncated");
  ExpectRejected("6461", "truncated");
  ExpectRejected("", "truncated");
  ExpectRejected("62c328", "UTF-8");
  ExpectRejected("a1800102", "map key must be");
}

TEST_CASE("cbor: enforces depth, size and count limits before allocating", "[cbor]") {
  Limits tight;
  tight.max_depth = 3;
  CHECK(Decode(Bytes("818101"), tight).ok());
  ExpectRejected("81818101", "nesting deeper", Code::kOutOfRange, tight);

  tight = Limits();
  tight.max_string = 3;
  ExpectRejected("6461626364", "string longer", Code::kOutOfRange, tight);

  tight = Limits();
  tight.max_collection = 2;
  ExpectRejected("83010203", "exceeds limit", Code::kOutOfRange, tight);

  // A header claiming 2^32 entries in a 6-byte input is refused without reserving memory.
  ExpectRejected("9b0000000100000000", "exceeds limit", Code::kOutOfRange);
  ExpectRejected("9a00010000", "truncated");

  tight = Limits();
  tight.max_input = 4;
  ExpectRejected("850102030405", "larger than", Code::kOutOfRange, tight);

  tight = Limits();
  tight.max_items = 3;
  ExpectRejected("83010203", "items", Code::kOutOfRange, tight);
}

TEST_CASE("cbor: decodes a CBOR sequence item by item", "[cbor]") {
  std::string seq = Encode(Value::Uint(1)) + Encode(Value::Text("x")) + Encode(Value::Null());
  std::string_view rest = seq;
  std::vector<Value> got;
  while (!rest.empty()) {
    size_t used = 0;
    auto v = DecodePrefix(rest, &used);
    REQUIRE(v.ok());
    got.push_back(*v);
    rest.remove_prefix(used);
  }
  REQUIRE(got.size() == 3);
  CHECK(got[1].str() == "x");
}

TEST_CASE("cbor: random bytes never crash the decoder and never decode non-canonically", "[cbor]") {
  std::mt19937_64 rng(12345);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string input(rng() % 24, '\0');
    for (char& c : input) c = static_cast<char>(rng());
    auto v = Decode(input);
    if (v.ok()) {
      ++accepted;
      CHECK(Encode(*v) == input);  // anything accepted is exactly canonical
    }
  }
  CHECK(accepted > 0);
}

TEST_CASE("cbor: reads a whole uint or text item without decoding it", "[cbor]") {
  for (uint64_t n : {0ull, 23ull, 24ull, 255ull, 256ull, 65536ull, 1ull << 40}) {
    CHECK(UintItem(Encode(Value::Uint(n))) == n);
  }
  for (const char* t : {"", "received", "Hồ sơ đã tiếp nhận"}) {
    CHECK(TextItem(Encode(Value::Text(t))) == std::string_view(t));
  }
  CHECK_FALSE(UintItem(Encode(Value::Text("7"))));
  CHECK_FALSE(TextItem(Encode(Value::Uint(7))));
  CHECK_FALSE(TextItem(Encode(Value::Bytes("ab"))));
  CHECK_FALSE(UintItem(""));
  CHECK_FALSE(TextItem(""));
  CHECK_FALSE(UintItem(Bytes("1901")));      // truncated argument
  CHECK_FALSE(UintItem(Bytes("0101")));      // a trailing byte
  CHECK_FALSE(TextItem(Bytes("6361")));      // content shorter than its length
  CHECK_FALSE(TextItem(Bytes("61616161")));  // content longer than its length
}
