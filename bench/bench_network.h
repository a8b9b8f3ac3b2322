// A network of real hoso-node processes for the benches that measure nodes from outside
// (api_bench, flood_bench): the An Giang units, `members` started in order (parents first),
// the directory loaded at the root. Thread-safety: call from one thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/log/directory.h"
#include "node/daemon.h"
#include "tools/network/local_network.h"

namespace hoso::bench {

inline Result<std::unique_ptr<tools::LocalNetwork>> StartNetwork(const std::string& dir,
                                                                 std::vector<std::string> members,
                                                                 const std::string& node_binary) {
  HOSO_ASSIGN_OR_RETURN(
      std::string csv,
      node::ReadTextFile(std::string(HOSO_DATA_DIR) + "/units-an-giang.csv", "units"));
  tools::NetworkOptions o;
  o.dir = dir;
  HOSO_ASSIGN_OR_RETURN(o.units, ParseUnitsCsv(csv));
  o.members = std::move(members);
  o.node_binary = node_binary;
  HOSO_ASSIGN_OR_RETURN(std::unique_ptr<tools::LocalNetwork> net, tools::LocalNetwork::Create(o));
  for (const auto& unit : o.members) {
    HOSO_RETURN_IF_ERROR(net->Start(unit).Annotate("starting " + unit));
  }
  HOSO_RETURN_IF_ERROR(net->LoadDirectory().Annotate("loading the directory"));
  return net;
}

}  // namespace hoso::bench
