#include "core/base/repeated_lines.h"

namespace hoso {

namespace {
constexpr size_t kMaxKeys = 4096;
}  // namespace

std::optional<uint64_t> RepeatedLines::Admit(std::string_view key) {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  auto it = repeats_.find(key);
  if (it != repeats_.end() && now - it->second.last < interval_) {
    ++it->second.held;
    return std::nullopt;
  }
  if (it == repeats_.end()) {
    if (repeats_.size() >= kMaxKeys) {
      // Bounded: forget lines not seen for an interval, else all.
      std::erase_if(repeats_, [&](const auto& r) { return now - r.second.last >= interval_; });
      if (repeats_.size() >= kMaxKeys) repeats_.clear();
    }
    it = repeats_.emplace(std::string(key), Repeat{}).first;
  }
  uint64_t held = it->second.held;
  it->second.last = now;
  it->second.held = 0;
  return held;
}

std::string RepeatedLines::Suffix(uint64_t held) {
  return held ? " (repeated " + std::to_string(held) + " times)" : "";
}

std::optional<std::string> RepeatedLines::Fold(std::string_view message) {
  auto held = Admit(message);
  if (!held) return std::nullopt;
  return std::string(message) + Suffix(*held);
}

}  // namespace hoso
