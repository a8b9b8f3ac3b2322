// Receipts: a parent's signed statement of the heads it holds of the streams a child
// delivered, so the child (and an auditor) can prove what was delivered, to whom, and when.
//
//   receipt   = ["hoso/receipt/v1", holder: tstr, holder_epoch: uint, at_ms: uint,
//                for: tstr, for_epoch: uint, heads: [* head]]      ; canonical CBOR
//   head      = [channel: tstr, origin: tstr, epoch: uint, seq: uint, id: bstr .size 32]
//   signature = Ed25519 by the holder's node key over "hoso/receipt/v1" 0x00 || receipt
//
// In a session (docs/sync-protocol.md) the child sends RECEIPT_REQUEST once everything it
// sent is acknowledged; the parent answers RECEIPT with the heads it now holds of every
// stream the child delivered in that session. The child verifies it with the parent's
// certificate key and keeps it in its store.
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/base/status.h"
#include "core/format/crypto.h"
#include "core/format/event.h"
#include "core/log/store.h"

namespace hoso::sync {

struct Receipt {
  std::string holder;
  uint64_t holder_epoch = 0;
  int64_t at_ms = 0;
  std::string for_unit;
  uint64_t for_epoch = 0;
  std::vector<std::pair<StreamKey, StreamHead>> heads;  // seq and id used
};

std::string EncodeReceipt(const Receipt& r);
Result<Receipt> DecodeReceipt(std::string_view body);
Result<std::string> SignReceipt(std::string_view body, const SigningKey& key);
Status VerifyReceipt(std::string_view body, std::string_view signature,
                     std::string_view public_key);

}  // namespace hoso::sync
