// Sealed fields: a personal field of an event, encrypted under its case's key (docs/privacy.md,
// docs/event-format.md "Sealed fields").
//
// In an event body a sealed field's value is a CBOR byte string holding
//   sealed   = 0x01 key_id(16) nonce(12) ciphertext tag(16)
//   key_id   = SHA-256("hoso case key id" 0x00 case_key)[0..16)
//   aad      = "hoso sealed field" 0x00 case_code 0x00 field_name      ; authenticated, not stored
// AES-256-GCM under the 32-byte case key; the plaintext is the canonical CBOR of the field's
// value. The aad binds the value to its case and field, so a sealed value copied to another
// case or field does not open. The event is signed and hashed over the sealed bytes: whoever
// lacks the key (or destroyed it) still verifies every chain and signature.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/base/status.h"

namespace hoso {

constexpr size_t kCaseKeySize = 32;
constexpr size_t kCaseKeyIdSize = 16;
constexpr uint8_t kSealedVersion = 0x01;
// 1 + key id + nonce + tag: a sealed value's size is its plaintext's plus this.
constexpr size_t kSealedFieldOverhead = 1 + kCaseKeyIdSize + 12 + 16;

// A fresh random case key.
[[nodiscard]] Result<std::string> NewCaseKey();
std::string CaseKeyId(std::string_view case_key);

// The sealed bytes of `plain_cbor` (the field's value, canonical CBOR).
[[nodiscard]] Result<std::string> SealField(std::string_view case_key, std::string_view case_code,
                                            std::string_view field, std::string_view plain_cbor);
// Whether `bytes` (a byte string's content) has a sealed value's shape; *key_id set when so.
bool ParseSealedField(std::string_view bytes, std::string* key_id = nullptr);
// The plaintext CBOR, or Corruption when it does not open (wrong key, case, field or bytes).
[[nodiscard]] Result<std::string> OpenSealedField(std::string_view case_key,
                                                  std::string_view case_code,
                                                  std::string_view field, std::string_view sealed);

}  // namespace hoso
