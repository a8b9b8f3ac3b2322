// Sync messages and frames (docs/sync-protocol.md).
//
// A message is a canonical CBOR array [type, ...]; a frame is a 4-byte big-endian length
// followed by one message. DecodeMessage refuses, with a message naming the problem, anything
// that is not exactly one well-formed message of a known type and shape; FrameReader refuses
// frames over the limit before buffering them. Thread-safety: values and pure functions; a
// FrameReader is used by one reader.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/format/batch.h"
#include "core/log/store.h"

namespace hoso::sync {

// The protocol this node speaks, and the oldest it still speaks. A HELLO's shape never changes
// across versions; each side sends the newest it speaks and both then speak the older of the
// two, so a province upgraded first keeps syncing with offices one version behind
// (docs/sync-protocol.md, "Versions"). A peer older than kMinProtocolVersion is refused.
// 3: a features PONG follows every HELLO; case keys (KEYS).
constexpr uint64_t kProtocolVersion = 3;  // 2: receipts
constexpr uint64_t kMinProtocolVersion = 2;
constexpr size_t kDefaultMaxFrame = 4 << 20;
// A BATCH's events decompressed may not exceed this: a hostile peer's zstd bomb is refused
// from the size its frame declares, before anything is allocated. Senders cut their batches
// to fit (SyncSession), and it is also what one peer may hold at once on the receiver
// (TlsConfig::max_session_batch_bytes), so a batch this large is always admitted in time.
constexpr size_t kMaxBatchPlainBytes = 32 << 20;
// A BATCH's compressed events are one CBOR byte string of at most this many bytes.
constexpr size_t kMaxBatchCompressedBytes = 1 << 20;
// The zstd window a BATCH may ask of its receiver (2^22, 4 MiB), which decompresses through
// it: the frame header may not make it allocate more. Senders compress at level 1, whose
// window is 512 KiB.
constexpr int kMaxBatchWindowLog = 22;

struct Hello {
  uint64_t version = kProtocolVersion;
  std::string unit;
  uint64_t epoch = 0;
  int64_t wall_ms = 0;
  uint64_t counter = 0;  // the sender's commit counter
  uint64_t seen = 0;     // the receiver's counter whose changes the sender has applied
};
// The sender's heads (of the link's shared set) that moved after the `seen` it was told,
// as of its commit counter.
struct Changes {
  uint64_t counter = 0;
  VersionVector entries;
};
struct OriginMsg {
  std::string unit;
  uint64_t epoch = 0;
  std::string public_key;
  std::string certificate;  // DER; empty where the deployment does not carry one
};
struct BatchMsg {
  Batch batch;  // head.id is the id of the last event, recomputed on decode
  // Decoded with BatchEvents::kDeferred: the events' zstd frame, still compressed, and the
  // size it declares (already checked against kMaxBatchPlainBytes); InflateBatch turns them
  // into batch.events and head.id.
  std::string events_z;
  uint64_t plain_bytes = 0;
  // Not on the wire: the keys of the KEYS that came just before it (the receiver's session
  // attaches them; Store::Ingest stores them with the events).
  std::vector<CaseKey> keys;
  // Lives exactly as long as the events: the transport's reservation of their bytes in its
  // budgets, given back when the last copy of the message lets go of it.
  std::shared_ptr<void> hold;
};
struct Ack {
  StreamKey stream;
  uint64_t seq = 0;
  uint64_t counter = 0;  // the receiver's commit counter after committing the batch
};
struct Ping {
  int64_t wall_ms = 0;
};
struct Pong {
  int64_t echoed_ms = 0;
  int64_t wall_ms = 0;
};
struct ErrorMsg {
  std::string code;
  std::string text;
};
// Sent by a child once everything it sent is acknowledged: "sign what you now hold of it".
struct ReceiptRequest {};
// The parent's answer: a receipt body and its signature (sync/receipt.h).
struct ReceiptMsg {
  std::string body;
  std::string signature;
};
// Office health (sync/health.h): child to parent, each report signed by the office it names.
//   HEALTH = [10, [+ [report: bstr, signature: bstr .size 64]]]   ; 1 .. 256 reports
// Sent only to a peer that announced kFeatureHealth: a PONG whose echoed time is
// kFeaturesPong carries the sender's features in its wall_ms (older nodes ignore every PONG).
constexpr int64_t kFeaturesPong = -1;
constexpr int64_t kFeatureHealth = 1;
constexpr size_t kMaxHealthReports = 256;      // reports in one HEALTH message
constexpr size_t kMaxHealthReportBytes = 512;  // one report's encoded body
struct SignedReport {
  std::string body;
  std::string signature;
};
struct HealthMsg {
  std::vector<SignedReport> reports;
};
// Case keys (docs/privacy.md): the keys of the sealed fields of the BATCH that follows.
//   KEYS = [11, [+ [case: tstr, key: bstr .size 32]]]   ; 1 .. kMaxKeysPerMessage keys
// Sent only to a peer that announced kFeatureCaseKeys, and only immediately before the BATCH
// whose events hold those sealed values: the receiver stores a key only for a case that batch
// carries, in the batch's commit.
constexpr int64_t kFeatureCaseKeys = 2;
constexpr size_t kMaxKeysPerMessage = 4096;
struct KeysMsg {
  std::vector<CaseKey> keys;
};

// Documents (docs/documents.md): a side asks for a piece of a chunk it wants; the peer answers
// every CHUNK_WANT, in order, with exactly the piece or null (it does not hold the chunk, or
// no case of a channel the link shares names it, or its copy does not verify).
//   CHUNK_WANT = [12, name: bstr .size 32, offset: uint, length: uint]
//                ; 1 <= length <= kMaxChunkPiece, offset + length <= kMaxSealedChunkBytes
//   CHUNK      = [13, name: bstr .size 32, offset: uint, bytes: bstr / null]
// Sent only to a peer that announced kFeatureDocuments.
constexpr int64_t kFeatureDocuments = 4;
constexpr size_t kMaxChunkPiece = 64 * 1024;
struct ChunkWant {
  Hash name{};
  uint64_t offset = 0;
  uint64_t length = 0;
};
struct ChunkMsg {
  Hash name{};
  uint64_t offset = 0;
  std::optional<std::string> bytes;  // nullopt: not served
};

using Message = std::variant<Hello, Changes, OriginMsg, BatchMsg, Ack, Ping, Pong, ErrorMsg,
                             ReceiptRequest, ReceiptMsg, HealthMsg, KeysMsg, ChunkWant, ChunkMsg>;

// kInflate decompresses a BATCH's events while decoding it; kDeferred leaves them compressed
// (BatchMsg::events_z) so the caller can reserve their declared size first, then InflateBatch.
enum class BatchEvents { kInflate, kDeferred };

std::string EncodeMessage(const Message& m);
Result<Message> DecodeMessage(std::string_view bytes, size_t max_frame = kDefaultMaxFrame,
                              BatchEvents events = BatchEvents::kInflate);
const char* MessageName(const Message& m);
// Decompresses a deferred BATCH's events. It streams: what it allocates is the events
// themselves (at most the declared size) and the bounded zstd window, never the plain text
// or a CBOR tree of it.
Status InflateBatch(BatchMsg* m);
// The size of a batch's events decompressed: the CBOR array of their bytes a BATCH carries.
size_t BatchPlainBytes(const std::vector<std::string>& events);

// Frame = length(4, big-endian) || message.
std::string Frame(std::string_view message);

// Accumulates bytes from a transport and cuts them into messages.
class FrameReader {
 public:
  explicit FrameReader(size_t max_frame = kDefaultMaxFrame) : max_frame_(max_frame) {}
  // Refuses a frame whose announced length is 0 or over the limit, before buffering it.
  Status Append(std::string_view bytes);
  // The next complete message, if any; an error if the next frame's header is refused.
  Result<std::optional<std::string>> Next();
  size_t buffered() const { return buffer_.size() - pos_; }

 private:
  Status CheckHeader() const;
  size_t max_frame_;
  std::string buffer_;
  size_t pos_ = 0;
};

}  // namespace hoso::sync
