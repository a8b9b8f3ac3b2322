// Binary coding helpers for storage keys and records (after leveldb's util/coding.h).
//
// Big-endian fixed-width integers keep keys ordered bytewise; LEB128 varints and
// length-prefixed strings keep records small. A Reader consumes a view and reports
// truncation instead of reading past the end. Thread-safety: free functions are
// reentrant; a Reader is a value used by one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hoso {

void PutBig64(std::string* out, uint64_t v);
uint64_t GetBig64(std::string_view in);  // precondition: at least 8 bytes
void PutBig32(std::string* out, uint32_t v);
uint32_t GetBig32(std::string_view in);  // precondition: at least 4 bytes
void PutVarint(std::string* out, uint64_t v);
void PutString(std::string* out, std::string_view s);  // varint length, bytes
// The smallest key greater than every key starting with `prefix` ("" when there is none).
std::string PrefixUpperBound(std::string prefix);

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool Varint(uint64_t* v);
  bool String(std::string_view* s);
  bool Fixed(size_t n, std::string_view* s);
  bool Big64(uint64_t* v);
  bool done() const { return in_.empty(); }
  std::string_view rest() const { return in_; }  // what is not yet consumed

 private:
  std::string_view in_;
};

}  // namespace hoso
