#include "node/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "core/base/file_sync.h"
#include "core/base/text.h"
#include "core/domain/case_log.h"
#include "core/domain/personal_data.h"
#include "core/format/certificate.h"
#include "core/log/store.h"
#include "node/api_server.h"
#include "node/api_tls.h"
#include "node/background_loop.h"
#include "node/health_source.h"
#include "node/json.h"
#include "node/local_api.h"
#include "node/master_key.h"
#include "node/read_log.h"
#include "node/router.h"
#include "node/scope_watch.h"
#include "sync/bundle.h"
#include "sync/health.h"
#include "sync/tls/node.h"

namespace hoso::node {

Result<std::string> ReadTextFile(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::NotFound(std::string(what) + " " + path +
                            " cannot be read: " + std::strerror(errno));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string UnusedPath(const std::string& base) {
  std::string name = base;
  std::error_code ec;
  for (int n = 2; std::filesystem::exists(name, ec) || std::filesystem::is_symlink(name, ec); ++n) {
    name = base + "-" + std::to_string(n);
  }
  return name;
}

std::string FileTimeStamp(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H%M%SZ", &tm);
  return stamp;
}

Result<std::string> ReadPrivateFile(const std::string& path, std::string_view what) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    return Status::PermissionDenied(std::string(what) + " " + path +
                                    " is readable by other users: run chmod 600 " + path);
  }
  return ReadTextFile(path, what);
}

Status WriteFileAtomic(const std::string& path, const std::string& data, unsigned mode) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return Status::IOError("cannot write " + tmp + ": " + std::strerror(errno));
  ::fchmod(fd, mode);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      ::close(fd);
      return Status::IOError("cannot write " + tmp + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    return Status::IOError("cannot write " + tmp + ": " + std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::IOError("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return SyncParentDirectory(path);
}

Status CheckNodeStopped(const std::string& data_dir) {
  auto run = ReadRunFile(data_dir);
  if (run.ok() && (::kill(static_cast<pid_t>(run->pid), 0) == 0 || errno == EPERM)) {
    return Status::FailedPrecondition(
        "the node is running: stop it first (systemctl stop hoso-node)");
  }
  return Status::Ok();
}

Result<RunFile> ReadRunFile(const std::string& data_dir) {
  const std::string path = data_dir + "/run.json";
  HOSO_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, "run file"));
  auto v = ParseJson(text);
  const json::object* o = v.ok() ? v->if_object() : nullptr;
  auto text_of = [&](const char* k) -> const json::string* {
    return o && o->contains(k) ? o->at(k).if_string() : nullptr;
  };
  if (!o || !o->contains("pid") || !o->at("pid").is_int64() || !text_of("unit") ||
      !text_of("api") || !text_of("listen")) {
    return Status::Corruption(path + " is not a run file");
  }
  return RunFile{o->at("pid").as_int64(), std::string(*text_of("unit")),
                 std::string(*text_of("api")), std::string(*text_of("listen")),
                 text_of("api_scheme") ? std::string(*text_of("api_scheme")) : "http"};
}

struct NodeDaemon::Impl {
  NodeConfig config;
  Logger* log = nullptr;
  std::string ca_pem;
  std::mutex crl_mu;
  std::string crl_pem;  // the current CRL, for bundles (sync keeps its own copy)
  std::unique_ptr<Store> store;
  std::unique_ptr<sync::SyncNode> sync;
  std::unique_ptr<SelfCheck> self_check;    // joined before sync and the store go
  std::unique_ptr<ScopeWatch> scope_watch;  // likewise
  std::unique_ptr<Router> router;           // likewise
  // Confirms erasures (core/domain/personal_data.h, ConfirmErasures): likewise.
  std::unique_ptr<BackgroundLoop> erasure_watch;
  // Says in the log, at start and daily, what the reference data lacks (ReferenceWarnings:
  // no catalogue, a year without holidays ahead), so it is fixed before a deadline is wrong.
  std::unique_ptr<BackgroundLoop> reference_watch;  // reads api: stopped before it
  // Who read which case (node/read_log.h): the api records reads in it, so it goes after the
  // api, and its last flush before the store closes.
  std::unique_ptr<ReadLog> read_log;
  std::unique_ptr<LocalApi> api;
  std::unique_ptr<ApiServer> server;
  std::unique_ptr<ApiTlsState> api_tls;
  // Office health (sync/health.h): what this node's children report, shared with sync's
  // sessions; its source reads sync and the self-check, so it is stopped before them.
  std::shared_ptr<sync::HealthBook> health;
  ~Impl() {
    if (health) health->SetLocalSource({});  // before the members its source reads go
  }
  std::string run_file;

