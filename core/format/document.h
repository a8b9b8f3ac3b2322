// Documents: a file of a case (a scan, a photo, an electronic result), content-addressed,
// chunked and sealed so that it can be stored once, travel chunk by chunk over bad links,
// be verified by any holder and be read only by who holds its case's key (docs/documents.md).
//
//   doc_key     = SHA-256("hoso document key" 0x00 plaintext)        ; convergent: same file,
//                                                                    ; same chunks, stored once
//   chunk_i     = plaintext[i*262144 .. (i+1)*262144)                ; the last may be shorter
//   sealed_i    = nonce_i ciphertext_i tag_i                         ; AES-256-GCM under doc_key
//   nonce_i     = 0x00000000 be64(i)
//   aad_i       = "hoso document chunk" 0x00 sha256 be64(i)
//   chunk name  = SHA-256(sealed_i)                                  ; what holders verify
//   docref      = {"sha256": bstr32, "size": uint, "chunks": [+ bstr32]}  ; canonical CBOR map,
//                                                                    ; exactly these keys
// sha256 is the plaintext's digest, size its length; chunks has ceil(size / 262144) names
// (one for an empty file, whose only chunk is empty). The attaching event carries the docref
// in clear (relays and the audit verify chunks without any key) and the doc_key as a sealed
// field (core/format/sealed_field.h): the file is readable exactly where its case's personal
// fields are, and an erasure of the case makes it unreadable everywhere.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"
#include "core/format/cbor.h"
#include "core/format/crypto.h"

namespace hoso {

constexpr size_t kDocumentChunkSize = 256 * 1024;
// The largest document the format allows (a node's own limit is lower, set in its config):
// its docref then stays well inside an event (core/format/event.h kMaxEventBytes).
constexpr uint64_t kMaxDocumentBytes = 128ull << 20;
constexpr size_t kMaxDocumentChunks = kMaxDocumentBytes / kDocumentChunkSize;
// nonce + tag: a sealed chunk is its plaintext and this.
constexpr size_t kChunkSealOverhead = 28;
constexpr size_t kMaxSealedChunkBytes = kDocumentChunkSize + kChunkSealOverhead;
constexpr size_t kDocumentKeySize = 32;

struct DocumentRef {
  Hash sha256{};
  uint64_t size = 0;
  std::vector<Hash> chunks;
};

// The number of chunks of a document of `size` bytes, and the plaintext and sealed sizes of
// its chunk i (i < count).
size_t DocumentChunkCount(uint64_t size);
size_t ChunkPlainSize(uint64_t size, size_t i);
size_t SealedChunkSize(uint64_t size, size_t i);

cbor::Value DocumentRefValue(const DocumentRef& ref);
// A docref as an event carries it, checked in full: the three keys and nothing else, a
// 32-byte digest, a size within kMaxDocumentBytes, and as many 32-byte names as the size
// needs. InvalidArgument names what is wrong.
[[nodiscard]] Result<DocumentRef> ParseDocumentRef(const cbor::Value& v);

struct SealedDocument {
  DocumentRef ref;
  std::string key;                  // doc_key, 32 bytes
  std::vector<std::string> sealed;  // sealed_i, in order
};
[[nodiscard]] Result<SealedDocument> SealDocument(std::string_view plaintext);

// Chunk i of the document, opened and checked against its name first. Corruption when the
// bytes are not the chunk the docref names, or do not open under the key.
[[nodiscard]] Result<std::string> OpenDocumentChunk(const DocumentRef& ref, std::string_view key,
                                                    size_t i, std::string_view sealed);
// The whole plaintext from its sealed chunks (fetched by `chunk`), checked chunk by chunk and
// then against sha256 and size.
[[nodiscard]] Result<std::string> OpenDocument(
    const DocumentRef& ref, std::string_view key,
    const std::function<Result<std::string>(size_t i, const Hash& name)>& chunk);

}  // namespace hoso
