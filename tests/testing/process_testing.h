// Helpers for tests that run hoso-node processes: a LocalNetwork over the small test tree.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "node/daemon.h"
#include "tests/testing/testing.h"
#include "tools/network/local_network.h"

namespace hoso::testing {

// The node's log under its data directory ("" while there is none).
inline std::string ReadLog(const std::string& dir) {
  auto text = node::ReadTextFile(dir + "/node.log", "log");
  return text.ok() ? *text : "";
}

// Polls `done` every 20 ms until it holds or `timeout` passes; its last answer.
inline bool WaitFor(const std::function<bool()>& done,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// hoso-node processes for `members` (parents first) of `units` (SmallTree unless given),
// under `dir`.
inline std::unique_ptr<tools::LocalNetwork> ProcessNetwork(const std::string& dir,
                                                           std::vector<std::string> members,
                                                           std::vector<UnitRecord> units = {}) {
  tools::NetworkOptions o;
  o.dir = dir;
  o.units = units.empty() ? SmallTree() : std::move(units);
  o.members = std::move(members);
  o.node_binary = HOSO_BIN_DIR "/hoso-node";
  auto net = tools::LocalNetwork::Create(o);
  REQUIRE(net.ok());
  return std::move(net).value();
}

// ProcessNetwork with every member started (in order) and the directory loaded at the root:
// the common starting point of a test.
inline std::unique_ptr<tools::LocalNetwork> RunningNetwork(const std::string& dir,
                                                           std::vector<std::string> members,
                                                           std::vector<UnitRecord> units = {}) {
  auto net = ProcessNetwork(dir, members, std::move(units));
  for (const auto& unit : members) REQUIRE(net->Start(unit).ok());
  REQUIRE(net->LoadDirectory().ok());
  return net;
}

}  // namespace hoso::testing
