// Fuzz target: the sync session state machine (sync/session.h) of district 883, fed what a
// peer sends after a valid HELLO. The first byte picks the peer: commune 30280 (a child, whose
// batches it ingests) or province 89 (its parent, whose receipts it verifies); the rest is the
// peer's byte stream, cut into frames (sync/messages.h) as the transport cuts it. Each message
// goes through Handle, then OnCommit as the store's listener would call it; the session ends
// at the first frame or message it refuses, as the transport would end it.
//
// The district's store is in memory (tests/fuzz/fuzz.h), shared by the inputs, and forgets
// what it knew of its peers before each (session_world.h): an input replays alone as it ran
// but for the seeds' events it may hold already. The seeds are the frames each peer sent in
// a real sync with it. Checks: every message the session
// sends is one its peer can decode; the store still verifies each stream it holds after the
// session (Store::VerifyStream), whatever was ingested.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/session_world.h"

using namespace hoso;
using namespace hoso::sync;

namespace {

const fuzz::SessionWorld& World() {
  static auto* w = fuzz::BuildSessionWorld().release();
  return *w;
}

void CheckSent(std::vector<Message>* out) {
  for (const Message& m : *out) {
    auto back = DecodeMessage(EncodeMessage(m));
    HOSO_FUZZ_CHECK(back.ok(), std::string("the session sent a ") + MessageName(m) +
                                   " its peer cannot decode: " + back.status().ToString());
  }
  out->clear();
}

}  // namespace

// Builds the network and the shared district before the first input, so that its cost (stores,
// keys) is not counted against that input's 1 s.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::SharedDistrict(World());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string peer = data[0] % 2 ? "89" : "30280";
  fuzz::MemNode* node = &fuzz::SharedDistrict(World());
  fuzz::StartInput(*node);
  auto session = fuzz::SessionOf(*node, peer);
  std::vector<Message> out;
  if (!session->Start(&out).ok()) return 0;
  CheckSent(&out);
  Hello hello;
  hello.unit = peer;
  hello.epoch = 1;
  hello.wall_ms = testing::kTestNow;
  // The peer's commit counter, as its real HELLO says: it changed since we last saw it (never),
  // so its CHANGES come next, as in the seeds.
  const auto& w = World();
  hello.counter = (peer == "89" ? w.province : w.commune)->store->CommitCounter();
  Status s = session->Handle(hello, &out);
  CheckSent(&out);
  FrameReader reader;
  if (s.ok()) s = reader.Append(fuzz::AsText(data + 1, size - 1));
  while (s.ok()) {
    auto next = reader.Next();
    if (!next.ok() || !*next) break;
    auto m = DecodeMessage(**next);
    if (!m.ok()) break;
    s = session->Handle(std::move(*m), &out);
    CheckSent(&out);
    if (!s.ok()) break;
    session->OnCommit(&out);
    CheckSent(&out);
  }
  for (const auto& [stream, head] : node->store->Vector([](const std::string&) { return true; })) {
    Status v = node->store->VerifyStream(stream);
    HOSO_FUZZ_CHECK(v.ok(), "a stream no longer verifies: " + v.ToString());
  }
  return 0;
}
