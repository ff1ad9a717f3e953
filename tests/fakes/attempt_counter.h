#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string_view>
#include <unordered_map>

namespace streamgate::fake_claude {

// Counts how often the same request (same MessagesRequest::conversation_key) has arrived,
// so that a retry of a request sees the next stage of its scenario: the first attempt is
// stage 0, its first retry stage 1, and so on.
//
// Keys are stored as 64-bit hashes; at most `capacity` keys are kept, the oldest forgotten
// first (a forgotten conversation starts again at stage 0). Owned by MessagesEndpoint and
// used only on the io thread; not thread-safe.
class AttemptCounter {
 public:
  explicit AttemptCounter(size_t capacity = 100000) : capacity_(capacity > 0 ? capacity : 1) {}

  // Returns the stage of this attempt (the number of earlier attempts with `key`) and
  // counts it.
  int64_t Next(std::string_view key);

  void Clear();
  size_t size() const { return counts_.size(); }

 private:
  const size_t capacity_;
  std::unordered_map<uint64_t, int64_t> counts_;
  std::deque<uint64_t> insertion_order_;  // each key once, oldest first
};

}  // namespace streamgate::fake_claude
