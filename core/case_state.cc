#include "core/case_state.h"

#include <algorithm>
#include <tuple>

#include "core/coding.h"

namespace hoso {

int StatusRank(std::string_view status) {
  // The lifecycle of DOMAIN.md, postal steps included; terminal outcomes rank highest.
  static const std::pair<std::string_view, int> kRanks[] = {
      {"submitted", 1},
      {"received", 2},
      {"forwarded", 3},
      {"posted_to_agency", 3},
      {"agency_received", 3},
      {"processing", 4},
      {"supplement_requested", 4},
      {"fees_due", 4},
      {"result_ready", 6},
      {"dispatched", 7},
      {"delivered", 8},
      {"returned", 8},
      {"undeliverable", 8},
      {"closed", 9},
      {"refused", 9},
      {"withdrawn", 9},
      {"stopped", 9},
  };
  for (const auto& [name, rank] : kRanks) {
    if (name == status) return rank;
  }
  return 0;
}

namespace {
auto OrderKey(const EventRef& r) { return std::tie(r.hlc, r.origin, r.epoch, r.seq, r.id); }
bool TestBit(const uint64_t* row, size_t i) { return (row[i / 64] >> (i % 64)) & 1; }
}  // namespace

bool CaseState::Before(const EventRef& a, const EventRef& b) const {
  return OrderKey(a) < OrderKey(b);
}

bool CaseState::Contains(const Hash& id) const {
  for (const EventRef& r : events_) {
    if (r.id == id) return true;
  }
  return false;
}

CaseState::AncestryBits CaseState::Ancestry() const {
  const size_t n = events_.size();
  const size_t words = (n + 63) / 64;
  AncestryBits bits{words, std::vector<uint64_t>(n * words, 0)};
  auto row = [&](size_t i) { return bits.data.data() + i * words; };
  // Index of each held id; deps on events not held yet link nothing until they arrive.
  std::vector<std::pair<Hash, uint32_t>> index;
  index.reserve(n);
  for (uint32_t i = 0; i < n; ++i) index.emplace_back(events_[i].id, i);
  std::sort(index.begin(), index.end());
  auto find = [&](const Hash& id) -> int64_t {
    auto it = std::lower_bound(index.begin(), index.end(), std::make_pair(id, uint32_t{0}));
    return it != index.end() && it->first == id ? static_cast<int64_t>(it->second) : -1;
  };
  // Iterative DFS with a state per node, so a hostile deps cycle cannot recurse forever.
  std::vector<uint8_t> state(n, 0);  // 0 new, 1 in progress, 2 done
  std::vector<std::pair<uint32_t, size_t>> stack;
  for (uint32_t root = 0; root < n; ++root) {
    if (state[root]) continue;
    stack.emplace_back(root, 0);
    state[root] = 1;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < events_[node].deps.size()) {
        int64_t d = find(events_[node].deps[next++]);
        if (d < 0 || state[d] == 1) continue;
        if (state[d] == 0) {
          state[d] = 1;
          stack.emplace_back(static_cast<uint32_t>(d), 0);
          continue;
        }
        continue;
      }
      // All deps done: anc(node) = union of deps and their ancestors.
      for (const Hash& dep : events_[node].deps) {
        int64_t d = find(dep);
        if (d < 0 || d == node) continue;
        row(node)[d / 64] |= uint64_t{1} << (d % 64);
        for (size_t w = 0; w < words; ++w) row(node)[w] |= row(d)[w];
      }
      state[node] = 2;
      stack.pop_back();
    }
  }
  return bits;
}

