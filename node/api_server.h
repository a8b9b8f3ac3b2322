// ApiServer: LocalApi on an HTTP/1.1 port (Boost.Beast on Asio C++20 coroutines, one
// coroutine per connection, error codes not exceptions). Requests over 1 MiB get 413, a
// connection idle for 30 s is closed, a Host header that does not name this node (its bound
// address, loopback or a configured name) gets 421 before anything else is read, a request
// that is not authenticated (LocalApi::Admit, from the headers) gets its 401 before its body
// is read, the bodies buffered at once are bounded in total (ApiServerOptions), and each request is
// logged (method, path without the query, status, duration: never a body or a query string, which
// may hold personal data). With ApiServerOptions::tls the port speaks HTTPS only
// (node/api_tls.h): a plain HTTP request there gets a redirect to https:// (GET, HEAD) or a
// 400, never an answer of the API; responses carry Strict-Transport-Security and cookies
// Secure. Connections are capped per remote address and in total, those not yet
// authenticated cut oldest first to make room, each with a deadline for its first byte
// (node/api_limits.h); 5xx lines and the caps' lines are folded (core/base/repeated_lines.h).
// Requests that read the store or a file run on a pool of workers
// (ApiServerOptions::workers), logins on a thread of their own: the io threads never wait for
// a disk. Stop() stops accepting, lets the requests being handled finish (bounded), then
// closes. Thread-safety: Start, ReloadTls and Stop from one thread; requests run on the
// server's own threads, each connection on a strand of its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/base/status.h"
#include "node/api_limits.h"
#include "node/api_tls.h"
#include "node/local_api.h"
#include "node/log.h"

namespace hoso::node {

struct ApiServerOptions {
  // Host headers accepted besides the bound address and loopback (config `api_names`):
  // "name" (the bound port) or "name:port". Any other Host gets 421 (DNS rebinding).
  std::vector<std::string> names;
  // Request bodies buffered at once across all connections (each counted at its
  // Content-Length, or 1 MiB when chunked, from before its first byte is read); a request
  // over it gets 503. Bundles (token only, up to 1 GiB, Content-Length required) are not
  // counted here: one is read at a time, a second at once gets 503.
  size_t max_buffered_bytes = size_t{64} << 20;
  // The body of a case's file upload (config documents_max_file_mib); others' is 1 MiB.
  size_t max_document_bytes = size_t{20} << 20;
  // Logins (PBKDF2, ~0.3 s each) run on one thread of their own, never on the API's; at most
  // this many wait or run at once, a further one gets 503 busy.
  int login_queue = 8;
  // Every other request but /healthz and the web app's files runs on this many threads of
  // its own (config `api_workers`), never on the io threads: a write waits for the store's
  // group commit (an fsync) and a list may read much of the disk, while the io threads go on
  // reading requests and writing answers. Writes at different cases run at once and share
  // one commit.
  int workers = 4;
  // At most this many requests wait for or run on the workers; a further one gets 503 busy.
  int worker_queue = 64;
  // Connections per remote address, in total and not yet authenticated (config
  // api_max_conns_per_address, api_max_conns, api_max_pending_conns; node/api_limits.h).
  ConnectionLimits connections;
  // A connection that sends no byte within this is closed (config api_first_byte_ms).
  std::chrono::milliseconds first_byte{3000};
  // Identical 5xx and connection-limit lines within this are counted, not written; the next
  // one after it says "(repeated N times)".
  std::chrono::milliseconds log_repeat_interval{10000};
  // HTTPS with this certificate and key; unset: plain HTTP (the daemon allows that on
  // loopback only).
  std::optional<ApiTls> tls;
  // Told of each TLS connection, so an expiring certificate is logged hourly; may be null.
  ApiTlsState* tls_state = nullptr;
};

class ApiServer {
 public:
  ApiServer(LocalApi* api, Logger* log, ApiServerOptions options = {});
  ~ApiServer();
  // Binds host:port (port 0: any) and starts `threads` threads; returns the bound port.
  Result<uint16_t> Start(const std::string& host, uint16_t port, int threads = 2);
  // New connections use this certificate and key (a renewed web certificate, SIGHUP);
  // refused, the old ones stay. Only for a server started with tls.
  Status ReloadTls(const ApiTls& tls);
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hoso::node