  Status Open();
  // The set-up bundle of system channels (<dir>/system.bundle, from hoso ca issue and hoso
  // init), imported before anything serves; a refused one is logged and the node goes on.
  void ImportSetupBundle(const CertificateInfo& id);
  // The end of the store's check at start: sync goes on, or stays held on damage.
  void Checked(const SelfCheckReport& r);
  // At the root: the erasures the catalogue's retention periods owe (RetentionErasures).
  void EraseExpired(int64_t now);
};

void NodeDaemon::Impl::EraseExpired(int64_t now) {
  auto due = RetentionErasures(*store, *api->Reference(), now);
  if (!due.ok()) {
    log->Log(LogLevel::kError, "erasure",
             "retention check failed (retried in a day): " + std::string(due.status().message()));
    return;
  }
  for (size_t at = 0; at < due->size(); at += kMaxAppendWrites) {
    size_t end = std::min(due->size(), at + kMaxAppendWrites);
    std::vector<LocalWrite> writes(due->begin() + at, due->begin() + end);
    auto appended = store->Append(std::move(writes));
    if (!appended.ok()) {
      log->Log(LogLevel::kError, "erasure",
               "writing retention erasures failed: " + std::string(appended.status().message()));
      return;
    }
  }
  if (!due->empty()) {
    log->Log(LogLevel::kInfo, "erasure",
             std::to_string(due->size()) +
                 " case(s) past their retention period: their personal data are erased");
  }
}

