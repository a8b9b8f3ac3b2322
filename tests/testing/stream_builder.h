// StreamBuilder: writes one origin's stream outside a Store, as signed batches.
//
// Used where a remote origin must be simulated: benchmarks that feed a store remote batches,
// the demo's generators, and tests. Events get consecutive seqs and prev links; Seal() wraps
// what was added since the last seal in a Batch ending at a freshly signed head.
// Thread-safety: a value used by one thread.
#pragma once

#include <string>
#include <vector>

#include "core/log/store.h"

namespace hoso {

class StreamBuilder {
 public:
  StreamBuilder(StreamKey stream, SigningKey key)
      : stream_(std::move(stream)), key_(std::move(key)) {}

  // Appends the next event; returns its canonical bytes.
  const std::string& Add(const LocalWrite& write, uint64_t hlc, std::vector<Hash> deps = {});
  // Convenience: the next event with body, type and case given directly.
  const std::string& Next(const std::string& case_code, const std::string& type, cbor::Value body,
                          uint64_t hlc, std::vector<Hash> deps = {});
  Batch Seal();
  // Continues a stream already held up to (seq, id).
  void Resume(uint64_t seq, const Hash& id) {
    seq_ = seq;
    last_ = id;
  }
  size_t pending() const { return pending_.size(); }
  const Hash& last_id() const { return last_; }
  uint64_t seq() const { return seq_; }
  const StreamKey& stream() const { return stream_; }

 private:
  StreamKey stream_;
  SigningKey key_;
  uint64_t seq_ = 0;
  Hash last_{};
  std::vector<std::string> pending_;
};

}  // namespace hoso
