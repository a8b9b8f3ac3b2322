// Shared test helpers: temporary directories, deterministic keys, a small unit tree, and
// signed batches built the way a remote origin would.
// Thread-safety: test-only values; use from one thread.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/base/sync_point.h"
#include "core/domain/case_log.h"
#include "core/format/certificate.h"
#include "core/format/crypto.h"
#include "core/format/document.h"
#include "core/format/event.h"
#include "core/log/directory.h"
#include "core/log/store.h"
#include "tests/testing/stream_builder.h"

namespace hoso::testing {

// Counts sync points (core/base/sync_point.h) while alive: a test waits for what a thread has
// reached instead of sleeping.
class SyncPointsOn {
 public:
  SyncPointsOn() { SyncPoints::Enable(); }
  ~SyncPointsOn() { SyncPoints::Disable(); }
  SyncPointsOn(const SyncPointsOn&) = delete;
  SyncPointsOn& operator=(const SyncPointsOn&) = delete;
  // Waits (up to 10 s) until `name` was reached `times` times.
  [[nodiscard]] bool Reached(std::string_view name, int times = 1) const {
    return SyncPoints::WaitFor(name, times, std::chrono::seconds(10));
  }
};

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hoso-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A key derived from a small number, so tests are reproducible.
inline SigningKey KeyFor(int n) {
  std::string seed(32, '\0');
  for (int i = 0; i < 32; ++i) seed[i] = static_cast<char>(n * 31 + i);
  return SigningKey::FromRaw(seed).value();
}

// Province 89, districts 883 and 884, communes 30280, 30283 (883) and 30316 (884).
inline std::vector<UnitRecord> SmallTree() {
  return {{"89", "", "Tỉnh An Giang", "Tỉnh"},
          {"883", "89", "Thành phố Long Xuyên", "Thành phố"},
          {"884", "89", "Thành phố Châu Đốc", "Thành phố"},
          {"30280", "883", "Phường Mỹ Bình", "Phường"},
          {"30283", "883", "Phường Mỹ Long", "Phường"},
          {"30316", "884", "Phường Châu Phú B", "Phường"}};
}

using StreamWriter = StreamBuilder;  // signed batches for one stream, as its origin would

// Copies what `from` holds of a stream beyond what `to` holds, in batches ending at signed
// heads, the way sync will. Returns the first error.
inline Status CopyStream(const Store& from, Store& to, const StreamKey& stream,
                         size_t max_batch = 1000) {
  auto theirs = from.Head(stream);
  if (!theirs) return Status::NotFound("source has no stream " + stream.ToString());
  auto mine = to.Head(stream);
  uint64_t next = mine ? mine->seq + 1 : 1;
  while (next <= theirs->seq) {
    auto batch = from.ReadBatch(stream, next, max_batch);
    if (!batch.ok()) return batch.status();
    // The case keys of the batch's sealed fields travel with it, as sync sends them.
    auto keys = from.KeysForEvents(batch->events);
    if (!keys.ok()) return keys.status();
    Status s = to.Ingest(*batch, nullptr, std::move(keys).value());
    if (!s.ok()) return s;
    next = batch->head.seq + 1;
  }
  return Status::Ok();
}

// Copies every stream of `from` whose channel passes `filter`; origin keys travel along.
template <typename Filter>
Status CopyAll(const Store& from, Store& to, Filter filter) {
  // The directory first: it decides the write rule for everything else.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& [stream, head] : from.Vector([](const std::string&) { return true; })) {
      bool dir = stream.channel == kDirectoryChannel;
      if ((pass == 0) != dir || !filter(stream.channel)) continue;
      auto key = from.OriginKey(stream.origin, stream.epoch);
      if (!key.ok()) return key.status();
      Status s = to.TrustOrigin(stream.origin, stream.epoch, *key);
      if (s.ok()) s = CopyStream(from, to, stream);
      if (!s.ok()) return s;
    }
  }
  return Status::Ok();
}

