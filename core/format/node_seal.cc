#include "core/format/node_seal.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <memory>

#include "core/format/aead.h"

namespace hoso {

namespace {

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)>;
using BnPtr = std::unique_ptr<BIGNUM, decltype(&BN_free)>;
using BnCtxPtr = std::unique_ptr<BN_CTX, decltype(&BN_CTX_free)>;

constexpr size_t kKey = 32;

std::string Reversed(std::string_view s) { return std::string(s.rbegin(), s.rend()); }

Result<std::string> RawPublic(EVP_PKEY* pkey) {
  std::string out(kKey, '\0');
  size_t n = out.size();
  if (EVP_PKEY_get_raw_public_key(pkey, reinterpret_cast<unsigned char*>(out.data()), &n) != 1 ||
      n != kKey) {
    return Status::Corruption("cannot read an X25519 public key");
  }
  return out;
}

Result<std::string> Derive(EVP_PKEY* mine, std::string_view peer_public) {
  PkeyPtr peer(EVP_PKEY_new_raw_public_key(
                   EVP_PKEY_X25519, nullptr,
                   reinterpret_cast<const unsigned char*>(peer_public.data()), peer_public.size()),
               EVP_PKEY_free);
  CtxPtr ctx(EVP_PKEY_CTX_new(mine, nullptr), EVP_PKEY_CTX_free);
  std::string shared(kKey, '\0');
  size_t n = shared.size();
  if (!peer || !ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(shared.data()), &n) != 1 ||
      n != kKey) {
    return Status::Corruption("X25519 key agreement failed");
  }
  // An all-zero result means a low-order point: no secret was agreed.
  if (std::all_of(shared.begin(), shared.end(), [](char c) { return c == 0; })) {
    return Status::Corruption("X25519 key agreement with a low-order point");
  }
  return shared;
}

Result<std::string> SealKey(std::string_view shared, std::string_view ephemeral,
                            std::string_view recipient) {
  return HkdfSha256(shared, std::string(ephemeral) + std::string(recipient), "hoso node seal v1",
                    kKey);
}

}  // namespace

Result<std::string> NodeX25519Public(std::string_view ed25519_public) {
  if (ed25519_public.size() != kKey) return Status::InvalidArgument("not an Ed25519 public key");
  std::string y_le(ed25519_public);
  y_le[31] = static_cast<char>(static_cast<uint8_t>(y_le[31]) & 0x7f);  // the sign of x
  BnCtxPtr ctx(BN_CTX_new(), BN_CTX_free);
  BnPtr p(BN_new(), BN_free), y(nullptr, BN_free), one(BN_new(), BN_free), num(BN_new(), BN_free),
      den(BN_new(), BN_free), u(BN_new(), BN_free);
  std::string be = Reversed(y_le);
  y.reset(BN_bin2bn(reinterpret_cast<const unsigned char*>(be.data()), kKey, nullptr));
  if (!ctx || !p || !y || !one || !num || !den || !u || !BN_set_word(one.get(), 1) ||
      !BN_lshift(p.get(), one.get(), 255) || !BN_sub_word(p.get(), 19) ||
      BN_cmp(y.get(), p.get()) >= 0 ||
      !BN_mod_add(num.get(), one.get(), y.get(), p.get(), ctx.get()) ||
      !BN_mod_sub(den.get(), one.get(), y.get(), p.get(), ctx.get()) || BN_is_zero(den.get()) ||
      !BN_mod_inverse(den.get(), den.get(), p.get(), ctx.get()) ||
      !BN_mod_mul(u.get(), num.get(), den.get(), p.get(), ctx.get())) {
    return Status::InvalidArgument("not an Ed25519 public key of this curve");
  }
  std::string u_be(kKey, '\0');
  if (BN_bn2binpad(u.get(), reinterpret_cast<unsigned char*>(u_be.data()), kKey) != kKey) {
    return Status::InvalidArgument("not an Ed25519 public key of this curve");
  }
  return Reversed(u_be);
}

Result<std::string> SealToNode(std::string_view ed25519_public, std::string_view plaintext,
                               std::string_view aad) {
  HOSO_ASSIGN_OR_RETURN(std::string recipient, NodeX25519Public(ed25519_public));
  CtxPtr gen(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!gen || EVP_PKEY_keygen_init(gen.get()) != 1 || EVP_PKEY_keygen(gen.get(), &raw) != 1) {
    return Status::IOError("cannot make an X25519 key");
  }
  PkeyPtr ephemeral(raw, EVP_PKEY_free);
  HOSO_ASSIGN_OR_RETURN(std::string ephemeral_public, RawPublic(ephemeral.get()));
  HOSO_ASSIGN_OR_RETURN(std::string shared, Derive(ephemeral.get(), recipient));
  HOSO_ASSIGN_OR_RETURN(std::string key, SealKey(shared, ephemeral_public, recipient));
  HOSO_ASSIGN_OR_RETURN(std::string sealed, SealAes256Gcm(key, plaintext, aad));
  return ephemeral_public + sealed;
}

Result<std::string> OpenAsNode(const SigningKey& node_key, std::string_view sealed,
                               std::string_view aad) {
  if (sealed.size() < kKey + kSealOverhead) return Status::Corruption("sealed bytes too short");
  HOSO_ASSIGN_OR_RETURN(std::string seed, node_key.raw_private());
  unsigned char digest[SHA512_DIGEST_LENGTH];
  SHA512(reinterpret_cast<const unsigned char*>(seed.data()), seed.size(), digest);
  PkeyPtr mine(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, digest, kKey), EVP_PKEY_free);
  OPENSSL_cleanse(digest, sizeof(digest));
  OPENSSL_cleanse(seed.data(), seed.size());
  if (!mine) return Status::Corruption("cannot use the node key for X25519");
  HOSO_ASSIGN_OR_RETURN(std::string recipient, RawPublic(mine.get()));
  std::string_view ephemeral = sealed.substr(0, kKey);
  HOSO_ASSIGN_OR_RETURN(std::string shared, Derive(mine.get(), ephemeral));
  HOSO_ASSIGN_OR_RETURN(std::string key, SealKey(shared, ephemeral, recipient));
  return OpenAes256Gcm(key, sealed.substr(kKey), aad);
}

}  // namespace hoso
