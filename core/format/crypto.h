// Hashing (SHA-256) and signing (Ed25519) through OpenSSL 3.
//
// Hash is a 32-byte SHA-256 digest; it names events (event id = SHA-256 of the canonical
// bytes) and fingerprints states. SigningKey holds an Ed25519 private key and signs with the
// EVP one-shot API; VerifyEd25519 checks a signature against a raw 32-byte public key.
// Thread-safety: all functions are reentrant; a SigningKey may be used by one thread at a
// time (it owns an EVP_PKEY whose use OpenSSL allows concurrently, but we do not rely on it).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace hoso {

using Hash = std::array<uint8_t, 32>;

Hash Sha256(std::string_view data);
// acc ^= h: fingerprints of sets (a channel's: the XOR of its cases' digests) are built and
// updated with it, in the store, the audit and the replay alike.
inline void XorInto(Hash* acc, const Hash& h) {
  for (size_t i = 0; i < acc->size(); ++i) (*acc)[i] ^= h[i];
}
inline std::string_view AsView(const Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}
Hash HashFromView(std::string_view bytes32);  // precondition: 32 bytes
std::string Hex(std::string_view bytes);
inline std::string Hex(const Hash& h) { return Hex(AsView(h)); }
Result<std::string> FromHex(std::string_view hex);

constexpr size_t kPublicKeySize = 32;
constexpr size_t kSignatureSize = 64;

class SigningKey {
 public:
  static Result<SigningKey> Generate();
  // From the 32-byte raw private key (RFC 8032 seed).
  static Result<SigningKey> FromRaw(std::string_view seed32);

  // Raw 32-byte public and private keys.
  const std::string& public_key() const { return public_key_; }
  Result<std::string> raw_private() const;
  Result<std::string> Sign(std::string_view message) const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
  std::string public_key_;
};

Status VerifyEd25519(std::string_view public_key, std::string_view message,
                     std::string_view signature);

}  // namespace hoso
