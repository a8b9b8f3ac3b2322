#include "core/audit/replay.h"

#include <set>
#include <unordered_map>

#include "core/log/directory.h"

namespace hoso {
namespace {

int64_t TimeOf(const Event& e) { return static_cast<int64_t>(e.hlc >> 16); }

std::set<std::string> ConflictedFields(const CaseState& st) {
  std::set<std::string> out;
  for (const FieldState* f : st.Conflicts()) out.insert(f->name);
  return out;
}

std::vector<std::string> Minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::vector<std::string> out;
  for (const auto& x : a) {
    if (!b.count(x)) out.push_back(x);
  }
  return out;
}

}  // namespace

Result<CaseReplay> ReplayCase(const Store& store, std::string_view case_code, int64_t as_of_ms) {
  HOSO_ASSIGN_OR_RETURN(CaseView view, store.GetCase(case_code));
  CaseReplay out;
  out.state = CaseState(std::string(case_code), view.state.channel());
  out.state.set_policy(store.options().conflict_policy);
  // History is in fold order, so what an event saw comes before it: one backward pass takes
  // in the ancestors of every event recorded by as_of.
  const auto& refs = view.state.events();
  std::vector<uint8_t> shown(refs.size(), 0);
  for (size_t i = refs.size(); i-- > 0;) {
    if (TimeOf(view.history[i].event) <= as_of_ms) shown[i] = 1;
    if (!shown[i]) continue;
    for (int32_t d : refs[i].links) {
      if (d >= 0) shown[d] = 1;
    }
  }
  for (size_t i = 0; i < view.history.size(); ++i) {
    HistoryEntry& h = view.history[i];
    if (!shown[i]) {
      ++out.later_events;
      continue;
    }
    std::set<std::string> before = ConflictedFields(out.state);
    out.state.Apply(h.event, h.id);
    std::set<std::string> after = ConflictedFields(out.state);
    ReplayStep step{h.id, std::move(h.event), Minus(after, before), Minus(before, after),
                    h.recorded_before_deps};
    out.steps.push_back(std::move(step));
  }
  if (out.steps.empty()) {
    return Status::NotFound("case " + std::string(case_code) + " had no events at that time");
  }
  return out;
}

Result<ScopeReplay> ReplayScope(const Store& store, std::string_view unit, int64_t as_of_ms) {
  auto dir = store.DirectorySnapshot();
  if (!dir->Exists(unit, as_of_ms)) {
    return Status::NotFound("unit " + std::string(unit) + " is not in the directory at that time");
  }
  std::map<std::string, std::vector<StreamKey>> channels;
  for (const auto& [stream, head] : store.Vector([&](const std::string& c) {
         return !IsSystemChannel(c) && dir->IsAncestorOrSelf(unit, c, as_of_ms);
       })) {
    channels[stream.channel].push_back(stream);
  }
  ScopeReplay out;
  for (const auto& [channel, streams] : channels) {
    std::unordered_map<std::string, CaseState> states;
    for (const auto& stream : streams) {
      HOSO_ASSIGN_OR_RETURN(auto reader, store.ReadStream(stream, 1));
      for (; reader->Valid(); reader->Next()) {
        HOSO_ASSIGN_OR_RETURN(Event e, DecodeEvent(reader->bytes()));
        if (TimeOf(e) > as_of_ms) continue;  // a stream's later events may still be earlier
        ++out.events;
        auto [it, fresh] = states.try_emplace(e.case_code, e.case_code, channel);
        it->second.Apply(e, Sha256(reader->bytes()));
      }
      HOSO_RETURN_IF_ERROR(reader->status());
    }
    Hash fp{};
    for (const auto& [code, st] : states) {
      ++out.cases;
      ++out.by_status[st.TextOr("status", "")];
      XorInto(&fp, st.Fingerprint());
    }
    out.channels.emplace_back(channel, fp);
  }
  out.fingerprint = Store::CombineChannelFingerprints(out.channels);
  return out;
}

}  // namespace hoso
