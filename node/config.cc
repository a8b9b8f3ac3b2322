#include "node/config.h"

#include <boost/asio/ip/address.hpp>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "core/base/text.h"
#include "core/format/event.h"
#include "sync/messages.h"

namespace hoso::node {
namespace {

Status Bad(std::string_view where, std::string_view name, const std::string& why) {
  return Status::InvalidArgument(std::string(where) + ": option '" + std::string(name) +
                                 "': " + why);
}

// The most connections a cap may name: the systemd unit's descriptor limit.
constexpr int64_t kMaxConns = 65536;
// A batch is up to 32 MiB decompressed (sync/messages.h): a smaller budget refuses them all.
constexpr int64_t kMinBatchMib = int64_t{sync::kMaxBatchPlainBytes >> 20};

struct Option {
  std::string_view name;
  std::string_view help;
  std::function<Status(NodeConfig*, std::string_view, std::string_view)> set;
  std::function<std::string(const NodeConfig&)> get;
};

Option Text(std::string_view name, std::string NodeConfig::*field, std::string_view help) {
  return {name, help,
          [field](NodeConfig* c, std::string_view v, std::string_view) {
            c->*field = std::string(v);
            return Status::Ok();
          },
          [field](const NodeConfig& c) { return c.*field; }};
}

// A whole number from `min` to `max`.
Option Count(std::string_view name, int64_t NodeConfig::*field, int64_t min, int64_t max,
             std::string_view help) {
  return {name, help,
          [field, name, min, max](NodeConfig* c, std::string_view v, std::string_view where) {
            int64_t n = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (ec != std::errc() || p != v.data() + v.size() || n < min || n > max) {
              return Bad(where, name,
                         "expected a whole number from " + std::to_string(min) + " to " +
                             std::to_string(max) + ", got '" + std::string(v) + "'");
            }
            c->*field = n;
            return Status::Ok();
          },
          [field](const NodeConfig& c) { return std::to_string(c.*field); }};
}

Option Millis(std::string_view name, int64_t NodeConfig::*field, std::string_view help) {
  return {name, help,
          [field, name](NodeConfig* c, std::string_view v, std::string_view where) {
            int64_t n = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (ec != std::errc() || p != v.data() + v.size() || n <= 0 || n > 86400000) {
              return Bad(
                  where, name,
                  "expected milliseconds between 1 and 86400000, got '" + std::string(v) + "'");
            }
            c->*field = n;
            return Status::Ok();
          },
          [field](const NodeConfig& c) { return std::to_string(c.*field); }};
}

const std::vector<Option>& Options() {
  static const std::vector<Option> options = {
      Text("root", &NodeConfig::root,
           "unit code of the deployment's root authority (the province), e.g. 89; required"),
      Text("db", &NodeConfig::db, "RocksDB directory of the case log"),
      Text("ca", &NodeConfig::ca, "the deployment CA's certificate (PEM)"),
      Text("cert", &NodeConfig::cert, "this node's certificate (PEM), from `hoso ca issue`"),
      Text("key", &NodeConfig::key, "this node's private key (PEM, mode 0600)"),
      Text("crl", &NodeConfig::crl, "the CA's revocation list (PEM); reloaded on SIGHUP"),
      Text("token_file", &NodeConfig::token_file, "bearer token of the local API (mode 0600)"),
      Text("master_key", &NodeConfig::master_key,
           "the key encrypting the case log (mode 0600; made at the first start); "
           "$CREDENTIALS_DIRECTORY/master.key replaces it"),
      Text("officers_file", &NodeConfig::officers_file,
           "officer accounts of the web app (hoso officer add; mode 0600)"),
      Text("listen", &NodeConfig::listen,
           "host:port where peers (child offices) connect; empty: accept no peers"),
      {"upstream",
       "parent node: UNIT@host:port (its certificate must name UNIT) or host:port (not pinned); "
       "a comma-separated list, or the flag repeated",
       [](NodeConfig* c, std::string_view v, std::string_view where) {
         for (std::string_view item : SplitList(v)) {
           auto up = ParseUpstream(item);
           if (!up.ok()) return Bad(where, "upstream", up.status().message());
           c->upstream.emplace_back(item);
         }
         return Status::Ok();
       },
       [](const NodeConfig& c) {
         std::string out;
         for (const auto& u : c.upstream) out += (out.empty() ? "" : ", ") + u;
         return out;
       }},
      Text("api", &NodeConfig::api, "host:port of the local HTTP API (keep it on loopback)"),
      {"api_names",
       "names or addresses the API is reached by, besides its bound address and loopback "
       "(name or name:port; comma-separated); any other Host header is refused",
       [](NodeConfig* c, std::string_view v, std::string_view where) {
         for (std::string_view item : SplitList(v)) {
           if (item.empty() || item.size() > 255 ||
               item.find_first_of(" /\\@?#\t") != std::string_view::npos) {
             return Bad(where, "api_names", "'" + std::string(item) + "' is not a host name");
           }
           c->api_names.emplace_back(item);
         }
         return Status::Ok();
       },
       [](const NodeConfig& c) {
         std::string out;
         for (const auto& u : c.api_names) out += (out.empty() ? "" : ", ") + u;
         return out;
       }},
      {"api_tls", "auto: HTTPS whenever api is not a loopback address; always: on loopback too",
       [](NodeConfig* c, std::string_view v, std::string_view where) {
         if (v != "auto" && v != "always") {
           return Bad(where, "api_tls", "expected auto or always, got '" + std::string(v) + "'");
         }
         c->api_tls = std::string(v);
         return Status::Ok();
       },
       [](const NodeConfig& c) { return c.api_tls; }},
      Text("api_cert", &NodeConfig::api_cert,
           "the API's HTTPS certificate (PEM), from `hoso cert web`; reloaded on SIGHUP"),
      Text("api_key", &NodeConfig::api_key, "the API's HTTPS key (PEM, mode 0600)"),
      Text("api_ca", &NodeConfig::api_ca,
           "the root that signed api_cert (the province's web root): the hoso CLI verifies the "
           "API with it, and office browsers install it"),
      Count("api_workers", &NodeConfig::api_workers, 1, 64,
            "threads the API's requests run on, off the threads that read and write the "
            "connections (writes at different cases commit together)"),
      Count("api_max_conns", &NodeConfig::api_max_conns, 1, kMaxConns,
            "connections the API holds at once; past it the oldest not yet authenticated "
            "and waiting for a request is closed to make room, else the new one"),
      Count("api_max_conns_per_address", &NodeConfig::api_max_conns_per_address, 1, kMaxConns,
            "connections the API holds from one remote address; past it that address's oldest "
            "not yet authenticated is closed to make room, else the new one"),
      Count("api_max_pending_conns", &NodeConfig::api_max_pending_conns, 1, kMaxConns,
            "API connections not yet authenticated; past it the oldest waiting for a request is "
            "closed to make room"),
      Millis("api_first_byte_ms", &NodeConfig::api_first_byte_ms,
             "an API connection that sends nothing in this time is closed"),
      {"log_level", "debug, info, warn or error; reloaded on SIGHUP",
       [](NodeConfig* c, std::string_view v, std::string_view where) {
         static const std::set<std::string_view> levels = {"debug", "info", "warn", "error"};
         if (!levels.count(v)) {
           return Bad(where, "log_level",
                      "expected debug, info, warn or error, got '" + std::string(v) + "'");
         }
         c->log_level = std::string(v);
         return Status::Ok();
       },
       [](const NodeConfig& c) { return c.log_level; }},
      Text("pid_file", &NodeConfig::pid_file, "file to write the process id to; empty: none"),
      Millis("handshake_timeout_ms", &NodeConfig::handshake_timeout_ms,
             "a TLS handshake not finished in this time is dropped"),
      Millis("idle_timeout_ms", &NodeConfig::idle_timeout_ms,
             "a peer silent for this long is disconnected"),
      Millis("keepalive_ms", &NodeConfig::keepalive_ms, "a PING is sent after this much quiet"),
      Millis("health_interval_ms", &NodeConfig::health_interval_ms,
             "this node's health report goes to its parent this often (paced by the keepalive)"),
      Millis("backoff_min_ms", &NodeConfig::backoff_min_ms,
             "first delay before reconnecting to an upstream"),
      Millis("backoff_max_ms", &NodeConfig::backoff_max_ms,
             "longest delay between reconnection attempts"),
      Count("store_cache_mib", &NodeConfig::store_cache_mib, 4, 65536,
            "MiB of block cache for the case log, most of an idle node's memory; 8 to 16 on a "
            "small office machine (64 MB), at the cost of more reads from disk"),
      Count("sync_max_conns", &NodeConfig::sync_max_conns, 1, kMaxConns,
            "peer connections the sync port holds at once, handshakes included"),
      Count("sync_max_conns_per_address", &NodeConfig::sync_max_conns_per_address, 1, kMaxConns,
            "peer connections from one remote address; one past it is closed before TLS"),
      Count("sync_max_pre_tls_conns", &NodeConfig::sync_max_pre_tls_conns, 1, kMaxConns,
            "peer connections not yet through TLS; past it the oldest is closed to make room"),
      Millis("sync_tls_start_timeout_ms", &NodeConfig::sync_tls_start_timeout_ms,
             "a peer connection that sends nothing in this time is closed"),
      Count("sync_batch_budget_mib", &NodeConfig::sync_batch_budget_mib, kMinBatchMib, 65536,
            "MiB of received batches held at once across all peers (decompressed, queued or "
            "being ingested); past it a session ends with \"node busy\""),
      Count("sync_identity_batch_mib", &NodeConfig::sync_identity_batch_mib, kMinBatchMib, 65536,
            "MiB of those one peer identity may hold; past it its reader waits"),
      Millis("sync_document_delay_ms", &NodeConfig::sync_document_delay_ms,
             "the longest a case's events should wait behind file bytes on a link: the file "
             "bytes asked of a peer at once follow the link's measured rate to this delay"),
      Count("sync_document_window_kib", &NodeConfig::sync_document_window_kib, 0, 4096,
            "KiB of file bytes asked of one peer at most (a fast link needs rate x delay; "
            "at most half a connection's 8 MiB send queue, which a holder's answers fill); "
            "0: this node fetches no files from peers (it still serves them)"),
      Count("documents_fetch_recent_days", &NodeConfig::documents_fetch_recent_days, 0, 36500,
            "0: every file of a case in scope is fetched as soon as it is learned of; N: only "
            "files attached in the last N days, older ones when a clerk opens them"),
      Count("documents_max_file_mib", &NodeConfig::documents_max_file_mib, 1, 128,
            "MiB of the largest file a clerk may attach"),
      Count("documents_max_case_mib", &NodeConfig::documents_max_case_mib, 1, 65536,
            "MiB of files one case may hold (withdrawn files count)"),
  };
  return options;
}

const Option* FindOption(std::string_view name) {
  for (const auto& o : Options()) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Result<HostPort> ParseHostPort(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status::InvalidArgument("expected host:port, got '" + std::string(text) + "'");
  }
  HostPort hp;
  hp.host = std::string(text.substr(0, colon));
  if (hp.host.size() > 2 && hp.host.front() == '[' && hp.host.back() == ']') {
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  }
  std::string_view port = text.substr(colon + 1);
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || p != port.data() + port.size() || value > 65535) {
    return Status::InvalidArgument("port of '" + std::string(text) +
                                   "' is not a number from 0 to 65535");
  }
  hp.port = static_cast<uint16_t>(value);
  return hp;
}

Result<Upstream> ParseUpstream(std::string_view text) {
  Upstream up;
  size_t at = text.find('@');
  if (at != std::string_view::npos && text.find('@', at + 1) != std::string_view::npos) {
    return Status::InvalidArgument("expected UNIT@host:port or host:port, got '" +
                                   std::string(text) + "'");
  }
  if (at != std::string_view::npos) {
    up.unit = std::string(text.substr(0, at));
    Status valid = ValidateName("unit", up.unit);
    if (!valid.ok() || up.unit.front() == '$') {
      return Status::InvalidArgument("the unit before '@' in '" + std::string(text) +
                                     "' is not a unit code (UNIT@host:port)");
    }
    text = text.substr(at + 1);
  }
  HOSO_ASSIGN_OR_RETURN(up.address, ParseHostPort(text));
  return up;
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") return true;
  std::string h(host);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(h, ec);
  return !ec && address.is_loopback();
}

bool NodeConfig::ApiUsesTls() const {
  if (api_tls == "always") return true;
  auto hp = ParseHostPort(api);
  return !hp.ok() || !IsLoopbackHost(hp->host);
}

std::string NodeConfig::Path(const std::string& p) const {
  if (p.empty() || p.front() == '/') return p;
  return dir + "/" + p;
}

const std::vector<OptionInfo>& NodeOptions() {
  static const std::vector<OptionInfo> infos = [] {
    std::vector<OptionInfo> out;
    static NodeConfig defaults;
    static std::vector<std::string> texts;
    texts.reserve(Options().size());
    for (const auto& o : Options()) {
      texts.push_back(o.get(defaults));
      out.push_back({o.name, texts.back(), o.help});
    }
    return out;
  }();
  return infos;
}

Status SetOption(NodeConfig* config, std::string_view name, std::string_view value,
                 std::string_view where) {
  const Option* o = FindOption(name);
  if (!o) {
    return Status::InvalidArgument(std::string(where) + ": unknown option '" + std::string(name) +
                                   "' (see hoso-node --help)");
  }
  return o->set(config, TrimSpace(value), where);
}

Status ParseConfigText(std::string_view text, std::string_view file_name, NodeConfig* config) {
  std::set<std::string> seen;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? "" : text.substr(nl + 1);
    line = TrimSpace(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    std::string where = std::string(file_name) + ":" + std::to_string(line_no);
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument(where + ": expected 'name = value', got '" +
                                     std::string(line) + "'");
    }
    std::string name(TrimSpace(line.substr(0, eq)));
    if (!seen.insert(name).second) {
      return Status::InvalidArgument(where + ": option '" + name + "' is set twice");
    }
    HOSO_RETURN_IF_ERROR(SetOption(config, name, line.substr(eq + 1), where));
  }
  return Status::Ok();
}

