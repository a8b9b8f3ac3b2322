// The documents lane of a sync session (docs/documents.md): two real sessions over the
// in-memory duplex, real RocksDB stores, documents sealed and chunked as a clerk's upload is.
#include <catch2/catch.hpp>

#include "sync/session.h"
#include "tests/sync/session_link.h"
#include "tests/testing/testing.h"

using namespace hoso;
using namespace hoso::sync;
using namespace hoso::sync::testlink;
using testing::Pattern;

namespace {

// Three scans as a commune receives them, attached offline to one case.
struct Scans {
  std::vector<std::string> files;
  std::vector<SealedDocument> docs;
  uint64_t sealed_bytes = 0;
  size_t chunks = 0;
};

Scans AttachScans(testing::TestNode& commune, const std::string& code,
                  std::vector<size_t> sizes = {300 * 1024, 1024 * 1024 + 3, 700 * 1024}) {
  Scans s;
  REQUIRE(commune.store->Append(testing::ReceiveWrite("30280", code, "Nguyễn Văn An", 7)).ok());
  for (size_t i = 0; i < sizes.size(); ++i) {
    s.files.push_back(Pattern(sizes[i], static_cast<int>(i) + 1));
    auto doc = commune.store->PutDocument(s.files.back());
    REQUIRE(doc.ok());
    REQUIRE(commune.store
                ->Append(
                    testing::AttachWrite("30280", code, *doc, "scan-" + std::to_string(i) + ".pdf"))
                .ok());
    for (size_t c = 0; c < doc->ref.chunks.size(); ++c) {
      s.sealed_bytes += SealedChunkSize(doc->ref.size, c);
    }
    s.chunks += doc->ref.chunks.size();
    s.docs.push_back(std::move(doc).value());
  }
  return s;
}

// Every file reads back byte-identical on `node`, with the key the case carries.
void CheckHolds(testing::TestNode& node, const Scans& s) {
  for (size_t i = 0; i < s.docs.size(); ++i) {
    CHECK(node.store->HeldChunks(s.docs[i].ref) == s.docs[i].ref.chunks.size());
    auto file = node.store->ReadDocument(s.docs[i].ref, s.docs[i].key);
    REQUIRE(file.ok());
    CHECK(*file == s.files[i]);
  }
}

// A tree whose district and commune know the directory.
struct DocTree : Tree {
  DocTree() {
    REQUIRE(Sync(*province, "89", *district, "883").a.ok());
    REQUIRE(Sync(*district, "883", *commune, "30280").a.ok());
    REQUIRE(Sync(*district, "883", *other, "30283").a.ok());
  }
};

}  // namespace

TEST_CASE("documents: three scans reach the district and, relayed, the province, byte-identical",
          "[documents][session]") {
  DocTree t;
  Scans s = AttachScans(*t.commune, "30280-S1");
  auto district = Session(*t.district, "30280");
  auto commune = Session(*t.commune, "883");
  // The window bounds what is asked and unanswered at every moment.
  int64_t outstanding = 0, most = 0;
  auto r = RunLink(*district, *commune, UINT64_MAX, [&](Message& m, bool from_district) {
    if (auto* w = std::get_if<ChunkWant>(&m); w && from_district) {
      outstanding += static_cast<int64_t>(w->length);
      most = std::max(most, outstanding);
    }
    if (auto* c = std::get_if<ChunkMsg>(&m); c && !from_district && c->bytes) {
      outstanding -= static_cast<int64_t>(c->bytes->size());
    }
  });
  REQUIRE(r.a.ok());
  REQUIRE(r.b.ok());
  CHECK(r.settled);
  CHECK(district->DocumentsSettled());
  CHECK(outstanding == 0);
  CHECK(most > 0);
  CHECK(static_cast<size_t>(most) <= SessionOptions{}.document_min_window_bytes);
  CHECK(district->stats().chunks_received == s.chunks);
  CHECK(district->stats().chunk_bytes_received == s.sealed_bytes);  // nothing twice
  CHECK(commune->stats().chunk_bytes_sent == s.sealed_bytes);
  CHECK(t.district->store->WantedChunkCount() == 0);
  CheckHolds(*t.district, s);

  // The district forwards what it holds; the province wants nothing more after.
  r = Sync(*t.province, "89", *t.district, "883");
  REQUIRE(r.a.ok());
  REQUIRE(r.b.ok());
  CHECK(r.settled);
  CheckHolds(*t.province, s);
  CHECK(t.province->store->WantedChunkCount() == 0);
  // A second round has nothing to move.
  r = Sync(*t.province, "89", *t.district, "883");
  CHECK(r.counts_ab.count("CHUNK_WANT") == 0);
}

