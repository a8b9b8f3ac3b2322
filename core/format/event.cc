#include "core/format/event.h"

#include <algorithm>
#include <limits>

namespace hoso {

Status ValidateName(std::string_view what, std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return Status::InvalidArgument(std::string(what) + " must be 1 to 64 bytes long");
  }
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '.' || c == '_' || c == '-' || (i == 0 && c == '$');
    if (!ok) {
      return Status::InvalidArgument(std::string(what) + " '" + std::string(name) +
                                     "' has a character outside [0-9A-Za-z._-]");
    }
  }
  return Status::Ok();
}

std::string StreamKey::Encode() const {
  std::string out;
  out.reserve(channel.size() + origin.size() + 10);
  out += channel;
  out.push_back('\0');
  out += origin;
  out.push_back('\0');
  PutBig64(&out, epoch);
  return out;
}

Result<StreamKey> StreamKey::Decode(std::string_view key) {
  size_t a = key.find('\0');
  size_t b = a == std::string_view::npos ? a : key.find('\0', a + 1);
  if (b == std::string_view::npos || key.size() != b + 9) {
    return Status::Corruption("malformed stream key");
  }
  return StreamKey{std::string(key.substr(0, a)), std::string(key.substr(a + 1, b - a - 1)),
                   GetBig64(key.substr(b + 1))};
}

std::string StreamKey::ToString() const {
  return channel + "/" + origin + "#" + std::to_string(epoch);
}

void NormalizeDeps(std::vector<Hash>* deps) {
  std::sort(deps->begin(), deps->end());
  deps->erase(std::unique(deps->begin(), deps->end()), deps->end());
}

std::string EncodeEvent(const Event& e) {
  std::string out;
  out.reserve(256);
  cbor::Encoder enc(&out);
  enc.MapHeader(12);
  enc.Uint(0), enc.Uint(kEventFormatVersion);
  enc.Uint(1), enc.Text(e.stream.channel);
  enc.Uint(2), enc.Text(e.stream.origin);
  enc.Uint(3), enc.Uint(e.stream.epoch);
  enc.Uint(4), enc.Uint(e.seq);
  enc.Uint(5), enc.Bytes(e.seq == 1 ? std::string_view() : AsView(e.prev));
  enc.Uint(6), enc.Uint(e.hlc);
  enc.Uint(7), enc.Text(e.case_code);
  enc.Uint(8), enc.ArrayHeader(e.deps.size());
  for (const Hash& d : e.deps) enc.Bytes(AsView(d));
  enc.Uint(9), enc.Text(e.type);
  enc.Uint(10), enc.Item(e.body);
  enc.Uint(11), enc.Text(e.officer);
  return out;
}

namespace {

Status FieldError(int key, const char* what) {
  static const char* kNames[] = {"version", "channel", "origin", "epoch", "seq",  "prev",
                                 "hlc",     "case",    "deps",   "type",  "body", "officer"};
  return Status::InvalidArgument(std::string("event field ") + std::to_string(key) + " (" +
                                 kNames[key] + ") " + what);
}

const cbor::Limits& EventLimits() {
  static const cbor::Limits limits = [] {
    cbor::Limits l;
    l.max_input = kMaxEventBytes;
    l.max_depth = 8;
    l.max_string = kMaxEventBytes;
    l.max_collection = 1024;
    l.max_items = 8192;
    return l;
  }();
  return limits;
}

}  // namespace

