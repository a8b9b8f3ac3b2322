#include "core/format/cbor.h"

#include <cbor.h>

#include <algorithm>
#include <cstring>

namespace hoso::cbor {

// ---------------------------------------------------------------- Value

Value Value::Int(int64_t v) {
  if (v >= 0) return Uint(static_cast<uint64_t>(v));
  return NegInt(static_cast<uint64_t>(-(v + 1)));
}

bool Value::ToInt64(int64_t* out) const {
  if (kind_ == Kind::kUint) {
    if (num_ > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(num_);
    return true;
  }
  if (kind_ == Kind::kNegInt) {
    if (num_ > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = -1 - static_cast<int64_t>(num_);
    return true;
  }
  return false;
}

Value& Value::Append(Value v) {
  items_.push_back(std::move(v));
  return items_.back();
}

const Value* Value::FindKey(const Value& key) const {
  for (size_t i = 0; i + 1 < items_.size(); i += 2) {
    if (items_[i] == key) return &items_[i + 1];
  }
  return nullptr;
}

Value& Value::Set(Value key, Value v) {
  for (size_t i = 0; i + 1 < items_.size(); i += 2) {
    if (items_[i] == key) {
      items_[i + 1] = std::move(v);
      return items_[i + 1];
    }
  }
  items_.push_back(std::move(key));
  items_.push_back(std::move(v));
  return items_.back();
}

const Value* Value::Find(std::string_view text_key) const {
  if (kind_ != Kind::kMap) return nullptr;
  for (size_t i = 0; i + 1 < items_.size(); i += 2) {
    if (items_[i].kind_ == Kind::kText && items_[i].str_ == text_key) return &items_[i + 1];
  }
  return nullptr;
}

const Value* Value::Find(uint64_t uint_key) const {
  if (kind_ != Kind::kMap) return nullptr;
  for (size_t i = 0; i + 1 < items_.size(); i += 2) {
    if (items_[i].kind_ == Kind::kUint && items_[i].num_ == uint_key) return &items_[i + 1];
  }
  return nullptr;
}

bool Value::operator==(const Value& o) const {
  // Maps are equal when their canonical encodings are: insertion order does not matter.
  if (kind_ == Kind::kMap && o.kind_ == Kind::kMap) return Encode(*this) == Encode(o);
  return kind_ == o.kind_ && num_ == o.num_ && str_ == o.str_ && items_ == o.items_;
}

// ---------------------------------------------------------------- Encoder

bool CanonicalKeyLess(const Value& a, const Value& b) {
  // The bytewise order of deterministic encodings, computed without encoding: major type
  // first (uint 0 < nint 1 < bytes 2 < text 3), then the argument (a shorter string has a
  // smaller length header), then the bytes. Other kinds are not valid keys: compare false.
  auto major = [](const Value& v) {
    switch (v.kind()) {
      case Value::Kind::kUint:
        return 0;
      case Value::Kind::kNegInt:
        return 1;
      case Value::Kind::kBytes:
        return 2;
      case Value::Kind::kText:
        return 3;
      default:
        return 9;
    }
  };
  int ma = major(a), mb = major(b);
  if (ma == 9 || mb == 9) return false;
  if (ma != mb) return ma < mb;
  if (ma <= 1) return a.uint() < b.uint();
  if (a.str().size() != b.str().size()) return a.str().size() < b.str().size();
  return a.str() < b.str();
}

namespace {
template <typename Fn, typename... Args>
void Put(std::string* out, Fn fn, Args... args) {
  unsigned char buf[9];
  size_t n = fn(args..., buf, sizeof buf);
  out->append(reinterpret_cast<const char*>(buf), n);
}
}  // namespace

void Encoder::Uint(uint64_t v) { Put(out_, cbor_encode_uint, v); }
void Encoder::NegInt(uint64_t n) { Put(out_, cbor_encode_negint, n); }
void Encoder::Int(int64_t v) {
  if (v >= 0) {
    Uint(static_cast<uint64_t>(v));
  } else {
    NegInt(static_cast<uint64_t>(-(v + 1)));
  }
}
void Encoder::Bytes(std::string_view b) {
  Put(out_, cbor_encode_bytestring_start, b.size());
  out_->append(b);
}
void Encoder::Text(std::string_view t) {
  Put(out_, cbor_encode_string_start, t.size());
  out_->append(t);
}
void Encoder::ArrayHeader(size_t count) { Put(out_, cbor_encode_array_start, count); }
void Encoder::MapHeader(size_t count) { Put(out_, cbor_encode_map_start, count); }
void Encoder::Bool(bool b) { Put(out_, cbor_encode_bool, b); }
void Encoder::Null() { Put(out_, cbor_encode_null); }

void Encoder::Item(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUint:
      Uint(v.uint());
      return;
    case Value::Kind::kNegInt:
      NegInt(v.uint());
      return;
    case Value::Kind::kBytes:
      Bytes(v.str());
      return;
    case Value::Kind::kText:
      Text(v.str());
      return;
    case Value::Kind::kBool:
      Bool(v.boolean());
      return;
    case Value::Kind::kNull:
      Null();
      return;
    case Value::Kind::kArray:
      ArrayHeader(v.items().size());
      for (const Value& item : v.items()) Item(item);
      return;
    case Value::Kind::kMap: {
      // Maps that came out of the decoder are already in canonical order: encode them
      // without building and sorting their keys' encodings.
      bool sorted = true;
      for (size_t i = 2; sorted && i + 1 < v.items().size(); i += 2) {
        sorted = CanonicalKeyLess(v.items()[i - 2], v.items()[i]);
      }
      if (sorted) {
        MapHeader(v.size());
        for (const Value& item : v.items()) Item(item);
        return;
      }
      // Otherwise: bytewise order of the encoded keys.
      std::vector<std::pair<std::string, const Value*>> entries;
      entries.reserve(v.size());
      for (size_t i = 0; i + 1 < v.items().size(); i += 2) {
        std::string key;
        Encoder(&key).Item(v.items()[i]);
        entries.emplace_back(std::move(key), &v.items()[i + 1]);
      }
      std::sort(entries.begin(), entries.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      MapHeader(entries.size());
      for (const auto& [key, value] : entries) {
        out_->append(key);
        Item(*value);
      }
      return;
    }
  }
}

std::string Encode(const Value& v) {
  std::string out;
  Encoder(&out).Item(v);
  return out;
}

// ---------------------------------------------------------------- Decoder

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  while (i < s.size()) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

namespace {

// What the last libcbor callback reported.
struct Event {
  enum Type { kNone, kUint, kNegInt, kBytes, kText, kArray, kMap, kBool, kNull, kRefused };
  Type type = kNone;
  uint64_t num = 0;
  const unsigned char* data = nullptr;
  size_t len = 0;
  const char* refused = nullptr;
};

Event* Ev(void* ctx) { return static_cast<Event*>(ctx); }
void OnUint8(void* c, uint8_t v) { *Ev(c) = {Event::kUint, v}; }
void OnUint16(void* c, uint16_t v) { *Ev(c) = {Event::kUint, v}; }
void OnUint32(void* c, uint32_t v) { *Ev(c) = {Event::kUint, v}; }
void OnUint64(void* c, uint64_t v) { *Ev(c) = {Event::kUint, v}; }
void OnNeg8(void* c, uint8_t v) { *Ev(c) = {Event::kNegInt, v}; }
void OnNeg16(void* c, uint16_t v) { *Ev(c) = {Event::kNegInt, v}; }
void OnNeg32(void* c, uint32_t v) { *Ev(c) = {Event::kNegInt, v}; }
void OnNeg64(void* c, uint64_t v) { *Ev(c) = {Event::kNegInt, v}; }
void OnBytes(void* c, cbor_data d, size_t n) { *Ev(c) = {Event::kBytes, 0, d, n}; }
void OnText(void* c, cbor_data d, size_t n) { *Ev(c) = {Event::kText, 0, d, n}; }
void OnArray(void* c, size_t n) { *Ev(c) = {Event::kArray, n}; }
void OnMap(void* c, size_t n) { *Ev(c) = {Event::kMap, n}; }
void OnBool(void* c, bool b) { *Ev(c) = {Event::kBool, b ? 1u : 0u}; }
void OnNull(void* c) { *Ev(c) = {Event::kNull}; }
void Refuse(void* c, const char* why) { *Ev(c) = {Event::kRefused, 0, nullptr, 0, why}; }
void OnIndefinite(void* c) { Refuse(c, "indefinite-length item is not allowed"); }
void OnBreak(void* c) { Refuse(c, "unexpected break (indefinite lengths are not allowed)"); }
void OnTag(void* c, uint64_t) { Refuse(c, "tags are not allowed"); }
void OnFloat(void* c, float) { Refuse(c, "floating-point numbers are not allowed"); }
void OnDouble(void* c, double) { Refuse(c, "floating-point numbers are not allowed"); }
void OnUndefined(void* c) { Refuse(c, "undefined is not allowed"); }

const cbor_callbacks kCallbacks = {
    .uint8 = OnUint8,
    .uint16 = OnUint16,
    .uint32 = OnUint32,
    .uint64 = OnUint64,
    .negint64 = OnNeg64,
    .negint32 = OnNeg32,
    .negint16 = OnNeg16,
    .negint8 = OnNeg8,
    .byte_string_start = OnIndefinite,
    .byte_string = OnBytes,
    .string = OnText,
    .string_start = OnIndefinite,
    .indef_array_start = OnIndefinite,
    .array_start = OnArray,
    .indef_map_start = OnIndefinite,
    .map_start = OnMap,
    .tag = OnTag,
    .float2 = OnFloat,
    .float4 = OnFloat,
    .float8 = OnDouble,
    .undefined = OnUndefined,
    .null = OnNull,
    .boolean = OnBool,
    .indef_break = OnBreak,
};

size_t ShortestHeader(uint64_t arg) {
  if (arg < 24) return 1;
  if (arg <= 0xFF) return 2;
  if (arg <= 0xFFFF) return 3;
  if (arg <= 0xFFFFFFFFull) return 5;
  return 9;
}

struct Frame {
  Value* container;
  uint64_t remaining;  // items still to read (a map counts keys and values)
  size_t last_key_pos = 0;
  size_t last_key_len = 0;
};

Status Fail(Code code, const std::string& what, size_t offset) {
  return Status(code, what + " at offset " + std::to_string(offset));
}

}  // namespace

Result<Value> DecodePrefix(std::string_view bytes, size_t* consumed, const Limits& limits) {
  const auto* base = reinterpret_cast<const unsigned char*>(bytes.data());
  // Only the first max_input bytes may belong to the item: running out of them means the
  // item is too large when more input exists, and truncated when it does not.
  const size_t size = std::min(bytes.size(), limits.max_input);
  auto ran_out = [&](size_t offset) {
    if (bytes.size() > limits.max_input) {
      return Fail(Code::kOutOfRange,
                  "item larger than " + std::to_string(limits.max_input) + " bytes", offset);
    }
    return Fail(Code::kInvalidArgument, "truncated input", offset);
  };
  Value root;
  std::vector<Frame> stack;
  size_t pos = 0;
  size_t items = 0;
  while (true) {
    if (pos >= size) return ran_out(pos);
    Event ev;
    cbor_decoder_result r = cbor_stream_decode(base + pos, size - pos, &kCallbacks, &ev);
    if (r.status == CBOR_DECODER_NEDATA) return ran_out(pos);
    if (r.status != CBOR_DECODER_FINISHED || ev.type == Event::kNone) {
      return Fail(Code::kInvalidArgument, "malformed CBOR", pos);
    }
    if (ev.type == Event::kRefused) return Fail(Code::kInvalidArgument, ev.refused, pos);
    if (++items > limits.max_items) {
      return Fail(Code::kOutOfRange, "more than " + std::to_string(limits.max_items) + " items",
                  pos);
    }

    // Shortest-form arguments.
    size_t header = r.read;
    uint64_t arg = ev.num;
    if (ev.type == Event::kBytes || ev.type == Event::kText) {
      header = r.read - ev.len;
      arg = ev.len;
    }
    bool has_arg = ev.type != Event::kBool && ev.type != Event::kNull;
    if (has_arg && header != ShortestHeader(arg)) {
      return Fail(Code::kInvalidArgument, "non-canonical encoding (argument not in shortest form)",
                  pos);
    }

    Value v;
    uint64_t open_count = 0;  // entries of a non-empty array or map
    switch (ev.type) {
      case Event::kUint:
        v = Value::Uint(ev.num);
        break;
      case Event::kNegInt:
        v = Value::NegInt(ev.num);
        break;
      case Event::kBool:
        v = Value::Bool(ev.num != 0);
        break;
      case Event::kNull:
        break;
      case Event::kBytes:
      case Event::kText: {
        if (ev.len > limits.max_string) {
          return Fail(Code::kOutOfRange,
                      "string longer than " + std::to_string(limits.max_string) + " bytes", pos);
        }
        std::string_view s(reinterpret_cast<const char*>(ev.data), ev.len);
        if (ev.type == Event::kText) {
          if (!IsValidUtf8(s)) return Fail(Code::kInvalidArgument, "invalid UTF-8 in text", pos);
          v = Value::Text(s);
        } else {
          v = Value::Bytes(s);
        }
        break;
      }
      case Event::kArray:
      case Event::kMap: {
        uint64_t n = ev.num * (ev.type == Event::kMap ? 2 : 1);
        if (ev.num > limits.max_collection) {
          return Fail(Code::kOutOfRange,
                      "collection of " + std::to_string(ev.num) + " entries exceeds limit " +
                          std::to_string(limits.max_collection),
                      pos);
        }
        // Every entry needs at least one byte: refuse counts the input cannot hold before
        // reserving anything.
        if (n > size - pos - r.read) return ran_out(pos);
        v = ev.type == Event::kMap ? Value::Map() : Value::Array();
        v.items().reserve(n);
        open_count = n;
        break;
      }
      default:
        return Fail(Code::kInvalidArgument, "malformed CBOR", pos);
    }

    // Map keys: scalar, strictly increasing by encoded bytes.
    if (!stack.empty() && stack.back().container->is_map() &&
        stack.back().container->items().size() % 2 == 0) {
      Frame& f = stack.back();
      if (v.is_array() || v.is_map() || v.is_bool() || v.is_null()) {
        return Fail(Code::kInvalidArgument, "map key must be an integer or a string", pos);
      }
      if (!f.container->items().empty()) {
        std::string_view prev(bytes.data() + f.last_key_pos, f.last_key_len);
        std::string_view cur(bytes.data() + pos, r.read);
        if (cur == prev) return Fail(Code::kInvalidArgument, "duplicate map key", pos);
        if (cur < prev) return Fail(Code::kInvalidArgument, "map keys not in canonical order", pos);
      }
      f.last_key_pos = pos;
      f.last_key_len = r.read;
    }

    pos += r.read;
    bool open_container = open_count > 0;
    Value* placed;
    if (stack.empty()) {
      root = std::move(v);
      placed = &root;
    } else {
      placed = &stack.back().container->Append(std::move(v));
    }
    if (open_container) {
      if (stack.size() + 1 >= limits.max_depth) {
        return Fail(Code::kOutOfRange, "nesting deeper than " + std::to_string(limits.max_depth),
                    pos - r.read);
      }
      stack.push_back(Frame{placed, open_count});
      continue;
    }
    // A complete item: close every container it completes.
    while (!stack.empty()) {
      if (--stack.back().remaining > 0) break;
      stack.pop_back();
    }
    if (stack.empty()) break;
  }
  *consumed = pos;
  return root;
}

Result<Value> Decode(std::string_view bytes, const Limits& limits) {
  size_t consumed = 0;
  HOSO_ASSIGN_OR_RETURN(Value v, DecodePrefix(bytes, &consumed, limits));
  if (consumed != bytes.size()) {
    return Fail(Code::kInvalidArgument,
                std::to_string(bytes.size() - consumed) + " trailing bytes after the item",
                consumed);
  }
  return v;
}

namespace {

// The argument of a CBOR head of major type `major`, and where the content starts.
std::optional<uint64_t> ItemHead(std::string_view b, int major, size_t* content) {
  if (b.empty() || (static_cast<uint8_t>(b[0]) >> 5) != major) return std::nullopt;
  uint8_t ai = static_cast<uint8_t>(b[0]) & 0x1f;
  size_t n = ai < 24 ? 0 : ai == 24 ? 1 : ai == 25 ? 2 : ai == 26 ? 4 : ai == 27 ? 8 : 99;
  if (n == 99 || b.size() < 1 + n) return std::nullopt;
  uint64_t v = ai < 24 ? ai : 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(b[1 + i]);
  *content = 1 + n;
  return v;
}

}  // namespace

std::optional<uint64_t> UintItem(std::string_view item) {
  size_t at = 0;
  auto v = ItemHead(item, 0, &at);
  if (!v || at != item.size()) return std::nullopt;
  return v;
}

std::optional<std::string_view> TextItem(std::string_view item) {
  size_t at = 0;
  auto len = ItemHead(item, 3, &at);
  if (!len || *len != item.size() - at) return std::nullopt;
  return item.substr(at);
}

std::optional<std::string_view> BytesItem(std::string_view item) {
  size_t at = 0;
  auto len = ItemHead(item, 2, &at);
  if (!len || *len != item.size() - at) return std::nullopt;
  return item.substr(at);
}

// ---------------------------------------------------------------- Diagnostic

namespace {
void AppendDiag(const Value& v, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  switch (v.kind()) {
    case Value::Kind::kUint:
      *out += std::to_string(v.uint());
      return;
    case Value::Kind::kNegInt:
      *out += "-" + std::to_string(v.uint() + 1);
      return;
    case Value::Kind::kBool:
      *out += v.boolean() ? "true" : "false";
      return;
    case Value::Kind::kNull:
      *out += "null";
      return;
    case Value::Kind::kBytes:
      *out += "h'";
      for (unsigned char c : v.str()) {
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 15]);
      }
      *out += "'";
      return;
    case Value::Kind::kText:
      *out += "\"" + v.str() + "\"";
      return;
    case Value::Kind::kArray:
      *out += "[";
      for (size_t i = 0; i < v.items().size(); ++i) {
        if (i) *out += ", ";
        AppendDiag(v.items()[i], out);
      }
      *out += "]";
      return;
    case Value::Kind::kMap:
      *out += "{";
      for (size_t i = 0; i + 1 < v.items().size(); i += 2) {
        if (i) *out += ", ";
        AppendDiag(v.items()[i], out);
        *out += ": ";
        AppendDiag(v.items()[i + 1], out);
      }
      *out += "}";
      return;
  }
}
}  // namespace

std::string Diagnostic(const Value& v) {
  std::string out;
  AppendDiag(v, &out);
  return out;
}

}  // namespace hoso::cbor
