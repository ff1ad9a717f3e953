#include "gateway/auth/ticket_store.h"

#include "absl/strings/str_cat.h"
#include "common/secure_random.h"
#include "common/sha256.h"

namespace streamgate::gateway {
namespace {

constexpr std::string_view kPrefix = "sgt_";
constexpr size_t kMaxTicketBytes = 128;

}  // namespace

TicketStore::TicketStore(Options options) : options_(options) {}

size_t TicketStore::outstanding() const {
  absl::MutexLock lock(&mu_);
  return by_hash_.size();
}

void TicketStore::EraseLocked(std::unordered_map<std::string, Entry>::iterator it) {
  auto count = per_identity_.find(it->second.principal.identity);
  if (count != per_identity_.end() && --count->second == 0) per_identity_.erase(count);
  by_hash_.erase(it);
}

void TicketStore::DropExpiredLocked(absl::Time now) {
  while (!order_.empty() && order_.front().first <= now) {
    auto it = by_hash_.find(order_.front().second);
    if (it != by_hash_.end() && it->second.expires <= now) EraseLocked(it);
    order_.pop_front();
  }
  // Redeemed tickets leave their order_ entry behind until it expires: at most
  // lifetime x issue rate entries, and the issue rate is bounded by max_outstanding.
}

std::optional<std::string> TicketStore::Issue(const Principal& principal, absl::Time now) {
  std::string ticket = absl::StrCat(std::string(kPrefix), common::NewSecretToken(32));
  std::string hash = common::Sha256(ticket);
  absl::MutexLock lock(&mu_);
  DropExpiredLocked(now);
  if (by_hash_.size() >= options_.max_outstanding ||
      order_.size() >= 2 * options_.max_outstanding) {
    return std::nullopt;
  }
  size_t& count = per_identity_[principal.identity];
  if (count >= options_.max_per_identity) return std::nullopt;
  ++count;
  absl::Time expires = now + options_.lifetime;
  order_.emplace_back(expires, hash);
  by_hash_.emplace(std::move(hash), Entry{principal, expires});
  return ticket;
}

std::optional<Principal> TicketStore::Redeem(std::string_view ticket, absl::Time now) {
  if (ticket.size() > kMaxTicketBytes || ticket.substr(0, kPrefix.size()) != kPrefix) {
    return std::nullopt;
  }
  std::string hash = common::Sha256(ticket);
  absl::MutexLock lock(&mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  std::optional<Principal> principal;
  if (it->second.expires > now) principal = it->second.principal;
  EraseLocked(it);  // spent either way
  return principal;
}

}  // namespace streamgate::gateway
