// Batch, StreamHead and VersionVector: the units sync and ingest exchange. A batch is one
// stream's consecutive events (canonical bytes) ending at a signed head; a version vector is
// what a node holds of a scope, stream by stream. Defined here, below the store, so the wire
// codec (sync/messages.h) does not include the storage engine.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/format/crypto.h"
#include "core/format/event.h"

namespace hoso {

struct Batch {
  StreamKey stream;
  std::vector<std::string> events;  // canonical bytes, consecutive seqs
  SignedHead head;
};

struct StreamHead {
  uint64_t seq = 0;
  Hash id{};
  bool frozen = false;
  uint64_t ver = 0;  // the store's commit counter when this head last moved
};

// Streams and their heads: what a node holds of a scope.
using VersionVector = std::map<StreamKey, StreamHead>;

}  // namespace hoso
