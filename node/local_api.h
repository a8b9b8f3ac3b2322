// LocalApi: the node's local HTTP/JSON API (docs/api.md) as a pure function from a request to
// a response, so tests drive it without sockets; ApiServer puts it on a TCP port. The router
// and admission are node/local_api.cc; the handlers, one file per resource group, node/api/
// (cases, sync_status, reference, auth, admin) with the answers they share in
// node/api/responses.h. Handlers parse, call the domain's rule (core/domain/case_rules.h),
// commit and answer.
//
// Every route but GET /healthz needs "Authorization: Bearer <token>". Writes name the acting
// officer, who is recorded on the event. A bad request gets a 4xx whose JSON body names the
// field and the reason (in English for software, and in Vietnamese for the clerk), and writes
// nothing.
// Thread-safety: Handle may be called from any number of threads at once.
#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/base/clock.h"
#include "core/domain/documents.h"
#include "core/domain/reference_data.h"
#include "core/log/store.h"
#include "node/api/case_locks.h"
#include "node/log.h"
#include "node/self_check.h"
#include "node/sessions.h"
#include "sync/health.h"
#include "sync/session.h"
#include "sync/tls/node.h"

namespace hoso::node {

class ReadLog;

struct HttpRequest {
  std::string method;  // "GET", "POST"
  std::string target;  // path and query, e.g. "/v1/cases?status=received"
  std::string authorization;
  std::string body;
  std::string cookie;        // the Cookie header (the web app's session)
  std::string content_type;  // the Content-Type header
  std::string origin;        // the Origin header (browsers send it on every POST)
  std::string host;          // the Host header
  std::string remote;        // the client's address (for login throttling); may be empty
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::string set_cookie;   // a Set-Cookie header, when not empty
  std::string retry_after;  // a Retry-After header (seconds), when not empty
  // A case's file (node/api/documents.cc): served with its Content-Disposition and the
  // policy of a file, not of a page (ApiServer sets the headers).
  std::string content_disposition;
  bool file = false;
};

// What the API shows of the node beyond its store.
struct NodeView {
  std::function<std::vector<sync::PeerStatus>()> peers;  // may be empty: no sync
  std::vector<std::string> upstreams;                    // configured upstream addresses
  int64_t started_ms = 0;
  sync::OriginVerifier verify_origin;           // for bundles: as sync trusts an origin
  std::string officers_file;                    // officer accounts (node/officers.h); empty: none
  std::function<SelfCheckReport()> self_check;  // the store's check at start; may be empty
  // The API's HTTPS (node/api_tls.h): /v1/node's "api_tls" and lines of /metrics; may be
  // empty.
  std::function<boost::json::object()> api_tls;
  std::function<std::string()> api_tls_metrics;
  // Office health (sync/health.h): the reports this node holds of its scope, and its own
  // state; either may be empty (GET /v1/network then lists the offices without reports).
  std::function<std::vector<sync::HeldHealth>()> health;
  std::function<sync::LocalHealth()> local_health;
  // Failed logins and throttling (warn), backups; null: nothing is logged.
  Logger* log = nullptr;
  // The data directory (the disk lines of /metrics) and its config file (copied into
  // backups, node/backup.h); either may be empty.
  std::string data_dir;
  std::string config_file;
  // The CRL the node holds now (PEM; empty: none), for /metrics; may be empty.
  std::function<std::string()> crl_pem;
  // Who read which case's personal data (node/read_log.h); null: reads are not recorded.
  ReadLog* read_log = nullptr;
  // Uploads of a case's files (config documents_max_file_mib, documents_max_case_mib).
  DocumentLimits document_limits;
};

class LocalApi {
 public:
  LocalApi(Store* store, const Clock* clock, std::string token, NodeView view);
  HttpResponse Handle(const HttpRequest& request);
  // The catalogue and calendars as the store holds them now (cached; any thread).
  std::shared_ptr<const ReferenceData> Reference() const;
  // Decides from the headers alone (request.body is ignored) whether a request may go on:
  // nothing when it may, else the refusal to send without reading its body (401 without a
  // token or a live session; 403 for a session on the token-only bundle route). It runs on
  // ApiServer's io threads and so reads no file and no store: a live session of an account
  // removed since passes it, and Handle refuses it.
  std::optional<HttpResponse> Admit(const HttpRequest& request);
  // Whether the request is answered without authentication (the web app's files, /healthz,
  // a login, the office's name for the login page): Admit passes it whatever its headers say.
  static bool IsPublic(const HttpRequest& request);
  // Whether the request is answered from memory, never reading the store or a file (/healthz,
  // the web app's files): ApiServer answers those on its io threads, the rest on its workers.
  static bool AnswersFromMemory(const HttpRequest& request);
  // Whether the request uploads a case's file (its body may be up to the file limit, not the
  // 1 MiB of other requests): ApiServer decides so from its headers.
  static bool IsDocumentUpload(std::string_view method, std::string_view target);

