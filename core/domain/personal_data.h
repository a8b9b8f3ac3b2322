// Personal data as clerks and auditors see it: a case's sealed fields opened with the store's
// keys and checked against their rule, or the reason they cannot be shown (docs/privacy.md).
//
// Erasure: the root's "case.erase" (core/log/erasure.h) destroys a case's keys on every holder;
// each holder then writes a "key.destroyed" event on the case itself (it may: whoever holds a
// case may write its channel), so the province lists who has confirmed (ErasureConfirmations).
// Thread-safety: pure functions over a store (whose reads are thread-safe).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/domain/reference_data.h"
#include "core/format/cbor.h"
#include "core/log/store.h"

namespace hoso {

constexpr std::string_view kKeyDestroyedType = "key.destroyed";

// A field's value as shown: `value` is null (and `hidden` says why) when it cannot be.
struct ShownField {
  enum class Hidden { kNone, kErased, kNoKey, kInvalid };
  cbor::Value value = cbor::Value::Null();
  Hidden hidden = Hidden::kNone;
  std::optional<Erasure> erasure;  // kErased: when and by which decision
};

// `raw` is the field's canonical CBOR (a state's winner or an event's value, encoded).
ShownField ShowField(const Store& store, std::string_view case_code, std::string_view field,
                     std::string_view raw);

// "erased", "no_key" or "invalid" (the API's words; empty for kNone).
std::string_view HiddenName(ShownField::Hidden h);

// An event body with its sealed fields opened; those that cannot be are null and named in
// *hidden (with why). A document's key is left out.
cbor::Value ShowBody(const Store& store, std::string_view case_code, const cbor::Value& body,
                     std::vector<std::pair<std::string, ShownField::Hidden>>* hidden);

// The cases whose applicant (opened where sealed) has this ID number, in code order; read log
// cases are skipped. Reads every case state: for audits and data-subject requests.
Result<std::vector<std::string>> CasesOfPerson(const Store& store, std::string_view id_no);

// The units that signed a "key.destroyed" on the case, with when (ms), in event order.
struct Confirmation {
  std::string unit;
  int64_t at_ms = 0;
};
Result<std::vector<Confirmation>> ErasureConfirmations(const Store& store,
                                                       std::string_view case_code);

// This node's side of every erasure it stores and has not confirmed yet, for a case it holds:
// scrubs the destroyed keys from the store's files (Store::ScrubErasedKeys, once for all),
// then signs a "key.destroyed" event on the case (a relay, which writes no channel, only
// scrubs) and notes it (meta "erasure-confirmed/<case>"). Returns how many it confirmed.
Result<size_t> ConfirmErasures(Store& store, int64_t now_ms);

// Retention: the erasures the root owes at `now_ms` under the catalogue, one per case whose
// procedure keeps personal data `retention_years` (> 0) and whose end (the later of
// finished_at and delivered_at) lies that many years (of 365.25 days) before now, not erased
// yet. The decision names the rule ("Hết thời hạn lưu trữ"), the ground the years and the end.
Result<std::vector<LocalWrite>> RetentionErasures(const Store& store, const ReferenceData& ref,
                                                  int64_t now_ms);

}  // namespace hoso