TEST_CASE("documents: a cut session resumes chunk by chunk, re-sending only what was in flight",
          "[documents][session]") {
  DocTree t;
  Scans s = AttachScans(*t.commune, "30280-S2");
  uint64_t received = 0;
  int sessions = 0;
  for (uint64_t cut = 200 * 1024; sessions < 50; cut += 200 * 1024) {
    auto district = Session(*t.district, "30280");
    auto commune = Session(*t.commune, "883");
    ++sessions;
    auto r = RunLink(*district, *commune, cut);
    received += district->stats().chunk_bytes_received;
    if (r.settled && district->DocumentsSettled()) break;
  }
  CHECK(sessions > 3);
  CheckHolds(*t.district, s);
  // Each cut loses at most the chunks being assembled (whole chunks are stored at once).
  const uint64_t resent = received - s.sealed_bytes;
  INFO("sessions " << sessions << " resent " << resent);
  CHECK(resent <= static_cast<uint64_t>(sessions - 1) * 2 * kMaxSealedChunkBytes);
  CHECK(received >= s.sealed_bytes);
}

TEST_CASE("documents: a holder serves a chunk only to a peer that shares a case naming it",
          "[documents][session]") {
  DocTree t;
  Scans s = AttachScans(*t.commune, "30280-S3", {5000});
  REQUIRE(Sync(*t.district, "883", *t.commune, "30280").a.ok());
  REQUIRE(t.district->store->HasChunk(s.docs[0].ref.chunks[0]));
  // 30283 is a sibling commune: the district holds the chunk but no case of 30283 names it.
  auto district = Session(*t.district, "30283");
  auto other = Session(*t.other, "883");
  REQUIRE(RunLink(*district, *other).a.ok());
  std::vector<Message> out;
  REQUIRE(district->Handle(ChunkWant{s.docs[0].ref.chunks[0], 0, 100}, &out).ok());
  REQUIRE(out.size() == 1);
  auto* answer = std::get_if<ChunkMsg>(&out[0]);
  REQUIRE(answer);
  CHECK_FALSE(answer->bytes.has_value());
  CHECK(district->stats().chunks_refused == 1);
  // Its parent shares the case: served, exactly the piece asked.
  auto up = Session(*t.district, "89");
  auto province = Session(*t.province, "883");
  REQUIRE(RunLink(*up, *province).a.ok());
  out.clear();
  REQUIRE(up->Handle(ChunkWant{s.docs[0].ref.chunks[0], 10, 100}, &out).ok());
  answer = std::get_if<ChunkMsg>(&out.at(0));
  REQUIRE(answer);
  REQUIRE(answer->bytes.has_value());
  CHECK(*answer->bytes == t.district->store->GetChunk(s.docs[0].ref.chunks[0])->substr(10, 100));
  // Past the end of the chunk (the asker's store wants it at another size, as a hostile
  // docref can make it): refused like a chunk not held, the session going on.
  out.clear();
  REQUIRE(up->Handle(ChunkWant{s.docs[0].ref.chunks[0], 5000, 100}, &out).ok());
  answer = std::get_if<ChunkMsg>(&out.at(0));
  REQUIRE(answer);
  CHECK_FALSE(answer->bytes.has_value());
}

TEST_CASE("documents: a chunk that does not hash to its name is not stored, the link goes on",
          "[documents][session]") {
  DocTree t;
  Scans s = AttachScans(*t.commune, "30280-S4", {3000});
  const Hash name = s.docs[0].ref.chunks[0];
  auto district = Session(*t.district, "30280");
  auto commune = Session(*t.commune, "883");
  auto r = RunLink(*district, *commune, UINT64_MAX, [](Message& m, bool) {
    if (auto* c = std::get_if<ChunkMsg>(&m); c && c->bytes) (*c->bytes)[0] ^= 1;
  });
  CHECK(r.a.ok());  // one bad file does not stop a link's events
  CHECK(district->stats().chunks_corrupt == 1);
  CHECK_FALSE(t.district->store->HasChunk(name));
  CHECK(t.district->store->WantedChunkCount() == 1);
  // The events arrived all the same; a clean session brings the chunk.
  CHECK(t.district->store->GetCaseState("30280-S4").ok());
  auto again = Session(*t.district, "30280");
  auto commune2 = Session(*t.commune, "883");
  REQUIRE(RunLink(*again, *commune2).a.ok());
  CheckHolds(*t.district, s);
}

