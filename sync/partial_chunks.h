// PartialChunks: the pieces of document chunks a session had received when it ended (a cut
// link, a stopped peer), kept for the next session that asks for the same chunk, which then
// asks only for the rest: a cut costs what was in flight, not the half chunk assembled.
// In memory only (a restart asks again from the start), bounded in entries and bytes, the
// oldest dropped first. Bytes kept are the peer's, unverified: the chunk is checked against
// its name once whole, as always.
// Thread-safety: thread-safe (sessions of several peers share one).
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "core/format/crypto.h"

namespace hoso::sync {

class PartialChunks {
 public:
  explicit PartialChunks(size_t max_entries = 32, size_t max_bytes = size_t{8} << 20)
      : max_entries_(max_entries), max_bytes_(max_bytes) {}

  // Keeps the first `bytes` of chunk `name` (replacing what was kept of it).
  void Put(const Hash& name, std::string bytes) {
    if (bytes.empty() || bytes.size() > max_bytes_) return;
    std::lock_guard lock(mu_);
    Erase(name);
    bytes_ += bytes.size();
    kept_.emplace(name, std::move(bytes));
    order_.push_back(name);
    while (kept_.size() > max_entries_ || bytes_ > max_bytes_) Erase(order_.front());
  }
  // What was kept of chunk `name`, taken out ("" when nothing).
  std::string Take(const Hash& name) {
    std::lock_guard lock(mu_);
    auto it = kept_.find(name);
    if (it == kept_.end()) return "";
    std::string out;
    out.swap(it->second);
    bytes_ -= out.size();  // Erase then counts the emptied string as nothing
    Erase(name);
    return out;
  }
  size_t bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
  }

 private:
  void Erase(const Hash& name) {
    auto it = kept_.find(name);
    if (it == kept_.end()) return;
    bytes_ -= it->second.size();
    kept_.erase(it);
    for (auto o = order_.begin(); o != order_.end(); ++o) {
      if (*o == name) {
        order_.erase(o);
        break;
      }
    }
  }

  const size_t max_entries_, max_bytes_;
  mutable std::mutex mu_;
  std::map<Hash, std::string> kept_;
  std::deque<Hash> order_;  // oldest first
  size_t bytes_ = 0;
};

}  // namespace hoso::sync
