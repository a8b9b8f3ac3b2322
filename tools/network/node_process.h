// NodeProcess: a hoso-node running as a child process, for the demo and the integration
// tests: started with a data directory and extra flags, its log in <dir>/node.log, ready once
// it has written <dir>/run.json, stopped with SIGTERM (clean) or SIGKILL (a crash).
// Thread-safety: one owner thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "tools/api_client.h"

namespace hoso::tools {

class NodeProcess {
 public:
  // `binary` is the hoso-node executable. `detach` starts it in its own session, so it
  // outlives its parent (demo --keep).
  NodeProcess(std::string binary, std::string dir, std::vector<std::string> extra_args = {},
              bool detach = false);
  ~NodeProcess();  // SIGKILLs a child still running (tests never leak nodes)
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  // Starts the process and waits until run.json names it (or it exits, or the timeout).
  Status Start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // SIGTERM and wait; returns the exit status (or -signal), or an error on timeout.
  Result<int> Stop(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // SIGKILL and reap.
  void Kill();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  // From run.json: the bound addresses.
  std::string api() const { return api_; }
  std::string listen() const { return listen_; }
  Result<ApiClient> Client() const { return ApiClient::ForNode(dir_); }
  void Forget() { pid_ = 0; }  // leave it running (demo --keep)

 private:
  std::string binary_, dir_;
  std::vector<std::string> args_;
  bool detach_;
  pid_t pid_ = 0;
  std::string api_, listen_;
};

// The directory of the running executable (sibling binaries live there).
std::string ExecutableDir();

}  // namespace hoso::tools