void NodeDaemon::Impl::Checked(const SelfCheckReport& r) {
  char took[32];
  std::snprintf(took, sizeof took, "%.2f", r.seconds);
  if (r.state == SelfCheckReport::State::kPassed) {
    log->Log(LogLevel::kInfo, "node",
             "self-check passed in " + std::string(took) + " s: " + std::to_string(r.streams) +
                 " streams, " + std::to_string(r.events) + " events, " + std::to_string(r.cases) +
                 " cases; sync starts");
    sync->Release();
    // Purges only once the check is done: a channel purged under the auditor reads as damage.
    scope_watch = std::make_unique<ScopeWatch>(store.get(), SystemClock::Default(), log);
    router = std::make_unique<Router>(
        store.get(), SystemClock::Default(), [self = this] { return self->api->Reference(); }, log);
    erasure_watch = std::make_unique<BackgroundLoop>([this](BackgroundLoop& loop) {
      int64_t retention_checked_ms = 0, confirmed_ms = 0;
      uint64_t erasures_seen = 0;
      while (loop.Wait(std::chrono::seconds(2))) {
        const int64_t now = SystemClock::Default()->NowMs();
        // A pass reads every erasure held: only when one arrived, or every 10 minutes (a case
        // erased before it reached this node is carried out then).
        if (store->ErasureCount() == erasures_seen && now - confirmed_ms < 600'000) continue;
        erasures_seen = store->ErasureCount();
        confirmed_ms = now;
        if (now - retention_checked_ms >= 24 * 3'600'000LL &&
            store->DirectorySnapshot()->IsRootAuthority(store->options().identity->unit, now)) {
          retention_checked_ms = now;
          EraseExpired(now);
        }
        auto confirmed = ConfirmErasures(*store, now);
        if (!confirmed.ok()) {
          erasures_seen = UINT64_MAX;  // retried at the next turn
          log->Log(
              LogLevel::kError, "erasure",
              "confirming erasures failed (retried): " + std::string(confirmed.status().message()));
        } else if (*confirmed > 0) {
          log->Log(LogLevel::kInfo, "erasure",
                   std::to_string(*confirmed) +
                       " erasure(s) carried out: the cases' keys are destroyed and scrubbed from "
                       "the store, and key.destroyed is signed");
        }
      }
    });
    return;
  }
  sync->Hold("the store failed its self-check");
  log->Log(LogLevel::kError, "node",
           "self-check found " + std::to_string(r.findings) +
               " problem(s) in the case log: sync stays held until the node is restored "
               "(docs/operations.md, \"The store checks itself\")");
  for (const auto& f : r.first_findings) log->Log(LogLevel::kError, "node", "self-check: " + f);
}

namespace {

// The CRL is optional: no file means no revocations yet.
Result<std::string> ReadCrl(const NodeConfig& c) {
  if (!std::filesystem::exists(c.Path(c.crl))) return std::string();
  return ReadTextFile(c.Path(c.crl), "CRL");
}

int64_t NowSeconds() { return SystemClock::Default()->NowMs() / 1000; }

}  // namespace

void NodeDaemon::Impl::ImportSetupBundle(const CertificateInfo& id) {
  const std::string path = config.dir + "/" + std::string(kSystemBundleFile);
  if (!std::filesystem::exists(path)) return;
  auto bytes = ReadTextFile(path, "set-up bundle");
  std::string digest = bytes.ok() ? Hex(AsView(Sha256(*bytes))) : "";
  std::string done;
  if (bytes.ok() && store->GetMeta(kSetupBundleMeta, &done).ok() && done == digest) return;
  auto refuse = [&](const std::string& why) {
    log->Log(LogLevel::kError, "node",
             "set-up bundle " + path + " refused: " + why +
                 "; nothing of it was stored. The node starts without it and learns the system "
                 "channels from upstream at its first sync (docs/operations.md, section 4)");
  };
  if (!bytes.ok()) return refuse(bytes.status().message());
  auto stats = sync::ImportSystemBundle(*store, *bytes, [&](const sync::OriginMsg& o) {
    return sync::CheckOriginCertificate(o, ca_pem, crl_pem, NowSeconds());
  });
  if (!stats.ok()) return refuse(stats.status().message());
  if (!stats->refused.empty()) {
    log->Log(LogLevel::kError, "node",
             "set-up bundle " + path + ": " + std::to_string(stats->refused.size()) +
                 " part(s) refused, the first: " + stats->refused.front() +
                 "; the node learns the rest at its first sync");
    return;
  }
  Status s = store->PutMeta(kSetupBundleMeta, digest, /*sync=*/true);
  if (!s.ok()) log->Log(LogLevel::kWarn, "node", "recording the set-up bundle: " + s.message());
  log->Log(LogLevel::kInfo, "node",
           "set-up bundle imported before the first sync: " + std::to_string(stats->applied) +
               " events of the system channels (" + std::to_string(stats->duplicates) +
               " already held), " + std::to_string(store->DirectorySnapshot()->size()) +
               " units in the directory; node " + id.unit + " receives cases offline");
}

Status NodeDaemon::Impl::Open() {
  const NodeConfig& c = config;
  HOSO_ASSIGN_OR_RETURN(ca_pem, ReadTextFile(c.Path(c.ca), "CA certificate"));
  HOSO_ASSIGN_OR_RETURN(std::string cert_pem, ReadTextFile(c.Path(c.cert), "node certificate"));
  HOSO_ASSIGN_OR_RETURN(std::string key_pem, ReadPrivateFile(c.Path(c.key), "node key"));
  HOSO_ASSIGN_OR_RETURN(crl_pem, ReadCrl(c));
  HOSO_ASSIGN_OR_RETURN(std::string token, ReadPrivateFile(c.Path(c.token_file), "API token"));
  token = std::string(TrimSpace(token));
  if (token.size() < 16) {
    return Status::InvalidArgument("API token in " + c.Path(c.token_file) +
                                   " is shorter than 16 characters");
  }
  // HTTPS beyond loopback, checked before anything opens or listens.
  api_tls = std::make_unique<ApiTlsState>(log);
  ApiServerOptions server_options;
  server_options.max_document_bytes = static_cast<size_t>(c.documents_max_file_mib) << 20;
  // Bodies being received share one budget: it holds at least one upload of the largest file.
  server_options.max_buffered_bytes =
      std::max(server_options.max_buffered_bytes, server_options.max_document_bytes + (16 << 20));
  if (c.ApiUsesTls()) {
    HOSO_ASSIGN_OR_RETURN(server_options.tls, LoadApiTls(c, log, NowSeconds()));
  }
  server_options.tls_state = api_tls.get();
  auto id = VerifyNodeCertificate(cert_pem, ca_pem, crl_pem, NowSeconds());
  if (!id.ok()) return id.status().Annotate("node certificate " + c.Path(c.cert));
  auto key = SigningKeyFromPem(key_pem);
  if (!key.ok()) return key.status().Annotate("node key " + c.Path(c.key));
  if (key->public_key() != id->public_key) {
    return Status::InvalidArgument("node key " + c.Path(c.key) +
                                   " does not belong to the certificate " + c.Path(c.cert));
  }

  HOSO_ASSIGN_OR_RETURN(std::string master_key, LoadMasterKey(c, log));
  HOSO_RETURN_IF_ERROR(PrepareStore(c, master_key, log));
  StoreOptions so;
  so.path = c.Path(c.db);
  so.master_key = std::move(master_key);
  so.root_unit = c.root;
  so.block_cache_mb = static_cast<size_t>(c.store_cache_mib);
  so.identity = Identity{id->unit, id->epoch, *key};
  UseCaseLogRules(&so);
  so.fetch_documents_within_ms = c.documents_fetch_recent_days * 86400 * 1000;
  auto opened = Store::Open(so);
  if (!opened.ok()) return opened.status().Annotate("opening the case log " + so.path);
  store = std::move(opened).value();
  auto upgraded = UpgradeCaseIndex(store.get());
  if (!upgraded.ok()) return upgraded.status().Annotate("rebuilding the case index");
  if (*upgraded) log->Log(LogLevel::kInfo, "store", "case index rebuilt for this version");
  ImportSetupBundle(*id);

  sync::TlsConfig tls;
  tls.ca_pem = ca_pem;
  tls.cert_pem = cert_pem;
  tls.key_pem = key_pem;
  tls.crl_pem = crl_pem;
  tls.handshake_timeout = std::chrono::milliseconds(c.handshake_timeout_ms);
  tls.idle_timeout = std::chrono::milliseconds(c.idle_timeout_ms);
  tls.keepalive = std::chrono::milliseconds(c.keepalive_ms);
  tls.backoff_min = std::chrono::milliseconds(c.backoff_min_ms);
  tls.backoff_max = std::chrono::milliseconds(c.backoff_max_ms);
  tls.max_conns = static_cast<size_t>(c.sync_max_conns);
  tls.max_conns_per_address = static_cast<size_t>(c.sync_max_conns_per_address);
  tls.max_pre_tls_conns = static_cast<size_t>(c.sync_max_pre_tls_conns);
  tls.tls_start_timeout = std::chrono::milliseconds(c.sync_tls_start_timeout_ms);
  tls.max_inflight_batch_bytes = static_cast<size_t>(c.sync_batch_budget_mib) << 20;
  tls.max_session_batch_bytes = static_cast<size_t>(c.sync_identity_batch_mib) << 20;
  Logger* logger = log;
  tls.log = [logger](std::string_view level, std::string_view message) {
    logger->Log(ParseLogLevel(level), "sync", message);
  };
  sync::HealthOptions health_options;
  health_options.interval = std::chrono::milliseconds(c.health_interval_ms);
  health = std::make_shared<sync::HealthBook>(store.get(), SystemClock::Default(), health_options);
  sync::SessionOptions session_options;
  session_options.health = health;
  session_options.document_delay_ms = c.sync_document_delay_ms;
  session_options.document_max_window_bytes = static_cast<size_t>(c.sync_document_window_kib) << 10;
  auto made = sync::SyncNode::Create(store.get(), tls, SystemClock::Default(), session_options);
  if (!made.ok()) {
    return made.status().Annotate("node certificate " + c.Path(c.cert) + ", key " + c.Path(c.key) +
                                  " or CA " + c.Path(c.ca));
  }
  sync = std::move(made).value();
  sync->Hold("the store is checking itself");
  std::string listen_bound;
  if (!c.listen.empty()) {
    HOSO_ASSIGN_OR_RETURN(HostPort hp, ParseHostPort(c.listen));
    auto port = sync->Listen(hp.host, hp.port);
    if (!port.ok()) return port.status().Annotate("option 'listen' " + c.listen);
    listen_bound = hp.host + ":" + std::to_string(*port);
  }
  std::vector<std::string> upstream_addresses;
  for (const auto& u : c.upstream) {
    HOSO_ASSIGN_OR_RETURN(Upstream up, ParseUpstream(u));
    // Pinned, a peer answering at that address with any other office's valid certificate is
    // refused (sync status shows why); unpinned, whichever office answers becomes the parent.
    if (up.unit.empty()) {
      log->Log(LogLevel::kWarn, "node",
               "upstream " + u +
                   " is not pinned to a unit: any office with a valid certificate answering "
                   "there is taken as the parent; write it UNIT@" +
                   u + " (docs/operations.md)");
    }
    sync->ConnectTo(up.address.host, up.address.port, up.unit);
    upstream_addresses.push_back(up.address.ToString());
  }

  NodeView view;
  sync::SyncNode* s = sync.get();
  view.peers = [s] { return s->Peers(); };
  view.upstreams = upstream_addresses;
  view.started_ms = SystemClock::Default()->NowMs();
  view.officers_file = c.Path(c.officers_file);
  view.log = log;
  view.data_dir = c.dir;
  view.config_file = c.config_file;
  view.document_limits.max_file_bytes = static_cast<uint64_t>(c.documents_max_file_mib) << 20;
  view.document_limits.max_case_bytes = static_cast<uint64_t>(c.documents_max_case_mib) << 20;
  Impl* self = this;
  view.crl_pem = [self] {
    std::lock_guard lock(self->crl_mu);
    return self->crl_pem;
  };
  view.verify_origin = [self](const sync::OriginMsg& o) {
    std::lock_guard lock(self->crl_mu);
    return sync::CheckOriginCertificate(o, self->ca_pem, self->crl_pem,
                                        SystemClock::Default()->NowMs() / 1000);
  };
  view.self_check = [self] { return self->self_check->Current(); };
  view.api_tls = [self] { return self->api_tls->Json(NowSeconds()); };
  view.api_tls_metrics = [self] { return self->api_tls->Metrics(NowSeconds()); };
  self_check = std::make_unique<SelfCheck>(store.get(), SystemClock::Default(),
                                           [self](const SelfCheckReport& r) { self->Checked(r); });
  view.health = [h = health] { return h->Held(); };
  view.local_health = [h = health] { return h->Local(); };
  health->SetLocalSource([self] {
    return CollectLocalHealth(*self->store, self->sync->Peers(), self->self_check->Current(),
                              self->config.dir);
  });
  read_log = std::make_unique<ReadLog>(store.get(), SystemClock::Default(), log);
  view.read_log = read_log.get();
  api = std::make_unique<LocalApi>(store.get(), SystemClock::Default(), token, view);
  server_options.names = c.api_names;
  server_options.workers = static_cast<int>(c.api_workers);
  server_options.connections = {static_cast<size_t>(c.api_max_conns),
                                static_cast<size_t>(c.api_max_conns_per_address),
                                static_cast<size_t>(c.api_max_pending_conns)};
  server_options.first_byte = std::chrono::milliseconds(c.api_first_byte_ms);
  server = std::make_unique<ApiServer>(api.get(), log, server_options);
  HOSO_ASSIGN_OR_RETURN(HostPort api_hp, ParseHostPort(c.api));
  auto api_port = server->Start(api_hp.host, api_hp.port);
  if (!api_port.ok()) return api_port.status().Annotate("option 'api' " + c.api);
  std::string api_bound = api_hp.host + ":" + std::to_string(*api_port);
  const char* scheme = server_options.tls ? "https" : "http";

  json::object run;
  run["pid"] = static_cast<int64_t>(::getpid());
  run["unit"] = id->unit;
  run["epoch"] = id->epoch;
  run["api"] = api_bound;
  run["api_scheme"] = scheme;
  run["listen"] = listen_bound;
  run_file = c.dir + "/run.json";
  HOSO_RETURN_IF_ERROR(WriteFileAtomic(run_file, json::serialize(run) + "\n"));
  if (!c.pid_file.empty()) {
    std::ofstream pid(c.Path(c.pid_file), std::ios::trunc);
    pid << ::getpid() << "\n";
  }
  if (store->DirectorySnapshot()->size() == 0) {
    log->Log(LogLevel::kWarn, "node",
             id->unit == c.root
                 ? "the directory of units is empty: load it with `hoso directory load`"
                 : "the directory of units is empty: it arrives from upstream at the first sync");
  }
  reference_watch = std::make_unique<BackgroundLoop>([this](BackgroundLoop& loop) {
    do {
      for (const std::string& w :
           ReferenceWarnings(*api->Reference(), SystemClock::Default()->NowMs())) {
        log->Log(LogLevel::kWarn, "node", w);
      }
    } while (loop.Wait(std::chrono::hours(24)));
  });
  log->Log(LogLevel::kInfo, "node",
           "node " + id->unit + "#" + std::to_string(id->epoch) + " started: api " + scheme +
               "://" + api_bound + (listen_bound.empty() ? "" : ", peers " + listen_bound) + ", " +
               std::to_string(c.upstream.size()) + " upstream(s), " +
               std::to_string(store->CaseCount()) + " cases");
  return Status::Ok();
}

NodeDaemon::NodeDaemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

NodeDaemon::~NodeDaemon() { Stop(); }

Result<std::unique_ptr<NodeDaemon>> NodeDaemon::Start(NodeConfig config, Logger* log) {
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  impl->log = log;
  log->SetLevel(ParseLogLevel(impl->config.log_level));
  Status s = impl->Open();
  if (!s.ok()) {
    if (impl->server) impl->server->Stop();
    if (impl->sync) impl->sync->Stop();
    return s;
  }
  return std::unique_ptr<NodeDaemon>(new NodeDaemon(std::move(impl)));
}

const NodeConfig& NodeDaemon::config() const { return impl_->config; }

Status NodeDaemon::ReloadCrl() {
  const NodeConfig& c = impl_->config;
  HOSO_ASSIGN_OR_RETURN(std::string crl_pem, ReadCrl(c));
  HOSO_RETURN_IF_ERROR(impl_->sync->ReloadCrl(crl_pem));
  {
    std::lock_guard lock(impl_->crl_mu);
    impl_->crl_pem = crl_pem;
  }
  impl_->log->Log(LogLevel::kInfo, "node", "CRL reloaded from " + c.Path(c.crl));
  return Status::Ok();
}

Status NodeDaemon::ReloadApiCertificate() {
  const NodeConfig& c = impl_->config;
  if (!c.ApiUsesTls()) return Status::Ok();
  HOSO_ASSIGN_OR_RETURN(ApiTls tls, LoadApiTls(c, impl_->log, NowSeconds()));
  HOSO_RETURN_IF_ERROR(impl_->server->ReloadTls(tls));
  impl_->log->Log(LogLevel::kInfo, "node",
                  "web certificate reloaded from " + c.Path(c.api_cert) + " (valid until " +
                      FormatTime(tls.info.not_after * 1000) + ")");
  return Status::Ok();
}

void NodeDaemon::Stop() {
  if (!impl_ || !impl_->store) return;
  impl_->log->Log(LogLevel::kInfo, "node", "stopping");
  if (impl_->health) impl_->health->SetLocalSource({});  // it reads sync and the self-check
  impl_->self_check.reset();                             // waits for a check still running
  impl_->scope_watch.reset();
  impl_->router.reset();
  impl_->erasure_watch.reset();
  impl_->reference_watch.reset();
  impl_->server->Stop();  // requests being handled finish; their writes are committed
  impl_->sync->Stop();    // closes peers; a batch being ingested commits or is re-sent later
  impl_->sync.reset();
  impl_->server.reset();
  impl_->api.reset();
  impl_->read_log.reset();  // writes the reads still queued
  impl_->health.reset();    // writes what it holds, then its thread ends
  Status flushed = impl_->store->Flush();
  if (!flushed.ok()) impl_->log->Log(LogLevel::kError, "node", flushed.message());
  impl_->store.reset();
  std::error_code ignored;
  std::filesystem::remove(impl_->run_file, ignored);
  if (!impl_->config.pid_file.empty()) {
    std::filesystem::remove(impl_->config.Path(impl_->config.pid_file), ignored);
  }
  impl_->log->Log(LogLevel::kInfo, "node", "stopped");
}

}  // namespace hoso::node
