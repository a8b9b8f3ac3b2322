// Fuzz target: one event's bytes as a peer or a bundle delivers them: DecodeEvent
// (core/format/event.h), then the per-type schema every remote event must meet before it is
// stored (CheckEventSchema, core/domain/event_schema.h), then the case fold it would join.
//
// Checks: an accepted event is canonical (EncodeEvent(DecodeEvent(b)) == b, so one event has
// one id); its stream key survives its storage form (StreamKey::Encode / Decode); an event
// that passes the schema folds into a case state whose encoding decodes back to an equal
// state, and its case code, for a case channel, belongs to the channel.
#include <cstddef>
#include <cstdint>

#include "core/domain/event_schema.h"
#include "core/domain/lifecycle.h"
#include "core/format/event.h"
#include "core/log/case_state.h"
#include "tests/fuzz/fuzz.h"

using namespace hoso;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in = fuzz::AsText(data, size);
  auto e = DecodeEvent(in);
  if (!e.ok()) return 0;
  HOSO_FUZZ_CHECK(EncodeEvent(*e) == in, "an accepted event is not canonical");
  auto key = StreamKey::Decode(e->stream.Encode());
  HOSO_FUZZ_CHECK(key.ok() && *key == e->stream, "the stream key does not survive storage");
  if (!CheckEventSchema(*e).ok()) return 0;
  if (!IsSystemChannel(e->stream.channel)) {
    HOSO_FUZZ_CHECK(CaseCodeBelongsTo(e->case_code, e->stream.channel),
                    "a case event passed the schema with another office's code");
  }
  CaseState state(e->case_code, e->stream.channel);
  state.set_policy(&LifecycleConflictPolicy());
  state.Apply(*e, Sha256(in));
  (void)state.Get("status");
  (void)state.Conflicts();
  auto back = CaseState::Decode(state.Encode());
  HOSO_FUZZ_CHECK(back.ok(), "a folded state does not decode: " + back.status().ToString());
  back->set_policy(&LifecycleConflictPolicy());
  HOSO_FUZZ_CHECK(*back == state, "a folded state does not survive its encoding");
  return 0;
}
