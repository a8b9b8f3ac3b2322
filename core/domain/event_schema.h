// Event schemas: the shape every event must have before the store accepts it, local or remote.
//
// A signature proves who wrote an event, not that it is harmless (docs/security.md), so every
// event is checked against the rules of its channel and type before it is stored, and a batch
// that breaks one is refused whole with the field named ("body.documents[0].count must be an
// unsigned integer, not text"). What is checked (docs/event-format.md, "Event schemas"):
//   - every event: the type is 1..64 bytes of [a-z0-9_.]; the officer is at most 128 bytes of
//     text with no control characters; body keys are 1..64 bytes of [a-z0-9_]; every text
//     anywhere in the body is free of control characters (C0 but tab and newline, DEL, C1);
//   - case channels: the case code is a name (1..64 bytes of [0-9A-Za-z._-]) whose unit part
//     (before the first '-', less an "e<epoch>" suffix) is the channel, so no office can mint
//     another office's codes; every field a case event may write has one rule, whatever the
//     type that writes it (the fold merges fields by name), with its CBOR type, its length or
//     range and, for enumerations, its values; "case.received" and "case.step" must write a
//     status;
//   - personal fields ("applicant", "return_address") may instead be sealed values
//     (core/format/sealed_field.h) of at most 8,237 bytes; what they hold is checked when they
//     are opened (CheckCaseField);
//   - "$catalogue" and "$calendar": the bodies reference_data.h documents.
// Fields and types no rule names are accepted (forward compatibility) within those general
// bounds; readers never render them.
// Thread-safety: pure functions over constant tables.
#pragma once

#include <string_view>

#include "core/base/status.h"
#include "core/format/event.h"

namespace hoso {

// OK, or InvalidArgument naming the first field that breaks its rule.
[[nodiscard]] Status CheckEventSchema(const Event& e);

// A case field's value as opened from its sealed form (the schema checked only that it was a
// sealed value): OK, or InvalidArgument naming what breaks the field's rule.
[[nodiscard]] Status CheckCaseField(std::string_view field, const cbor::Value& value);

// True when the case code's unit part (before its first '-') is the channel, or the channel
// followed by "e<epoch>": "30280-251124-0001" and "30280e2-251124-0001" belong to "30280".
bool CaseCodeBelongsTo(std::string_view case_code, std::string_view channel);

}  // namespace hoso
