#include "core/format/chain_verifier.h"

#include <catch2/catch.hpp>

using namespace hoso;

namespace {

const StreamKey kStream{"30280", "30280", 1};
const SigningKey kKey = SigningKey::FromRaw(std::string(32, 'k')).value();

// One event of a signed stream: its place, decoded form and id.
struct Held {
  uint64_t seq;
  Event event;
  Hash id;
};

// Events 1..n of `stream`, chained and encoded as their origin writes them, with the head it
// signs; `tag` makes histories differ.
std::vector<Held> Signed(size_t n, const std::string& tag = "a", SignedHead* head = nullptr,
                         const StreamKey& stream = kStream) {
  std::vector<Held> out;
  Hash prev{};
  for (uint64_t seq = 1; seq <= n; ++seq) {
    Event e;
    e.stream = stream;
    e.seq = seq;
    e.prev = prev;
    e.hlc = (uint64_t{1764000000000} << 16) + seq;
    e.case_code = "30280-K1";
    e.type = "case.step";
    e.body.Set("note", cbor::Value::Text(tag + std::to_string(seq)));
    e.officer = "officer-1";
    const std::string bytes = EncodeEvent(e);
    prev = Sha256(bytes);
    out.push_back({seq, DecodeEvent(bytes).value(), prev});
  }
  SignedHead signed_head = SignHead(stream, n, prev, kKey).value();
  REQUIRE(signed_head.Verify(kKey.public_key()).ok());
  if (head) *head = std::move(signed_head);
  return out;
}

Status Add(ChainVerifier& v, const Held& h) { return v.Add(h.seq, h.event, h.id); }

void CheckBreak(const Status& s, const std::string& message) {
  CHECK(s.code() == Code::kCorruption);
  CHECK_THAT(s.message(), Catch::Equals(message));
}

}  // namespace

TEST_CASE("chain verifier: a signed stream from seq 1 and its head pass", "[chain]") {
  SignedHead head;
  auto events = Signed(3, "a", &head);
  ChainVerifier v(kStream);
  for (const auto& h : events) {
    CHECK(Add(v, h).ok());
    CHECK(v.broke() == ChainBreak::kNone);
  }
  CHECK(v.seq() == 3);
  CHECK(v.id() == events[2].id);
  CHECK(v.CheckHead("signed head", head.seq, head.id).ok());
}

TEST_CASE("chain verifier: a prev that names another event is named at its seq", "[chain]") {
  auto ours = Signed(3, "a");
  auto theirs = Signed(3, "b");
  ChainVerifier v(kStream);
  REQUIRE(Add(v, ours[0]).ok());
  REQUIRE(Add(v, ours[1]).ok());
  Status s = Add(v, theirs[2]);
  CheckBreak(s, "chain broken at seq 3 (prev does not name the event before it)");
  CHECK(v.broke() == ChainBreak::kPrev);
  // The verifier goes on from the event it was given: what follows theirs[2] is checked
  // against it.
  CHECK(v.id() == theirs[2].id);
}

TEST_CASE("chain verifier: a seq gap, and a stream not starting at seq 1", "[chain]") {
  auto events = Signed(4);
  SECTION("a gap") {
    ChainVerifier v(kStream);
    REQUIRE(Add(v, events[0]).ok());
    CheckBreak(Add(v, events[2]), "seq 3 follows seq 1 (seq 2 is missing)");
    CHECK(v.broke() == ChainBreak::kGap);
    // Past the gap the chain is checked again, from the event after it.
    CHECK(Add(v, events[3]).ok());
    CHECK(v.broke() == ChainBreak::kNone);
  }
  SECTION("a seq repeated") {
    ChainVerifier v(kStream);
    REQUIRE(Add(v, events[0]).ok());
    REQUIRE(Add(v, events[1]).ok());
    CheckBreak(Add(v, events[1]), "seq 2 follows seq 2");
  }
  SECTION("the first event missing") {
    ChainVerifier v(kStream);
    CheckBreak(Add(v, events[1]), "the stream starts at seq 2 (seq 1 is missing)");
    CHECK(v.broke() == ChainBreak::kGap);
  }
}

