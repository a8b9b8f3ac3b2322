#include "core/format/document.h"

#include <algorithm>

#include "core/base/coding.h"
#include "core/format/aead.h"

namespace hoso {
namespace {

constexpr std::string_view kKeyLabel("hoso document key\0", 18);
constexpr std::string_view kChunkLabel("hoso document chunk\0", 20);

std::string ChunkNonce(size_t i) {
  std::string nonce(4, '\0');
  PutBig64(&nonce, i);
  return nonce;
}

std::string ChunkAad(const Hash& sha256, size_t i) {
  std::string aad(kChunkLabel);
  aad += AsView(sha256);
  PutBig64(&aad, i);
  return aad;
}

}  // namespace

size_t DocumentChunkCount(uint64_t size) {
  return size == 0 ? 1 : static_cast<size_t>((size + kDocumentChunkSize - 1) / kDocumentChunkSize);
}

size_t ChunkPlainSize(uint64_t size, size_t i) {
  uint64_t start = static_cast<uint64_t>(i) * kDocumentChunkSize;
  if (start >= size) return 0;
  return static_cast<size_t>(std::min<uint64_t>(kDocumentChunkSize, size - start));
}

size_t SealedChunkSize(uint64_t size, size_t i) {
  return ChunkPlainSize(size, i) + kChunkSealOverhead;
}

cbor::Value DocumentRefValue(const DocumentRef& ref) {
  cbor::Value chunks = cbor::Value::Array();
  for (const Hash& h : ref.chunks) chunks.items().push_back(cbor::Value::Bytes(AsView(h)));
  cbor::Value v = cbor::Value::Map();
  v.Set("sha256", cbor::Value::Bytes(AsView(ref.sha256)));
  v.Set("size", cbor::Value::Uint(ref.size));
  v.Set("chunks", std::move(chunks));
  return v;
}

Result<DocumentRef> ParseDocumentRef(const cbor::Value& v) {
  if (!v.is_map() || v.items().size() != 6) {
    return Status::InvalidArgument("a document reference is a map of sha256, size and chunks");
  }
  const cbor::Value *sha = v.Find("sha256"), *size = v.Find("size"), *chunks = v.Find("chunks");
  if (!sha || !size || !chunks) {
    return Status::InvalidArgument("a document reference has exactly sha256, size and chunks");
  }
  if (!sha->is_bytes() || sha->str().size() != 32) {
    return Status::InvalidArgument("a document's sha256 is 32 bytes");
  }
  if (!size->is_uint() || size->uint() > kMaxDocumentBytes) {
    return Status::InvalidArgument("a document's size is an integer of at most " +
                                   std::to_string(kMaxDocumentBytes) + " bytes");
  }
  DocumentRef ref;
  ref.sha256 = HashFromView(sha->str());
  ref.size = size->uint();
  const size_t want = DocumentChunkCount(ref.size);
  if (!chunks->is_array() || chunks->items().size() != want) {
    return Status::InvalidArgument("a document of " + std::to_string(ref.size) + " bytes has " +
                                   std::to_string(want) + " chunk names");
  }
  for (const cbor::Value& c : chunks->items()) {
    if (!c.is_bytes() || c.str().size() != 32) {
      return Status::InvalidArgument("a chunk name is 32 bytes");
    }
    ref.chunks.push_back(HashFromView(c.str()));
  }
  // Each chunk is sealed with its own index in its nonce and aad: no two are alike, so a
  // name listed twice is no document's (it would make a store want one chunk at two sizes).
  std::vector<Hash> sorted = ref.chunks;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return Status::InvalidArgument("a document reference names a chunk twice");
  }
  return ref;
}

Result<SealedDocument> SealDocument(std::string_view plaintext) {
  if (plaintext.size() > kMaxDocumentBytes) {
    return Status::InvalidArgument("a document is at most " + std::to_string(kMaxDocumentBytes) +
                                   " bytes");
  }
  SealedDocument out;
  out.ref.sha256 = Sha256(plaintext);
  out.ref.size = plaintext.size();
  std::string label(kKeyLabel);
  label += plaintext;
  Hash key = Sha256(label);
  label.clear();
  label.shrink_to_fit();
  out.key = std::string(AsView(key));
  const size_t n = DocumentChunkCount(out.ref.size);
  for (size_t i = 0; i < n; ++i) {
    std::string_view chunk = plaintext.substr(std::min(plaintext.size(), i * kDocumentChunkSize),
                                              ChunkPlainSize(out.ref.size, i));
    HOSO_ASSIGN_OR_RETURN(std::string sealed, SealAes256GcmWithNonce(out.key, ChunkNonce(i), chunk,
                                                                     ChunkAad(out.ref.sha256, i)));
    out.ref.chunks.push_back(Sha256(sealed));
    out.sealed.push_back(std::move(sealed));
  }
  return out;
}

Result<std::string> OpenDocumentChunk(const DocumentRef& ref, std::string_view key, size_t i,
                                      std::string_view sealed) {
  if (i >= ref.chunks.size()) return Status::InvalidArgument("no such chunk");
  if (sealed.size() != SealedChunkSize(ref.size, i) || Sha256(sealed) != ref.chunks[i]) {
    return Status::Corruption("chunk " + std::to_string(i) + " of document " + Hex(ref.sha256) +
                              " is not the one its reference names");
  }
  auto plain = OpenAes256Gcm(key, sealed, ChunkAad(ref.sha256, i));
  if (!plain.ok()) {
    return Status::Corruption("chunk " + std::to_string(i) + " of document " + Hex(ref.sha256) +
                              " does not open under its key");
  }
  return plain;
}

Result<std::string> OpenDocument(
    const DocumentRef& ref, std::string_view key,
    const std::function<Result<std::string>(size_t i, const Hash& name)>& chunk) {
  std::string out;
  out.reserve(static_cast<size_t>(ref.size));
  for (size_t i = 0; i < ref.chunks.size(); ++i) {
    HOSO_ASSIGN_OR_RETURN(std::string sealed, chunk(i, ref.chunks[i]));
    HOSO_ASSIGN_OR_RETURN(std::string plain, OpenDocumentChunk(ref, key, i, sealed));
    out += plain;
  }
  if (out.size() != ref.size || Sha256(out) != ref.sha256) {
    return Status::Corruption("document " + Hex(ref.sha256) + " does not match its digest");
  }
  return out;
}

}  // namespace hoso
