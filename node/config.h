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

#include "core/status.h"

namespace hoso::node {

struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

// "host:port" with port 0..65535 (0: any free port, for tests).
Result<HostPort> ParseHostPort(std::string_view text);

struct NodeConfig {
  std::string dir = ".";  // the data directory
  std::string root;       // the deployment's root unit (writes the directory), e.g. "89"
  std::string db = "db";
  std::string ca = "tls/ca.pem";
  std::string cert = "tls/node.pem";
  std::string key = "tls/node.key";
  std::string crl = "tls/crl.pem";  // optional: a missing file means no revocations yet
  std::string token_file = "api-token";
  std::string officers_file = "officers.json";
  std::string listen;  // peers' address; empty: this node accepts no peers
  std::vector<std::string> upstream;
  std::string api = "127.0.0.1:7480";
  // Host names (or addresses) clients use to reach the API besides its bound address and
  // loopback: "name" (the API's port) or "name:port". Any other Host header gets 421.
  std::vector<std::string> api_names;
  std::string log_level = "info";
  std::string pid_file;
  int64_t handshake_timeout_ms = 10000;
  int64_t idle_timeout_ms = 90000;
  int64_t keepalive_ms = 30000;
  int64_t backoff_min_ms = 200;
  int64_t backoff_max_ms = 30000;

  // A path option resolved against the data directory.
  std::string Path(const std::string& p) const;
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
