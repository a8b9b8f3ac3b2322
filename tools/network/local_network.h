// LocalNetwork: a deployment of hoso-node processes on loopback, made from scratch the way an
// operator would (hoso ca init/issue, hoso init, directory load), for the demo and the
// integration tests.
//
// Units are given parents first. Nodes with children listen for peers; a node's upstream is
// its parent's peer address, fixed at its first start (a restarted parent keeps its port).
// A node first started while the root runs and holds a directory gets the root's system
// channels in its bundle (FetchSystemBundle), as `hoso ca issue --root-node` gives them.
// Everything lives under one directory: ca/, bundles/<unit>, nodes/<unit>.
// Thread-safety: one owner thread.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/log/directory.h"
#include "node/json.h"
#include "tools/network/node_process.h"

namespace hoso::tools {

struct NetworkOptions {
  std::string dir;
  std::vector<UnitRecord> units;     // the whole directory to load at the root
  std::vector<std::string> members;  // the units that run a node, parents first; [0] is the root
  std::string node_binary;           // hoso-node
  bool detach = false;
  std::vector<std::string> node_flags;  // extra flags for every node
};

// The officer accounts every node of a LocalNetwork has (role head): those of the workload
// (tools/workload.cc) and the demo.
inline constexpr const char* kNetworkOfficers[] = {"nv.lan",  "nv.hung", "nv.thao",
                                                   "cb.minh", "cb.tam",  "cb.phuc"};

class LocalNetwork {
 public:
  static Result<std::unique_ptr<LocalNetwork>> Create(NetworkOptions options);

  // Starts a node (making its data directory the first time). Offline: no upstream. Extra
  // flags override the node's config for this run.
  Status Start(const std::string& unit, bool online = true, std::vector<std::string> flags = {});
  Result<int> Stop(const std::string& unit);
  void Kill(const std::string& unit);
  NodeProcess& node(const std::string& unit) { return *nodes_.at(unit); }
  std::string parent(const std::string& unit) const;
  const std::vector<std::string>& members() const { return options_.members; }
  std::string NodeDir(const std::string& unit) const { return options_.dir + "/nodes/" + unit; }

  // The local API of a node: the parsed reply of a 2xx, else the error.
  Result<node::json::value> Call(const std::string& unit, const std::string& method,
                                 const std::string& target, const std::string& body = "");
  // Loads the units into the root's directory and waits until every running node holds them.
  Status LoadDirectory(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Waits until `holds(unit)` is true of every running node; `what` names it on timeout.
  Status WaitForEveryNode(const std::function<bool(const std::string& unit)>& holds,
                          const std::string& what, std::chrono::milliseconds timeout);
  // Every member's channel has the same fingerprint at the member and at every running
  // ancestor; a stopped node counts as not converged.
  Result<bool> Converged();
  Status WaitConverged(std::chrono::milliseconds timeout);
  // unit -> {channel -> fingerprint}, from /v1/scope.
  Result<std::map<std::string, std::string>> Fingerprints(const std::string& unit);

 private:
  explicit LocalNetwork(NetworkOptions options) : options_(std::move(options)) {}
  NetworkOptions options_;
  std::map<std::string, std::string> parent_;
  std::map<std::string, std::unique_ptr<NodeProcess>> nodes_;
  std::map<std::string, std::string> listen_;  // unit -> host:port, once bound
};

}  // namespace hoso::tools
