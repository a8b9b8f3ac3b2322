// Helpers for tests that run hoso-node processes: a LocalNetwork over the small test tree.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "tests/testing.h"
#include "tools/local_network.h"

namespace hoso::testing {

// hoso-node processes for `members` (parents first) of SmallTree, under `dir`.
inline std::unique_ptr<tools::LocalNetwork> ProcessNetwork(const std::string& dir,
                                                           std::vector<std::string> members) {
  tools::NetworkOptions o;
  o.dir = dir;
  o.units = SmallTree();
  o.members = std::move(members);
  o.node_binary = HOSO_BIN_DIR "/hoso-node";
  auto net = tools::LocalNetwork::Create(o);
  REQUIRE(net.ok());
  return std::move(net).value();
}

// ProcessNetwork with every member started (in order) and the directory loaded at the root:
// the common starting point of a test.
inline std::unique_ptr<tools::LocalNetwork> RunningNetwork(const std::string& dir,
                                                           std::vector<std::string> members) {
  auto net = ProcessNetwork(dir, members);
  for (const auto& unit : members) REQUIRE(net->Start(unit).ok());
  REQUIRE(net->LoadDirectory().ok());
  return net;
}

}  // namespace hoso::testing
