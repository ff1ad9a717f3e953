#include "tests/fakes/attempt_counter.h"

#include <functional>
#include <string>

namespace streamgate::fake_claude {

int64_t AttemptCounter::Next(std::string_view key) {
  const uint64_t hash = std::hash<std::string_view>{}(key);
  auto [it, inserted] = counts_.try_emplace(hash, 0);
  if (inserted) {
    insertion_order_.push_back(hash);
    if (counts_.size() > capacity_) {
      counts_.erase(insertion_order_.front());
      insertion_order_.pop_front();
      it = counts_.find(hash);  // rehashing may have moved it
    }
  }
  return it->second++;
}

void AttemptCounter::Clear() {
  counts_.clear();
  insertion_order_.clear();
}

}  // namespace streamgate::fake_claude
