#include "gateway/session_table.h"

#include <boost/asio/post.hpp>
#include <vector>

#include "absl/hash/hash.h"
#include "gateway/chat_session.h"

namespace streamgate::gateway {

size_t SessionTable::ById::operator()(std::string_view id) const {
  return absl::Hash<std::string_view>{}(id);
}
size_t SessionTable::ById::operator()(const std::shared_ptr<ChatSession>& session) const {
  return (*this)(std::string_view(session->id()));
}
bool SessionTable::ById::operator()(const std::shared_ptr<ChatSession>& a,
                                    const std::shared_ptr<ChatSession>& b) const {
  return a->id() == b->id();
}
bool SessionTable::ById::operator()(const std::shared_ptr<ChatSession>& a,
                                    std::string_view b) const {
  return a->id() == b;
}
bool SessionTable::ById::operator()(std::string_view a,
                                    const std::shared_ptr<ChatSession>& b) const {
  return a == b->id();
}

void SessionTable::Add(std::shared_ptr<ChatSession> session) {
  std::shared_ptr<ChatSession> replaced;  // released outside the lock
  absl::MutexLock lock(&mu_);
  if (auto it = sessions_.find(std::string_view(session->id())); it != sessions_.end()) {
    replaced = *it;
    sessions_.erase(it);
  }
  sessions_.insert(std::move(session));
}

std::shared_ptr<ChatSession> SessionTable::AddIfAbsent(std::shared_ptr<ChatSession> session) {
  absl::MutexLock lock(&mu_);
  return *sessions_.insert(std::move(session)).first;
}

std::shared_ptr<ChatSession> SessionTable::Find(std::string_view id) const {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : *it;
}

void SessionTable::Remove(const ChatSession* session) {
  std::shared_ptr<ChatSession> removed;  // released outside the lock
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(std::string_view(session->id()));
  if (it != sessions_.end() && it->get() == session) {
    removed = *it;
    sessions_.erase(it);
  }
  if (auto detached = detached_.find(session); detached != detached_.end()) {
    detached_total_ -= detached->second.bytes;
    detach_order_.erase(detached->second.order);
    detached_.erase(detached);
  }
}

size_t SessionTable::size() const {
  absl::MutexLock lock(&mu_);
  return sessions_.size();
}

void SessionTable::ForEach(
    const std::function<void(const std::shared_ptr<ChatSession>&)>& fn) const {
  std::vector<std::shared_ptr<ChatSession>> all;
  {
    absl::MutexLock lock(&mu_);
    all.reserve(sessions_.size());
    for (const auto& session : sessions_) all.push_back(session);
  }
  for (const auto& session : all) fn(session);
}

void SessionTable::SetDetachedBytes(const ChatSession* session, size_t bytes) {
  std::vector<std::shared_ptr<ChatSession>> to_expire;
  {
    absl::MutexLock lock(&mu_);
    auto it = detached_.find(session);
    if (bytes == 0 && it == detached_.end()) return;
    if (it == detached_.end()) {
      uint64_t order = next_order_++;
      it = detached_.emplace(session, Detached{order, 0}).first;
      detach_order_.emplace(order, session);
    }
    detached_total_ = detached_total_ - it->second.bytes + bytes;
    it->second.bytes = bytes;
    if (bytes == 0) {
      detach_order_.erase(it->second.order);
      detached_.erase(it);
    }
    // Over the budget: the longest-detached go first. Their bytes stay counted until they
    // have expired on their own loops, so one pass picks just enough of them.
    size_t total = detached_total_;
    for (auto order = detach_order_.begin();
         total > detached_max_bytes_ && order != detach_order_.end(); ++order) {
      auto found = sessions_.find(std::string_view(order->second->id()));
      if (found == sessions_.end()) continue;
      total -= detached_[order->second].bytes;
      to_expire.push_back(*found);
    }
  }
  for (auto& victim : to_expire) {
    boost::asio::post(victim->executor(), [victim] { victim->Expire("detached_budget"); });
  }
}

size_t SessionTable::detached_bytes() const {
  absl::MutexLock lock(&mu_);
  return detached_total_;
}

size_t SessionTable::detached_sessions() const {
  absl::MutexLock lock(&mu_);
  return detached_.size();
}

}  // namespace streamgate::gateway
