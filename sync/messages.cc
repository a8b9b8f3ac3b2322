#include "sync/messages.h"

#include <zstd.h>

#include <algorithm>
#include <memory>
#include <type_traits>

#include "core/format/document.h"
#include "core/format/sealed_field.h"

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

size_t HeaderSize(uint64_t arg) {
  return arg < 24 ? 1 : arg <= 0xff ? 2 : arg <= 0xffff ? 3 : arg <= 0xffffffff ? 5 : 9;
}

// Reads the canonical CBOR array of byte strings that BATCH events decompress to, piece by
// piece as the decompressor hands it out, straight into the events: nothing of the plain text
// is kept but the events themselves (a CBOR tree of it would be a second copy, and the
// events vector a third).
class EventsReader {
 public:
  explicit EventsReader(std::vector<std::string>* events) : events_(events) {}

  Status Feed(std::string_view in) {
    while (!in.empty()) {
      if (state_ == State::kDone) return Malformed("bytes after the last event");
      if (state_ == State::kEvent) {
        size_t n = std::min(in.size(), left_);
        events_->back().append(in.data(), n);
        in.remove_prefix(n);
        left_ -= n;
        if (left_ == 0) NextItem();
        continue;
      }
      // A header: its first byte says how many follow.
      head_[head_len_++] = static_cast<uint8_t>(in.front());
      in.remove_prefix(1);
      uint8_t info = head_[0] & 0x1f;
      if (info > 27) return Malformed("an indefinite or reserved length");
      size_t need = info < 24 ? 1 : 1 + (size_t{1} << (info - 24));
      if (head_len_ < need) continue;
      uint64_t arg = info;
      if (info >= 24) {
        arg = 0;
        for (size_t i = 1; i < need; ++i) arg = arg << 8 | head_[i];
      }
      uint8_t major = head_[0] >> 5;
      head_len_ = 0;
      if (HeaderSize(arg) != need) return Malformed("a length not in its shortest form");
      HOSO_RETURN_IF_ERROR(state_ == State::kArray ? OnArray(major, arg) : OnEvent(major, arg));
    }
    return Status::Ok();
  }
  Status Finish() const {
    if (state_ != State::kDone) return Malformed("cut short");
    return Status::Ok();
  }

 private:
  enum class State { kArray, kEventHeader, kEvent, kDone };
  static Status Malformed(const std::string& what) {
    return Status::InvalidArgument("malformed BATCH events: " + what);
  }
  Status OnArray(uint8_t major, uint64_t count) {
    if (major != 4 || count == 0) return Malformed("not a non-empty array");
    if (count > kMaxEvents) {
      return Status::OutOfRange("BATCH of " + std::to_string(count) + " events exceeds " +
                                std::to_string(kMaxEvents));
    }
    count_ = count;
    // The count is the sender's word: reserve no more than the store takes in one batch.
    events_->reserve(std::min<uint64_t>(count, 10000));
    state_ = State::kEventHeader;
    return Status::Ok();
  }
  Status OnEvent(uint8_t major, uint64_t len) {
    if (major != 2) return Malformed("an event that is not a byte string");
    if (len > kMaxEventBytes) {
      return Status::OutOfRange("BATCH event of " + std::to_string(len) + " bytes exceeds " +
                                std::to_string(kMaxEventBytes));
    }
    events_->emplace_back().reserve(len);
    left_ = len;
    if (left_ == 0) {
      NextItem();
    } else {
      state_ = State::kEvent;
    }
    return Status::Ok();
  }
  void NextItem() { state_ = events_->size() == count_ ? State::kDone : State::kEventHeader; }

  static constexpr uint64_t kMaxEvents = 100000;
  std::vector<std::string>* events_;
  State state_ = State::kArray;
  uint8_t head_[9] = {};
  size_t head_len_ = 0;
  uint64_t count_ = 0;
  size_t left_ = 0;  // bytes of the current event still to come
};

// The size a BATCH's zstd frame declares for its events, checked against the limit before
// anything is allocated for them.
Result<uint64_t> DeclaredPlainBytes(std::string_view z) {
  unsigned long long size = ZSTD_getFrameContentSize(z.data(), z.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Status::InvalidArgument("BATCH events are not a zstd frame with its size");
  }
  if (size > kMaxBatchPlainBytes) {
    return Status::OutOfRange("BATCH events of " + std::to_string(size) +
                              " bytes exceed the limit of " + std::to_string(kMaxBatchPlainBytes));
  }
  if (size == 0) return Status::InvalidArgument("malformed BATCH events: empty");
  return static_cast<uint64_t>(size);
}

