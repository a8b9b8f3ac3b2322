// ConnectionLimiter: the API port's places (docs/security.md, "Bounded resources"), like the
// sync port's before TLS (sync/tls/node.h, TlsConfig::max_pre_tls_conns). Every accepted
// connection holds a place, at most `per_address` from one remote address and `total` in
// all. A connection is *pending* until one of its requests is authenticated (the API token
// or an officer's session; the web app's files, /healthz and logins are answered without):
// it gets nothing but a bounded read of headers and the public routes, and while it waits
// for a request (its first byte, its headers, a TLS handshake) it may be cut to make room:
//   - one more from an address at its cap cuts that address's oldest waiting pending one,
//     else it is refused;
//   - one more past `pending` pending, or past `total`, cuts the oldest waiting pending one
//     of any address; past `total` with none to cut, it is refused.
// So idle or trickling connections, from one address or many, cannot keep a client out, and
// a fresh connection gets in after the oldest idle one is cut. Authenticated connections
// are never cut, only counted.
// Thread-safety: every method may be called from any thread; a Slot's from its connection's.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cstddef>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace hoso::node {

struct ConnectionLimits {
  size_t total = 512;       // config api_max_conns
  size_t per_address = 32;  // config api_max_conns_per_address
  size_t pending = 64;      // config api_max_pending_conns
};

class ConnectionLimiter {
 public:
  // A connection's place, given back when it is destroyed.
  class Slot {
   public:
    ~Slot();
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    // A request on it was authenticated: it is no longer pending, and never cut.
    void Authenticated();
    // Whether it is waiting for a request (and so, pending, may be cut to make room).
    void SetWaiting(bool waiting);
    // Whether it was cut to make room (its place already given back).
    bool cut() const;

   private:
    friend class ConnectionLimiter;
    Slot(ConnectionLimiter* owner, std::string address, std::function<void()> cut);
    ConnectionLimiter* owner_;
    const std::string address_;
    const std::function<void()> cut_fn_;  // closes the connection; called on the cutter's thread
    // Guarded by owner_->mu_:
    bool counted_ = true;
    bool waiting_ = true;
    bool cut_ = false;
    std::list<Slot*>::iterator pending_pos_;
    bool pending_ = true;
  };

  // Why Admit refused a connection or cut another for it ("" when it did neither): a stable
  // text (the address, the caps), for a folded log line.
  struct Outcome {
    std::unique_ptr<Slot> slot;  // null: refused, close it before anything
    std::string refused, cut;
  };

  explicit ConnectionLimiter(ConnectionLimits limits) : limits_(limits) {}
  // A place for a connection accepted from `address`; `cut` closes it (any thread: it
  // must hand the work to the connection's own executor). May call another's cut.
  Outcome Admit(const std::string& address, std::function<void()> cut);
  const ConnectionLimits& limits() const { return limits_; }
  // Connections holding places now, and of them pending (for tests and metrics).
  size_t Total() const;
  size_t Pending() const;

 private:
  void UncountLocked(Slot* s);
  // The oldest pending slot waiting for a request, from `address` ("": any); null if none.
  Slot* OldestWaitingLocked(const std::string& address) const;

  const ConnectionLimits limits_;
  mutable std::mutex mu_;
  std::map<std::string, size_t> by_address_;  // guarded by mu_
  size_t total_ = 0;                          // guarded by mu_
  std::list<Slot*> pending_;                  // oldest first; guarded by mu_
};

// A connection's place on the API port and what a cut closes: its TCP stream while it is
// served (the server points `tcp` at it). Used on the connection's strand only: a cut is
// posted there.
struct ConnPlace {
  std::unique_ptr<ConnectionLimiter::Slot> slot;
  boost::beast::tcp_stream* tcp = nullptr;
  std::string remote;  // the client's address, without the port
};

// A place for the connection just accepted from `remote` (an address), served on `strand`,
// or null when it is refused (close it before reading anything). `warn` is told of the
// refusal, and of a connection cut to make room, in lines that fold (RepeatedLines).
std::shared_ptr<ConnPlace> AdmitConnection(ConnectionLimiter* limiter, const std::string& remote,
                                           boost::asio::any_io_executor strand,
                                           const std::function<void(const std::string&)>& warn);

}  // namespace hoso::node
