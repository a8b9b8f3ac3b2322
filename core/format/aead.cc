#include "core/format/aead.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <memory>

namespace hoso {
namespace {

Status OpenSslFailure(const char* what) {
  char buf[256] = "unknown error";
  if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return Status::IOError(std::string(what) + ": " + buf);
}

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* Bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

Status CheckKey(std::string_view key) {
  if (key.size() != kAeadKeySize) {
    return Status::InvalidArgument("an AES-256 key is 32 bytes, not " + std::to_string(key.size()));
  }
  return Status::Ok();
}

// The algorithms are fetched once per process: a fetch per call costs more than a small value.
const EVP_CIPHER* Gcm() {
  static EVP_CIPHER* const c = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return c;
}
const EVP_CIPHER* Ctr() {
  static EVP_CIPHER* const c = EVP_CIPHER_fetch(nullptr, "AES-256-CTR", nullptr);
  return c;
}

}  // namespace

Result<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(Bytes(out), static_cast<int>(n)) != 1) {
    return OpenSslFailure("random bytes");
  }
  return out;
}

Result<std::string> HkdfSha256(std::string_view key, std::string_view salt, std::string_view info,
                               size_t n) {
  std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr),
                                                        EVP_KDF_free);
  if (!kdf) return OpenSslFailure("HKDF");
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf.get()),
                                                                EVP_KDF_CTX_free);
  if (!ctx) return OpenSslFailure("HKDF context");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_octet_string(
                             OSSL_KDF_PARAM_KEY, const_cast<char*>(key.data()), key.size()),
                         OSSL_PARAM_construct_octet_string(
                             OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
                         OSSL_PARAM_construct_octet_string(
                             OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size()),
                         OSSL_PARAM_construct_end()};
  std::string out(n, '\0');
  if (EVP_KDF_derive(ctx.get(), Bytes(out), n, params) != 1) return OpenSslFailure("HKDF");
  return out;
}

Result<std::string> SealAes256Gcm(std::string_view key, std::string_view plaintext,
                                  std::string_view aad) {
  HOSO_ASSIGN_OR_RETURN(std::string nonce, RandomBytes(kGcmNonceSize));
  return SealAes256GcmWithNonce(key, nonce, plaintext, aad);
}

Result<std::string> SealAes256GcmWithNonce(std::string_view key, std::string_view nonce,
                                           std::string_view plaintext, std::string_view aad) {
  HOSO_RETURN_IF_ERROR(CheckKey(key));
  if (nonce.size() != kGcmNonceSize) {
    return Status::InvalidArgument("an AES-GCM nonce is 12 bytes, not " +
                                   std::to_string(nonce.size()));
  }
  std::string out(nonce);
  out.resize(kSealOverhead + plaintext.size());
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  unsigned char* body = Bytes(out) + kGcmNonceSize;
  if (!ctx || !Gcm() ||
      EVP_EncryptInit_ex2(ctx.get(), Gcm(), Bytes(key), Bytes(out), nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), body, &len, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), body + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagSize, body + plaintext.size()) !=
          1) {
    return OpenSslFailure("AES-256-GCM seal");
  }
  return out;
}

Result<std::string> OpenAes256Gcm(std::string_view key, std::string_view sealed,
                                  std::string_view aad) {
  HOSO_RETURN_IF_ERROR(CheckKey(key));
  if (sealed.size() < kSealOverhead) {
    return Status::Corruption("a sealed value is at least 28 bytes, not " +
                              std::to_string(sealed.size()));
  }
  const size_t n = sealed.size() - kSealOverhead;
  std::string out(n, '\0');
  std::string tag(sealed.substr(kGcmNonceSize + n));
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || !Gcm() ||
      EVP_DecryptInit_ex2(ctx.get(), Gcm(), Bytes(key), Bytes(sealed), nullptr) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), Bytes(out), &len, Bytes(sealed) + kGcmNonceSize,
                        static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagSize, Bytes(tag)) != 1) {
    return OpenSslFailure("AES-256-GCM open");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), Bytes(out) + len, &len) != 1) {
    ERR_clear_error();
    return Status::Corruption("sealed value does not verify: wrong key, or altered");
  }
  return out;
}

Status Aes256CtrAt(std::string_view key, const std::array<uint8_t, kCtrIvSize>& iv, uint64_t offset,
                   char* data, size_t n) {
  HOSO_RETURN_IF_ERROR(CheckKey(key));
  // The counter block of byte `offset` is iv + offset / 16, as a 128-bit big-endian sum.
  std::array<uint8_t, kCtrIvSize> counter = iv;
  uint64_t add = offset / kCtrIvSize;
  for (int i = kCtrIvSize - 1; i >= 0 && add; --i) {
    uint64_t sum = counter[i] + (add & 0xff);
    counter[i] = static_cast<uint8_t>(sum);
    add = (add >> 8) + (sum >> 8);
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx || !Ctr() ||
      EVP_EncryptInit_ex2(ctx.get(), Ctr(), Bytes(key), counter.data(), nullptr) != 1) {
    return OpenSslFailure("AES-256-CTR");
  }
  int len = 0;
  // Skip the key stream before `offset` within its block.
  if (size_t skip = offset % kCtrIvSize) {
    unsigned char discard[kCtrIvSize] = {};
    if (EVP_EncryptUpdate(ctx.get(), discard, &len, discard, static_cast<int>(skip)) != 1) {
      return OpenSslFailure("AES-256-CTR");
    }
  }
  auto* p = reinterpret_cast<unsigned char*>(data);
  while (n > 0) {
    int chunk = static_cast<int>(std::min<size_t>(n, 1 << 30));
    if (EVP_EncryptUpdate(ctx.get(), p, &len, p, chunk) != 1) return OpenSslFailure("AES-256-CTR");
    p += chunk;
    n -= chunk;
  }
  return Status::Ok();
}

}  // namespace hoso