 private:
  // One request as the handlers see it: its path and query decoded, and who sent it.
  struct Call {
    const HttpRequest& req;
    std::string path;
    std::map<std::string, std::string> query;
    std::optional<Session> session;  // a logged-in officer (web app); none with the API token
  };

  // The router (node/local_api.cc).
  HttpResponse Route(Call& call);
  HttpResponse StaticFile(const std::string& path) const;

  // Cases (node/api/cases.cc).
  HttpResponse ReceiveCase(Call& call);
  HttpResponse RecordStep(Call& call, const std::string& code);
  HttpResponse GetCase(Call& call, const std::string& code);
  HttpResponse ListCases(Call& call);
  // A head's decisions (node/api/decisions.cc): POST /v1/cases/{code}/{resolve|delay|assign}.
  static bool IsDecisionPath(std::string_view path);
  HttpResponse Decide(Call& call, const std::string& code, const std::string& action);
  // The tracking register (Form 06) and a QR code's modules (node/api/forms.cc).
  HttpResponse Register(Call& call);
  HttpResponse QrCode(Call& call);
  // The reads the read log records (node/api/reads.cc): GetCase and ListCases, then the read
  // queued with its officer, purpose and view (query parameters "purpose", "view", and with
  // the API token "officer"). Reads of access cases are not recorded.
  HttpResponse ReadCase(Call& call, const std::string& code);
  HttpResponse ReadCaseList(Call& call);
  void RecordRead(const Call& call, std::vector<std::string> cases, std::string view);
  // A case's files (node/api/documents.cc): /v1/cases/{code}/documents[/{sha256}[/withdraw
  // |/fetch]]; `rest` is what follows ".../documents/" ("" for the list).
  HttpResponse Documents(Call& call, const std::string& code, const std::string& rest);
  HttpResponse ListDocuments(Call& call, const std::string& code);
  HttpResponse AttachDocument(Call& call, const std::string& code);
  HttpResponse ServeDocument(Call& call, const std::string& code, const Hash& sha256);
  HttpResponse WithdrawDocument(Call& call, const std::string& code, const Hash& sha256);
  HttpResponse FetchDocument(Call& call, const std::string& code, const Hash& sha256);
  boost::json::object DocumentJson(const std::string& code, const CaseDocument& d) const;
  // The next free code of this office's day, held in *held for the reception's commit.
  Result<std::string> MintCaseCode(int64_t now_ms, api::CaseLocks::Held* held);

  // What the node shows of itself (node/api/sync_status.cc).
  HttpResponse SyncStatus(Call& call);
  HttpResponse NodeInfo(Call& call);
  static boost::json::object SelfCheckJson(const SelfCheckReport& report);
  HttpResponse Scope(Call& call);
  HttpResponse Metrics(Call& call);  // node/api/metrics.cc
  // Overdue cases (IsOverdue) by office, with every office holding an open case and this
  // node's own at 0 when none is; recomputed at most every kOverdueMs (they change by the
  // hour, and counting reads every open case).
  Result<std::map<std::string, uint64_t>> OverdueByOffice();
  std::vector<sync::PeerStatus> CurrentPeers() const;
  // Office health (node/api/network.cc): every unit of this node's scope, itself included,
  // with its latest report (this node's own as it would make it now).
  struct Office {
    std::string unit;
    UnitRecord record;
    bool self = false;
    std::optional<sync::HeldHealth> held;
  };
  std::vector<Office> Offices() const;
  HttpResponse Network(Call& call);
  std::string NetworkMetrics() const;  // the per-office lines of /metrics
  // For each of `peers`, the events this node holds in both scopes that the peer lacks as
  // far as sync knows (0 for a peer not yet identified). Each peer identity is looked up once
  // a call, one knowledge record per stream we hold: a peer's announcements, up to
  // SessionOptions::max_peer_streams, cost nothing here.
  Result<std::vector<uint64_t>> EventsBehind(const std::vector<sync::PeerStatus>& peers,
                                             const std::string& me) const;

  // Reference data (node/api/reference.cc).
  HttpResponse Catalogue(Call& call);
  HttpResponse LoadCatalogue(Call& call);
  HttpResponse Calendar(Call& call);
  HttpResponse SetCalendar(Call& call);
  HttpResponse Directory(Call& call);
  HttpResponse LoadDirectory(Call& call);
  HttpResponse Redraw(Call& call);
  HttpResponse Revocations(Call& call);
  HttpResponse Revoke(Call& call);
  std::optional<HttpResponse> RootOnly(const char* what) const;
  // Erasures (node/api/erasures.cc).
  HttpResponse Erasures(Call& call);
  HttpResponse Erase(Call& call);
  // Data-subject requests (node/api/subjects.cc).
  HttpResponse SubjectExport(Call& call);
  HttpResponse SubjectList(Call& call);
  // The officer of a reference-data write (directory, catalogue, calendar) with the API
  // token: "system" or an officer of this node with role head.
  std::optional<HttpResponse> ReferenceOfficer(const std::string& officer) const;

