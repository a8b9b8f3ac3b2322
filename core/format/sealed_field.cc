#include "core/format/sealed_field.h"

#include "core/format/aead.h"
#include "core/format/crypto.h"

namespace hoso {

namespace {

std::string FieldAad(std::string_view case_code, std::string_view field) {
  std::string aad = "hoso sealed field";
  aad.push_back('\0');
  aad += case_code;
  aad.push_back('\0');
  aad += field;
  return aad;
}

}  // namespace

Result<std::string> NewCaseKey() { return RandomBytes(kCaseKeySize); }

std::string CaseKeyId(std::string_view case_key) {
  std::string in = "hoso case key id";
  in.push_back('\0');
  in += case_key;
  Hash h = Sha256(in);
  return std::string(AsView(h).substr(0, kCaseKeyIdSize));
}

Result<std::string> SealField(std::string_view case_key, std::string_view case_code,
                              std::string_view field, std::string_view plain_cbor) {
  if (case_key.size() != kCaseKeySize) return Status::InvalidArgument("case key is not 32 bytes");
  HOSO_ASSIGN_OR_RETURN(std::string sealed,
                        SealAes256Gcm(case_key, plain_cbor, FieldAad(case_code, field)));
  std::string out(1, static_cast<char>(kSealedVersion));
  out += CaseKeyId(case_key);
  out += sealed;
  return out;
}

bool ParseSealedField(std::string_view bytes, std::string* key_id) {
  if (bytes.size() < kSealedFieldOverhead + 1) return false;  // CBOR values are never empty
  if (static_cast<uint8_t>(bytes[0]) != kSealedVersion) return false;
  if (key_id) key_id->assign(bytes.substr(1, kCaseKeyIdSize));
  return true;
}

Result<std::string> OpenSealedField(std::string_view case_key, std::string_view case_code,
                                    std::string_view field, std::string_view sealed) {
  std::string key_id;
  if (!ParseSealedField(sealed, &key_id)) {
    return Status::Corruption("field " + std::string(field) + " is not a sealed value");
  }
  if (case_key.size() != kCaseKeySize || key_id != CaseKeyId(case_key)) {
    return Status::Corruption("field " + std::string(field) + " is sealed under another key");
  }
  auto plain =
      OpenAes256Gcm(case_key, sealed.substr(1 + kCaseKeyIdSize), FieldAad(case_code, field));
  if (!plain.ok()) {
    return Status::Corruption("field " + std::string(field) + " of case " + std::string(case_code) +
                              " does not open: " + plain.status().message());
  }
  return plain;
}

}  // namespace hoso