TEST_CASE("chain verifier: the first event's prev must be empty", "[chain]") {
  auto events = Signed(2);
  ChainVerifier v(kStream);
  // Event 2 held at seq 1: the prev it claims is event 1's id, not empty.
  CheckBreak(v.Link(1, events[1].event.prev, events[1].id),
             "chain broken at seq 1 (the first event of a stream must have an empty prev)");
  CHECK(v.broke() == ChainBreak::kPrev);
}

TEST_CASE("chain verifier: an event held at another place than it claims", "[chain]") {
  auto events = Signed(2);
  SECTION("another seq") {
    ChainVerifier v(kStream);
    CheckBreak(v.Add(1, events[1].event, events[1].id),
               "the event at seq 1 claims 30280/30280#1 seq 2");
    CHECK(v.broke() == ChainBreak::kPlace);
  }
  SECTION("another stream") {
    auto other = Signed(1, "a", nullptr, {"30280", "30283", 1});
    ChainVerifier v(kStream);
    CheckBreak(Add(v, other[0]), "the event at seq 1 claims 30280/30283#1 seq 1");
    CHECK(CheckPlace(kStream, 1, other[0].event).code() == Code::kCorruption);
    CHECK(CheckPlace(other[0].event.stream, 1, other[0].event).ok());
  }
}

TEST_CASE("chain verifier: a head that does not name the last event", "[chain]") {
  SignedHead head;
  auto events = Signed(3, "a", &head);
  ChainVerifier v(kStream);
  for (const auto& h : events) REQUIRE(Add(v, h).ok());
  CheckBreak(v.CheckHead("signed head", 2, events[1].id),
             "signed head (seq 2) does not cover the last event (seq 3)");
  CheckBreak(v.CheckHead("head record", 3, events[1].id),
             "head record (seq 3) does not cover the last event (seq 3)");
  CHECK(v.CheckHead("signed head", head.seq, head.id).ok());
}

TEST_CASE("chain verifier: continuing from a held head", "[chain]") {
  auto events = Signed(4);
  SECTION("the next events follow the head") {
    ChainVerifier v(kStream, 2, events[1].id);
    CHECK(Add(v, events[2]).ok());
    CHECK(Add(v, events[3]).ok());
    CHECK(v.CheckHead("signed head", 4, events[3].id).ok());
  }
  SECTION("a batch continuing another history") {
    auto theirs = Signed(4, "b");
    ChainVerifier v(kStream, 2, events[1].id);
    CheckBreak(Add(v, theirs[2]), "chain broken at seq 3 (prev does not name the event before it)");
  }
  SECTION("a batch starting past the head") {
    ChainVerifier v(kStream, 2, events[1].id);
    CheckBreak(Add(v, events[3]), "seq 4 follows seq 2 (seq 3 is missing)");
  }
}

TEST_CASE("chain verifier: unanchored, the first event is taken as it is", "[chain]") {
  auto events = Signed(4);
  auto theirs = Signed(4, "b");
  ChainVerifier v = ChainVerifier::Unanchored(kStream);
  CHECK(Add(v, events[2]).ok());
  CHECK(Add(v, events[3]).ok());
  ChainVerifier w = ChainVerifier::Unanchored(kStream);
  REQUIRE(Add(w, events[1]).ok());
  CheckBreak(Add(w, theirs[2]), "chain broken at seq 3 (prev does not name the event before it)");
}

TEST_CASE("chain verifier: an event skipped unread still anchors the next", "[chain]") {
  auto events = Signed(3);
  auto theirs = Signed(3, "b");
  ChainVerifier v(kStream);
  REQUIRE(Add(v, events[0]).ok());
  v.Skip(2, events[1].id);
  CHECK(v.broke() == ChainBreak::kNone);
  CHECK(Add(v, events[2]).ok());
  ChainVerifier w(kStream);
  REQUIRE(Add(w, events[0]).ok());
  w.Skip(2, theirs[1].id);
  CheckBreak(Add(w, events[2]), "chain broken at seq 3 (prev does not name the event before it)");
}
