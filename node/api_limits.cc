#include "node/api_limits.h"

#include <boost/asio/post.hpp>

namespace hoso::node {

ConnectionLimiter::Slot::Slot(ConnectionLimiter* owner, std::string address,
                              std::function<void()> cut)
    : owner_(owner), address_(std::move(address)), cut_fn_(std::move(cut)) {}

ConnectionLimiter::Slot::~Slot() {
  std::lock_guard lock(owner_->mu_);
  owner_->UncountLocked(this);
}

void ConnectionLimiter::Slot::Authenticated() {
  std::lock_guard lock(owner_->mu_);
  if (!pending_) return;
  owner_->pending_.erase(pending_pos_);
  pending_ = false;
}

void ConnectionLimiter::Slot::SetWaiting(bool waiting) {
  std::lock_guard lock(owner_->mu_);
  waiting_ = waiting;
}

bool ConnectionLimiter::Slot::cut() const {
  std::lock_guard lock(owner_->mu_);
  return cut_;
}

void ConnectionLimiter::UncountLocked(Slot* s) {
  if (!s->counted_) return;
  s->counted_ = false;
  if (s->pending_) {
    pending_.erase(s->pending_pos_);
    s->pending_ = false;
  }
  auto it = by_address_.find(s->address_);
  if (it != by_address_.end() && --it->second == 0) by_address_.erase(it);
  --total_;
}

ConnectionLimiter::Slot* ConnectionLimiter::OldestWaitingLocked(const std::string& address) const {
  for (Slot* s : pending_) {
    if (s->waiting_ && (address.empty() || s->address_ == address)) return s;
  }
  return nullptr;
}

ConnectionLimiter::Outcome ConnectionLimiter::Admit(const std::string& address,
                                                    std::function<void()> cut) {
  Outcome out;
  Slot* victim = nullptr;
  {
    std::lock_guard lock(mu_);
    auto from = by_address_.find(address);
    if (from != by_address_.end() && from->second >= limits_.per_address) {
      victim = OldestWaitingLocked(address);
      if (!victim) {
        out.refused = "over " + std::to_string(limits_.per_address) + " from that address" +
                      ", none of them waiting unauthenticated";
        return out;
      }
      out.cut = "over " + std::to_string(limits_.per_address) + " from " + address;
    } else if (total_ >= limits_.total || pending_.size() >= limits_.pending) {
      victim = OldestWaitingLocked("");
      if (!victim && total_ >= limits_.total) {
        out.refused = "over " + std::to_string(limits_.total) +
                      " in total, none of them waiting unauthenticated";
        return out;
      }
      if (victim) {
        out.cut = "over " + std::to_string(limits_.pending) + " not authenticated or " +
                  std::to_string(limits_.total) + " in total";
      }
    }
    if (victim) {
      UncountLocked(victim);
      victim->cut_ = true;
    }
    out.slot.reset(new Slot(this, address, std::move(cut)));
    out.slot->pending_pos_ = pending_.insert(pending_.end(), out.slot.get());
    ++by_address_[address];
    ++total_;
    // Under mu_: the victim's destructor waits for it, so it is alive; its connection is
    // closed on its own executor.
    if (victim) victim->cut_fn_();
  }
  return out;
}

size_t ConnectionLimiter::Total() const {
  std::lock_guard lock(mu_);
  return total_;
}

size_t ConnectionLimiter::Pending() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

std::shared_ptr<ConnPlace> AdmitConnection(ConnectionLimiter* limiter, const std::string& remote,
                                           boost::asio::any_io_executor strand,
                                           const std::function<void(const std::string&)>& warn) {
  using tcp = boost::asio::ip::tcp;
  auto place = std::make_shared<ConnPlace>();
  place->remote = remote;
  auto admitted = limiter->Admit(remote, [strand, weak = std::weak_ptr(place)] {
    boost::asio::post(strand, [weak] {
      auto p = weak.lock();
      if (!p || !p->tcp) return;
      boost::system::error_code ignored;
      p->tcp->socket().shutdown(tcp::socket::shutdown_both, ignored);
      p->tcp->socket().close(ignored);
    });
  });
  if (!admitted.cut.empty()) {
    warn("closed the oldest connection not yet authenticated to make room: " + admitted.cut);
  }
  if (!admitted.slot) {
    warn("refused a connection from " + remote + ": " + admitted.refused);
    return nullptr;
  }
  place->slot = std::move(admitted.slot);
  return place;
}

}  // namespace hoso::node
