// hoso-node: runs one office's node (docs/operations.md).
//
//   hoso-node [--dir DIR] [--config FILE] [--<option> VALUE ...]
//   hoso-node --version | --help
//
// Exit codes: 0 stopped cleanly (SIGTERM or SIGINT), 2 bad command line or config, 1 the node
// could not start or failed. SIGHUP reloads the CRL, the API's web certificate and the log
// level.
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "node/config.h"
#include "node/daemon.h"
#include "node/health_source.h"
#include "node/log.h"

using namespace hoso;
using namespace hoso::node;

namespace {

void PrintHelp() {
  std::printf(
      "Usage: hoso-node [--dir DIR] [--config FILE] [--OPTION VALUE ...]\n"
      "  or:  hoso-node --version | --help\n\n"
      "Runs one office's hoso node: its case log, sync with parent and child offices over\n"
      "mutual TLS, and the local API. DIR is the data directory made by `hoso init`\n"
      "(default: $HOSO_DIR, else the current directory); FILE defaults to DIR/hoso.conf.\n"
      "Every option below may be set in the file or as a flag; flags win.\n\nOptions:\n");
  for (const auto& o : NodeOptions()) {
    std::printf("  --%-22s %s\n  %-24s (default: %s)\n", std::string(o.name).c_str(),
                std::string(o.help).c_str(), "",
                o.default_text.empty() ? "empty" : std::string(o.default_text).c_str());
  }
  std::printf(
      "\nSignals: SIGTERM/SIGINT stop cleanly (exit 0); SIGHUP reloads the CRL, api_cert and\n"
      "log_level.\n"
      "Exit codes: 0 clean stop, 1 could not start or failed, 2 bad command line or config.\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      PrintHelp();
      return 0;
    }
    if (a == "--version") {
      std::printf("%s\n", BuildVersion("hoso-node").c_str());
      return 0;
    }
  }
  Logger log;
  auto config = LoadNodeConfig(args);
  if (!config.ok()) {
    std::fprintf(stderr, "hoso-node: %s\n", config.status().message().c_str());
    return 2;
  }
  // Signals are taken by sigwait below, never by a handler: block them before any thread
  // starts so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto node = NodeDaemon::Start(*config, &log);
  if (!node.ok()) {
    log.Log(LogLevel::kError, "node", "cannot start: " + node.status().message());
    std::fprintf(stderr, "hoso-node: %s\n", node.status().message().c_str());
    return 1;
  }
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) continue;
    if (sig == SIGHUP) {
      auto reread = LoadNodeConfig(args);
      if (reread.ok()) {
        log.SetLevel(ParseLogLevel(reread->log_level));
        log.Log(LogLevel::kInfo, "node", "log level " + reread->log_level);
      } else {
        log.Log(LogLevel::kWarn, "node",
                "config not reloaded: " + reread.status().message() + " (keeping the old one)");
      }
      Status s = (*node)->ReloadCrl();
      if (!s.ok()) log.Log(LogLevel::kError, "node", "CRL not reloaded: " + s.message());
      Status w = (*node)->ReloadApiCertificate();
      if (!w.ok()) {
        log.Log(LogLevel::kError, "node",
                "web certificate not reloaded (the old one is served): " + w.message());
      }
      continue;
    }
    log.Log(LogLevel::kInfo, "node", sig == SIGTERM ? "SIGTERM received" : "SIGINT received");
    (*node)->Stop();
    return 0;
  }
}