inline cbor::Value Body(std::initializer_list<std::pair<std::string, cbor::Value>> fields) {
  cbor::Value m = cbor::Value::Map();
  for (const auto& [k, v] : fields) m.Set(k, v);
  return m;
}

inline cbor::Value Text(const std::string& s) { return cbor::Value::Text(s); }

constexpr int64_t kTestNow = 1764000000000;  // 2025-11-24

// A deployment CA for tests: certificates valid 2020..2035 for keys given.
struct TestPki {
  static constexpr int64_t kFrom = 1577836800, kTo = 2051222400;
  SigningKey ca_key = KeyFor(1);
  std::string ca = MakeCaCertificate(ca_key, "89", kFrom, kTo).value();
  uint64_t serial = 0;
  std::string CertFor(const std::string& unit, const SigningKey& key, uint64_t epoch = 1) {
    return IssueNodeCertificate(ca_key, ca, unit, epoch, key.public_key(), ++serial, kFrom, kTo)
        .value();
  }
  // The certificate of test node `unit` (key KeyFor(unit)).
  std::string CertFor(const std::string& unit) { return CertFor(unit, KeyFor(std::stoi(unit))); }
};

// The bytes of a file ("" when it cannot be read): the data files tests load.
inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A store with a node identity and a fake clock, under root 89 unless told.
struct TestNode {
  FakeClock clock{kTestNow};
  std::unique_ptr<Store> store;
};

inline std::unique_ptr<TestNode> OpenTestNode(const std::string& path, const std::string& unit,
                                              int key = 0, uint64_t epoch = 1,
                                              const std::string& root = "89") {
  auto node = std::make_unique<TestNode>();
  StoreOptions o;
  o.path = path;
  o.root_unit = root;
  o.identity = Identity{unit, epoch, KeyFor(key ? key : std::stoi(unit))};
  o.clock = &node->clock;
  UseCaseLogRules(&o);
  auto s = Store::Open(o);
  if (!s.ok()) {
    std::fprintf(stderr, "opening test store: %s\n", s.status().ToString().c_str());
    std::abort();
  }
  node->store = std::move(s).value();
  return node;
}

inline LocalWrite ReceiveWrite(const std::string& channel, const std::string& code,
                               const std::string& name, uint64_t due) {
  cbor::Value applicant = cbor::Value::Map();
  applicant.Set("name", Text(name));
  return {channel, code, "case.received",
          Body({{"status", Text("received")},
                {"applicant", applicant},
                {"due_at", cbor::Value::Uint(due)}}),
          "clerk"};
}

// Receives cases prefix+from .. prefix+(to-1) in a channel, one commit each.
inline Status ReceiveCases(Store& store, const std::string& channel, const std::string& prefix,
                           int from, int to, const std::string& name = "An") {
  for (int i = from; i < to; ++i) {
    Status s = store.Append(ReceiveWrite(channel, prefix + std::to_string(i), name, i)).status();
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

inline LocalWrite StepWrite(const std::string& channel, const std::string& code,
                            const std::string& status) {
  return {channel, code, "case.step", Body({{"status", Text(status)}}), "officer"};
}

// n bytes of a fixed pseudo-random pattern (incompressible, distinct per seed).
inline std::string Pattern(size_t n, int seed) {
  std::string s(n, '\0');
  uint32_t x = 2463534242u + static_cast<uint32_t>(seed);
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

// The document.attached event of a sealed document (Store::PutDocument) to a case.
inline LocalWrite AttachWrite(const std::string& channel, const std::string& code,
                              const SealedDocument& doc, const std::string& name) {
  return {channel, code, "document.attached",
          Body({{"document", DocumentRefValue(doc.ref)},
                {"document_key", cbor::Value::Bytes(doc.key)},
                {"document_name", Text(name)},
                {"document_type", Text("application/pdf")},
                {"document_role", Text("application")}}),
          "nv.lan"};
}

}  // namespace hoso::testing
