// Symmetric cryptography for data at rest, through OpenSSL 3: random bytes, HKDF-SHA256 key
// derivation, AES-256-GCM sealing of values, and AES-256-CTR for the store's files.
//
// Sealed value (docs/privacy.md):
//   sealed = nonce ciphertext tag     ; nonce: 12 random bytes; tag: 16 bytes
// The additional data (aad) is authenticated, not stored: the caller names what the value is
// (a case and field), so a sealed value moved to another place does not open.
// Thread-safety: every function is reentrant.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace hoso {

constexpr size_t kAeadKeySize = 32;  // AES-256
constexpr size_t kGcmNonceSize = 12;
constexpr size_t kGcmTagSize = 16;
constexpr size_t kSealOverhead = kGcmNonceSize + kGcmTagSize;
constexpr size_t kCtrIvSize = 16;

// n bytes from OpenSSL's CSPRNG.
[[nodiscard]] Result<std::string> RandomBytes(size_t n);

// HKDF-SHA256 (RFC 5869) of `key` into n bytes (n <= 8,160).
[[nodiscard]] Result<std::string> HkdfSha256(std::string_view key, std::string_view salt,
                                             std::string_view info, size_t n);

// AES-256-GCM with a fresh random nonce; key: 32 bytes.
[[nodiscard]] Result<std::string> SealAes256Gcm(std::string_view key, std::string_view plaintext,
                                                std::string_view aad);
// The same with a nonce the caller chose (12 bytes), which must never repeat under one key for
// different plaintexts: a document chunk's nonce is its index under a key derived from the
// document's content (core/format/document.h).
[[nodiscard]] Result<std::string> SealAes256GcmWithNonce(std::string_view key,
                                                         std::string_view nonce,
                                                         std::string_view plaintext,
                                                         std::string_view aad);
// The plaintext, or Corruption when the tag does not verify (wrong key, aad or altered bytes).
[[nodiscard]] Result<std::string> OpenAes256Gcm(std::string_view key, std::string_view sealed,
                                                std::string_view aad);

// XORs data[0..n) with the AES-256-CTR key stream at byte `offset` of a stream whose first
// counter block is `iv` (incremented as a 128-bit big-endian integer), in place. Encryption and
// decryption are the same operation.
[[nodiscard]] Status Aes256CtrAt(std::string_view key, const std::array<uint8_t, kCtrIvSize>& iv,
                                 uint64_t offset, char* data, size_t n);

}  // namespace hoso