bool CaseState::Apply(const Event& e, const Hash& id) {
  if (Contains(id)) return false;
  // The usual step: no conflict stands, no held event waited for this one, and it saw each
  // write it replaces directly in its deps. Then each field it writes keeps only its write,
  // which is what the ancestry walk below would find, without building the ancestry.
  bool simple = std::none_of(fields_.begin(), fields_.end(),
                             [](const FieldState& f) { return f.live.size() > 1; }) &&
                std::none_of(events_.begin(), events_.end(), [&](const EventRef& r) {
                  return std::find(r.deps.begin(), r.deps.end(), id) != r.deps.end();
                });
  EventRef ref{id, e.hlc, e.stream.origin, e.stream.epoch, e.seq, e.deps};
  auto pos = std::upper_bound(events_.begin(), events_.end(), ref,
                              [&](const EventRef& a, const EventRef& b) { return Before(a, b); });
  const uint32_t at = static_cast<uint32_t>(pos - events_.begin());
  events_.insert(pos, std::move(ref));
  for (FieldState& f : fields_) {
    for (LiveWrite& w : f.live) {
      if (w.ref >= at) ++w.ref;
    }
  }
  // The new event's writes join the candidates of their fields.
  const auto& body = e.body.items();
  for (size_t i = 0; i + 1 < body.size(); i += 2) {
    const std::string& name = body[i].str();
    auto it =
        std::lower_bound(fields_.begin(), fields_.end(), name,
                         [](const FieldState& f, const std::string& n) { return f.name < n; });
    if (it == fields_.end() || it->name != name) it = fields_.insert(it, FieldState{name, {}});
    auto wpos = std::lower_bound(it->live.begin(), it->live.end(), at,
                                 [](const LiveWrite& w, uint32_t r) { return w.ref < r; });
    it->live.insert(wpos, LiveWrite{at, cbor::Encode(body[i + 1])});
  }
  // Keep only the writes no other candidate has seen. The new event may also link older
  // events (it can be the missing middle of a chain), so every field is re-checked.
  bool contested = std::any_of(fields_.begin(), fields_.end(),
                               [](const FieldState& f) { return f.live.size() > 1; });
  if (!contested) return true;
  if (simple && ReplaceSeenDirectly(at)) return true;
  auto anc = Ancestry();
  for (FieldState& f : fields_) {
    if (f.live.size() < 2) continue;
    std::vector<LiveWrite> kept;
    for (const LiveWrite& w : f.live) {
      bool seen = false;
      for (const LiveWrite& other : f.live) {
        if (other.ref != w.ref && TestBit(anc.row(other.ref), w.ref)) {
          seen = true;
          break;
        }
      }
      if (!seen) kept.push_back(w);
    }
    f.live = std::move(kept);
  }
  return true;
}

bool CaseState::ReplaceSeenDirectly(uint32_t at) {
  const std::vector<Hash>& deps = events_[at].deps;
  auto seen = [&](const LiveWrite& w) {
    return w.ref != at && std::find(deps.begin(), deps.end(), events_[w.ref].id) != deps.end();
  };
  for (const FieldState& f : fields_) {
    if (f.live.size() > 1 && !std::all_of(f.live.begin(), f.live.end(), [&](const LiveWrite& w) {
          return w.ref == at || seen(w);
        })) {
      return false;
    }
  }
  for (FieldState& f : fields_) {
    if (f.live.size() > 1) std::erase_if(f.live, seen);
  }
  return true;
}

std::vector<Hash> CaseState::Heads() const {
  auto anc = Ancestry();
  std::vector<uint64_t> seen(anc.words, 0);
  for (size_t i = 0; i < events_.size(); ++i) {
    for (size_t w = 0; w < anc.words; ++w) seen[w] |= anc.row(i)[w];
  }
  std::vector<Hash> heads;
  for (size_t i = 0; i < events_.size(); ++i) {
    if (!TestBit(seen.data(), i)) heads.push_back(events_[i].id);
  }
  NormalizeDeps(&heads);
  return heads;
}

const FieldState* CaseState::Field(std::string_view name) const {
  auto it = std::lower_bound(fields_.begin(), fields_.end(), name,
                             [](const FieldState& f, std::string_view n) { return f.name < n; });
  return it != fields_.end() && it->name == name ? &*it : nullptr;
}

const LiveWrite* CaseState::Winner(const FieldState& f) const {
  if (f.live.empty()) return nullptr;
  // live is sorted by event order; one write needs no ranking.
  if (f.live.size() == 1 || f.name != "status") return &f.live.back();
  const LiveWrite* best = nullptr;
  int best_rank = -1;
  for (const LiveWrite& w : f.live) {
    auto v = cbor::Decode(w.value);
    int rank = v.ok() && v->is_text() ? StatusRank(v->str()) : 0;
    if (rank >= best_rank) {
      best = &w;
      best_rank = rank;
    }
  }
  return best;
}

cbor::Value CaseState::Get(std::string_view name) const {
  const FieldState* f = Field(name);
  const LiveWrite* w = f ? Winner(*f) : nullptr;
  if (!w) return cbor::Value::Null();
  auto v = cbor::Decode(w->value);
  return v.ok() ? std::move(v).value() : cbor::Value::Null();
}

std::string CaseState::TextOr(std::string_view name, std::string_view fallback) const {
  cbor::Value v = Get(name);
  return v.is_text() ? v.str() : std::string(fallback);
}

std::vector<const FieldState*> CaseState::Conflicts() const {
  std::vector<const FieldState*> out;
  for (const FieldState& f : fields_) {
    if (f.live.size() > 1) out.push_back(&f);
  }
  return out;
}

