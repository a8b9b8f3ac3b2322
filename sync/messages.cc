#include "sync/messages.h"

#include <zstd.h>

#include <memory>
#include <type_traits>

namespace hoso::sync {

namespace {

using cbor::Value;

Value StreamValue(const StreamKey& s) {
  Value v = Value::Array();
  v.Append(Value::Text(s.channel));
  v.Append(Value::Text(s.origin));
  v.Append(Value::Uint(s.epoch));
  return v;
}

Status Shape(const char* what) {
  return Status::InvalidArgument(std::string("malformed ") + what + " message");
}

bool IsHash(const Value& v) { return v.is_bytes() && v.str().size() == 32; }

Result<StreamKey> StreamFrom(const Value& v) {
  if (!v.is_array() || v.items().size() != 3 || !v.items()[0].is_text() ||
      !v.items()[1].is_text() || !v.items()[2].is_uint()) {
    return Status::InvalidArgument("malformed stream key");
  }
  StreamKey s{v.items()[0].str(), v.items()[1].str(), v.items()[2].uint()};
  HOSO_RETURN_IF_ERROR(ValidateName("channel", s.channel));
  HOSO_RETURN_IF_ERROR(ValidateName("origin", s.origin));
  if (s.epoch == 0) return Status::InvalidArgument("stream epoch must be >= 1");
  return s;
}

Value IntValue(int64_t v) { return Value::Int(v); }

// Events travel as one zstd frame holding the canonical CBOR array of their bytes: events of
// a stream repeat keys, codes and names, and compress about 3x. Level 1: on the sync bench
// it sends 515.8 bytes a case against level 3's 514.5, and the sender's compression, which
// shares the two cores with the receiver, costs less (sync_cold_eps about +6%).
std::string CompressEvents(const std::vector<std::string>& events) {
  std::string plain;
  cbor::Encoder enc(&plain);
  enc.ArrayHeader(events.size());
  for (const auto& e : events) enc.Bytes(e);
  std::string out(ZSTD_compressBound(plain.size()), '\0');
  // One context per thread, reused: ZSTD_compress would allocate and clear a new one (about
  // a megabyte of tables) for every batch.
  thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(),
                                                                       ZSTD_freeCCtx);
  size_t n = ZSTD_compressCCtx(cctx.get(), out.data(), out.size(), plain.data(), plain.size(), 1);
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

Result<std::vector<std::string>> DecompressEvents(std::string_view z) {
  unsigned long long size = ZSTD_getFrameContentSize(z.data(), z.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Status::InvalidArgument("BATCH events are not a zstd frame with its size");
  }
  if (size > kMaxBatchPlainBytes) {
    return Status::OutOfRange("BATCH events of " + std::to_string(size) +
                              " bytes exceed the limit of " + std::to_string(kMaxBatchPlainBytes));
  }
  std::string plain(size, '\0');
  thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(),
                                                                       ZSTD_freeDCtx);
  size_t n = ZSTD_decompressDCtx(dctx.get(), plain.data(), plain.size(), z.data(), z.size());
  if (ZSTD_isError(n) || n != size) return Status::InvalidArgument("corrupt zstd BATCH events");
  cbor::Limits limits;
  limits.max_input = kMaxBatchPlainBytes;
  limits.max_depth = 2;
  limits.max_string = kMaxEventBytes;
  limits.max_collection = 100000;
  limits.max_items = 100001;
  HOSO_ASSIGN_OR_RETURN(Value v, cbor::Decode(plain, limits));
  if (!v.is_array() || v.items().empty()) return Status::InvalidArgument("malformed BATCH events");
  std::vector<std::string> events;
  events.reserve(v.items().size());
  for (auto& e : v.items()) {
    if (!e.is_bytes()) return Status::InvalidArgument("malformed BATCH events");
    events.push_back(std::move(e.str()));
  }
  return events;
}

bool ToInt(const Value& v, int64_t* out) { return v.ToInt64(out); }

}  // namespace

const char* MessageName(const Message& m) {
  static const char* kNames[] = {"HELLO", "CHANGES", "ORIGIN", "BATCH",           "ACK",
                                 "PING",  "PONG",    "ERROR",  "RECEIPT_REQUEST", "RECEIPT"};
  return kNames[m.index()];
}

