// What the node shows of itself: sync status, node info, scope (docs/api.md, "Sync and
// node"); /metrics is node/api/metrics.cc.
#include <algorithm>
#include <set>

#include "core/base/text.h"
#include "core/base/version.h"
#include "core/domain/case_index.h"
#include "core/domain/lifecycle.h"
#include "core/log/directory.h"
#include "node/api/responses.h"
#include "node/local_api.h"
#include "sync/peer_state.h"

namespace hoso::node {

using api::FromStatus;
using api::Json;

namespace {

// Sync keeps one status per accepted connection; people want one line per child office: its
// connected session, else its latest. Connections that never authenticated (refused
// certificates, probes) show only the latest few, for their errors.
std::vector<sync::PeerStatus> OnePerPeer(std::vector<sync::PeerStatus> all) {
  constexpr size_t kAnonymous = 5;
  std::vector<sync::PeerStatus> out, anonymous;
  std::map<std::string, sync::PeerStatus> by_unit;
  for (auto& p : all) {
    if (p.upstream) {
      out.push_back(std::move(p));
    } else if (p.unit.empty()) {
      anonymous.push_back(std::move(p));
    } else {
      auto [it, fresh] = by_unit.try_emplace(p.unit, p);
      const sync::PeerStatus& kept = it->second;
      if (!fresh && (p.connected > kept.connected ||
                     (p.connected == kept.connected && p.since_ms > kept.since_ms))) {
        it->second = std::move(p);
      }
    }
  }
  for (auto& [unit, p] : by_unit) out.push_back(std::move(p));
  std::sort(anonymous.begin(), anonymous.end(),
            [](const auto& a, const auto& b) { return a.since_ms > b.since_ms; });
  if (anonymous.size() > kAnonymous) anonymous.resize(kAnonymous);
  for (auto& p : anonymous) out.push_back(std::move(p));
  return out;
}

}  // namespace

std::vector<sync::PeerStatus> LocalApi::CurrentPeers() const {
  return view_.peers ? OnePerPeer(view_.peers()) : std::vector<sync::PeerStatus>{};
}

Result<std::vector<uint64_t>> LocalApi::EventsBehind(const std::vector<sync::PeerStatus>& peers,
                                                     const std::string& me) const {
  auto dir = store_->DirectorySnapshot();
  int64_t now = clock_->NowMs();
  sync::PeerState state(store_);
  std::map<std::string, uint64_t> by_peer;  // unit#epoch -> behind
  std::vector<uint64_t> out;
  for (const auto& peer : peers) {
    if (peer.unit.empty()) {
      out.push_back(0);
      continue;
    }
    const std::string key = sync::PeerKey(peer.unit, peer.epoch);
    auto done = by_peer.find(key);
    if (done == by_peer.end()) {
      VersionVector ours = store_->Vector([&](const std::string& channel) {
        return IsSystemChannel(channel) ||
               (dir->InScope(peer.unit, channel, now) && dir->InScope(me, channel, now));
      });
      HOSO_ASSIGN_OR_RETURN(uint64_t behind, state.EventsBehind(key, ours));
      done = by_peer.emplace(key, behind).first;
    }
    out.push_back(done->second);
  }
  return out;
}

HttpResponse LocalApi::SyncStatus(Call&) {
  std::vector<sync::PeerStatus> peers = CurrentPeers();
  const std::string me = store_->options().identity ? store_->options().identity->unit : "";
  auto behind = EventsBehind(peers, me);
  if (!behind.ok()) return FromStatus(behind.status());
  json::array list;
  bool online = false;
  int64_t since = view_.started_ms;
  int64_t last_success = 0;
  for (size_t i = 0; i < peers.size(); ++i) {
    const sync::PeerStatus& p = peers[i];
    json::object o;
    o["address"] = p.address;
    o["unit"] = p.unit;
    o["epoch"] = p.epoch;
    o["direction"] = p.upstream ? "upstream" : "downstream";
    o["connected"] = p.connected;
    if (p.since_ms) o["since"] = FormatTime(p.since_ms);
    if (p.last_success_ms) o["last_success"] = FormatTime(p.last_success_ms);
    o["events_behind"] = (*behind)[i];
    o["clock_skew_ms"] = p.clock_skew_ms;
    o["bytes_sent"] = p.bytes_sent;
    o["bytes_received"] = p.bytes_received;
    o["wire_bytes_sent"] = p.wire_sent;
    o["wire_bytes_received"] = p.wire_received;
    o["events_sent"] = p.events_sent;
    o["events_received"] = p.events_received;
    if (!p.last_error.empty()) o["last_error"] = p.last_error;
    list.push_back(std::move(o));
    if (!p.upstream) continue;
    last_success = std::max(last_success, p.last_success_ms);
    if (p.connected && !online) {
      online = true;
      since = p.since_ms;
    } else if (!p.connected && !online && p.since_ms) {
      since = std::max(since, p.since_ms);
    }
  }
  json::object out;
  out["unit"] = me;
  out["epoch"] = store_->options().identity ? store_->options().identity->epoch : 0;
  if (view_.upstreams.empty()) {
    out["state"] = "no_upstream";  // the root of the tree
  } else {
    out["state"] = online ? "online" : "offline";
    out["since"] = FormatTime(since);
  }
  if (last_success) out["last_success"] = FormatTime(last_success);
  json::array ups;
  for (const auto& u : view_.upstreams) ups.push_back(json::value(u));
  out["upstreams"] = std::move(ups);
  out["peers"] = std::move(list);
  auto ahead = store_->OriginsAhead();
  if (!ahead.ok()) return FromStatus(ahead.status());
  json::array clocks;
  for (const auto& a : *ahead) {
    json::object o;
    o["unit"] = a.unit;
    o["epoch"] = a.epoch;
    o["latest_event"] = FormatTime(a.latest_event_ms);
    o["max_ahead_ms"] = a.max_ahead_ms;
    o["noticed"] = FormatTime(a.noticed_ms);
    o["events"] = a.events;
    clocks.push_back(std::move(o));
  }
  out["clocks_ahead"] = std::move(clocks);
  if (view_.self_check) out["self_check"] = SelfCheckJson(view_.self_check());
  return Json(200, out);
}

json::object LocalApi::SelfCheckJson(const SelfCheckReport& r) {
  json::object o;
  o["state"] = SelfCheckStateName(r.state);
  o["streams"] = r.streams;
  o["events"] = r.events;
  o["cases"] = r.cases;
  o["findings"] = r.findings;
  json::array first;
  for (const auto& f : r.first_findings) first.push_back(json::value(f));
  o["first_findings"] = std::move(first);
  o["started"] = FormatTime(r.started_ms);
  if (r.finished_ms) {
    o["finished"] = FormatTime(r.finished_ms);
    o["seconds"] = r.seconds;
  }
  return o;
}

HttpResponse LocalApi::NodeInfo(Call&) {
  const auto& o = store_->options();
  auto dir = store_->DirectorySnapshot();
  int64_t now = clock_->NowMs();
  std::string me = o.identity ? o.identity->unit : "";
  json::object out;
  out["unit"] = me;
  out["epoch"] = o.identity ? o.identity->epoch : 0;
  out["root"] = o.root_unit;
  out["version"] = HosoVersion();
  out["commit"] = HosoGitCommit();
  out["store_format"] = store_->format();
  if (auto u = dir->UnitAt(me, now)) {
    out["name"] = u->name;
    out["parent"] = u->parent;
    out["type"] = u->type;
    int depth = 0;  // in the tree of now: 0 the province
    for (auto p = u; p && !p->parent.empty() && depth < 8; p = dir->UnitAt(p->parent, now)) ++depth;
    out["depth"] = depth;
  }
  out["directory_units"] = dir->size();
  out["cases"] = store_->CaseCount();
  out["commit_counter"] = store_->CommitCounter();
  out["scope_fingerprint"] =
      Hex(store_->ScopeFingerprint([&](const std::string& c) { return !IsSystemChannel(c); }));
  out["forks"] = store_->Forks().size();
  if (view_.self_check) out["self_check"] = SelfCheckJson(view_.self_check());
  if (view_.api_tls) out["api_tls"] = view_.api_tls();
  out["started"] = FormatTime(view_.started_ms);
  out["now"] = FormatTime(now);
  return Json(200, out);
}

HttpResponse LocalApi::Scope(Call&) {
  // Counts come from index scans: fine for an office's node and for checks, not for reports
  // over a province (the domain issue's incremental reports do that).
  constexpr size_t kAll = SIZE_MAX;
  VersionVector held = store_->Vector([](const std::string& c) { return !IsSystemChannel(c); });
  std::set<std::string> channels;
  for (const auto& [stream, head] : held) channels.insert(stream.channel);
  json::array list;
  for (const auto& c : channels) {
    auto cases = store_->CasesOfChannel(c, kAll);
    if (!cases.ok()) return FromStatus(cases.status());
    list.push_back(json::object{{"channel", c},
                                {"cases", cases->size()},
                                {"fingerprint", Hex(store_->ChannelFingerprint(c))}});
  }
  json::object by_status;
  for (const std::string& s : AllStatuses()) {
    auto cases = CasesByStatus(*store_, s, kAll);
    if (!cases.ok()) return FromStatus(cases.status());
    if (!cases->empty()) by_status[s] = cases->size();
  }
  auto purges = store_->Purges();
  if (!purges.ok()) return FromStatus(purges.status());
  json::array purged;
  for (const Store::Purge& p : *purges) {
    purged.push_back(json::object{{"channel", p.channel},
                                  {"at", FormatTime(p.at_ms)},
                                  {"events", p.events},
                                  {"cases", p.cases}});
  }
  json::object out;
  out["cases"] = store_->CaseCount();
  out["by_status"] = std::move(by_status);
  out["channels"] = std::move(list);
  out["purged"] = std::move(purged);
  return Json(200, out);
}

}  // namespace hoso::node