std::string CaseState::Encode() const {
  std::string out;
  EncodeTo(&out);
  return out;
}

void CaseState::EncodeTo(std::string* dest) const {
  std::string& out = *dest;
  out.reserve(out.size() + 64 + events_.size() * 64 + fields_.size() * 48);
  // Deps on held events are written as their ref index: a case's state is rewritten on every
  // event, so 32-byte ids would dominate its size.
  std::vector<std::pair<Hash, uint32_t>> index;
  index.reserve(events_.size());
  for (uint32_t i = 0; i < events_.size(); ++i) index.emplace_back(events_[i].id, i);
  std::sort(index.begin(), index.end());
  out.push_back('\x01');
  PutString(&out, case_code_);
  PutString(&out, channel_);
  PutVarint(&out, events_.size());
  for (const EventRef& r : events_) {
    out.append(AsView(r.id));
    PutBig64(&out, r.hlc);
    PutString(&out, r.origin);
    PutVarint(&out, r.epoch);
    PutVarint(&out, r.seq);
    PutVarint(&out, r.deps.size());
    for (const Hash& d : r.deps) {
      auto it = std::lower_bound(index.begin(), index.end(), std::make_pair(d, uint32_t{0}));
      if (it != index.end() && it->first == d) {
        PutVarint(&out, uint64_t{it->second} + 1);
      } else {
        PutVarint(&out, 0);
        out.append(AsView(d));
      }
    }
  }
  PutVarint(&out, fields_.size());
  for (const FieldState& f : fields_) {
    PutString(&out, f.name);
    PutVarint(&out, f.live.size());
    for (const LiveWrite& w : f.live) {
      PutVarint(&out, w.ref);
      PutString(&out, w.value);
    }
  }
}

Result<CaseState> CaseState::Decode(std::string_view bytes) {
  auto bad = [](const char* what) {
    return Status::Corruption(std::string("case state: ") + what);
  };
  Reader in(bytes);
  std::string_view version, s;
  if (!in.Fixed(1, &version) || version[0] != '\x01') return bad("unknown version");
  CaseState st;
  if (!in.String(&s)) return bad("truncated case code");
  st.case_code_ = s;
  if (!in.String(&s)) return bad("truncated channel");
  st.channel_ = s;
  uint64_t n;
  if (!in.Varint(&n) || n > bytes.size() / 32) return bad("bad event count");
  st.events_.resize(n);
  std::vector<std::pair<EventRef*, std::vector<uint64_t>>> dep_refs;  // resolved after ids
  for (EventRef& r : st.events_) {
    uint64_t k;
    if (!in.Fixed(32, &s)) return bad("truncated event id");
    r.id = HashFromView(s);
    if (!in.Big64(&r.hlc) || !in.String(&s)) return bad("truncated event ref");
    r.origin = s;
    if (!in.Varint(&r.epoch) || !in.Varint(&r.seq) || !in.Varint(&k) || k > kMaxDeps) {
      return bad("truncated event ref");
    }
    r.deps.resize(k);
    std::vector<uint64_t> refs;
    for (Hash& d : r.deps) {
      uint64_t tag;
      if (!in.Varint(&tag)) return bad("truncated dep");
      if (tag == 0) {
        if (!in.Fixed(32, &s)) return bad("truncated dep");
        d = HashFromView(s);
      } else if (tag > n) {
        return bad("dep refers past the event list");
      }
      refs.push_back(tag);
    }
    dep_refs.emplace_back(&r, std::move(refs));
  }
  for (auto& [r, refs] : dep_refs) {
    for (size_t i = 0; i < refs.size(); ++i) {
      if (refs[i]) r->deps[i] = st.events_[refs[i] - 1].id;
    }
  }
  uint64_t m;
  if (!in.Varint(&m) || m > bytes.size()) return bad("bad field count");
  st.fields_.resize(m);
  for (FieldState& f : st.fields_) {
    uint64_t l;
    if (!in.String(&s) || !in.Varint(&l) || l > n) return bad("truncated field");
    f.name = s;
    f.live.resize(l);
    for (LiveWrite& w : f.live) {
      uint64_t ref;
      if (!in.Varint(&ref) || ref >= n || !in.String(&s)) return bad("truncated live write");
      w.ref = static_cast<uint32_t>(ref);
      w.value = s;
    }
  }
  if (!in.done()) return bad("trailing bytes");
  return st;
}

bool CaseState::operator==(const CaseState& o) const { return Encode() == o.Encode(); }

}  // namespace hoso
