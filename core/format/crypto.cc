#include "core/format/crypto.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>
#include <cstring>

namespace hoso {

Hash Sha256(std::string_view data) {
  // SHA256() fetches the algorithm from the provider on every call, which costs as much as
  // hashing a 250-byte event; one fetch per process and one context per thread halve the cost.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct Context {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ~Context() { EVP_MD_CTX_free(ctx); }
  };
  thread_local Context local;
  Hash h;
  unsigned int len = 0;
  if (!md || !local.ctx || EVP_DigestInit_ex2(local.ctx, md, nullptr) != 1 ||
      EVP_DigestUpdate(local.ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(local.ctx, h.data(), &len) != 1) {
    // Only an OpenSSL without SHA-256 gets here; the one-shot call reports the same failure.
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), h.data());
  }
  return h;
}

Hash HashFromView(std::string_view bytes32) {
  Hash h{};
  std::memcpy(h.data(), bytes32.data(), std::min(bytes32.size(), h.size()));
  return h;
}

std::string Hex(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

Result<std::string> FromHex(std::string_view hex) {
  if (hex.size() % 2) return Status::InvalidArgument("hex string of odd length");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return Status::InvalidArgument("not a hex digit in hex string");
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

namespace {
std::string OpenSslError(const char* what) {
  unsigned long e = ERR_get_error();
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return std::string(what) + ": " + buf;
}

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
}  // namespace

struct SigningKey::Impl {
  PkeyPtr pkey;
};

Result<SigningKey> SigningKey::FromRaw(std::string_view seed32) {
  if (seed32.size() != 32) return Status::InvalidArgument("Ed25519 private key must be 32 bytes");
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(seed32.data()), 32));
  if (!pkey) return Status::InvalidArgument(OpenSslError("loading Ed25519 key"));
  std::string pub(kPublicKeySize, '\0');
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), reinterpret_cast<unsigned char*>(pub.data()), &len) !=
      1) {
    return Status::Corruption(OpenSslError("deriving Ed25519 public key"));
  }
  SigningKey key;
  key.impl_ = std::make_shared<Impl>();
  key.impl_->pkey = std::move(pkey);
  key.public_key_ = std::move(pub);
  return key;
}

Result<SigningKey> SigningKey::Generate() {
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
  if (!raw) return Status::IOError(OpenSslError("generating Ed25519 key"));
  PkeyPtr pkey(raw);
  std::string seed(32, '\0');
  size_t len = seed.size();
  if (EVP_PKEY_get_raw_private_key(pkey.get(), reinterpret_cast<unsigned char*>(seed.data()),
                                   &len) != 1) {
    return Status::IOError(OpenSslError("reading Ed25519 key"));
  }
  return FromRaw(seed);
}

Result<std::string> SigningKey::raw_private() const {
  std::string seed(32, '\0');
  size_t len = seed.size();
  if (!impl_ || EVP_PKEY_get_raw_private_key(
                    impl_->pkey.get(), reinterpret_cast<unsigned char*>(seed.data()), &len) != 1) {
    return Status::FailedPrecondition("no private key");
  }
  return seed;
}

Result<std::string> SigningKey::Sign(std::string_view message) const {
  if (!impl_) return Status::FailedPrecondition("signing with an empty key");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, impl_->pkey.get()) != 1) {
    return Status::IOError(OpenSslError("Ed25519 sign init"));
  }
  std::string sig(kSignatureSize, '\0');
  size_t len = sig.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1) {
    return Status::IOError(OpenSslError("Ed25519 sign"));
  }
  return sig;
}

namespace {
// The decoded keys of the last origins this thread verified: an audit or a sync session checks
// many signatures of few origins, and decoding the key each time cost about 5-10% of a check
// (core_bench ed25519_verify_per_s: 9,584-10,162 a second before, 10,587-10,655 after).
EVP_PKEY* CachedPublicKey(std::string_view public_key) {
  struct Entry {
    std::string raw;
    PkeyPtr key;
  };
  thread_local std::array<Entry, 8> cache;
  thread_local size_t next = 0;
  for (auto& e : cache) {
    if (e.key && e.raw == public_key) return e.key.get();
  }
  Entry& e = cache[next++ % cache.size()];
  e.key.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                          reinterpret_cast<const unsigned char*>(public_key.data()),
                                          public_key.size()));
  e.raw = e.key ? std::string(public_key) : std::string();
  return e.key.get();
}
}  // namespace

Status VerifyEd25519(std::string_view public_key, std::string_view message,
                     std::string_view signature) {
  if (public_key.size() != kPublicKeySize) {
    return Status::InvalidArgument("Ed25519 public key must be 32 bytes");
  }
  if (signature.size() != kSignatureSize) {
    return Status::Corruption("Ed25519 signature must be 64 bytes");
  }
  EVP_PKEY* pkey = CachedPublicKey(public_key);
  if (!pkey) return Status::InvalidArgument(OpenSslError("loading Ed25519 public key"));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey) != 1) {
    return Status::IOError(OpenSslError("Ed25519 verify init"));
  }
  int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(),
                            reinterpret_cast<const unsigned char*>(message.data()), message.size());
  ERR_clear_error();
  if (rc != 1) return Status::Corruption("bad Ed25519 signature");
  return Status::Ok();
}

}  // namespace hoso
