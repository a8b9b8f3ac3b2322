// Logger: the node's structured, levelled log, one JSON object per line on stderr (systemd's
// journal keeps it):
//
//   {"ts":"2026-11-26T09:12:03.120Z","level":"info","component":"sync","msg":"..."}
//
// Messages never carry personal data (names, ID numbers, addresses, phones, request bodies or
// query strings) or key material: callers log codes, units, counts and errors only.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace hoso::node {

enum class LogLevel { kDebug = 0, kInfo, kWarn, kError };

// "debug", "info", "warn", "error"; anything else is kInfo.
LogLevel ParseLogLevel(std::string_view name);
std::string_view LogLevelName(LogLevel level);

class Logger {
 public:
  explicit Logger(FILE* out = stderr) : out_(out) {}
  void SetLevel(LogLevel level) { level_ = level; }
  LogLevel level() const { return level_; }
  void Log(LogLevel level, std::string_view component, std::string_view message);

 private:
  FILE* out_;
  std::atomic<LogLevel> level_{LogLevel::kInfo};
  std::mutex mu_;
};

}  // namespace hoso::node
