#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/log_throttle.h"
#include "gateway/client_protocol.h"
#include "gateway/conversation.h"
#include "gateway/gateway_services.h"
#include "gateway/limits/identity_limits.h"
#include "gateway/llm_stream_call.h"
#include "gateway/outbox.h"

namespace streamgate::gateway {

// One client's conversation with the assistant: it takes the client's messages (whole text
// frames), runs at most one reply at a time through llm-service, keeps the conversation
// history and queues every server frame, with its seq, in its outbox. It knows nothing of
// sockets: the connection that carries it is reached through Link, and pulls the frames
// from outbox() to write them.
//
// Owned by its WsConnection (a member); every method runs on the connection's strand. The
// gRPC call's events come back through Link::handle() (an alias of the connection's weak
// pointer), so a reply outliving its connection finds nothing to call.
class ChatSession : public LlmCallObserver {
 public:
  // What a session needs of the connection that carries it.
  class Link {
   public:
    // Frames were queued in outbox(): write them (and apply the outbound bound).
    virtual void OnFramesQueued() = 0;
    // The active reply ended (a draining connection closes now).
    virtual void OnReplyEnded() = 0;
    // {"type":"authenticate"}: credentials belong to the connection.
    virtual void OnAuthenticate(std::string token) = 0;
    // False once the connection is closing: nothing more is queued then.
    virtual bool open() const = 0;
    // What the session would otherwise have to keep in each of its (many, mostly idle)
    // instances: the strand everything runs on, a weak handle on the session (an alias of
    // the connection's own, for gRPC events and timers), the identity's limits.
    virtual boost::asio::any_io_executor executor() = 0;
    virtual std::weak_ptr<ChatSession> handle() = 0;
    virtual IdentityLimits::Lease& lease() = 0;

   protected:
    ~Link() = default;
  };

  ChatSession(const GatewayServices& services, Link* link);
  ~ChatSession() override;
  ChatSession(const ChatSession&) = delete;
  ChatSession& operator=(const ChatSession&) = delete;

  // The first frame of every connection.
  void Start();
  void HandleText(std::string_view frame);
  void HandleBinary(size_t bytes);

  void SendError(ClientError error);
  // Queues the frame `encode(seq)` returns; nothing once the connection is closing.
  template <class Encode>
  void Send(Encode&& encode) {
    if (!link_->open()) return;
    outbox_.Push(std::forward<Encode>(encode));
    link_->OnFramesQueued();
  }

  // The outbound queue is over its bound (or back under half of it): hold (or resume)
  // reading the reply's stream, so unread replies wait in HTTP/2 flow control.
  void PauseReply();
  void ResumeReply();
  // The connection is closing or gone: a reply nobody will read must cost nothing.
  void CancelReply();

  bool replying() const { return reply_ != nullptr; }
  Outbox& outbox() { return outbox_; }
  const std::string& id() const { return id_; }

 private:
  struct ActiveReply {
    explicit ActiveReply(const boost::asio::any_io_executor& executor) : connect_timer(executor) {}

    uint64_t call_id = 0;
    std::string request_id;
    std::shared_ptr<LlmStreamCall> call;
    std::string user_text;
    std::string assistant_text;   // what the client has been sent so far
    uint64_t input_estimate = 0;  // tokens: a quarter of the request's bytes
    bool heard_back = false;      // any message arrived from llm-service
    bool started = false;         // llm-service reported the reply started
    bool completed = false;
    bool cancel_requested = false;
    bool connect_timed_out = false;
    std::string stop_reason;
    Usage usage;
    IdentityLimits::ReplyPermit permit;
    // The call waits for llm-service to become reachable; this bounds that wait.
    boost::asio::steady_timer connect_timer;
  };

  void StartReply(std::string content);
  void OnConnectCheck(uint64_t call_id);
  void EndReply(const grpc::Status& status);
  // What the ended reply cost, for the tokens-per-minute reconciliation.
  static uint64_t TokensUsed(const ActiveReply& reply, const grpc::Status& status);
  void LogBadMessage(std::string_view code, std::string_view detail);

  void OnCallMessage(uint64_t call_id, llm::v1::StreamChatResponse message) override;
  void OnCallDone(uint64_t call_id, const grpc::Status& status) override;

  const GatewayServices& services_;
  Link* const link_;
  const std::string id_;
  // Views id_, declared after it. Bounded by config.max_outbound_bytes through the
  // connection, which pauses the reply above it.
  Outbox outbox_;
  Conversation conversation_;
  // On the heap: idle sessions are the many, and a reply's state is large.
  std::unique_ptr<ActiveReply> reply_;
  uint64_t next_call_id_ = 1;
  bool reply_paused_ = false;
  // A client repeating a bad frame gets an error each time but one log line per window.
  common::LogThrottle bad_message_log_;
};

}  // namespace streamgate::gateway