Result<Event> DecodeEvent(std::string_view bytes) {
  HOSO_ASSIGN_OR_RETURN(cbor::Value v, cbor::Decode(bytes, EventLimits()));
  if (!v.is_map()) return Status::InvalidArgument("event is not a CBOR map");
  if (v.size() != 12) {
    return Status::InvalidArgument("event map has " + std::to_string(v.size()) +
                                   " fields, expected 12");
  }
  const auto& it = v.items();
  for (uint64_t k = 0; k < 12; ++k) {
    if (!it[2 * k].is_uint() || it[2 * k].uint() != k) {
      return Status::InvalidArgument("event map keys must be the integers 0 to 11");
    }
  }
  auto field = [&](int k) -> const cbor::Value& { return it[2 * k + 1]; };
  if (!field(0).is_uint() || field(0).uint() != kEventFormatVersion) {
    return FieldError(0, "is not a supported format version");
  }
  Event e;
  for (int k : {1, 2, 7, 9, 11}) {
    if (!field(k).is_text()) return FieldError(k, "must be a text string");
  }
  for (int k : {3, 4, 6}) {
    if (!field(k).is_uint()) return FieldError(k, "must be an unsigned integer");
  }
  e.stream.channel = field(1).str();
  e.stream.origin = field(2).str();
  e.stream.epoch = field(3).uint();
  e.seq = field(4).uint();
  e.hlc = field(6).uint();
  e.case_code = field(7).str();
  e.type = field(9).str();
  e.officer = field(11).str();
  HOSO_RETURN_IF_ERROR(ValidateName("channel", e.stream.channel));
  HOSO_RETURN_IF_ERROR(ValidateName("origin", e.stream.origin));
  if (IsSystemChannel(e.stream.origin)) return FieldError(2, "cannot be a system channel name");
  if (e.stream.epoch == 0) return FieldError(3, "must be at least 1");
  if (e.seq == 0) return FieldError(4, "must be at least 1");
  const cbor::Value& prev = field(5);
  if (!prev.is_bytes()) return FieldError(5, "must be a byte string");
  if (e.seq == 1 ? !prev.str().empty() : prev.str().size() != 32) {
    return FieldError(5, "must be empty for seq 1 and 32 bytes otherwise");
  }
  if (e.seq > 1) e.prev = HashFromView(prev.str());
  if (e.case_code.empty() || e.case_code.size() > 128) {
    return FieldError(7, "must be 1 to 128 bytes");
  }
  if (e.type.empty() || e.type.size() > 64) return FieldError(9, "must be 1 to 64 bytes");
  if (e.officer.size() > 128) return FieldError(11, "must be at most 128 bytes");
  const cbor::Value& deps = field(8);
  if (!deps.is_array()) return FieldError(8, "must be an array");
  if (deps.items().size() > kMaxDeps) return FieldError(8, "has too many entries");
  e.deps.reserve(deps.items().size());
  for (const cbor::Value& d : deps.items()) {
    if (!d.is_bytes() || d.str().size() != 32) return FieldError(8, "entries must be 32 bytes");
    Hash h = HashFromView(d.str());
    if (!e.deps.empty() && !(e.deps.back() < h)) {
      return FieldError(8, "entries must be strictly increasing");
    }
    e.deps.push_back(h);
  }
  const cbor::Value& body = field(10);
  if (!body.is_map()) return FieldError(10, "must be a map");
  for (size_t i = 0; i < body.items().size(); i += 2) {
    if (!body.items()[i].is_text()) return FieldError(10, "keys must be text strings");
  }
  e.body = std::move(v.items()[21]);  // the body, moved rather than copied
  return e;
}

Status CheckEncodable(const Event& e) {
  Event worst = e;
  worst.seq = std::numeric_limits<uint64_t>::max();
  worst.prev = Hash{};
  worst.deps.assign(kMaxDeps, Hash{});
  for (size_t i = 0; i < kMaxDeps; ++i) worst.deps[i][0] = static_cast<uint8_t>(i + 1);
  return DecodeEvent(EncodeEvent(worst)).status().Annotate("the event cannot be written");
}

std::string SignedHead::Message() const {
  std::string msg("hoso/head/v1", 12);
  msg.push_back('\0');
  cbor::Encoder enc(&msg);
  enc.ArrayHeader(5);
  enc.Text(stream.channel);
  enc.Text(stream.origin);
  enc.Uint(stream.epoch);
  enc.Uint(seq);
  enc.Bytes(AsView(id));
  return msg;
}

Status SignedHead::Verify(std::string_view public_key) const {
  return VerifyEd25519(public_key, Message(), signature)
      .Annotate("head of " + stream.ToString() + " at seq " + std::to_string(seq));
}

Result<SignedHead> SignHead(const StreamKey& stream, uint64_t seq, const Hash& id,
                            const SigningKey& key) {
  SignedHead head{stream, seq, id, {}};
  HOSO_ASSIGN_OR_RETURN(head.signature, key.Sign(head.Message()));
  return head;
}

}  // namespace hoso
