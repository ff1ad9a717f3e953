#include "gateway/limits/address_admission.h"

namespace streamgate::gateway {
namespace {

// Every key with all bits set cannot be a real address's key: it marks the overflow entry.
constexpr AddressAdmission::Key kOverflowKey = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

}  // namespace

AddressAdmission::AddressAdmission(AddressAdmissionRules rules)
    : rules_(rules), upgrade_rule_(rules.upgrades_per_second, rules.upgrades_burst) {}

AddressAdmission::Key AddressAdmission::KeyOf(const boost::asio::ip::address& address) {
  Key key{};
  if (address.is_v4()) {
    auto bytes = address.to_v4().to_bytes();
    key[10] = 0xff;
    key[11] = 0xff;
    std::copy(bytes.begin(), bytes.end(), key.begin() + 12);
    return key;
  }
  auto v6 = address.to_v6();
  if (v6.is_v4_mapped())
    return KeyOf(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
  auto bytes = v6.to_bytes();
  std::copy(bytes.begin(), bytes.begin() + 8, key.begin());  // the /64
  return key;
}

AddressAdmission::Entry& AddressAdmission::EntryLocked(const Key& key) {
  auto it = entries_.find(key);
  if (it != entries_.end()) return it->second;
  if (entries_.size() >= kMaxTracked) SweepLocked(Clock::now());
  if (entries_.size() >= kMaxTracked) return overflow_;
  return entries_[key];
}

void AddressAdmission::SweepLocked(Clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.pending == 0 && upgrade_rule_.IsFull(it->second.upgrades, now)) {
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

AddressAdmission::PendingSlot AddressAdmission::TryAdmit(const boost::asio::ip::address& address,
                                                         bool* per_address) {
  Key key = KeyOf(address);
  absl::MutexLock lock(&mu_);
  if (per_address != nullptr) *per_address = false;
  if (pending_ >= rules_.max_pending) return PendingSlot();
  Entry& entry = EntryLocked(key);
  if (entry.pending >= rules_.max_pending_per_address) {
    if (per_address != nullptr) *per_address = true;
    return PendingSlot();
  }
  ++entry.pending;
  ++pending_;
  return PendingSlot(this, &entry == &overflow_ ? kOverflowKey : key);
}

bool AddressAdmission::TryUpgrade(const boost::asio::ip::address& address,
                                  Clock::duration* retry_after, Clock::time_point now) {
  if (!upgrade_rule_.enabled()) return true;
  Key key = KeyOf(address);
  absl::MutexLock lock(&mu_);
  Entry& entry = EntryLocked(key);
  return upgrade_rule_.TryTake(entry.upgrades, now, 1, retry_after);
}

void AddressAdmission::ReleaseSlot(const Key& key) {
  absl::MutexLock lock(&mu_);
  --pending_;
  if (key == kOverflowKey) {
    --overflow_.pending;
    return;
  }
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  if (--it->second.pending == 0 && upgrade_rule_.IsFull(it->second.upgrades, Clock::now())) {
    entries_.erase(it);
  }
}

size_t AddressAdmission::pending() const {
  absl::MutexLock lock(&mu_);
  return static_cast<size_t>(pending_);
}

size_t AddressAdmission::tracked() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

AddressAdmission::PendingSlot& AddressAdmission::PendingSlot::operator=(
    PendingSlot&& other) noexcept {
  if (this != &other) {
    Release();
    admission_ = std::exchange(other.admission_, nullptr);
    key_ = other.key_;
  }
  return *this;
}

void AddressAdmission::PendingSlot::Release() {
  if (admission_ == nullptr) return;
  std::exchange(admission_, nullptr)->ReleaseSlot(key_);
}

}  // namespace streamgate::gateway
