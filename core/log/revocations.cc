#include "core/log/revocations.h"

namespace hoso {

std::string RevocationKey(std::string_view unit, uint64_t epoch) {
  return std::string(unit) + "#" + std::to_string(epoch);
}

cbor::Value RevocationBody(std::string_view unit, uint64_t epoch, int64_t revoked_at_ms,
                           std::string_view reason) {
  cbor::Value body = cbor::Value::Map();
  body.Set("unit", cbor::Value::Text(unit));
  body.Set("epoch", cbor::Value::Uint(epoch));
  body.Set("revoked_at", cbor::Value::Uint(static_cast<uint64_t>(revoked_at_ms)));
  body.Set("reason", cbor::Value::Text(reason));
  return body;
}

Status Revocations::Apply(const Event& e) {
  if (e.type != kRevokeType) return Status::Ok();
  const cbor::Value* unit = e.body.Find("unit");
  const cbor::Value* epoch = e.body.Find("epoch");
  const cbor::Value* at = e.body.Find("revoked_at");
  const cbor::Value* reason = e.body.Find("reason");
  if (!unit || !unit->is_text() || !epoch || !epoch->is_uint() || !at || !at->is_uint()) {
    return Status::InvalidArgument("revocation " + e.case_code + ": unit, epoch, revoked_at");
  }
  Revocation r{unit->str(), epoch->uint(), static_cast<int64_t>(at->uint()),
               reason && reason->is_text() ? reason->str() : "", 0};
  std::string key = RevocationKey(r.unit, r.epoch);
  auto [it, fresh] = by_key_.try_emplace(key, r);
  if (!fresh && r.revoked_at_ms < it->second.revoked_at_ms) {
    int64_t learned = it->second.learned_ms;
    it->second = r;
    it->second.learned_ms = learned;
  }
  return Status::Ok();
}

void Revocations::SetLearned(const std::string& key, int64_t learned_ms) {
  auto it = by_key_.find(key);
  if (it != by_key_.end()) it->second.learned_ms = learned_ms;
}

const Revocation* Revocations::Find(std::string_view unit, uint64_t epoch) const {
  auto it = by_key_.find(RevocationKey(unit, epoch));
  return it == by_key_.end() ? nullptr : &it->second;
}

}  // namespace hoso
