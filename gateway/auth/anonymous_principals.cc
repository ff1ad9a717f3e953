#include "gateway/auth/anonymous_principals.h"

#include <algorithm>

#include "gateway/auth/authenticator.h"

namespace streamgate::gateway {

std::shared_ptr<const Principal> AnonymousPrincipals::For(const std::string& address) {
  absl::MutexLock lock(&mu_);
  std::weak_ptr<const Principal>& slot = by_address_[address];
  if (auto existing = slot.lock()) return existing;
  auto made = std::make_shared<const Principal>(AnonymousPrincipal(address));
  slot = made;
  if (by_address_.size() >= sweep_at_) {
    std::erase_if(by_address_, [](const auto& entry) { return entry.second.expired(); });
    sweep_at_ = std::max<size_t>(1024, by_address_.size() * 2);
  }
  return made;
}

size_t AnonymousPrincipals::tracked() const {
  absl::MutexLock lock(&mu_);
  return by_address_.size();
}

}  // namespace streamgate::gateway
