#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"

namespace streamgate::gateway {

class ChatSession;

// Every session of this gateway, attached or detached, by id: a resume finds its session
// here (or, after a restart, in the store). Also the budget of what detached sessions hold:
// their replay logs together stay under --detached-max-bytes, and past it the sessions that
// have been detached longest are expired first (their replies cancelled).
//
// Owned by GatewayServer; thread-safe (one mutex, taken when a session opens, closes,
// detaches, is looked up, or changes its detached size — never per chunk while attached).
class SessionTable {
 public:
  explicit SessionTable(size_t detached_max_bytes) : detached_max_bytes_(detached_max_bytes) {}

  void Add(std::shared_ptr<ChatSession> session);
  // A session restored from the store, unless a concurrent resume restored it first: returns
  // the one the table holds.
  std::shared_ptr<ChatSession> AddIfAbsent(std::shared_ptr<ChatSession> session);
  std::shared_ptr<ChatSession> Find(std::string_view id) const;
  // Removes `session` (if it is the one held under its id).
  void Remove(const ChatSession* session);
  size_t size() const;
  void ForEach(const std::function<void(const std::shared_ptr<ChatSession>&)>& fn) const;

  // A detached session's log holds `bytes` (0: it is attached again, or closed). Called on
  // the session's loop; may expire the oldest detached sessions (posted to their loops).
  void SetDetachedBytes(const ChatSession* session, size_t bytes);
  size_t detached_bytes() const;
  size_t detached_sessions() const;

 private:
  struct Detached {
    uint64_t order;  // when it was detached, in detach order
    size_t bytes;
  };

  // Hash and equality of sessions by id, and of an id with a session (heterogeneous lookup):
  // the set holds only the pointers, since every session is in it and idle ones are the many.
  struct ById {
    using is_transparent = void;
    size_t operator()(std::string_view id) const;
    size_t operator()(const std::shared_ptr<ChatSession>& session) const;
    bool operator()(const std::shared_ptr<ChatSession>& a,
                    const std::shared_ptr<ChatSession>& b) const;
    bool operator()(const std::shared_ptr<ChatSession>& a, std::string_view b) const;
    bool operator()(std::string_view a, const std::shared_ptr<ChatSession>& b) const;
  };

  const size_t detached_max_bytes_;
  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::shared_ptr<ChatSession>, ById, ById> sessions_ ABSL_GUARDED_BY(mu_);
  std::unordered_map<const ChatSession*, Detached> detached_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, const ChatSession*> detach_order_ ABSL_GUARDED_BY(mu_);
  uint64_t next_order_ ABSL_GUARDED_BY(mu_) = 0;
  size_t detached_total_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace streamgate::gateway
