// RepeatedLines: folds identical log lines, so that a flood of one event writes a bounded
// number of lines. The first line with a given key is written; the same key again within
// `interval` is counted and not written; the next one after the interval is written with
// the count of those held back (" (repeated N times)"). At most 4,096 keys are remembered
// (past that, keys not seen for an interval are forgotten, else all). The sync transport
// folds its lines with it (a peer named by its address without the port), the API its 5xx
// lines and connection limits.
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace hoso {

class RepeatedLines {
 public:
  explicit RepeatedLines(std::chrono::milliseconds interval) : interval_(interval) {}

  // Whether a line with `key` is written now: the count of lines with that key held back
  // since the last one written (0 for most), or nullopt to hold this one back.
  [[nodiscard]] std::optional<uint64_t> Admit(std::string_view key);
  // " (repeated N times)", or "" for 0: what a written line says of those held back.
  static std::string Suffix(uint64_t held);
  // Admit and Suffix together: the line to write for `message`, or nullopt.
  [[nodiscard]] std::optional<std::string> Fold(std::string_view message);

 private:
  struct Repeat {
    std::chrono::steady_clock::time_point last;
    uint64_t held = 0;
  };
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::map<std::string, Repeat, std::less<>> repeats_;  // guarded by mu_
};

}  // namespace hoso