Status Validate(const NodeConfig& c) {
  if (c.root.empty()) {
    return Status::InvalidArgument(
        "option 'root' is not set: give the root unit code (e.g. root = 89) in hoso.conf or "
        "--root");
  }
  auto api = ParseHostPort(c.api);
  if (!api.ok()) return api.status().Annotate("option 'api'");
  if (!c.listen.empty()) {
    auto listen = ParseHostPort(c.listen);
    if (!listen.ok()) return listen.status().Annotate("option 'listen'");
  }
  // Each part no larger than its whole.
  struct AtMost {
    const char* part;
    int64_t value;
    const char* whole;
    int64_t limit;
  };
  for (const AtMost& a : {
           AtMost{"backoff_min_ms", c.backoff_min_ms, "backoff_max_ms", c.backoff_max_ms},
           AtMost{"api_max_conns_per_address", c.api_max_conns_per_address, "api_max_conns",
                  c.api_max_conns},
           AtMost{"api_max_pending_conns", c.api_max_pending_conns, "api_max_conns",
                  c.api_max_conns},
           AtMost{"sync_max_conns_per_address", c.sync_max_conns_per_address, "sync_max_conns",
                  c.sync_max_conns},
           AtMost{"sync_max_pre_tls_conns", c.sync_max_pre_tls_conns, "sync_max_conns",
                  c.sync_max_conns},
           AtMost{"sync_tls_start_timeout_ms", c.sync_tls_start_timeout_ms, "handshake_timeout_ms",
                  c.handshake_timeout_ms},
           AtMost{"sync_identity_batch_mib", c.sync_identity_batch_mib, "sync_batch_budget_mib",
                  c.sync_batch_budget_mib},
       }) {
    if (a.value > a.limit) {
      return Status::InvalidArgument(std::string(a.part) + " (" + std::to_string(a.value) +
                                     ") is above " + a.whole + " (" + std::to_string(a.limit) +
                                     ")");
    }
  }
  return Status::Ok();
}