Result<std::vector<std::string>> DecompressEvents(std::string_view z, uint64_t declared) {
  thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(),
                                                                       ZSTD_freeDCtx);
  if (!dctx) return Status::IOError("no zstd decompression context");
  ZSTD_DCtx_reset(dctx.get(), ZSTD_reset_session_only);
  // The frame header may ask for a window of up to 2 GiB, allocated before a byte is output.
  ZSTD_DCtx_setParameter(dctx.get(), ZSTD_d_windowLogMax, kMaxBatchWindowLog);
  std::vector<std::string> events;
  EventsReader reader(&events);
  std::string chunk(ZSTD_DStreamOutSize(), '\0');
  ZSTD_inBuffer in{z.data(), z.size(), 0};
  uint64_t produced = 0;
  while (true) {
    ZSTD_outBuffer out{chunk.data(), chunk.size(), 0};
    size_t r = ZSTD_decompressStream(dctx.get(), &out, &in);
    if (ZSTD_isError(r)) {
      return Status::InvalidArgument(std::string("corrupt zstd BATCH events: ") +
                                     ZSTD_getErrorName(r));
    }
    produced += out.pos;
    // zstd checks the declared size only at the end of the frame; the events must not
    // outgrow what was reserved for them meanwhile.
    if (produced > declared) {
      return Status::InvalidArgument("BATCH events longer than their zstd frame declares");
    }
    HOSO_RETURN_IF_ERROR(reader.Feed(std::string_view(chunk.data(), out.pos)));
    if (r == 0) break;  // the frame is decoded and flushed
    if (in.pos == in.size && out.pos < out.size) {
      return Status::InvalidArgument("corrupt zstd BATCH events: cut short");
    }
  }
  if (in.pos != in.size) return Status::InvalidArgument("bytes after the BATCH's zstd frame");
  if (produced != declared) {
    return Status::InvalidArgument("BATCH events shorter than their zstd frame declares");
  }
  HOSO_RETURN_IF_ERROR(reader.Finish());
  return events;
}

bool ToInt(const Value& v, int64_t* out) { return v.ToInt64(out); }

}  // namespace

const char* MessageName(const Message& m) {
  static const char* kNames[] = {
      "HELLO", "CHANGES",         "ORIGIN",  "BATCH",  "ACK",  "PING",       "PONG",
      "ERROR", "RECEIPT_REQUEST", "RECEIPT", "HEALTH", "KEYS", "CHUNK_WANT", "CHUNK"};
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
          // A deferred BATCH not inflated goes on as it came.
          bool deferred = msg.batch.events.empty() && !msg.events_z.empty();
          v.Append(Value::Bytes(deferred ? msg.events_z : CompressEvents(msg.batch.events)));
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
        } else if constexpr (std::is_same_v<T, HealthMsg>) {
          Value reports = Value::Array();
          for (const auto& r : msg.reports) {
            Value e = Value::Array();
            e.Append(Value::Bytes(r.body));
            e.Append(Value::Bytes(r.signature));
            reports.Append(std::move(e));
          }
          v.Append(std::move(reports));
        } else if constexpr (std::is_same_v<T, KeysMsg>) {
          Value keys = Value::Array();
          for (const auto& k : msg.keys) {
            Value e = Value::Array();
            e.Append(Value::Text(k.case_code));
            e.Append(Value::Bytes(k.key));
            keys.Append(std::move(e));
          }
          v.Append(std::move(keys));
        } else if constexpr (std::is_same_v<T, ChunkWant>) {
          v.Append(Value::Bytes(AsView(msg.name)));
          v.Append(Value::Uint(msg.offset));
          v.Append(Value::Uint(msg.length));
        } else if constexpr (std::is_same_v<T, ChunkMsg>) {
          v.Append(Value::Bytes(AsView(msg.name)));
          v.Append(Value::Uint(msg.offset));
          v.Append(msg.bytes ? Value::Bytes(*msg.bytes) : Value::Null());
        }
      },
      m);
  return cbor::Encode(v);
}

size_t BatchPlainBytes(const std::vector<std::string>& events) {
  size_t n = HeaderSize(events.size());
  for (const auto& e : events) n += HeaderSize(e.size()) + e.size();
  return n;
}