std::string EncodeMessage(const Message& m) {
  Value v = Value::Array();
  v.Append(Value::Uint(m.index()));
  std::visit(
      [&](const auto& msg) {
        using T = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<T, Hello>) {
          v.Append(Value::Uint(msg.version));
          v.Append(Value::Text(msg.unit));
          v.Append(Value::Uint(msg.epoch));
          v.Append(IntValue(msg.wall_ms));
          v.Append(Value::Uint(msg.counter));
          v.Append(Value::Uint(msg.seen));
        } else if constexpr (std::is_same_v<T, Changes>) {
          v.Append(Value::Uint(msg.counter));
          Value entries = Value::Array();
          for (const auto& [stream, head] : msg.entries) {
            Value e = Value::Array();
            e.Append(StreamValue(stream));
            e.Append(Value::Uint(head.seq));
            e.Append(Value::Bytes(AsView(head.id)));
            entries.Append(std::move(e));
          }
          v.Append(std::move(entries));
        } else if constexpr (std::is_same_v<T, OriginMsg>) {
          v.Append(Value::Text(msg.unit));
          v.Append(Value::Uint(msg.epoch));
          v.Append(Value::Bytes(msg.public_key));
          v.Append(Value::Bytes(msg.certificate));
        } else if constexpr (std::is_same_v<T, BatchMsg>) {
          v.Append(StreamValue(msg.batch.stream));
          v.Append(Value::Uint(msg.batch.head.seq));
          v.Append(Value::Bytes(CompressEvents(msg.batch.events)));
          v.Append(Value::Bytes(msg.batch.head.signature));
        } else if constexpr (std::is_same_v<T, Ack>) {
          v.Append(StreamValue(msg.stream));
          v.Append(Value::Uint(msg.seq));
          v.Append(Value::Uint(msg.counter));
        } else if constexpr (std::is_same_v<T, Ping>) {
          v.Append(IntValue(msg.wall_ms));
        } else if constexpr (std::is_same_v<T, Pong>) {
          v.Append(IntValue(msg.echoed_ms));
          v.Append(IntValue(msg.wall_ms));
        } else if constexpr (std::is_same_v<T, ErrorMsg>) {
          v.Append(Value::Text(msg.code));
          v.Append(Value::Text(msg.text));
        } else if constexpr (std::is_same_v<T, ReceiptMsg>) {
          v.Append(Value::Bytes(msg.body));
          v.Append(Value::Bytes(msg.signature));
        }
      },
      m);
  return cbor::Encode(v);
}

