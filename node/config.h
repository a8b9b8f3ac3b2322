// NodeConfig: everything hoso-node needs to run one office's node, from its data directory's
// config file and the command line.
//
// The config file (<dir>/hoso.conf by default) is UTF-8 text, one option per line:
//
//   file   = *(line LF)
//   line   = ws [ name ws "=" ws value ws ] [ "#" comment ]
//   name   = 1*( ALPHA / DIGIT / "_" )      ; one of the options in kNodeOptions
//   value  = *( any byte except LF and "#" ) ; trimmed; "upstream" takes a comma-separated list
//
// Every option is also a flag (--name value or --name=value); flags override the file, and
// the file overrides the defaults. Relative paths are relative to the data directory. Unknown
// options, repeated options and malformed values are refused with the line or flag named.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace hoso::node {

struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

// "host:port" with port 0..65535 (0: any free port, for tests).
Result<HostPort> ParseHostPort(std::string_view text);

// An `upstream` entry: "UNIT@host:port" pins the parent, whose certificate must name UNIT
// (a peer answering there with another office's certificate is refused); a bare
// "host:port" still works, unpinned, and the node warns about it at start.
struct Upstream {
  std::string unit;  // empty: not pinned
  HostPort address;
};
Result<Upstream> ParseUpstream(std::string_view text);

// Whether `host` (an address literal, or "localhost") is a loopback address. Anything else,
// a wildcard address included, reaches beyond this machine.
bool IsLoopbackHost(std::string_view host);

struct NodeConfig {
  std::string dir = ".";  // the data directory
  // The file the options were read from (--config, else <dir>/hoso.conf when it exists);
  // empty when there was none. Set by LoadNodeConfig, not an option.
  std::string config_file;
  std::string root;  // the deployment's root unit (writes the directory), e.g. "89"
  std::string db = "db";
  std::string ca = "tls/ca.pem";
  std::string cert = "tls/node.pem";
  std::string key = "tls/node.key";
  std::string crl = "tls/crl.pem";  // optional: a missing file means no revocations yet
  std::string token_file = "api-token";
  // The master key encrypting the case log (node/master_key.h); a systemd credential named
  // master.key takes its place.
  std::string master_key = "master.key";
  std::string officers_file = "officers.json";
  std::string listen;                 // peers' address; empty: this node accepts no peers
  std::vector<std::string> upstream;  // "UNIT@host:port" or "host:port" (ParseUpstream)
  std::string api = "127.0.0.1:7480";
  // Host names (or addresses) clients use to reach the API besides its bound address and
  // loopback: "name" (the API's port) or "name:port". Any other Host header gets 421.
  std::vector<std::string> api_names;
  // HTTPS for the API (docs/operations.md, "HTTPS on the office LAN"): "auto" serves it
  // whenever `api` is not a loopback address, "always" on loopback too. There is no "never":
  // the API is never plain HTTP beyond loopback.
  std::string api_tls = "auto";
  std::string api_cert = "tls/web.pem";   // the API's certificate chain (hoso cert web)
  std::string api_key = "tls/web.key";    // its key, mode 0600
  std::string api_ca = "tls/web-ca.pem";  // the root that signed it, for the hoso CLI
  int64_t api_workers = 4;  // threads the API's requests run on (ApiServerOptions::workers)
  // The API port's connections (ApiServerOptions::connections, node/api_limits.h): in total,
  // per remote address, not yet authenticated (the oldest waiting makes room); each sends its
  // first byte within api_first_byte_ms.
  int64_t api_max_conns = 512;
  int64_t api_max_conns_per_address = 32;
  int64_t api_max_pending_conns = 64;
  int64_t api_first_byte_ms = 3000;
  std::string log_level = "info";
  std::string pid_file;
  int64_t handshake_timeout_ms = 10000;
  int64_t idle_timeout_ms = 90000;
  int64_t keepalive_ms = 30000;
  int64_t health_interval_ms = 60000;  // office health: a report to the parent this often
  int64_t backoff_min_ms = 200;
  int64_t backoff_max_ms = 30000;
  // RocksDB's block cache for the case log (StoreOptions::block_cache_mb): the largest part of
  // an idle node's memory once its self-check has read everything.
  int64_t store_cache_mib = 32;
  // The sync port's connections and received batches (sync::TlsConfig, same defaults):
  // max_conns, max_conns_per_address, max_pre_tls_conns, tls_start_timeout,
  // max_inflight_batch_bytes and max_session_batch_bytes (in MiB).
  int64_t sync_max_conns = 256;
  int64_t sync_max_conns_per_address = 8;
  int64_t sync_max_pre_tls_conns = 64;
  int64_t sync_tls_start_timeout_ms = 3000;
  int64_t sync_batch_budget_mib = 256;
  int64_t sync_identity_batch_mib = 32;
  // The documents lane (sync::SessionOptions): how long a new case may wait behind file bytes
  // on a link, and the most file bytes asked of one peer at once (0: fetch none from peers).
  int64_t sync_document_delay_ms = 1000;
  int64_t sync_document_window_kib = 2048;
  // Documents (docs/documents.md): 0 fetches every file a case in scope attaches as soon as it
  // is learned of; N only those attached in the last N days (older ones on demand).
  int64_t documents_fetch_recent_days = 0;
  // Uploads: the largest file, and the most files' bytes one case may hold (MiB).
  int64_t documents_max_file_mib = 20;
  int64_t documents_max_case_mib = 200;

  // A path option resolved against the data directory.
  std::string Path(const std::string& p) const;
  // Whether the API serves HTTPS (api_tls and the bound address).
  bool ApiUsesTls() const;
};

struct OptionInfo {
  std::string_view name;
  std::string_view default_text;
  std::string_view help;
};
// Every option, in the order docs/operations.md and `hoso-node --help` list them.
const std::vector<OptionInfo>& NodeOptions();

// Applies one option (from the file or a flag); `where` names it in errors.
Status SetOption(NodeConfig* config, std::string_view name, std::string_view value,
                 std::string_view where);
// Parses a config file's text into *config.
Status ParseConfigText(std::string_view text, std::string_view file_name, NodeConfig* config);
// Checks the options that must be present and consistent (root set, addresses well formed).
Status Validate(const NodeConfig& config);

// The command line of hoso-node: --dir D (default $HOSO_DIR, else "."), --config F (default
// D/hoso.conf; must exist unless given flags make it unnecessary), then any option as a flag.
Result<NodeConfig> LoadNodeConfig(const std::vector<std::string>& args);

// A config file with the given options set and every other one commented with its default.
std::string RenderConfig(const NodeConfig& config);

}  // namespace hoso::node