  // Officers and sessions (node/api/auth.cc).
  // The bearer token or a live session, else the 401. With `check_account`, a session's
  // account is checked against officers.json as it is now (a stat, and a read when the file
  // changed): Admit, on an io thread, which must not wait for the disk, asks the session
  // table only; Route, on a worker, checks the account too before anything is answered.
  std::optional<HttpResponse> Authenticate(Call& call, bool check_account);
  HttpResponse Login(Call& call);
  HttpResponse Logout(Call& call);
  HttpResponse Me(Call& call);
  HttpResponse OfficeName(Call& call);    // GET /v1/office, public: the login page's office
  HttpResponse ListOfficers(Call& call);  // GET /v1/officers: whom a head may assign
  std::optional<HttpResponse> ActingOfficer(const Call& call, const boost::json::object& in,
                                            std::string_view status, std::string* officer) const;
  // officers.json as it is now (re-read when the file changes); empty without one.
  std::shared_ptr<const OfficerDirectory> Officers() const;

  // The IT team's routes (node/api/admin.cc).
  HttpResponse Backup(Call& call);
  HttpResponse ImportBundle(Call& call);
  HttpResponse ExportSystemBundle(Call& call);
  HttpResponse Report(Call& call);

  Store* store_;
  const Clock* clock_;
  std::string token_;
  NodeView view_;
  // Case writes are checked against the state they change (a minted code is free, a step is
  // allowed) and committed while the request holds the case's code, so two requests cannot
  // pass the same check, and writes at other cases share one group commit.
  api::CaseLocks case_locks_;
  // Minting (MintCaseCode): the day whose codes were read, and the highest number of that
  // day read or minted since, so a reception does not read every code of its day.
  std::mutex mint_mu_;
  std::string mint_prefix_;  // guarded by mint_mu_; empty until read
  uint64_t mint_last_ = 0;   // guarded by mint_mu_
  // The root's writes of revocations and the directory check what they change (an origin not
  // yet revoked; whether the directory is empty) and commit one at a time, as case writes
  // hold their code; they are rare, so one lock serves them all.
  std::mutex reference_writes_mu_;
  mutable std::mutex reference_mu_;
  mutable std::shared_ptr<const ReferenceData> reference_;
  mutable uint64_t reference_version_ = 0;
  SessionTable sessions_;
  mutable std::mutex officers_mu_;
  mutable std::shared_ptr<const OfficerDirectory> officers_;
  mutable std::string officers_stamp_;  // inode, size and mtime of the file read
  // Wrong passwords slow down further attempts (docs/api.md, "Logins"): per (login, client
  // address), after kFreePerLogin failures, and per address whatever the login (so unknown
  // or changing login names do not escape it), after kFreePerAddress; each further failure
  // doubles the wait, up to kMaxDelayMs. An attempt within the wait gets 429 and costs no
  // PBKDF2. Nobody can lock an officer out from another address.
 public:
  static constexpr int kFreePerLogin = 3;
  static constexpr int kFreePerAddress = 10;
  static constexpr int64_t kMaxDelayMs = 5 * 60 * 1000;
  static constexpr int64_t kForgetMs = 15 * 60 * 1000;  // a record with no failure this long
  static constexpr size_t kMaxThrottled = 10000;        // records kept per table

 private:
  struct Failures {
    int count = 0;
    int64_t last_ms = 0;
  };
  static int64_t WaitMs(const Failures& f, int free, int64_t now);
  static void NoteFailure(std::map<std::string, Failures>& table, const std::string& key,
                          int64_t now);
  void LogFailedLogin(const std::string& address, int from_address, int64_t wait_ms);
  std::mutex login_mu_;
  std::map<std::string, Failures> login_failures_;    // by login + "\n" + address
  std::map<std::string, Failures> address_failures_;  // by address
  std::atomic<uint64_t> login_failures_total_{0};     // wrong passwords, for /metrics
  std::atomic<uint64_t> logins_throttled_{0};         // attempts answered 429, for /metrics
  std::mutex counts_mu_;
  std::map<int, uint64_t> responses_;  // by HTTP status, for /metrics
  static constexpr int64_t kOverdueMs = 30 * 1000;
  std::mutex overdue_mu_;
  int64_t overdue_at_ms_ = INT64_MIN;        // guarded by overdue_mu_; INT64_MIN: never
  std::map<std::string, uint64_t> overdue_;  // guarded by overdue_mu_
};

}  // namespace hoso::node
