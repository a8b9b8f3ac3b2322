#include "core/format/event.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/format/hlc.h"
#include "tests/testing/testing.h"

using namespace hoso;

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Values of `"key": "value"` in the vector file, in order.
std::vector<std::string> JsonStrings(const std::string& json, const std::string& key) {
  std::vector<std::string> out;
  std::regex re("\"" + key + "\": \"([^\"]*)\"");
  for (std::sregex_iterator it(json.begin(), json.end(), re), end; it != end; ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

Event GoldenEvent() {
  Event e;
  e.stream = {"30280", "30280", 1};
  e.seq = 1;
  e.hlc = HlcPack(1575854100000, 0);
  e.case_code = "000.00.31.H01-191209-0001";
  e.type = "case.received";
  cbor::Value applicant = cbor::Value::Map();
  applicant.Set("name", cbor::Value::Text("Dương Văn Tuấn"));
  e.body.Set("applicant", applicant);
  e.body.Set("procedure", cbor::Value::Text("1.002668"));
  e.body.Set("status", cbor::Value::Text("received"));
  e.body.Set("channel", cbor::Value::Text("postal"));
  e.body.Set("fee", cbor::Value::Uint(25000));
  e.officer = "nv.lan";
  return e;
}

std::string Mutate(std::string bytes, size_t at, char value) {
  bytes[at] = value;
  return bytes;
}

}  // namespace

TEST_CASE("event: golden vectors encode, hash and sign exactly", "[event]") {
  std::string json = ReadFile(HOSO_TEST_VECTORS "/event-vectors.json");
  auto bytes = JsonStrings(json, "bytes");
  auto ids = JsonStrings(json, "id");
  REQUIRE(bytes.size() == 2);
  REQUIRE(ids.size() == 2);
  std::string seed = FromHex(JsonStrings(json, "signing_key_seed")[0]).value();
  SigningKey key = SigningKey::FromRaw(seed).value();
  CHECK(Hex(key.public_key()) == JsonStrings(json, "public_key")[0]);

  Event e = GoldenEvent();
  std::string encoded = EncodeEvent(e);
  CHECK(Hex(encoded) == bytes[0]);
  CHECK(Hex(Sha256(encoded)) == ids[0]);

  SignedHead head = SignHead(e.stream, 1, Sha256(encoded), key).value();
  CHECK(Hex(head.Message()) == JsonStrings(json, "head_message")[0]);
  CHECK(Hex(head.signature) == JsonStrings(json, "head_signature")[0]);
  CHECK(head.Verify(key.public_key()).ok());

  Event e2 = e;
  e2.seq = 2;
  e2.prev = Sha256(encoded);
  e2.hlc = HlcPack(1575947700000, 0);
  e2.type = "case.step";
  e2.deps = {Sha256(encoded)};
  e2.body = cbor::Value::Map();
  e2.body.Set("status", cbor::Value::Text("forwarded"));
  CHECK(Hex(EncodeEvent(e2)) == bytes[1]);
  CHECK(Hex(Sha256(EncodeEvent(e2))) == ids[1]);

  for (const std::string& hex : bytes) {
    auto decoded = DecodeEvent(FromHex(hex).value());
    REQUIRE(decoded.ok());
    CHECK(Hex(EncodeEvent(*decoded)) == hex);
  }
}

TEST_CASE("event: decode returns every field", "[event]") {
  Event e = GoldenEvent();
  auto d = DecodeEvent(EncodeEvent(e));
  REQUIRE(d.ok());
  CHECK(d->stream == e.stream);
  CHECK(d->seq == 1);
  CHECK(d->hlc == e.hlc);
  CHECK(d->case_code == e.case_code);
  CHECK(d->type == "case.received");
  CHECK(d->officer == "nv.lan");
  CHECK(d->body.Find("applicant")->Find("name")->str() == "Dương Văn Tuấn");
}

TEST_CASE("event: malformed events are refused with the field named", "[event]") {
  Event e = GoldenEvent();
  auto refused = [](const std::string& bytes, const std::string& why) {
    auto d = DecodeEvent(bytes);
    REQUIRE_FALSE(d.ok());
    CHECK_THAT(d.status().message(), Catch::Contains(why));
  };
  std::string good = EncodeEvent(e);
  refused(good.substr(0, good.size() - 1), "truncated");
  refused(good + std::string(1, '\0'), "trailing");
  refused(Mutate(good, 0, '\xab'), "trailing");  // a map of 11 leaves bytes over
  refused(Mutate(good, 2, '\x02'), "version");

  Event bad = e;
  bad.seq = 2;  // seq 2 needs a 32-byte prev
  std::string b = EncodeEvent(bad);
  refused(b.replace(b.find("\x05\x58\x20"), 35, "\x05\x40", 2), "prev");
  bad = e;
  bad.stream.epoch = 0;
  refused(EncodeEvent(bad), "epoch");
  bad = e;
  bad.stream.channel = "30 280";
  refused(EncodeEvent(bad), "channel");
  bad = e;
  bad.stream.origin = "$directory";
  refused(EncodeEvent(bad), "origin");
  bad = e;
  bad.deps = {Sha256("b"), Sha256("a")};
  std::sort(bad.deps.begin(), bad.deps.end());
  std::reverse(bad.deps.begin(), bad.deps.end());
  refused(EncodeEvent(bad), "strictly increasing");
  bad = e;
  bad.body = cbor::Value::Map();
  bad.body.Set(cbor::Value::Uint(1), cbor::Value::Uint(1));
  refused(EncodeEvent(bad), "keys must be text");
  bad = e;
  bad.case_code = "";
  refused(EncodeEvent(bad), "case");
}

TEST_CASE("event: a head signature fails for another key, stream, seq or id", "[event]") {
  SigningKey key = testing::KeyFor(1);
  StreamKey s{"30280", "30280", 1};
  Hash id = Sha256("x");
  SignedHead h = SignHead(s, 5, id, key).value();
  CHECK(h.Verify(key.public_key()).ok());
  CHECK(h.Verify(testing::KeyFor(2).public_key()).code() == Code::kCorruption);
  SignedHead other = h;
  other.seq = 6;
  CHECK_FALSE(other.Verify(key.public_key()).ok());
  other = h;
  other.stream.epoch = 2;
  CHECK_FALSE(other.Verify(key.public_key()).ok());
  other = h;
  other.id = Sha256("y");
  CHECK_FALSE(other.Verify(key.public_key()).ok());
  other = h;
  other.signature[10] ^= 1;
  CHECK_FALSE(other.Verify(key.public_key()).ok());
}

TEST_CASE("event: stream keys order by channel and round-trip", "[event]") {
  StreamKey a{"30280", "883", 2};
  auto back = StreamKey::Decode(a.Encode());
  REQUIRE(back.ok());
  CHECK(*back == a);
  CHECK(StreamKey{"30280", "z", 9}.Encode() < StreamKey{"30283", "a", 1}.Encode());
  CHECK_FALSE(StreamKey::Decode("garbage").ok());
}
