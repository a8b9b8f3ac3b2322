#include "core/log/case_state.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <tuple>

#include "core/base/coding.h"

namespace hoso {

namespace {
auto OrderKey(const EventRef& r) { return std::tie(r.hlc, r.origin, r.epoch, r.seq, r.id); }
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

bool CaseState::RecordedBeforeDeps(size_t i) const {
  const EventRef& r = events_[i];
  return std::any_of(r.links.begin(), r.links.end(),
                     [&](int32_t d) { return d >= 0 && events_[d].hlc > r.hlc; });
}

void CaseState::Reorder() {
  // Kahn's algorithm taking the least event in (hlc, origin, epoch, seq, id) among those whose
  // held deps are all placed: the one linear extension of deps that every holder computes.
  const size_t n = events_.size();
  std::vector<std::vector<uint32_t>> dependents(n);
  std::vector<uint32_t> waiting(n, 0);
  for (uint32_t i = 0; i < n; ++i) {
    for (int32_t d : events_[i].links) {
      if (d < 0 || static_cast<uint32_t>(d) == i) continue;
      dependents[d].push_back(i);
      ++waiting[i];
    }
  }
  auto later = [&](uint32_t a, uint32_t b) { return Before(events_[b], events_[a]); };
  std::vector<uint32_t> ready;
  for (uint32_t i = 0; i < n; ++i) {
    if (waiting[i] == 0) ready.push_back(i);
  }
  std::make_heap(ready.begin(), ready.end(), later);
  std::vector<uint32_t> order;  // order[new] = old
  order.reserve(n);
  std::vector<bool> placed(n, false);
  while (order.size() < n) {
    if (ready.empty()) {
      // Only a corrupt state can hold a cycle (ids are hashes of their deps): place the least
      // unplaced event and go on.
      uint32_t least = UINT32_MAX;
      for (uint32_t i = 0; i < n; ++i) {
        if (!placed[i] && (least == UINT32_MAX || Before(events_[i], events_[least]))) least = i;
      }
      waiting[least] = 0;
      ready.push_back(least);
    }
    std::pop_heap(ready.begin(), ready.end(), later);
    uint32_t next = ready.back();
    ready.pop_back();
    if (placed[next]) continue;
    placed[next] = true;
    order.push_back(next);
    for (uint32_t d : dependents[next]) {
      if (!placed[d] && --waiting[d] == 0) {
        ready.push_back(d);
        std::push_heap(ready.begin(), ready.end(), later);
      }
    }
  }
  std::vector<uint32_t> where(n);  // where[old] = new
  for (uint32_t i = 0; i < n; ++i) where[order[i]] = i;
  std::vector<EventRef> sorted;
  sorted.reserve(n);
  for (uint32_t old : order) sorted.push_back(std::move(events_[old]));
  for (EventRef& r : sorted) {
    for (int32_t& d : r.links) {
      if (d >= 0) d = static_cast<int32_t>(where[d]);
    }
  }
  events_ = std::move(sorted);
  for (FieldState& f : fields_) {
    for (LiveWrite& w : f.live) w.ref = where[w.ref];
    std::sort(f.live.begin(), f.live.end(),
              [](const LiveWrite& a, const LiveWrite& b) { return a.ref < b.ref; });
  }
}

bool CaseState::InFoldOrder() const {
  // Reorder's output always passes; a state sorted by (hlc, ...) alone passes exactly when
  // that order already follows deps, and then it is Reorder's order too.
  for (uint32_t i = 0; i < events_.size(); ++i) {
    for (int32_t d : events_[i].links) {
      if (d >= static_cast<int32_t>(i)) return false;
    }
  }
  return true;
}

uint32_t CaseState::Insert(EventRef ref) {
  const Hash id = ref.id;
  // Link the new event's deps to the held events they name.
  ref.links.assign(ref.deps.size(), -1);
  int32_t last_dep = -1;
  for (uint32_t i = 0; i < events_.size(); ++i) {
    auto it = std::lower_bound(ref.deps.begin(), ref.deps.end(), events_[i].id);
    if (it != ref.deps.end() && *it == events_[i].id) {
      ref.links[it - ref.deps.begin()] = static_cast<int32_t>(i);
      last_dep = static_cast<int32_t>(i);
    }
  }
  // Held events that named it while it was missing: it is the middle of their chain.
  bool awaited = false;
  for (const EventRef& r : events_) {
    for (size_t k = 0; k < r.deps.size(); ++k) awaited |= r.links[k] < 0 && r.deps[k] == id;
  }
  if (awaited) {
    const auto at = static_cast<int32_t>(events_.size());
    for (EventRef& r : events_) {
      for (size_t k = 0; k < r.deps.size(); ++k) {
        if (r.links[k] < 0 && r.deps[k] == id) r.links[k] = at;
      }
    }
    events_.push_back(std::move(ref));
    Reorder();
    for (uint32_t i = 0; i < events_.size(); ++i) {
      if (events_[i].id == id) return i;
    }
  }
  // A sink keeps everyone else's order: it goes before the first event after its last dep
  // that is greater than it (what Reorder would choose).
  auto pos = events_.begin() + (last_dep + 1);
  while (pos != events_.end() && !Before(ref, *pos)) ++pos;
  const auto at = static_cast<uint32_t>(pos - events_.begin());
  events_.insert(pos, std::move(ref));
  for (uint32_t i = 0; i < events_.size(); ++i) {
    if (i == at) continue;
    for (int32_t& d : events_[i].links) {
      if (d >= static_cast<int32_t>(at)) ++d;
    }
  }
  for (FieldState& f : fields_) {
    for (LiveWrite& w : f.live) {
      if (w.ref >= at) ++w.ref;
    }
  }
  return at;
}

bool CaseState::Apply(const Event& e, const Hash& id) {
  if (Contains(id)) return false;
  const uint32_t at = Insert(EventRef{id, e.hlc, e.stream.origin, e.stream.epoch, e.seq, e.deps});
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
  if (std::none_of(fields_.begin(), fields_.end(),
                   [](const FieldState& f) { return f.live.size() > 1; })) {
    return true;
  }
  // The only "seen" relations the new event adds run from it and what saw it (descendants) to
  // it and what it saw (ancestors); live writes were pairwise unseen before, so each field
  // loses the writes on the near side of the new event once a write on the far side stands.
  const size_t n = events_.size();
  std::vector<uint8_t> ancestor(n, 0), descendant(n, 0);
  for (int32_t d : events_[at].links) {
    if (d >= 0) ancestor[d] = 1;
  }
  for (size_t i = at; i-- > 0;) {
    if (!ancestor[i]) continue;
    for (int32_t d : events_[i].links) {
      if (d >= 0) ancestor[d] = 1;
    }
  }
  descendant[at] = 1;
  for (size_t i = at + 1; i < n; ++i) {
    for (int32_t d : events_[i].links) {
      if (d >= 0 && descendant[d]) descendant[i] = 1;
    }
  }
  for (FieldState& f : fields_) {
    if (f.live.size() < 2) continue;
    bool seen_from_far_side = std::any_of(f.live.begin(), f.live.end(),
                                          [&](const LiveWrite& w) { return descendant[w.ref]; });
    if (!seen_from_far_side) continue;
    bool beyond_new = std::any_of(f.live.begin(), f.live.end(), [&](const LiveWrite& w) {
      return descendant[w.ref] && w.ref != at;
    });
    std::erase_if(
        f.live, [&](const LiveWrite& w) { return ancestor[w.ref] || (w.ref == at && beyond_new); });
  }
  return true;
}

std::vector<Hash> CaseState::Heads() const {
  std::vector<uint8_t> seen(events_.size(), 0);
  for (const EventRef& r : events_) {
    for (int32_t d : r.links) {
      if (d >= 0) seen[d] = 1;
    }
  }
  std::vector<Hash> heads;
  // The latest first: an event names at most kMaxDeps; more concurrent heads than that are
  // settled over several writes.
  for (size_t i = events_.size(); i-- > 0 && heads.size() < kMaxDeps;) {
    if (!seen[i]) heads.push_back(events_[i].id);
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
  if (f.live.size() == 1 || !policy_ || !policy_->Ranks(f.name)) return &f.live.back();
  const LiveWrite* best = nullptr;
  int best_rank = INT_MIN;
  for (const LiveWrite& w : f.live) {
    int rank = policy_->Rank(f.name, w.value);
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
    for (size_t k = 0; k < r.deps.size(); ++k) {
      if (r.links[k] >= 0) {
        PutVarint(&out, static_cast<uint64_t>(r.links[k]) + 1);
      } else {
        PutVarint(&out, 0);
        out.append(AsView(r.deps[k]));
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

Result<CaseState> CaseState::Decode(std::string_view bytes, bool as_stored) {
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
    r->links.assign(refs.size(), -1);
    for (size_t i = 0; i < refs.size(); ++i) {
      if (refs[i]) {
        r->deps[i] = st.events_[refs[i] - 1].id;
        r->links[i] = static_cast<int32_t>(refs[i] - 1);
      }
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
  // States stored before the fold followed deps (a step could sort before what it saw, under
  // a wrong clock) are put in fold order as they are read.
  if (!as_stored) st.PutInFoldOrder();
  return st;
}

bool CaseState::operator==(const CaseState& o) const { return Encode() == o.Encode(); }

}  // namespace hoso
