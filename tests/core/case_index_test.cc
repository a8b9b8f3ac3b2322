#include "core/case_index.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "tests/testing.h"

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
}  // namespace

TEST_CASE("case index: a new case gets status, due, name and office keys", "[index]") {
  cbor::Value applicant = cbor::Value::Map();
  applicant.Set("name", Text("Đặng Thị Ánh"));
  CaseState st("K1", "30280");
  Event e = Make(1, {},
                 Body({{"status", Text("received")},
                       {"due_at", cbor::Value::Uint(0x0102030405)},
                       {"applicant", applicant}}));
  st.Apply(e, Sha256(EncodeEvent(e)));
  std::vector<IndexOp> ops;
  IndexDelta(nullptr, st, &ops);
  std::vector<std::string> keys;
  for (const auto& [k, put] : ops) {
    CHECK(put);
    CHECK(CaseOfIndexKey(k) == "K1");
    keys.push_back(k);
  }
  std::sort(keys.begin(), keys.end());
  REQUIRE(keys.size() == 4);
  CHECK(keys[0] == DueIndexKey(0x0102030405) + "K1");
  CHECK(keys[1] == std::string("ndang thi anh\0K1", 16));
  CHECK(keys[2] == std::string("o30280\0K1", 9));
  CHECK(keys[3] == std::string("sreceived\0K1", 12));
}

TEST_CASE("case index: a status change moves one key, other fields cost nothing", "[index]") {
  CaseState st("K1", "30280");
  Event a = Make(1, {}, Body({{"status", Text("received")}, {"due_at", cbor::Value::Uint(7)}}));
  Hash ida = Sha256(EncodeEvent(a));
  st.Apply(a, ida);
  IndexedFields before = Indexed(st);
  Event b = Make(2, {ida}, Body({{"status", Text("processing")}, {"note", Text("x")}}));
  st.Apply(b, Sha256(EncodeEvent(b)));
  std::vector<IndexOp> ops;
  IndexDelta(&before, st, &ops);
  REQUIRE(ops.size() == 2);
  CHECK(ops[0] == IndexOp{std::string("sreceived\0K1", 12), false});
  CHECK(ops[1] == IndexOp{std::string("sprocessing\0K1", 14), true});
  ops.clear();
  IndexedFields same = Indexed(st);
  IndexDelta(&same, st, &ops);
  CHECK(ops.empty());
}
