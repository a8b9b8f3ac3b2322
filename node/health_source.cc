#include "node/health_source.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <limits>

#include "core/base/version.h"
#include "core/format/event.h"
#include "core/log/directory.h"
#include "sync/peer_state.h"

namespace hoso::node {
namespace {

std::string StoreFormat(const Store& store) {
  std::string format;
  if (!store.GetMeta("format", &format).ok()) return "";
  return format;
}

}  // namespace

std::string BuildVersion(std::string_view program) {
  return std::string(program) + " " + std::string(HosoVersion()) + " (" +
         std::string(HosoGitCommit()) + "), protocol " + std::to_string(sync::kProtocolVersion) +
         ", store " + std::string(hoso::StoreFormat()) + ", event " +
         std::to_string(kEventFormatVersion);
}

sync::LocalHealth CollectLocalHealth(const Store& store, const std::vector<sync::PeerStatus>& peers,
                                     const std::optional<SelfCheckReport>& check,
                                     const std::string& data_dir) {
  sync::LocalHealth h;
  h.version = BuildVersion();
  h.store_format = StoreFormat(store);
  if (check) h.self_check = std::string(SelfCheckStateName(check->state));
  struct statvfs fs {};
  if (!data_dir.empty() && statvfs(data_dir.c_str(), &fs) == 0) {
    h.disk_free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  }
  const std::string me = store.options().identity ? store.options().identity->unit : "";
  auto dir = store.DirectorySnapshot();
  const int64_t now = SystemClock::Default()->NowMs();
  sync::PeerState state(const_cast<Store*>(&store));  // reads only
  uint64_t waiting = std::numeric_limits<uint64_t>::max();
  for (const auto& p : peers) {
    if (!p.upstream || p.unit.empty()) continue;
    h.last_sync_ms = std::max(h.last_sync_ms, p.last_success_ms);
    VersionVector ours = store.Vector([&](const std::string& channel) {
      return IsSystemChannel(channel) ||
             (dir->InScope(p.unit, channel, now) && dir->InScope(me, channel, now));
    });
    auto behind = state.EventsBehind(sync::PeerKey(p.unit, p.epoch), ours);
    if (behind.ok()) waiting = std::min(waiting, *behind);
  }
  h.events_waiting = waiting == std::numeric_limits<uint64_t>::max() ? 0 : waiting;
  return h;
}

}  // namespace hoso::node
