// Deterministic CBOR (RFC 8949 section 4.2.1): the only encoding hoso stores, hashes or sends.
//
// Grammar of what this codec accepts and produces (a subset of CBOR):
//
//   item   = uint | nint | bstr | tstr | array | map | true | false | null
//   uint   = major type 0, argument in its shortest form
//   nint   = major type 1, argument in its shortest form
//   bstr   = major type 2, definite length (shortest form), bytes
//   tstr   = major type 3, definite length (shortest form), valid UTF-8
//   array  = major type 4, definite count (shortest form), count * item
//   map    = major type 5, definite count (shortest form), count * (key item)
//   key    = uint | nint | bstr | tstr, strictly increasing in the bytewise order of their
//            encodings (so no duplicates)
//
// Not accepted: floats, tags, undefined, indefinite lengths, trailing bytes, nesting deeper
// than Limits::max_depth, strings or collections beyond their limits. Each is refused with a
// specific message naming the offset. The encoder is built on libcbor's encode primitives;
// the decoder drives libcbor's streaming decoder (cbor_stream_decode) item by item with an
// explicit stack, so nothing is allocated from an untrusted header before it is checked
// against the limits and the bytes actually present.
//
// Thread-safety: Value and Encoder are values (thread-compatible); Decode is reentrant.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/base/status.h"

namespace hoso::cbor {

struct Limits {
  size_t max_input = 1 << 20;       // bytes in one item
  size_t max_depth = 16;            // nesting of arrays and maps
  size_t max_string = 256 * 1024;   // bytes in one string
  size_t max_collection = 1 << 16;  // entries in one array or map
  size_t max_items = 1 << 18;       // items in the whole input
};

class Value {
 public:
  enum class Kind : uint8_t { kUint, kNegInt, kBytes, kText, kArray, kMap, kBool, kNull };

  Value() = default;  // null
  static Value Uint(uint64_t v) { return Value(Kind::kUint, v); }
  // The CBOR negative integer -1 - n.
  static Value NegInt(uint64_t n) { return Value(Kind::kNegInt, n); }
  static Value Int(int64_t v);
  static Value Bytes(std::string_view b) { return Value(Kind::kBytes, b); }
  static Value Text(std::string_view t) { return Value(Kind::kText, t); }
  static Value Bool(bool b) { return Value(Kind::kBool, b ? 1 : 0); }
  static Value Null() { return Value(); }
  static Value Array() { return Value(Kind::kArray, 0); }
  static Value Map() { return Value(Kind::kMap, 0); }

  Kind kind() const { return kind_; }
  bool is_uint() const { return kind_ == Kind::kUint; }
  bool is_text() const { return kind_ == Kind::kText; }
  bool is_bytes() const { return kind_ == Kind::kBytes; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_map() const { return kind_ == Kind::kMap; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kUint || kind_ == Kind::kNegInt; }

  uint64_t uint() const { return num_; }
  bool boolean() const { return num_ != 0; }
  // Signed value of a uint or nint; false if it does not fit in int64.
  bool ToInt64(int64_t* out) const;
  const std::string& str() const { return str_; }  // bytes or text
  // Moves the bytes or text out, leaving it empty: a decoded tree about to be dropped gives
  // up a large string without copying it (str() is const).
  std::string TakeStr() { return std::move(str_); }

  // Arrays: items. Maps: keys and values interleaved (k0, v0, k1, v1, ...).
  const std::vector<Value>& items() const { return items_; }
  std::vector<Value>& items() { return items_; }
  size_t size() const { return kind_ == Kind::kMap ? items_.size() / 2 : items_.size(); }

  Value& Append(Value v);
  // Map insertion; the encoder sorts keys, so order here does not matter. Replaces an
  // existing equal key.
  Value& Set(Value key, Value v);
  Value& Set(std::string_view text_key, Value v) { return Set(Text(text_key), std::move(v)); }
  // Map lookup by text or uint key; nullptr when absent.
  const Value* Find(std::string_view text_key) const;
  const Value* Find(uint64_t uint_key) const;

  bool operator==(const Value& o) const;

 private:
  Value(Kind k, uint64_t n) : kind_(k), num_(n) {}
  Value(Kind k, std::string_view s) : kind_(k), str_(s) {}
  const Value* FindKey(const Value& key) const;

  Kind kind_ = Kind::kNull;
  uint64_t num_ = 0;
  std::string str_;
  std::vector<Value> items_;
};

// Appends canonical encodings to a byte string. Writing a map header and then its keys out of
// order is the caller's bug; Encode(Value) sorts keys itself.
class Encoder {
 public:
  explicit Encoder(std::string* out) : out_(out) {}
  void Uint(uint64_t v);
  void NegInt(uint64_t n);
  void Int(int64_t v);
  void Bytes(std::string_view b);
  void Text(std::string_view t);
  void ArrayHeader(size_t count);
  void MapHeader(size_t count);
  void Bool(bool b);
  void Null();
  void Item(const Value& v);

 private:
  std::string* out_;
};

std::string Encode(const Value& v);

// The canonical order of two map keys (uint, nint, bytes or text), as the bytewise order of
// their encodings.
bool CanonicalKeyLess(const Value& a, const Value& b);

// Decodes exactly one canonical item that fills `bytes`.
Result<Value> Decode(std::string_view bytes, const Limits& limits = Limits());
// Decodes one canonical item at the front of `bytes` (a CBOR sequence, RFC 8742) and sets
// *consumed to its length.
Result<Value> DecodePrefix(std::string_view bytes, size_t* consumed,
                           const Limits& limits = Limits());

// The unsigned integer, text or byte string that makes up all of `item`, read from its bytes
// without building a Value (for hot paths over canonical bytes already validated); nullopt when
// `item` is anything else.
std::optional<uint64_t> UintItem(std::string_view item);
std::optional<std::string_view> TextItem(std::string_view item);
std::optional<std::string_view> BytesItem(std::string_view item);

// RFC 8949 diagnostic notation, for docs, logs of structure (never of personal data) and tests.
std::string Diagnostic(const Value& v);

bool IsValidUtf8(std::string_view s);

}  // namespace hoso::cbor
