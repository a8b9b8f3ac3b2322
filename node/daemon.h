// NodeDaemon: one office's running node, wired from its NodeConfig: the store (RocksDB), sync
// (SyncNode: peers and upstreams over mutual TLS), and the local API (ApiServer).
//
// Start checks everything it is given before anything listens: the certificate chains to the
// CA and is not revoked, the key matches it, the key and token files are private (0600), the
// config is complete, an API beyond loopback has its web certificate (node/api_tls.h). Each
// failure says which file or option and what to do. Once started, the node works with no
// upstream reachable; sync status shows since when it is offline.
// Stop finishes the API requests being handled, closes peers (bounded), and closes the store
// (RocksDB flushes; every acknowledged write was already WAL-synced).
// On start the node writes <dir>/run.json: {"pid", "api", "api_scheme", "listen", "unit",
// "epoch"}, the addresses actually bound (port 0 in the config picks a free one) and "http" or
// "https", for the CLI and tests.
// Before sync or the API start, a set-up bundle in <dir>/system.bundle (the root's system
// channels: directory, catalogue, calendar, revocations; tools/provision.h) is imported as a
// bundle from sync would be (sync::ImportSystemBundle), so a new office receives cases before
// its first sync. Each file is imported once (its SHA-256 is kept in the meta key
// "setup/system-bundle"). A file that does not verify is refused whole and logged as an
// error, and the node starts as it would without one: it stores nothing from the file, and
// learns the channels by sync.
// Thread-safety: Start, ReloadCrl, ReloadApiCertificate and Stop from one thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/base/status.h"
#include "node/config.h"
#include "node/log.h"

namespace hoso::node {

class NodeDaemon {
 public:
  static Result<std::unique_ptr<NodeDaemon>> Start(NodeConfig config, Logger* log);
  ~NodeDaemon();
  // Re-reads the CRL file (SIGHUP).
  Status ReloadCrl();
  // Re-reads the API's web certificate and key (SIGHUP) for new connections; a refused one
  // (missing, not matching) leaves the old one served.
  Status ReloadApiCertificate();
  void Stop();
  const NodeConfig& config() const;

 private:
  struct Impl;
  explicit NodeDaemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The set-up bundle's file name, in a node bundle and in a data directory.
inline constexpr std::string_view kSystemBundleFile = "system.bundle";
// The meta key holding the hex SHA-256 of the last set-up bundle imported.
inline constexpr std::string_view kSetupBundleMeta = "setup/system-bundle";

// <data dir>/run.json, written by a node once it listens (see NodeDaemon).
struct RunFile {
  int64_t pid = 0;
  std::string unit, api, listen;
  std::string api_scheme = "http";  // "https" when the API serves TLS
};
// NotFound when the node has not written one (not started, or stopped cleanly).
Result<RunFile> ReadRunFile(const std::string& data_dir);
// FailedPrecondition when the node of `data_dir` runs (its run file names a live process; one
// of another user, EPERM, counts: the node under systemd), for what needs it stopped.
Status CheckNodeStopped(const std::string& data_dir);

// Reads a file that must be private to its owner (mode 0600 or stricter): keys and tokens.
Result<std::string> ReadPrivateFile(const std::string& path, std::string_view what);
Result<std::string> ReadTextFile(const std::string& path, std::string_view what);
// Writes `path` through a temporary file, renamed into place; the file and its folder are
// synced, so the new file survives a power cut once this returns.
Status WriteFileAtomic(const std::string& path, const std::string& data, unsigned mode = 0644);
// `base`, else `base`-2, -3, ...: the first of them nothing in the file system has.
std::string UnusedPath(const std::string& base);
// A UTC time for a file name: "2026-12-01T133205Z".
std::string FileTimeStamp(int64_t unix_seconds);
inline Status WritePrivateFile(const std::string& path, const std::string& data) {
  return WriteFileAtomic(path, data, 0600);
}

}  // namespace hoso::node
