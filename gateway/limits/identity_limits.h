#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/token_bucket.h"

namespace streamgate::gateway {

// What one identity may use across all its connections on this gateway (0 = no limit).
struct IdentityLimitRules {
  int64_t connections = 0;
  int64_t concurrent_replies = 0;
  int64_t messages_per_minute = 0;
  int64_t tokens_per_minute = 0;
};

// A refused request: which limit (its name is the client protocol's `limit` field) and
// when trying again can succeed.
struct LimitRejection {
  std::string_view limit;
  std::chrono::milliseconds retry_after{0};
};

// The per-identity counters and token buckets, shared by every connection of an identity.
// With auth on the identity is the key's name or the JWT's sub; with --auth none, the
// client's address.
//
// Tokens per minute are reserve-then-reconcile: a reply reserves its estimated input plus
// its max_tokens before it starts and gives back the difference when its usage is known,
// so concurrent replies can never together overshoot the limit.
//
// An identity's entry lives while it has connections, sessions or replies, and afterwards until its
// buckets are full again (so reconnecting does not reset a limit); such idle entries are
// swept when the table has doubled since the last sweep. Owned by main; thread-safe: the
// table lock is taken when a connection opens or closes, an entry's own lock once per
// message and once per reply end, never per chunk.
class IdentityLimits {
  struct Entry;

 public:
  using Clock = std::chrono::steady_clock;

  class ReplyPermit;

  // One connection's hold on its identity's entry: counts against rules.connections.
  // Move-only; gives the connection back when destroyed.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    ~Lease();

    bool valid() const { return entry_ != nullptr; }

   private:
    friend class IdentityLimits;
    Lease(IdentityLimits* limits, Entry* entry) : limits_(limits), entry_(entry) {}
    void Release();

    IdentityLimits* limits_ = nullptr;
    Entry* entry_ = nullptr;
  };

  // One session's hold on its identity's entry, for its replies (a session outlives its
  // connections, and its replies count while it is detached). Move-only.
  class Account {
   public:
    Account() = default;
    Account(Account&& other) noexcept;
    Account& operator=(Account&& other) noexcept;
    ~Account();

    bool valid() const { return entry_ != nullptr; }
    // A user message that would start a reply reserving `reserve_tokens`: takes one
    // message and the reservation and counts the reply, or refuses and takes nothing.
    std::optional<LimitRejection> TryStartReply(uint64_t reserve_tokens, ReplyPermit* permit,
                                                Clock::time_point now = Clock::now());

   private:
    friend class IdentityLimits;
    Account(IdentityLimits* limits, Entry* entry) : limits_(limits), entry_(entry) {}
    void Release();

    IdentityLimits* limits_ = nullptr;
    Entry* entry_ = nullptr;
  };

  // A started reply's hold on its identity: its concurrency slot and its token
  // reservation. End() reconciles with what the reply used; a permit destroyed without
  // End() (the connection vanished) keeps the whole reservation charged.
  class ReplyPermit {
   public:
    ReplyPermit() = default;
    ReplyPermit(ReplyPermit&& other) noexcept;
    ReplyPermit& operator=(ReplyPermit&& other) noexcept;
    ~ReplyPermit();

    void End(uint64_t used_tokens, Clock::time_point now = Clock::now());
    uint64_t reserved_tokens() const { return reserved_; }

   private:
    friend class Account;
    IdentityLimits* limits_ = nullptr;
    Entry* entry_ = nullptr;
    uint64_t reserved_ = 0;
  };

  explicit IdentityLimits(IdentityLimitRules rules);
  ~IdentityLimits();

  // A lease for a new connection of `identity`; an invalid lease when the identity holds
  // rules.connections already.
  Lease TryOpen(const std::string& identity);
  // The account a session of `identity` starts its replies through.
  Account Join(const std::string& identity);

  const IdentityLimitRules& rules() const { return rules_; }
  size_t tracked() const;

 private:
  struct Entry {
    std::string identity;
    int64_t connections = 0;  // guarded by IdentityLimits::mu_
    int64_t accounts = 0;     // guarded by IdentityLimits::mu_
    absl::Mutex mu;
    int64_t active_replies ABSL_GUARDED_BY(mu) = 0;
    common::TokenBucket messages ABSL_GUARDED_BY(mu);
    common::TokenBucket tokens ABSL_GUARDED_BY(mu);
  };

  void Close(Entry* entry);
  void Leave(Entry* entry);
  Entry* EntryLocked(const std::string& identity) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EndReply(Entry* entry, uint64_t reserved, std::optional<uint64_t> used,
                Clock::time_point now);
  bool IdleLocked(Entry* entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SweepLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const IdentityLimitRules rules_;
  const common::TokenBucketRule messages_rule_;
  const common::TokenBucketRule tokens_rule_;
  mutable absl::Mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
  size_t sweep_at_ ABSL_GUARDED_BY(mu_) = 1024;
};

}  // namespace streamgate::gateway
