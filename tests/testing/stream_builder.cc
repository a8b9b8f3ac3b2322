#include "tests/testing/stream_builder.h"

namespace hoso {

const std::string& StreamBuilder::Add(const LocalWrite& write, uint64_t hlc,
                                      std::vector<Hash> deps) {
  Event e;
  e.stream = stream_;
  e.seq = ++seq_;
  e.prev = last_;
  e.hlc = hlc;
  e.case_code = write.case_code;
  e.type = write.type;
  e.body = write.body;
  e.officer = write.officer;
  NormalizeDeps(&deps);
  e.deps = std::move(deps);
  pending_.push_back(EncodeEvent(e));
  last_ = Sha256(pending_.back());
  return pending_.back();
}

const std::string& StreamBuilder::Next(const std::string& case_code, const std::string& type,
                                       cbor::Value body, uint64_t hlc, std::vector<Hash> deps) {
  return Add(LocalWrite{stream_.channel, case_code, type, std::move(body), "officer-1"}, hlc,
             std::move(deps));
}

Batch StreamBuilder::Seal() {
  auto head = SignHead(stream_, seq_, last_, key_);
  Batch b{stream_, std::move(pending_), head.ok() ? std::move(head).value() : SignedHead{}};
  pending_.clear();
  return b;
}

}  // namespace hoso
