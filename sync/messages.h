// Sync messages and frames (docs/sync-protocol.md).
//
// A message is a canonical CBOR array [type, ...]; a frame is a 4-byte big-endian length
// followed by one message. DecodeMessage refuses, with a message naming the problem, anything
// that is not exactly one well-formed message of a known type and shape; FrameReader refuses
// frames over the limit before buffering them. Thread-safety: values and pure functions; a
// FrameReader is used by one reader.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/format/batch.h"

namespace hoso::sync {

constexpr uint64_t kProtocolVersion = 2;  // 2: receipts
constexpr size_t kDefaultMaxFrame = 4 << 20;
// A BATCH's events decompressed may not exceed this (a hostile peer's zstd bomb is refused
// before anything is allocated).
constexpr size_t kMaxBatchPlainBytes = 64 << 20;

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

using Message = std::variant<Hello, Changes, OriginMsg, BatchMsg, Ack, Ping, Pong, ErrorMsg,
                             ReceiptRequest, ReceiptMsg>;

std::string EncodeMessage(const Message& m);
Result<Message> DecodeMessage(std::string_view bytes, size_t max_frame = kDefaultMaxFrame);
const char* MessageName(const Message& m);

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