TEST_CASE("documents: a CHUNK nobody asked for ends the session", "[documents][session]") {
  DocTree t;
  auto district = Session(*t.district, "30280");
  auto commune = Session(*t.commune, "883");
  REQUIRE(RunLink(*district, *commune).a.ok());
  std::vector<Message> out;
  Hash name{};
  name[0] = 7;
  Status s = district->Handle(ChunkMsg{name, 0, std::string(10, 'x')}, &out);
  CHECK(s.code() == Code::kInvalidArgument);
  REQUIRE_FALSE(out.empty());
  CHECK(std::holds_alternative<ErrorMsg>(out.back()));
}

// A relay learns of a file before it holds its chunks: a chunk it refused once is served
// when asked again in the same session, once it has arrived.
TEST_CASE("documents: a chunk refused before it arrived is served when asked again",
          "[documents][session]") {
  DocTree t;
  Scans s = AttachScans(*t.commune, "30280-S6", {4000});
  const Hash name = s.docs[0].ref.chunks[0];
  auto all = [](const std::string&) { return true; };
  REQUIRE(testing::CopyAll(*t.commune->store, *t.district->store, all).ok());  // events only
  REQUIRE_FALSE(t.district->store->HasChunk(name));
  auto up = Session(*t.district, "89");
  auto province = Session(*t.province, "883");
  REQUIRE(RunLink(*up, *province).a.ok());
  std::vector<Message> out;
  REQUIRE(up->Handle(ChunkWant{name, 0, 100}, &out).ok());
  auto* answer = std::get_if<ChunkMsg>(&out.at(0));
  REQUIRE(answer);
  CHECK_FALSE(answer->bytes.has_value());
  REQUIRE(t.district->store->PutReceivedChunk(name, *t.commune->store->GetChunk(name)).ok());
  out.clear();
  REQUIRE(up->Handle(ChunkWant{name, 0, 100}, &out).ok());
  answer = std::get_if<ChunkMsg>(&out.at(0));
  REQUIRE(answer);
  REQUIRE(answer->bytes.has_value());
  CHECK(*answer->bytes == t.commune->store->GetChunk(name)->substr(0, 100));
}

// A cut costs what was in flight: the next session asks for the rest of the chunk it was
// assembling, not for all of it again.
TEST_CASE("documents: a chunk cut mid-way is resumed from the bytes received",
          "[documents][session]") {
  DocTree t;
  Scans s = AttachScans(*t.commune, "30280-S7", {200 * 1024});
  const Hash name = s.docs[0].ref.chunks[0];
  SessionOptions options;  // shared by both sessions, as the node's are
  options.document_min_window_bytes = 24 * 1024;
  auto district = Session(*t.district, "30280", options);
  auto commune = Session(*t.commune, "883");
  // The link is cut once 60 KiB of the chunk have arrived.
  auto cut = RunLink(*district, *commune, 60 * 1024);
  const uint64_t first = district->stats().chunk_bytes_received;
  REQUIRE(first > 0);
  REQUIRE(first < 200 * 1024);
  REQUIRE_FALSE(t.district->store->HasChunk(name));
  district.reset();  // the session ends: what it had is kept
  CHECK(options.partial_chunks->bytes() == first);
  auto again = Session(*t.district, "30280", options);
  auto commune2 = Session(*t.commune, "883");
  REQUIRE(RunLink(*again, *commune2).a.ok());
  CheckHolds(*t.district, s);
  const uint64_t sealed = SealedChunkSize(s.docs[0].ref.size, 0);
  CHECK(again->stats().chunk_bytes_received == sealed - first);  // only the rest
  CHECK(options.partial_chunks->bytes() == 0);
}

// A peer that switches chunks at every tiny ask would make each answer cost a chunk's read.
TEST_CASE("documents: a holder ends a session that asks for reads it never fetches",
          "[documents][session][bounds]") {
  DocTree t;
  Scans s = AttachScans(*t.commune, "30280-S8", {40 * 256 * 1024});
  SessionOptions no_files;
  no_files.document_max_window_bytes = 0;  // the district fetches none: events only
  auto commune = Session(*t.commune, "883");
  auto district = Session(*t.district, "30280", no_files);
  REQUIRE(RunLink(*commune, *district).a.ok());
  std::vector<Message> out;
  Status s1;
  size_t asks = 0;
  for (size_t round = 0; round < 3 && s1.ok(); ++round) {
    for (size_t i = 0; i < s.docs[0].ref.chunks.size() && s1.ok(); ++i, ++asks) {
      s1 = commune->Handle(ChunkWant{s.docs[0].ref.chunks[i], 0, 1}, &out);
    }
  }
  CHECK(s1.code() == Code::kInvalidArgument);
  CHECK(asks < 40);  // within the slack: a few MiB read for a few bytes
}