Result<NodeConfig> LoadNodeConfig(const std::vector<std::string>& args) {
  // Flags as (name, value) pairs first: --dir and --config decide which file is read.
  std::vector<std::pair<std::string, std::string>> flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0 || a.size() == 2) {
      return Status::InvalidArgument("unexpected argument '" + a + "' (options are --name value)");
    }
    size_t eq = a.find('=');
    if (eq != std::string::npos) {
      flags.emplace_back(a.substr(2, eq - 2), a.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      flags.emplace_back(a.substr(2), args[++i]);
    } else {
      return Status::InvalidArgument("flag " + a + " needs a value");
    }
  }
  NodeConfig config;
  const char* env_dir = std::getenv("HOSO_DIR");
  if (env_dir && *env_dir) config.dir = env_dir;
  std::string file;
  for (const auto& [name, value] : flags) {
    if (name == "dir") config.dir = value;
    if (name == "config") file = value;
  }
  bool explicit_file = !file.empty();
  if (file.empty()) file = config.dir + "/hoso.conf";
  auto text = ReadWholeFile(file);
  if (text.ok()) {
    HOSO_RETURN_IF_ERROR(ParseConfigText(*text, file, &config));
    config.config_file = file;
  } else if (explicit_file) {
    return Status::NotFound("config file " + file + " cannot be read");
  }
  bool upstream_flag = false, names_flag = false;
  for (const auto& [name, value] : flags) {
    if (name == "dir" || name == "config") continue;
    if (name == "upstream" && !upstream_flag) {
      config.upstream.clear();  // flags replace the file's list
      upstream_flag = true;
    }
    if (name == "api_names" && !names_flag) {
      config.api_names.clear();  // the same for the API's names
      names_flag = true;
    }
    HOSO_RETURN_IF_ERROR(SetOption(&config, name, value, "--" + name));
  }
  if (!text.ok() && config.root.empty()) {
    return Status::NotFound("no config file at " + file +
                            ": create the node with `hoso init --dir " + config.dir +
                            "` or pass --dir");
  }
  HOSO_RETURN_IF_ERROR(Validate(config));
  return config;
}

std::string RenderConfig(const NodeConfig& config) {
  static const NodeConfig defaults;
  std::string out =
      "# hoso-node configuration (docs/operations.md). Every option is also a flag,\n"
      "# --name value, which overrides this file. Relative paths are relative to the data\n"
      "# directory. Commented lines show the defaults.\n";
  for (const auto& o : Options()) {
    std::string value = o.get(config);
    out += "\n# " + std::string(o.help) + "\n";
    if (value == o.get(defaults)) {
      out += "# " + std::string(o.name) + " = " + value + "\n";
    } else {
      out += std::string(o.name) + " = " + value + "\n";
    }
  }
  return out;
}

}  // namespace hoso::node
