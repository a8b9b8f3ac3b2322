// Batch, StreamHead and VersionVector: the units sync and ingest exchange. A batch is one
// stream's consecutive events (canonical bytes) ending at a signed head; a version vector is
// what a node holds of a scope, stream by stream. Defined here, below the store, so the wire
// codec (sync/messages.h) does not include the storage engine.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/coding.h"
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

// A head as its 48-byte record, u64be(seq) id u64be(ver), without `frozen`: the value of the
// store's `heads` family and of sync's `peer/` records (docs/storage-format.md).
inline std::string EncodeHeadRecord(const StreamHead& h) {
  std::string v;
  PutBig64(&v, h.seq);
  v.append(AsView(h.id));
  PutBig64(&v, h.ver);
  return v;
}
// nullopt unless exactly 48 bytes.
inline std::optional<StreamHead> DecodeHeadRecord(std::string_view v) {
  if (v.size() != 48) return std::nullopt;
  return StreamHead{GetBig64(v), HashFromView(v.substr(8, 32)), false, GetBig64(v.substr(40))};
}

// Streams and their heads: what a node holds of a scope.
using VersionVector = std::map<StreamKey, StreamHead>;

}  // namespace hoso
