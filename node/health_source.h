// What this node reports of itself to its parent (sync/health.h, LocalHealth): its software
// and store format, its last settled session with an upstream, the events its upstream lacks
// as far as it knows, the state of its store's self-check, the disk free under its data
// directory (statvfs). It reads the store's records and the disk: call it off the io threads
// (the HealthBook calls it on its own thread).
// Thread-safety: a pure function of its arguments (the store is thread-safe).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/log/store.h"
#include "node/self_check.h"
#include "sync/health.h"
#include "sync/tls/node.h"

namespace hoso::node {

// "hoso 0.1.0 (17a7de7), protocol 2, store 1, event 1": the release, the commit, the sync
// protocol, the store and event formats. The first line of `--version`, and what HEALTH
// carries to the province (at most 64 bytes there: a longer one would be refused).
std::string BuildVersion(std::string_view program = "hoso");

sync::LocalHealth CollectLocalHealth(const Store& store, const std::vector<sync::PeerStatus>& peers,
                                     const std::optional<SelfCheckReport>& check,
                                     const std::string& data_dir);

}  // namespace hoso::node
