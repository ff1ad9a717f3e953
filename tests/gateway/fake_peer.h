#pragma once

#include <boost/asio/post.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/chat_session.h"

namespace streamgate::gateway::testing {

// The connection as a ChatSession sees it: keeps every frame it is given, and completes
// each write (OnDelivered) in a handler posted to the session's executor, as a socket write
// completes later; with HoldWrites(true) the write stays in flight, as with a client that
// does not read. Bind() names the session and attach id it serves (a resume rebinds). Used
// on the session's strand only (the test thread runs it).
class FakePeer : public ChatSession::Peer {
 public:
  struct Close {
    uint16_t code = 0;
    std::string reason;
  };

  void Bind(const std::shared_ptr<ChatSession>& session, uint64_t attach_id) {
    session_ = session;
    attach_id_ = attach_id;
  }
  uint64_t attach_id() const { return attach_id_; }

  void Deliver(uint64_t attach_id, ReplayLog::Frame frame) override {
    delivered.push_back(std::move(frame));
    delivered_attach_ids.push_back(attach_id);
    if (held_) {
      in_flight_ = attach_id;
      return;
    }
    Complete(attach_id);
  }
  void PauseReading(bool paused) override { pauses.push_back(paused); }
  void CloseConnection(uint16_t code, std::string reason) override {
    closes.push_back(Close{code, std::move(reason)});
  }

  void HoldWrites(bool held) {
    held_ = held;
    if (!held && in_flight_) Complete(*std::exchange(in_flight_, std::nullopt));
  }

  // The texts delivered, in order ("<null>" for a null text, which must never come).
  std::vector<std::string> texts() const {
    std::vector<std::string> out;
    for (const auto& frame : delivered) out.push_back(frame.text ? *frame.text : "<null>");
    return out;
  }
  std::vector<uint64_t> seqs() const {
    std::vector<uint64_t> out;
    for (const auto& frame : delivered) out.push_back(frame.seq);
    return out;
  }

  std::vector<ReplayLog::Frame> delivered;
  std::vector<uint64_t> delivered_attach_ids;
  std::vector<bool> pauses;
  std::vector<Close> closes;

 private:
  void Complete(uint64_t attach_id) {
    auto session = session_.lock();
    if (!session) return;
    boost::asio::post(session->executor(), [weak = session_, attach_id] {
      if (auto target = weak.lock()) target->OnDelivered(attach_id);
    });
  }

  std::weak_ptr<ChatSession> session_;
  uint64_t attach_id_ = 0;
  bool held_ = false;
  std::optional<uint64_t> in_flight_;
};

}  // namespace streamgate::gateway::testing
