// Bundles: a scope's streams in a file, for offices with no link (a USB stick sent by post).
//
// A bundle is a CBOR sequence (RFC 8742) of canonical items (docs/bundle-format.md):
//
//   bundle  = header *origin *([keys] batch) *chunk trailer
//   header  = [magic, scope: tstr, exporter: tstr, exporter_epoch: uint, created_ms: uint]
//   magic   = "hoso/bundle/v1" | "hoso/bundle/v2" | "hoso/bundle/v3"
//             ; v2: it holds keys records; v3: chunk records (and maybe keys records)
//   origin  = [1, unit: tstr, epoch: uint, public_key: bstr .size 32, certificate: tstr]
//   batch   = [2, channel: tstr, origin: tstr, epoch: uint, head_seq: uint,
//              signature: bstr .size 64, events: [+ bstr]]   ; events end at head_seq
//   keys    = [4, [1*16 [recipient: tstr, recipient_epoch: uint, sealed: bstr]]]
//             ; for the batch that follows it
//   sealed  = SealToNode(recipient's node key, canonical [+ [case: tstr, key: bstr .size 32]],
//                        aad = "hoso/bundle/keys" 0x00 recipient 0x00 decimal(epoch))
//             (core/format/node_seal.h): the case keys of the batch's sealed fields, sealed
//             to each node that may hold the scope (its unit and the unit's ancestors, those
//             whose node key the exporter holds), which alone can open them
//   chunk   = [5, name: bstr .size 32, sealed: bstr]   ; a document's chunk (v3 only)
//   trailer = [3, batches: uint, events: uint, digest: bstr .size 32]
//   digest  = SHA-256 of every byte before the trailer
//
// Batches are the same units sync sends: consecutive events of one stream ending at a head
// the origin signed; system channels come first. Import verifies exactly as a sync session
// does (origin certificates against the CA, then Store::Ingest: canonical bytes, chain,
// signature, write rule, scope), refuses a truncated or altered file before storing anything,
// and is idempotent: events already held count as duplicates.
// Thread-safety: pure functions over a store.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "core/log/store.h"
#include "sync/session.h"

namespace hoso::sync {

struct BundleSummary {
  std::string scope, exporter;
  uint64_t exporter_epoch = 0;
  int64_t created_ms = 0;
  uint64_t origins = 0, streams = 0, batches = 0, events = 0;
  uint64_t keys = 0, key_records = 0;  // case keys sealed to the scope's node (export)
  // Documents' chunks carried (export: --with-documents), their bytes, and those named but
  // not written (not held here, or damaged).
  uint64_t chunks = 0, chunk_bytes = 0, chunks_missing = 0;
};

// The streams of `scope_unit`'s scope (and the system channels) beyond what `since` holds;
// `with_documents`: and the chunks held of the documents their events name (the whole file
// is built in memory: a bundle for the API's import holds at most 1 GiB).
Result<std::string> ExportBundle(const Store& store, const std::string& scope_unit,
                                 const VersionVector& since, BundleSummary* summary = nullptr,
                                 bool with_documents = false);

constexpr std::string_view kSystemScope = "$system";
// The largest bundle a node imports through its API (node/api_server.cc): an export with
// documents that would pass it is refused.
constexpr size_t kMaxBundleBytes = size_t{1} << 30;

struct ImportStats {
  BundleSummary bundle;
  uint64_t applied = 0, duplicates = 0;
  uint64_t keys = 0;                 // case keys opened (the store keeps those of its batches)
  uint64_t keys_for_another = 0;     // keys records sealed to another node than this one
  std::vector<std::string> refused;  // batches (and chunks) not stored, each with its reason
  // Chunks stored; already held; named by no case of this store's scope (not stored).
  uint64_t chunks = 0, chunk_duplicates = 0, chunks_unwanted = 0;
};

// The system channels alone (the directory, the revocations and the store's other system
// channels: the catalogue and the calendar of a case log), whole: the set-up bundle that
// `hoso ca issue` puts beside a new office's certificate so that the office works before its
// first sync. Its header's scope is "$system".
Result<std::string> ExportSystemBundle(const Store& store, BundleSummary* summary = nullptr);

// Checks a set-up bundle without a store, as far as a file can be checked: every stream is of
// a system channel ("$..."), VerifyBundle finds nothing (structure, digest, chains,
// signatures, origin certificates through `verify`), and every event passes the write rule
// against the directory the file carries: the root authority at its time (`root_unit`, the
// deployment's founding root, or its successor) wrote it. The error names the first problem.
// Returns the system channels the file carries.
Result<std::set<std::string>> CheckSystemBundle(std::string_view bytes,
                                                const OriginVerifier& verify,
                                                std::string_view root_unit,
                                                BundleSummary* summary = nullptr);

// Imports a set-up bundle into a node's store: CheckSystemBundle with the store's root unit,
// refusing the whole file on any problem (nothing stored), then ImportBundle, which ingests
// every batch as sync does (Store::Ingest: chain, signature, write rule, forks).
Result<ImportStats> ImportSystemBundle(Store& store, std::string_view bytes,
                                       const OriginVerifier& verify);

// Checks the whole file first (items, digest); then trusts origins through `verify` and
// ingests every batch. A batch that fails is reported and skipped; the others are stored.
// Then each chunk as a peer's (Store::PutReceivedChunk): one that does not hash to its name
// is refused and reported.
Result<ImportStats> ImportBundle(Store& store, std::string_view bytes,
                                 const OriginVerifier& verify);

// Checks a bundle on its own (no store): structure, digest, every stream's chain from its
// first event, every signature against the bundle's origin keys, and, with a CA, the origin
// certificates. Returns the problems found (empty: sound).
Result<std::vector<std::string>> VerifyBundle(std::string_view bytes, const OriginVerifier& verify,
                                              BundleSummary* summary);

}  // namespace hoso::sync
