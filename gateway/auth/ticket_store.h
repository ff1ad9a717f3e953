#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/auth/principal.h"

namespace streamgate::gateway {

// Single-use tickets: POST /v1/tickets (with a credential) issues one, a browser passes it
// once as /ws?ticket=..., and it is dead after that or after its lifetime, whichever comes
// first. A ticket stands for the principal that obtained it, expiry included.
//
// Only SHA-256 hashes of tickets are kept, so a memory dump yields none. Bounded: at most
// `max_outstanding` live tickets in all and `max_per_identity` per identity; beyond either,
// Issue refuses (the caller answers 429). Expired tickets are dropped as new ones come in
// (all share one lifetime, so they expire in issue order).
//
// Owned by main; thread-safe (one mutex, taken once per issue or redeem, never per frame).
class TicketStore {
 public:
  struct Options {
    absl::Duration lifetime = absl::Seconds(30);
    size_t max_outstanding = 100000;
    size_t max_per_identity = 100;
  };
  explicit TicketStore(Options options);

  // A new ticket for `principal`, or nullopt when a bound is reached.
  std::optional<std::string> Issue(const Principal& principal, absl::Time now);
  // The principal of a live ticket, which is spent by this call; nullopt otherwise.
  std::optional<Principal> Redeem(std::string_view ticket, absl::Time now);

  absl::Duration lifetime() const { return options_.lifetime; }
  size_t outstanding() const;

 private:
  struct Entry {
    Principal principal;
    absl::Time expires;
  };
  void DropExpiredLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(std::unordered_map<std::string, Entry>::iterator it)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  std::unordered_map<std::string, Entry> by_hash_ ABSL_GUARDED_BY(mu_);
  // Hashes in issue order (so in expiry order); may name tickets already redeemed.
  std::deque<std::pair<absl::Time, std::string>> order_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<std::string, size_t> per_identity_ ABSL_GUARDED_BY(mu_);
};

}  // namespace streamgate::gateway
