#include "core/log/erasure.h"

namespace hoso {

cbor::Value ErasureBody(std::string_view decision, std::string_view ground) {
  cbor::Value body = cbor::Value::Map();
  body.Set("decision", cbor::Value::Text(decision));
  body.Set("ground", cbor::Value::Text(ground));
  return body;
}

Status ValidateErasureEvent(const Event& e) {
  std::string where = "erasure event " + e.stream.ToString() + " seq " + std::to_string(e.seq);
  if (e.type != kEraseType) {
    return Status::InvalidArgument(where + ": unknown erasure event type '" + e.type + "'");
  }
  HOSO_RETURN_IF_ERROR(ValidateName("case code", e.case_code).Annotate(where));
  if (!e.body.is_map() || e.body.items().size() != 4) {
    return Status::InvalidArgument(where + ": body must hold exactly decision and ground");
  }
  for (auto [field, max] : {std::pair<std::string_view, size_t>{"decision", kMaxErasureDecision},
                            {"ground", kMaxErasureGround}}) {
    const cbor::Value* v = e.body.Find(field);
    if (!v || !v->is_text() || v->str().empty() || v->str().size() > max) {
      return Status::InvalidArgument(where + ": body." + std::string(field) +
                                     " must be text of 1 to " + std::to_string(max) + " bytes");
    }
  }
  return Status::Ok();
}

}  // namespace hoso
