#pragma once

#include <cstddef>
#include <memory>

namespace streamgate::gateway {

// Plain heap allocation for the operations an idle session keeps pending (its read, its
// heartbeat wait). Asio's default handler allocator recycles freed blocks per thread and
// hands any block at least as large as asked for, so a long-lived wait could sit in a block
// left over by a much bigger operation (the handshake's write) for as long as the client
// stays idle. Bound with boost::asio::bind_allocator; a type of its own, because Asio swaps
// std::allocator<void> for its recycling allocator.
template <class T>
struct UnrecycledAllocator {
  using value_type = T;

  UnrecycledAllocator() noexcept = default;
  template <class U>
  UnrecycledAllocator(const UnrecycledAllocator<U>& /*other*/) noexcept {}  // NOLINT

  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }

  template <class U>
  bool operator==(const UnrecycledAllocator<U>& /*other*/) const noexcept {
    return true;
  }
};

}  // namespace streamgate::gateway
