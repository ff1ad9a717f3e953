#include "gateway/limits/identity_limits.h"

#include <algorithm>
#include <utility>

namespace streamgate::gateway {
namespace {

constexpr auto kConcurrencyRetryHint = std::chrono::milliseconds(1000);

std::chrono::milliseconds Ceil(IdentityLimits::Clock::duration duration) {
  return std::chrono::ceil<std::chrono::milliseconds>(duration);
}

}  // namespace

IdentityLimits::IdentityLimits(IdentityLimitRules rules)
    : rules_(rules),
      messages_rule_(static_cast<double>(rules.messages_per_minute) / 60.0,
                     static_cast<double>(rules.messages_per_minute)),
      tokens_rule_(static_cast<double>(rules.tokens_per_minute) / 60.0,
                   static_cast<double>(rules.tokens_per_minute)) {}

IdentityLimits::~IdentityLimits() = default;

size_t IdentityLimits::tracked() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

IdentityLimits::Entry* IdentityLimits::EntryLocked(const std::string& identity) {
  auto& slot = entries_[identity];
  if (slot == nullptr) {
    slot = std::make_unique<Entry>();
    slot->identity = identity;
  }
  return slot.get();
}

IdentityLimits::Lease IdentityLimits::TryOpen(const std::string& identity) {
  absl::MutexLock lock(&mu_);
  Entry* entry = EntryLocked(identity);
  if (rules_.connections > 0 && entry->connections >= rules_.connections) return Lease();
  ++entry->connections;
  if (entries_.size() >= sweep_at_) SweepLocked();
  return Lease(this, entry);
}

IdentityLimits::Account IdentityLimits::Join(const std::string& identity) {
  absl::MutexLock lock(&mu_);
  Entry* entry = EntryLocked(identity);
  ++entry->accounts;
  if (entries_.size() >= sweep_at_) SweepLocked();
  return Account(this, entry);
}

bool IdentityLimits::IdleLocked(Entry* entry) {
  if (entry->connections > 0 || entry->accounts > 0) return false;
  absl::MutexLock lock(&entry->mu);
  auto now = Clock::now();
  return entry->active_replies == 0 && messages_rule_.IsFull(entry->messages, now) &&
         tokens_rule_.IsFull(entry->tokens, now);
}

void IdentityLimits::SweepLocked() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (IdleLocked(it->second.get())) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
  sweep_at_ = std::max<size_t>(1024, entries_.size() * 2);
}

void IdentityLimits::Close(Entry* entry) {
  absl::MutexLock lock(&mu_);
  --entry->connections;
  if (IdleLocked(entry)) entries_.erase(entry->identity);
}

void IdentityLimits::Leave(Entry* entry) {
  absl::MutexLock lock(&mu_);
  --entry->accounts;
  if (IdleLocked(entry)) entries_.erase(entry->identity);
}

void IdentityLimits::EndReply(Entry* entry, uint64_t reserved, std::optional<uint64_t> used,
                              Clock::time_point now) {
  absl::MutexLock lock(&entry->mu);
  --entry->active_replies;
  if (!used.has_value()) return;
  if (*used < reserved) {
    tokens_rule_.Give(entry->tokens, now, static_cast<double>(reserved - *used));
  } else if (*used > reserved) {
    tokens_rule_.ForceTake(entry->tokens, now, static_cast<double>(*used - reserved));
  }
}

// --- Lease ---

IdentityLimits::Lease::Lease(Lease&& other) noexcept
    : limits_(std::exchange(other.limits_, nullptr)),
      entry_(std::exchange(other.entry_, nullptr)) {}

IdentityLimits::Lease& IdentityLimits::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    limits_ = std::exchange(other.limits_, nullptr);
    entry_ = std::exchange(other.entry_, nullptr);
  }
  return *this;
}

IdentityLimits::Lease::~Lease() { Release(); }

void IdentityLimits::Lease::Release() {
  if (entry_ == nullptr) return;
  limits_->Close(std::exchange(entry_, nullptr));
}

// --- Account ---

IdentityLimits::Account::Account(Account&& other) noexcept
    : limits_(std::exchange(other.limits_, nullptr)),
      entry_(std::exchange(other.entry_, nullptr)) {}

IdentityLimits::Account& IdentityLimits::Account::operator=(Account&& other) noexcept {
  if (this != &other) {
    Release();
    limits_ = std::exchange(other.limits_, nullptr);
    entry_ = std::exchange(other.entry_, nullptr);
  }
  return *this;
}

IdentityLimits::Account::~Account() { Release(); }

void IdentityLimits::Account::Release() {
  if (entry_ == nullptr) return;
  limits_->Leave(std::exchange(entry_, nullptr));
}

std::optional<LimitRejection> IdentityLimits::Account::TryStartReply(uint64_t reserve_tokens,
                                                                      ReplyPermit* permit,
                                                                      Clock::time_point now) {
  // A closed session has given its account back; it starts nothing more.
  if (entry_ == nullptr) return LimitRejection{"closed", std::chrono::milliseconds(0)};
  const IdentityLimitRules& rules = limits_->rules_;
  absl::MutexLock lock(&entry_->mu);
  if (rules.concurrent_replies > 0 && entry_->active_replies >= rules.concurrent_replies) {
    return LimitRejection{"concurrent_replies", kConcurrencyRetryHint};
  }
  Clock::duration retry{};
  if (!limits_->messages_rule_.TryTake(entry_->messages, now, 1, &retry)) {
    return LimitRejection{"messages_per_minute", Ceil(retry)};
  }
  uint64_t reserved = limits_->tokens_rule_.enabled() ? reserve_tokens : 0;
  if (!limits_->tokens_rule_.TryTake(entry_->tokens, now, static_cast<double>(reserved), &retry)) {
    limits_->messages_rule_.Give(entry_->messages, now, 1);
    return LimitRejection{"tokens_per_minute", Ceil(retry)};
  }
  ++entry_->active_replies;
  *permit = ReplyPermit();
  permit->limits_ = limits_;
  permit->entry_ = entry_;
  permit->reserved_ = reserved;
  return std::nullopt;
}

// --- ReplyPermit ---

IdentityLimits::ReplyPermit::ReplyPermit(ReplyPermit&& other) noexcept
    : limits_(std::exchange(other.limits_, nullptr)),
      entry_(std::exchange(other.entry_, nullptr)),
      reserved_(other.reserved_) {}

IdentityLimits::ReplyPermit& IdentityLimits::ReplyPermit::operator=(ReplyPermit&& other) noexcept {
  if (this != &other) {
    if (entry_ != nullptr) limits_->EndReply(entry_, reserved_, std::nullopt, Clock::now());
    limits_ = std::exchange(other.limits_, nullptr);
    entry_ = std::exchange(other.entry_, nullptr);
    reserved_ = other.reserved_;
  }
  return *this;
}

IdentityLimits::ReplyPermit::~ReplyPermit() {
  if (entry_ != nullptr) limits_->EndReply(entry_, reserved_, std::nullopt, Clock::now());
}

void IdentityLimits::ReplyPermit::End(uint64_t used_tokens, Clock::time_point now) {
  if (entry_ == nullptr) return;
  limits_->EndReply(std::exchange(entry_, nullptr), reserved_, used_tokens, now);
}

}  // namespace streamgate::gateway
