#include "core/base/status.h"

namespace hoso {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kInvalidArgument:
      return "InvalidArgument";
    case Code::kNotFound:
      return "NotFound";
    case Code::kCorruption:
      return "Corruption";
    case Code::kPermissionDenied:
      return "PermissionDenied";
    case Code::kFork:
      return "Fork";
    case Code::kFrozen:
      return "Frozen";
    case Code::kOutOfRange:
      return "OutOfRange";
    case Code::kIOError:
      return "IOError";
    case Code::kAlreadyExists:
      return "AlreadyExists";
    case Code::kFailedPrecondition:
      return "FailedPrecondition";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

}  // namespace hoso
