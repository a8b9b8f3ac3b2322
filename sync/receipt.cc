#include "sync/receipt.h"

namespace hoso::sync {
namespace {

constexpr std::string_view kReceiptMagic = "hoso/receipt/v1";

std::string SignedMessage(std::string_view body) {
  std::string m(kReceiptMagic);
  m.push_back('\0');
  m.append(body);
  return m;
}

}  // namespace

std::string EncodeReceipt(const Receipt& r) {
  cbor::Value v = cbor::Value::Array();
  v.Append(cbor::Value::Text(kReceiptMagic));
  v.Append(cbor::Value::Text(r.holder));
  v.Append(cbor::Value::Uint(r.holder_epoch));
  v.Append(cbor::Value::Uint(static_cast<uint64_t>(r.at_ms)));
  v.Append(cbor::Value::Text(r.for_unit));
  v.Append(cbor::Value::Uint(r.for_epoch));
  cbor::Value heads = cbor::Value::Array();
  for (const auto& [stream, head] : r.heads) {
    cbor::Value h = cbor::Value::Array();
    h.Append(cbor::Value::Text(stream.channel));
    h.Append(cbor::Value::Text(stream.origin));
    h.Append(cbor::Value::Uint(stream.epoch));
    h.Append(cbor::Value::Uint(head.seq));
    h.Append(cbor::Value::Bytes(AsView(head.id)));
    heads.Append(std::move(h));
  }
  v.Append(std::move(heads));
  return cbor::Encode(v);
}

Result<Receipt> DecodeReceipt(std::string_view body) {
  HOSO_ASSIGN_OR_RETURN(cbor::Value v, cbor::Decode(body));
  const auto bad = Status::InvalidArgument("malformed receipt");
  if (!v.is_array() || v.size() != 7) return bad;
  const auto& f = v.items();
  if (!f[0].is_text() || f[0].str() != kReceiptMagic || !f[1].is_text() || !f[2].is_uint() ||
      !f[3].is_uint() || !f[4].is_text() || !f[5].is_uint() || !f[6].is_array()) {
    return bad;
  }
  Receipt r{f[1].str(), f[2].uint(), static_cast<int64_t>(f[3].uint()),
            f[4].str(), f[5].uint(), {}};
  for (const auto& h : f[6].items()) {
    if (!h.is_array() || h.size() != 5) return bad;
    const auto& x = h.items();
    if (!x[0].is_text() || !x[1].is_text() || !x[2].is_uint() || !x[3].is_uint() ||
        !x[4].is_bytes() || x[4].str().size() != 32) {
      return bad;
    }
    r.heads.push_back({{x[0].str(), x[1].str(), x[2].uint()},
                       StreamHead{x[3].uint(), HashFromView(x[4].str()), false}});
  }
  return r;
}

Result<std::string> SignReceipt(std::string_view body, const SigningKey& key) {
  return key.Sign(SignedMessage(body));
}

Status VerifyReceipt(std::string_view body, std::string_view signature,
                     std::string_view public_key) {
  return VerifyEd25519(public_key, SignedMessage(body), signature);
}

}  // namespace hoso::sync
