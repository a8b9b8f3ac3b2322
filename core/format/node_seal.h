// Sealing to a node: bytes only the holder of a node's Ed25519 key can open, for what travels
// outside a TLS session (the case keys in a bundle on a USB stick; docs/bundle-format.md).
//
// The node's Ed25519 key is used as its X25519 key, as age does for ssh-ed25519 recipients:
//   x25519_public  = (1 + y) / (1 - y) mod 2^255 - 19   ; y of the Ed25519 public key (RFC 7748)
//   x25519_private = SHA-512(ed25519_seed)[0..32)        ; the Ed25519 secret scalar, clamped
// and the sealed form is
//   sealed   = ephemeral(32) nonce(12) ciphertext tag(16)
//   key      = HKDF-SHA256(X25519(ephemeral_private, recipient), salt = ephemeral ||
//                          recipient_x25519_public, info = "hoso node seal v1", 32)
// AES-256-GCM under `key` (core/format/aead.h), with the caller's aad. Every seal draws a new
// ephemeral key: nothing but the recipient's key opens it, not even the sender's.
// Thread-safety: reentrant functions.
#pragma once

#include <string>
#include <string_view>

#include "core/base/status.h"
#include "core/format/crypto.h"

namespace hoso {

// The X25519 public key of a node whose Ed25519 public key is `ed25519_public` (32 bytes).
[[nodiscard]] Result<std::string> NodeX25519Public(std::string_view ed25519_public);

[[nodiscard]] Result<std::string> SealToNode(std::string_view ed25519_public,
                                             std::string_view plaintext, std::string_view aad);
// Corruption when it does not open (another node's, altered, another aad).
[[nodiscard]] Result<std::string> OpenAsNode(const SigningKey& node_key, std::string_view sealed,
                                             std::string_view aad);

}  // namespace hoso
