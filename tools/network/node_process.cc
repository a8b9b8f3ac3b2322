#include "tools/network/node_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "node/daemon.h"

namespace hoso::tools {
namespace fs = std::filesystem;

std::string ExecutableDir() {
  std::error_code ec;
  return fs::read_symlink("/proc/self/exe", ec).parent_path().string();
}

NodeProcess::NodeProcess(std::string binary, std::string dir, std::vector<std::string> extra_args,
                         bool detach)
    : binary_(std::move(binary)),
      dir_(std::move(dir)),
      args_(std::move(extra_args)),
      detach_(detach) {}

NodeProcess::~NodeProcess() { Kill(); }

Status NodeProcess::Start(std::chrono::milliseconds timeout) {
  std::error_code ec;
  fs::remove(dir_ + "/run.json", ec);  // a stale one from a killed process
  std::vector<std::string> argv = {binary_, "--dir", dir_};
  argv.insert(argv.end(), args_.begin(), args_.end());
  std::string log = dir_ + "/node.log";
  pid_t pid = ::fork();
  if (pid < 0) return Status::IOError("fork failed");
  if (pid == 0) {
    if (detach_) ::setsid();
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    ::execv(binary_.c_str(), cargv.data());
    ::_exit(127);
  }
  pid_ = pid;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      return Status::FailedPrecondition("hoso-node for " + dir_ + " exited at start (status " +
                                        std::to_string(WEXITSTATUS(status)) + "), see " + log);
    }
    if (auto run = node::ReadRunFile(dir_); run.ok() && run->pid == pid_) {
      api_ = run->api;
      listen_ = run->listen;
      return Status::Ok();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Kill();
  return Status::IOError("hoso-node for " + dir_ + " did not become ready, see " + log);
}

Result<int> NodeProcess::Stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return Status::FailedPrecondition("not running");
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Kill();
  return Status::IOError("hoso-node for " + dir_ + " did not stop within the timeout");
}

void NodeProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status;
  ::waitpid(pid_, &status, 0);
  pid_ = 0;
}

}  // namespace hoso::tools
