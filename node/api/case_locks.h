// CaseLocks: the local API's check-then-write, one case at a time.
//
// A write is checked against the state it changes (a step is allowed from the case's status,
// a code is still free) and committed while its request holds the case's code, so two requests
// cannot pass the same check. Requests at other cases hold other codes and commit at once,
// in one group of the store's commit queue: one mutex for every API write made each reception
// wait for the fsync of the one before it.
// Thread-safety: every method may be called from any thread; a Held is used by one.
#pragma once

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>

namespace hoso::node::api {

class CaseLocks {
 public:
  // A code held until this is destroyed (or moved from); empty when TryLock found it held.
  class Held {
   public:
    Held() = default;
    Held(Held&& other) noexcept;
    Held& operator=(Held&& other) noexcept;
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    ~Held();
    explicit operator bool() const { return locks_ != nullptr; }

   private:
    friend class CaseLocks;
    Held(CaseLocks* locks, std::string code) : locks_(locks), code_(std::move(code)) {}
    void Release();
    CaseLocks* locks_ = nullptr;
    std::string code_;
  };

  // Holds `code`, waiting while another request holds it.
  Held Lock(const std::string& code);
  // Holds `code` if no request holds it; else an empty Held, at once (minting skips a code
  // being written, whether or not its write will succeed).
  Held TryLock(const std::string& code);

 private:
  void Unlock(const std::string& code);

  std::mutex mu_;
  std::condition_variable released_;
  std::set<std::string> held_;
};

}  // namespace hoso::node::api