Result<Message> DecodeMessage(std::string_view bytes, size_t max_frame) {
  cbor::Limits limits;
  limits.max_input = max_frame;
  limits.max_depth = 6;
  limits.max_string = 1 << 20;
  limits.max_collection = 100000;
  limits.max_items = 1 << 20;
  HOSO_ASSIGN_OR_RETURN(Value v, cbor::Decode(bytes, limits));
  if (!v.is_array() || v.items().empty() || !v.items()[0].is_uint()) {
    return Status::InvalidArgument("message is not an array starting with its type");
  }
  const auto& f = v.items();
  const size_t n = f.size();
  switch (f[0].uint()) {
    case 0: {
      Hello h;
      if (n != 7 || !f[1].is_uint() || !f[2].is_text() || !f[3].is_uint() ||
          !ToInt(f[4], &h.wall_ms) || !f[5].is_uint() || !f[6].is_uint()) {
        return Shape("HELLO");
      }
      h.version = f[1].uint();
      h.unit = f[2].str();
      h.epoch = f[3].uint();
      h.counter = f[5].uint();
      h.seen = f[6].uint();
      HOSO_RETURN_IF_ERROR(ValidateName("HELLO unit", h.unit));
      return Message(h);
    }
    case 1: {
      if (n != 3 || !f[1].is_uint() || !f[2].is_array()) return Shape("CHANGES");
      Changes m{f[1].uint(), {}};
      for (const Value& e : f[2].items()) {
        if (!e.is_array() || e.items().size() != 3 || !e.items()[1].is_uint() ||
            !IsHash(e.items()[2])) {
          return Shape("CHANGES");
        }
        HOSO_ASSIGN_OR_RETURN(StreamKey s, StreamFrom(e.items()[0]));
        m.entries[s] = StreamHead{e.items()[1].uint(), HashFromView(e.items()[2].str()), false};
      }
      return Message(std::move(m));
    }
    case 2: {
      if (n != 5 || !f[1].is_text() || !f[2].is_uint() || !f[3].is_bytes() ||
          f[3].str().size() != kPublicKeySize || !f[4].is_bytes()) {
        return Shape("ORIGIN");
      }
      HOSO_RETURN_IF_ERROR(ValidateName("ORIGIN unit", f[1].str()));
      return Message(OriginMsg{f[1].str(), f[2].uint(), f[3].str(), f[4].str()});
    }
    case 3: {
      if (n != 5 || !f[2].is_uint() || !f[3].is_bytes() || !f[4].is_bytes() ||
          f[4].str().size() != kSignatureSize) {
        return Shape("BATCH");
      }
      HOSO_ASSIGN_OR_RETURN(StreamKey s, StreamFrom(f[1]));
      BatchMsg m;
      m.batch.stream = s;
      HOSO_ASSIGN_OR_RETURN(m.batch.events, DecompressEvents(f[3].str()));
      m.batch.head = SignedHead{s, f[2].uint(), Sha256(m.batch.events.back()), f[4].str()};
      return Message(std::move(m));
    }
    case 4: {
      if (n != 4 || !f[2].is_uint() || !f[3].is_uint()) return Shape("ACK");
      HOSO_ASSIGN_OR_RETURN(StreamKey s, StreamFrom(f[1]));
      return Message(Ack{s, f[2].uint(), f[3].uint()});
    }
    case 5: {
      Ping p;
      if (n != 2 || !ToInt(f[1], &p.wall_ms)) return Shape("PING");
      return Message(p);
    }
    case 6: {
      Pong p;
      if (n != 3 || !ToInt(f[1], &p.echoed_ms) || !ToInt(f[2], &p.wall_ms)) return Shape("PONG");
      return Message(p);
    }
    case 7:
      if (n != 3 || !f[1].is_text() || !f[2].is_text()) return Shape("ERROR");
      return Message(ErrorMsg{f[1].str(), f[2].str()});
    case 8:
      if (n != 1) return Shape("RECEIPT_REQUEST");
      return Message(ReceiptRequest{});
    case 9:
      if (n != 3 || !f[1].is_bytes() || !f[2].is_bytes() || f[2].str().size() != kSignatureSize) {
        return Shape("RECEIPT");
      }
      return Message(ReceiptMsg{f[1].str(), f[2].str()});
    default:
      return Status::InvalidArgument("unknown message type " + std::to_string(f[0].uint()));
  }
}

std::string Frame(std::string_view message) {
  std::string out;
  out.reserve(message.size() + 4);
  uint32_t n = static_cast<uint32_t>(message.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(n >> shift));
  out.append(message);
  return out;
}

Status FrameReader::CheckHeader() const {
  if (buffered() < 4) return Status::Ok();
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + pos_);
  uint32_t n = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
  if (n == 0) return Status::InvalidArgument("empty frame");
  if (n > max_frame_) {
    return Status::OutOfRange("frame of " + std::to_string(n) + " bytes exceeds the limit of " +
                              std::to_string(max_frame_));
  }
  return Status::Ok();
}

Status FrameReader::Append(std::string_view bytes) {
  if (pos_ > 0 && pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  }
  buffer_.append(bytes);
  return CheckHeader();
}

Result<std::optional<std::string>> FrameReader::Next() {
  if (buffered() < 4) return std::optional<std::string>();
  HOSO_RETURN_IF_ERROR(CheckHeader());
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + pos_);
  uint32_t n = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
  if (buffered() < 4 + size_t{n}) return std::optional<std::string>();
  std::string message = buffer_.substr(pos_ + 4, n);
  pos_ += 4 + n;
  if (pos_ > (1 << 20) && pos_ * 2 > buffer_.size()) {  // compact now and then
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  return std::optional<std::string>(std::move(message));
}

}  // namespace hoso::sync
