#include "tools/network/local_network.h"

#include <filesystem>
#include <set>
#include <thread>

#include "node/officers.h"
#include "tools/provision.h"

namespace hoso::tools {
namespace fs = std::filesystem;
namespace json = boost::json;

Result<std::unique_ptr<LocalNetwork>> LocalNetwork::Create(NetworkOptions options) {
  if (options.members.empty()) return Status::InvalidArgument("no members");
  std::unique_ptr<LocalNetwork> net(new LocalNetwork(std::move(options)));
  const auto& o = net->options_;
  std::map<std::string, std::string> parents;
  for (const auto& u : o.units) parents[u.code] = u.parent;
  std::set<std::string> members(o.members.begin(), o.members.end());
  for (const auto& m : o.members) {
    // The nearest ancestor that runs a node is the upstream.
    std::string up = parents.count(m) ? parents[m] : "";
    while (!up.empty() && !members.count(up)) up = parents[up];
    if (m != o.members[0] && up.empty()) {
      return Status::InvalidArgument("unit " + m + " has no ancestor among the members");
    }
    net->parent_[m] = up;
  }
  HOSO_RETURN_IF_ERROR(CaInit(o.dir + "/ca", o.members[0], 10));
  for (const auto& m : o.members) {
    HOSO_RETURN_IF_ERROR(CaIssue(o.dir + "/ca", m, 1, o.dir + "/bundles/" + m, 3).status());
  }
  return net;
}

std::string LocalNetwork::parent(const std::string& unit) const { return parent_.at(unit); }

Status LocalNetwork::Start(const std::string& unit, bool online, std::vector<std::string> extra) {
  std::string dir = NodeDir(unit);
  bool has_children = false;
  for (const auto& [child, up] : parent_) has_children |= up == unit;
  if (!fs::exists(dir + "/hoso.conf")) {
    node::NodeConfig c;
    c.dir = dir;
    c.root = options_.members[0];
    c.api = "127.0.0.1:0";
    c.listen = has_children ? "127.0.0.1:0" : "";
    c.backoff_min_ms = 50;
    c.backoff_max_ms = 1000;
    std::string up = parent_.at(unit);
    if (!up.empty()) {
      if (!listen_.count(up)) {
        return Status::FailedPrecondition("start " + up + " before its child " + unit);
      }
      c.upstream = {up + "@" + listen_[up]};  // pinned: only that unit's node is the parent
    }
    // As an operator issues an office's bundle once the root is set up: with the root's
    // system channels, so the node receives cases before its first sync. A root not running,
    // or holding no directory yet, leaves the bundle without them (the node syncs them).
    const std::string& root = options_.members[0];
    if (unit != root && nodes_.count(root) && nodes_[root]->running()) {
      auto system = FetchSystemBundle(options_.dir + "/ca", NodeDir(root));
      if (system.ok()) {
        HOSO_RETURN_IF_ERROR(WriteFileAtomic(
            options_.dir + "/bundles/" + unit + "/" + std::string(node::kSystemBundleFile),
            system->bytes));
      } else if (system.status().code() != Code::kFailedPrecondition) {
        return system.status();
      }
    }
    HOSO_RETURN_IF_ERROR(InitNode(c, options_.dir + "/bundles/" + unit));
    // Every event names a known officer (docs/api.md): the officers the workload and the
    // demo write as, with role head and 1,000 PBKDF2 iterations (a loopback test network
    // only; `hoso officer add` uses 600,000), made once with the data directory.
    node::OfficerDirectory officers;
    for (const char* login : kNetworkOfficers) {
      HOSO_RETURN_IF_ERROR(
          officers.Add(login, login, node::Role::kHead, "mat-khau-mang-thu-nghiem", 1000));
    }
    HOSO_RETURN_IF_ERROR(officers.Save(c.Path(c.officers_file)));
  }
  std::vector<std::string> flags = options_.node_flags;
  if (listen_.count(unit)) flags.insert(flags.end(), {"--listen", listen_[unit]});
  if (!online) flags.insert(flags.end(), {"--upstream", ""});
  flags.insert(flags.end(), extra.begin(), extra.end());
  auto& slot = nodes_[unit];
  if (slot && slot->running()) return Status::FailedPrecondition(unit + " is already running");
  slot = std::make_unique<NodeProcess>(options_.node_binary, dir, flags, options_.detach);
  HOSO_RETURN_IF_ERROR(slot->Start());
  if (has_children) listen_[unit] = slot->listen();
  return Status::Ok();
}

Result<int> LocalNetwork::Stop(const std::string& unit) { return nodes_.at(unit)->Stop(); }

void LocalNetwork::Kill(const std::string& unit) { nodes_.at(unit)->Kill(); }

Result<json::value> LocalNetwork::Call(const std::string& unit, const std::string& method,
                                       const std::string& target, const std::string& body) {
  HOSO_ASSIGN_OR_RETURN(ApiClient client, ApiClient::ForNode(NodeDir(unit)));
  HOSO_ASSIGN_OR_RETURN(ApiReply reply, client.Call(method, target, body));
  if (reply.status >= 300) {
    return Status::FailedPrecondition(unit + " " + method + " " + target + ": HTTP " +
                                      std::to_string(reply.status) + " " + reply.body);
  }
  return node::ParseJson(reply.body);
}

Status LocalNetwork::LoadDirectory(std::chrono::milliseconds timeout) {
  std::string csv = UnitsCsv(options_.units);
  const std::string& root = options_.members[0];
  HOSO_ASSIGN_OR_RETURN(ApiClient client, ApiClient::ForNode(NodeDir(root)));
  HOSO_ASSIGN_OR_RETURN(ApiReply reply,
                        client.Call("POST", "/v1/directory?officer=system", csv, "text/csv"));
  if (reply.status != 201) {
    return Status::FailedPrecondition("loading the directory: HTTP " +
                                      std::to_string(reply.status) + " " + reply.body);
  }
  return WaitForEveryNode(
      [&](const std::string& unit) {
        auto info = Call(unit, "GET", "/v1/node");
        return info.ok() &&
               info->at("directory_units").to_number<size_t>() == options_.units.size();
      },
      "the directory", timeout);
}

Status LocalNetwork::WaitForEveryNode(const std::function<bool(const std::string&)>& holds,
                                      const std::string& what, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool all = true;
    for (const auto& [unit, proc] : nodes_) all &= !proc->running() || holds(unit);
    if (all) return Status::Ok();
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::IOError(what + " did not reach every node in time");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Result<std::map<std::string, std::string>> LocalNetwork::Fingerprints(const std::string& unit) {
  HOSO_ASSIGN_OR_RETURN(json::value scope, Call(unit, "GET", "/v1/scope"));
  std::map<std::string, std::string> out;
  for (const auto& c : scope.as_object().at("channels").as_array()) {
    out[std::string(c.at("channel").as_string())] = std::string(c.at("fingerprint").as_string());
  }
  return out;
}

Result<bool> LocalNetwork::Converged() {
  std::map<std::string, std::map<std::string, std::string>> fps;
  for (const auto& m : options_.members) {
    if (!nodes_.count(m) || !nodes_[m]->running()) return false;
    HOSO_ASSIGN_OR_RETURN(fps[m], Fingerprints(m));
  }
  for (const auto& m : options_.members) {
    const std::string& mine = fps[m][m];
    for (std::string up = parent_[m]; !up.empty(); up = parent_[up]) {
      if (fps[up][m] != mine) return false;
    }
  }
  return true;
}

Status LocalNetwork::WaitConverged(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto c = Converged();
    if (c.ok() && *c) return Status::Ok();
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::IOError("the network did not converge within " +
                             std::to_string(timeout.count() / 1000) + " s" +
                             (c.ok() ? "" : ": " + c.status().message()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace hoso::tools
