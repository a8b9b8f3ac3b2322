// Test helper for crash_test: ingests remote batches and makes local appends into a store
// until it is killed, printing one line per acknowledged commit on stdout:
//   BATCH <first> <last>   before ingesting a remote batch of seqs first..last
//   ACK <seq> <id hex>     after the remote batch ending at seq was acknowledged
//   LOCAL <seq> <id hex>   after a local append ending at seq was acknowledged
#include <unistd.h>

#include <cstdio>
#include <random>
#include <string>

#include "core/domain/case_log.h"
#include "core/log/store.h"
#include "tests/testing/testing.h"

using namespace hoso;

namespace {
void Say(const std::string& line) {
  std::string l = line + "\n";
  if (write(1, l.data(), l.size()) < 0) _exit(3);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s STORE_DIR SEED\n", argv[0]);
    return 2;
  }
  StoreOptions o;
  o.path = argv[1];
  o.root_unit = "89";
  o.identity = Identity{"89", 1, testing::KeyFor(89)};
  UseCaseLogRules(&o);
  auto opened = Store::Open(o);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  Store& store = **opened;
  if (store.DirectorySnapshot()->size() == 0) {
    if (!store.Append(DirectoryWrites(testing::SmallTree(), 0, "it")).ok() ||
        !store.TrustOrigin("30280", 1, testing::KeyFor(30280).public_key()).ok()) {
      return 1;
    }
  }
  StreamKey remote{"30280", "30280", 1};
  auto head = store.Head(remote);
  testing::StreamWriter writer(remote, testing::KeyFor(30280));
  writer.Resume(head ? head->seq : 0, head ? head->id : Hash{});
  std::mt19937_64 rng(std::stoull(argv[2]));
  uint64_t hlc = HlcPack(1764000000000, 0) + (head ? head->seq : 0) * 8;
  for (uint64_t round = 0;; ++round) {
    if (rng() % 4 == 0) {
      std::vector<LocalWrite> writes;
      for (int i = 0, n = 1 + rng() % 5; i < n; ++i) {
        writes.push_back({"30316", "30316-L" + std::to_string(rng() % 50), "case.step",
                          testing::Body({{"status", testing::Text("processing")},
                                         {"note", testing::Text(std::to_string(rng()))}}),
                          "officer"});
      }
      auto r = store.Append(writes);
      if (!r.ok()) {
        std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
        return 1;
      }
      Say("LOCAL " + std::to_string(r->back().seq) + " " + Hex(r->back().id));
      continue;
    }
    uint64_t n = 1 + rng() % 200;
    uint64_t first = writer.seq() + 1;
    for (uint64_t i = 0; i < n; ++i) {
      std::string code = "30280-K" + std::to_string(rng() % 300);
      writer.Next(code, "case.step",
                  testing::Body({{"status", testing::Text(i % 2 ? "processing" : "received")},
                                 {"n", cbor::Value::Uint(first + i)}}),
                  hlc += 8);
    }
    Say("BATCH " + std::to_string(first) + " " + std::to_string(writer.seq()));
    Status s = store.Ingest(writer.Seal());
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.ToString().c_str());
      return 1;
    }
    Say("ACK " + std::to_string(writer.seq()) + " " + Hex(writer.last_id()));
  }
}
