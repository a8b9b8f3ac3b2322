// Status and Result<T>: the error vocabulary used across every module boundary.
//
// A Status is either OK or carries a code and a human-readable message that says
// exactly what was wrong (which field, which stream, which seq). Result<T> holds
// either a value or a non-OK Status. Both are plain values: thread-compatible,
// safe to copy and move between threads, never shared mutably.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace hoso {

enum class Code {
  kOk = 0,
  kInvalidArgument,  // malformed input: bad CBOR, bad field, bad CSV line
  kNotFound,
  kCorruption,        // stored or received bytes that fail a hash, chain or signature check
  kPermissionDenied,  // write rule or scope violation
  kFork,              // two signed events at the same (stream, seq)
  kFrozen,            // the stream is frozen after a fork
  kOutOfRange,        // a limit was exceeded
  kIOError,
  kAlreadyExists,
  kFailedPrecondition,
};

const char* CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
  static Status Fork(std::string m) { return {Code::kFork, std::move(m)}; }
  static Status Frozen(std::string m) { return {Code::kFrozen, std::move(m)}; }
  static Status OutOfRange(std::string m) { return {Code::kOutOfRange, std::move(m)}; }
  static Status IOError(std::string m) { return {Code::kIOError, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {Code::kFailedPrecondition, std::move(m)};
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "Corruption: chain broken at seq 7" or "OK".
  std::string ToString() const;

  // Adds context in front of the message, keeping the code.
  Status Annotate(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "Result built from an OK status without a value");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace hoso

// Propagates a non-OK Status to the caller.
#define HOSO_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::hoso::Status hoso_status_ = (expr);        \
    if (!hoso_status_.ok()) return hoso_status_; \
  } while (0)

#define HOSO_CONCAT_INNER(a, b) a##b
#define HOSO_CONCAT(a, b) HOSO_CONCAT_INNER(a, b)
// Declares `lhs` from a Result, or returns its Status.
#define HOSO_ASSIGN_OR_RETURN(lhs, expr) \
  HOSO_ASSIGN_OR_RETURN_IMPL(HOSO_CONCAT(hoso_result_, __LINE__), lhs, expr)
#define HOSO_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
