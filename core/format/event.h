// Events, streams and signed stream heads: the immutable facts of the case log.
//
// An Event is what one origin (a node at one epoch) wrote into one channel at one position
// of its stream. Its canonical encoding (docs/event-format.md) is a CBOR map with small
// integer keys:
//
//   event   = { 0: 1,                  ; format version
//               1: tstr,               ; channel: code of the unit the case belongs to,
//                                      ;   or a system channel name starting with "$"
//               2: tstr,               ; origin unit code (the authoring node)
//               3: uint,               ; origin epoch (>= 1)
//               4: uint,               ; seq in the stream (>= 1, no gaps)
//               5: bstr,               ; prev: id of event seq-1 (32 bytes); h'' when seq = 1
//               6: uint,               ; HLC: ms << 16 | counter
//               7: tstr,               ; case code (or object key in a system channel)
//               8: [* bstr],           ; deps: ids of the case's latest events the author had
//                                      ;   seen, 32 bytes each, strictly increasing
//               9: tstr,               ; type, e.g. "case.received", "case.step"
//              10: { * tstr => item }, ; body: the fields this event writes
//              11: tstr }              ; officer who acted
//   event id = SHA-256(canonical bytes of event)
//
// A stream is keyed by (channel, origin unit, epoch). A SignedHead is the origin's Ed25519
// signature over (stream, seq, id), which authenticates the whole prefix 1..seq through
// the prev chain:
//
//   head message = "hoso/head/v1" 0x00 || canonical [channel, origin, epoch, seq, h'id']
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/coding.h"
#include "core/base/status.h"
#include "core/format/cbor.h"
#include "core/format/crypto.h"

namespace hoso {

constexpr uint64_t kEventFormatVersion = 1;
constexpr size_t kMaxEventBytes = 64 * 1024;
constexpr size_t kMaxDeps = 64;
// System channels, written only by the root authority and held by every node.
constexpr std::string_view kDirectoryChannel = "$directory";
inline bool IsSystemChannel(std::string_view channel) {
  return !channel.empty() && channel[0] == '$';
}

struct StreamKey {
  std::string channel;
  std::string origin;  // unit code of the authoring node
  uint64_t epoch = 0;

  // Storage form, ordered by channel first: channel 0x00 origin 0x00 epoch(8, big-endian).
  std::string Encode() const;
  static Result<StreamKey> Decode(std::string_view key);
  // "30280/30280#1": for messages and logs.
  std::string ToString() const;
  bool operator==(const StreamKey&) const = default;
  auto operator<=>(const StreamKey&) const = default;
};

struct Event {
  StreamKey stream;
  uint64_t seq = 0;
  Hash prev{};  // all zero when seq == 1
  uint64_t hlc = 0;
  std::string case_code;
  std::vector<Hash> deps;  // sorted, unique
  std::string type;
  cbor::Value body = cbor::Value::Map();
  std::string officer;
};

// Canonical bytes. Sorts and deduplicates nothing: callers build deps sorted (NormalizeDeps).
std::string EncodeEvent(const Event& e);
// Parses and validates canonical bytes (the id is Sha256 of the same bytes).
Result<Event> DecodeEvent(std::string_view bytes);
void NormalizeDeps(std::vector<Hash>* deps);

// OK when `e` encodes to bytes DecodeEvent accepts at whatever place in its stream it takes:
// any seq and prev, up to kMaxDeps deps (the worst case is what is checked). The store checks
// each local write with it before it signs it: bytes its own decoder refuses (text that is not
// UTF-8, a list over the decoder's limits, an event over kMaxEventBytes) would be refused by
// every peer, and the stream would sync no further.
Status CheckEncodable(const Event& e);

// Checks identifiers: unit codes and channel names are 1..64 bytes of [0-9A-Za-z._-],
// system channels start with '$'.
Status ValidateName(std::string_view what, std::string_view name);

struct SignedHead {
  StreamKey stream;
  uint64_t seq = 0;
  Hash id{};
  std::string signature;  // 64 bytes Ed25519

  std::string Message() const;  // the bytes that are signed
  Status Verify(std::string_view public_key) const;
};

Result<SignedHead> SignHead(const StreamKey& stream, uint64_t seq, const Hash& id,
                            const SigningKey& key);

}  // namespace hoso
