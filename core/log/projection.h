// Projection and ConflictPolicy: how a domain shapes what the log engine keeps beside the
// case states, without the engine knowing the domain.
//
// A Projection maps a case state to keys of the store's index family (through a summary of
// the state, so unchanged cases cost a comparison). The store keeps them
// in the commit that changes the state: for an entries projection, a key is present while
// the state projects to it (a secondary index: search by status, by name); for a counters
// projection, the key's 8-byte counter counts the states that project to it (report
// buckets, kept by RocksDB merges of +1/-1). A commit computes each touched case's keys
// before and after and writes the difference, so a projection must be a pure function of
// the state, deterministic across nodes and versions that share a store format.
//
// Key space of the index family: the store itself keeps 'o' channel 0x00 case (the cases of
// a channel, for purge and audit); each projection owns the first bytes it documents and
// must not produce 'o' keys.
//
// A ConflictPolicy ranks the concurrent live writes of a field: the write of the highest
// rank is the field's value meanwhile, ties going to the last in fold order. Without a
// policy, every field's value is its last live write in fold order.
// Thread-safety: implementations are immutable and called from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hoso {

class CaseState;

// Opens a field's value for projections: sealed personal fields (core/format/sealed_field.h) are
// indexed by what they hold where this node holds the case's key, and not at all where it does
// not (a key not received, or destroyed by an erasure).
class FieldOpener {
 public:
  virtual ~FieldOpener() = default;
  // `raw` (the field's canonical CBOR) itself when it is not sealed; its plaintext CBOR when it
  // is and opens; nullopt otherwise.
  virtual std::optional<std::string> Open(std::string_view case_code, std::string_view field,
                                          std::string_view raw) const = 0;
};

class Projection {
 public:
  enum class Kind { kEntries, kCounters };
  virtual ~Projection() = default;
  virtual Kind kind() const = 0;
  // What of `state` the keys depend on, taken cheaply (raw winners, a bucket key): a commit
  // compares a case's summaries before and after and derives keys only when they differ.
  // Equal summaries must project to equal keys.
  virtual std::string Summary(const CaseState& state) const = 0;
  // Appends the keys (each at most once) of a case whose summary is `summary`; sealed values
  // in it are opened through `opener` (the keys held when the keys are taken). A summary must
  // hold values as stored, never opened ones: a commit that changes which keys are held
  // re-takes the keys of its cases whatever their summaries.
  virtual void Keys(std::string_view summary, std::string_view case_code, const FieldOpener& opener,
                    std::vector<std::string>* keys) const = 0;
};

class ConflictPolicy {
 public:
  virtual ~ConflictPolicy() = default;
  // The rank of one candidate value (canonical CBOR) of `field`; higher wins.
  virtual int Rank(std::string_view field, std::string_view value) const = 0;
  // True when the field needs ranking at all (the others take the last write unranked).
  virtual bool Ranks(std::string_view field) const = 0;
};

}  // namespace hoso
