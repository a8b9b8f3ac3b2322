// Shared by the libFuzzer targets (docs/fuzzing.md): a check that fails the run, and stores
// that live in memory so that an input costs no disk.
// Thread-safety: targets run one input at a time on one thread.
#pragma once

#include <rocksdb/env.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/clock.h"
#include "core/domain/case_log.h"
#include "core/domain/event_schema.h"
#include "core/format/event.h"
#include "core/log/directory.h"
#include "core/log/store.h"
#include "tests/testing/testing.h"

namespace hoso::fuzz {

// A property that does not hold is a finding like a crash: libFuzzer keeps the input.
#define HOSO_FUZZ_CHECK(cond, what)                                                             \
  do {                                                                                          \
    if (!(cond)) {                                                                              \
      std::fprintf(stderr, "fuzz property failed: %s (%s:%d): %s\n", #cond, __FILE__, __LINE__, \
                   std::string(what).c_str());                                                  \
      std::abort();                                                                             \
    }                                                                                           \
  } while (0)

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A case-log store under root 89 with identity `unit` (key testing::KeyFor(unit)), in a
// RocksDB memory environment of its own and without WAL syncs: the targets that need a store
// (sync session, bundles, the API) pay no fsync and leave nothing on disk. The environment
// outlives the store (declared first, destroyed last).
struct MemNode {
  std::unique_ptr<rocksdb::Env> env;
  FakeClock clock{testing::kTestNow};
  std::unique_ptr<Store> store;
};

inline std::unique_ptr<MemNode> OpenMemNode(const std::string& unit) {
  auto node = std::make_unique<MemNode>();
  node->env.reset(rocksdb::NewMemEnv(rocksdb::Env::Default()));
  StoreOptions o;
  o.path = "/fuzz/" + unit;
  o.root_unit = "89";
  o.identity = Identity{unit, 1, testing::KeyFor(std::stoi(unit))};
  o.clock = &node->clock;
  o.env = node->env.get();
  o.sync_writes = false;
  o.block_cache_mb = 1;
  UseCaseLogRules(&o);
  auto s = Store::Open(o);
  if (!s.ok()) {
    std::fprintf(stderr, "opening the fuzz store: %s\n", s.status().ToString().c_str());
    std::abort();
  }
  node->store = std::move(s).value();
  return node;
}

// Copies everything `from` holds into `to` (the directory first), as a sync would.
inline void CopyEverything(const Store& from, Store& to) {
  Status s = testing::CopyAll(from, to, [](const std::string&) { return true; });
  if (!s.ok()) {
    std::fprintf(stderr, "filling the fuzz store: %s\n", s.ToString().c_str());
    std::abort();
  }
}

}  // namespace hoso::fuzz

namespace hoso::fuzz {

// What a local write becomes once the store stamps it (the root's first event), checked as
// Store::Append checks it (store_commit.cc): the directory's and the domain's schemas, then
// CheckEncodable. An event these pass must decode from its own encoding, or the store would
// sign bytes that every peer refuses, and the stream would sync no further.
inline void CheckWriteRoundTrips(const LocalWrite& w) {
  Event e;
  e.stream = {w.channel, "89", 1};
  e.seq = 1;
  e.hlc = uint64_t{testing::kTestNow} << 16;
  e.case_code = w.case_code;
  e.type = w.type;
  e.body = w.body;
  e.officer = w.officer;
  if (!ValidateName("channel", e.stream.channel).ok()) return;
  if (e.stream.channel == kDirectoryChannel && !Directory::ValidateEvent(e).ok()) return;
  if (!CheckEventSchema(e).ok() || !CheckEncodable(e).ok()) return;
  std::string bytes = EncodeEvent(e);
  auto back = DecodeEvent(bytes);
  HOSO_FUZZ_CHECK(
      back.ok(), "the store would sign an event that does not decode: " + back.status().ToString() +
                     " (" + w.type + " " + w.case_code + ")");
  HOSO_FUZZ_CHECK(EncodeEvent(*back) == bytes, "a written event does not re-encode the same");
}

}  // namespace hoso::fuzz
