#include "core/domain/case_index.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "tests/testing/testing.h"

using namespace hoso;
using testing::Body;
using testing::Text;

namespace {
Event Make(uint64_t seq, std::vector<Hash> deps, cbor::Value body) {
  Event e;
  e.stream = {"30280", "30280", 1};
  e.seq = seq;
  e.hlc = seq * 10;
  e.case_code = "K1";
  e.type = "case.step";
  e.deps = std::move(deps);
  e.body = std::move(body);
  return e;
}
// States of plaintext fields only: nothing is sealed, so the opener is the identity.
struct PlainOpener final : FieldOpener {
  std::optional<std::string> Open(std::string_view, std::string_view,
                                  std::string_view raw) const override {
    return std::string(raw);
  }
} const kPlain;
}  // namespace

std::vector<std::string> KeysOf(const CaseState& st) {
  std::vector<std::string> keys;
  for (const Projection* index : CaseIndexProjections()) {
    index->Keys(index->Summary(st), st.case_code(), kPlain, &keys);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

TEST_CASE("case index: a case projects to its status, due and name keys", "[index]") {
  cbor::Value applicant = cbor::Value::Map();
  applicant.Set("name", Text("Đặng Thị Ánh"));
  CaseState st("K1", "30280");
  Event e = Make(1, {},
                 Body({{"status", Text("received")},
                       {"due_at", cbor::Value::Uint(0x0102030405)},
                       {"applicant", applicant}}));
  st.Apply(e, Sha256(EncodeEvent(e)));
  for (const Projection* index : CaseIndexProjections()) {
    CHECK(index->kind() == Projection::Kind::kEntries);
  }
  std::vector<std::string> keys = KeysOf(st);
  REQUIRE(keys.size() == 3);  // the channel's 'o' key is the store's own
  CHECK(keys[0] == DueIndexKey(0x0102030405) + "K1");
  CHECK(keys[1] == std::string("ndang thi anh\0K1", 16));
  CHECK(keys[2] == std::string("sreceived\0K1", 12));
}

TEST_CASE("case index: a status change moves one key, other fields leave the summary", "[index]") {
  auto summaries = [](const CaseState& st) {
    std::vector<std::string> out;
    for (const Projection* index : CaseIndexProjections()) out.push_back(index->Summary(st));
    return out;
  };
  CaseState st("K1", "30280");
  Event a = Make(1, {}, Body({{"status", Text("received")}, {"due_at", cbor::Value::Uint(7)}}));
  Hash ida = Sha256(EncodeEvent(a));
  st.Apply(a, ida);
  std::vector<std::string> before = summaries(st);
  std::vector<std::string> old_keys = KeysOf(st);
  Event b = Make(2, {ida}, Body({{"note", Text("x")}}));
  Hash idb = Sha256(EncodeEvent(b));
  st.Apply(b, idb);
  CHECK(summaries(st) == before);  // a commit of it derives no keys
  Event c = Make(3, {idb}, Body({{"status", Text("processing")}}));
  st.Apply(c, Sha256(EncodeEvent(c)));
  std::vector<std::string> after = summaries(st);
  CHECK(after[0] != before[0]);  // status
  CHECK(after[1] == before[1]);  // due date: nothing to derive
  CHECK(after[2] == before[2]);  // applicant: nothing decoded
  std::vector<std::string> new_keys = KeysOf(st);
  REQUIRE(old_keys.size() == 2);
  REQUIRE(new_keys.size() == 2);
  CHECK(old_keys[0] == new_keys[0]);  // the due key stays
  CHECK(old_keys[1] == std::string("sreceived\0K1", 12));
  CHECK(new_keys[1] == std::string("sprocessing\0K1", 14));
}
