#pragma once

#include <array>
#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <unordered_map>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/hash/hash.h"
#include "absl/synchronization/mutex.h"
#include "common/token_bucket.h"

namespace streamgate::gateway {

struct AddressAdmissionRules {
  // Connections accepted but not yet WebSocket sessions (TLS or HTTP still under way, or
  // an HTTP keep-alive connection), in all and per client address. Always on.
  int64_t max_pending = 8192;
  int64_t max_pending_per_address = 2048;
  // Upgrade attempts (and ticket requests) per client address; 0 = no limit.
  double upgrades_per_second = 0;
  double upgrades_burst = 0;
};

// What one client address may hold and do before it has a session: a bound on its pending
// handshakes (so raw TCP connections that never send a request cannot use up the
// process's descriptors while real clients wait) and a token bucket on its upgrades.
//
// IPv4 addresses count one by one; IPv6 addresses by /64, the block one subscriber gets,
// so an attacker cannot mint a fresh address per connection. The table is bounded
// (kMaxTracked): entries with nothing pending and a full bucket are swept, and when it is
// still full every further address shares one overflow entry.
//
// Owned by main; thread-safe (one lock per accept, close and upgrade attempt).
class AddressAdmission {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr size_t kMaxTracked = 65536;

  using Key = std::array<uint8_t, 16>;

  // One pending connection. Move-only; gives its place back when destroyed or Released.
  class PendingSlot {
   public:
    PendingSlot() = default;
    PendingSlot(PendingSlot&& other) noexcept
        : admission_(std::exchange(other.admission_, nullptr)), key_(other.key_) {}
    PendingSlot& operator=(PendingSlot&& other) noexcept;
    ~PendingSlot() { Release(); }
    bool valid() const { return admission_ != nullptr; }
    void Release();

   private:
    friend class AddressAdmission;
    PendingSlot(AddressAdmission* admission, Key key) : admission_(admission), key_(key) {}
    AddressAdmission* admission_ = nullptr;
    Key key_{};
  };

  explicit AddressAdmission(AddressAdmissionRules rules);

  // At accept. An invalid slot when a pending bound is reached (the caller closes the
  // socket at once); `*per_address` then says which bound.
  PendingSlot TryAdmit(const boost::asio::ip::address& address, bool* per_address = nullptr);
  // At each upgrade attempt or ticket request: false, with the wait, over the rate.
  bool TryUpgrade(const boost::asio::ip::address& address, Clock::duration* retry_after,
                  Clock::time_point now = Clock::now());

  static Key KeyOf(const boost::asio::ip::address& address);
  size_t pending() const;
  size_t tracked() const;

 private:
  struct Entry {
    int64_t pending = 0;
    common::TokenBucket upgrades;
  };
  Entry& EntryLocked(const Key& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseSlot(const Key& key);
  void SweepLocked(Clock::time_point now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const AddressAdmissionRules rules_;
  const common::TokenBucketRule upgrade_rule_;
  mutable absl::Mutex mu_;
  int64_t pending_ ABSL_GUARDED_BY(mu_) = 0;
  std::unordered_map<Key, Entry, absl::Hash<Key>> entries_ ABSL_GUARDED_BY(mu_);
  Entry overflow_ ABSL_GUARDED_BY(mu_);
};

}  // namespace streamgate::gateway