Status InflateBatch(BatchMsg* m) {
  if (!m->batch.events.empty()) return Status::Ok();
  HOSO_ASSIGN_OR_RETURN(m->batch.events, DecompressEvents(m->events_z, m->plain_bytes));
  std::string().swap(m->events_z);
  m->batch.head.id = Sha256(m->batch.events.back());
  return Status::Ok();
}

Result<Message> DecodeMessage(std::string_view bytes, size_t max_frame, BatchEvents events) {
  cbor::Limits limits;
  limits.max_input = max_frame;
  limits.max_depth = 6;
  limits.max_string = kMaxBatchCompressedBytes;
  limits.max_collection = 100000;
  limits.max_items = 1 << 20;
  HOSO_ASSIGN_OR_RETURN(Value v, cbor::Decode(bytes, limits));
  if (!v.is_array() || v.items().empty() || !v.items()[0].is_uint()) {
    return Status::InvalidArgument("message is not an array starting with its type");
  }
  auto& f = v.items();  // not const: a BATCH's events are moved out of it
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
        // In stream order, each stream once, as EncodeMessage writes them: one message has
        // one encoding, and a stream announced twice does not leave the receiver to pick one.
        if (!m.entries.empty() && !(m.entries.rbegin()->first < s)) {
          return Status::InvalidArgument("CHANGES entries out of stream order or repeated");
        }
        m.entries.emplace_hint(
            m.entries.end(), std::move(s),
            StreamHead{e.items()[1].uint(), HashFromView(e.items()[2].str()), false});
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
      m.batch.head = SignedHead{s, f[2].uint(), Hash{}, f[4].str()};
      HOSO_ASSIGN_OR_RETURN(m.plain_bytes, DeclaredPlainBytes(f[3].str()));
      m.events_z = f[3].TakeStr();
      if (events == BatchEvents::kInflate) HOSO_RETURN_IF_ERROR(InflateBatch(&m));
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
    case 10: {
      // The reports' bodies are checked by sync/health.h; here only their count and sizes.
      if (n != 2 || !f[1].is_array() || f[1].items().empty() ||
          f[1].items().size() > kMaxHealthReports) {
        return Shape("HEALTH");
      }
      HealthMsg m;
      for (const Value& e : f[1].items()) {
        if (!e.is_array() || e.items().size() != 2 || !e.items()[0].is_bytes() ||
            e.items()[0].str().size() > kMaxHealthReportBytes || !e.items()[1].is_bytes() ||
            e.items()[1].str().size() != kSignatureSize) {
          return Shape("HEALTH");
        }
        m.reports.push_back({e.items()[0].str(), e.items()[1].str()});
      }
      return Message(std::move(m));
    }
    case 11: {
      if (n != 2 || !f[1].is_array() || f[1].items().empty() ||
          f[1].items().size() > kMaxKeysPerMessage) {
        return Shape("KEYS");
      }
      KeysMsg m;
      for (Value& e : f[1].items()) {
        if (!e.is_array() || e.items().size() != 2 || !e.items()[0].is_text() ||
            !e.items()[1].is_bytes() || e.items()[1].str().size() != kCaseKeySize) {
          return Shape("KEYS");
        }
        HOSO_RETURN_IF_ERROR(ValidateName("KEYS case", e.items()[0].str()));
        m.keys.push_back({e.items()[0].str(), e.items()[1].str()});
      }
      return Message(std::move(m));
    }
    case 12: {
      if (n != 4 || !IsHash(f[1]) || !f[2].is_uint() || !f[3].is_uint() || f[3].uint() == 0 ||
          f[3].uint() > kMaxChunkPiece || f[2].uint() > kMaxSealedChunkBytes ||
          f[2].uint() + f[3].uint() > kMaxSealedChunkBytes) {
        return Shape("CHUNK_WANT");
      }
      return Message(ChunkWant{HashFromView(f[1].str()), f[2].uint(), f[3].uint()});
    }
    case 13: {
      if (n != 4 || !IsHash(f[1]) || !f[2].is_uint() || !(f[3].is_bytes() || f[3].is_null()) ||
          f[2].uint() > kMaxSealedChunkBytes ||
          (f[3].is_bytes() && (f[3].str().empty() || f[3].str().size() > kMaxChunkPiece))) {
        return Shape("CHUNK");
      }
      ChunkMsg m{HashFromView(f[1].str()), f[2].uint(), std::nullopt};
      if (f[3].is_bytes()) m.bytes = f[3].TakeStr();
      return Message(std::move(m));
    }
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
