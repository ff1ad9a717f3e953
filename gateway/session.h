#pragma once

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "gateway/client_protocol.h"
#include "gateway/conversation.h"
#include "gateway/gateway_config.h"
#include "gateway/llm_stream_call.h"
#include "gateway/outbox.h"

namespace streamgate::gateway {

class LlmClient;
class SessionRegistry;

// What every session shares; all outlive the sessions.
struct SessionDeps {
  const GatewayConfig* config;
  LlmClient* llm;
  SessionRegistry* registry;
  const std::atomic<bool>* draining;  // set once at SIGTERM
};

// One browser (or tool) connection on /ws and its conversation with llm-service.
// Kept alive by its pending Beast operations, timers and posted gRPC events; the registry
// holds it weakly. Every member is touched only on the session's strand (the socket's
// executor); the public methods other than the constructor post there first.
class Session : public LlmCallObserver, public std::enable_shared_from_this<Session> {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using UpgradeRequest = boost::beast::http::request<boost::beast::http::string_body>;
  using CloseReason = boost::beast::websocket::close_reason;

  // `socket`'s executor must be a strand; a registry slot must already be reserved.
  Session(Socket&& socket, SessionDeps deps);
  ~Session() override;

  // Completes the WebSocket handshake for `upgrade` and starts the session.
  void Run(UpgradeRequest upgrade);
  // Any thread: flushes what is queued and closes with `reason`, cancelling any reply.
  void Close(CloseReason reason);
  // Any thread: closes with 1001 once the active reply (if any) has ended.
  void Drain();
  // Any thread, once per ping interval (gateway/heartbeat.h): drops the session if it has
  // been idle too long, else pings the client.
  void Heartbeat();

  const std::string& id() const { return id_; }

 private:
  struct ActiveReply {
    explicit ActiveReply(const Socket::executor_type& executor) : connect_timer(executor) {}

    uint64_t call_id = 0;
    std::string request_id;
    std::shared_ptr<LlmStreamCall> call;
    std::string user_text;
    std::string assistant_text;  // what the client has been sent so far
    bool heard_back = false;     // any message arrived from llm-service
    bool completed = false;
    bool cancel_requested = false;
    bool connect_timed_out = false;
    std::string stop_reason;
    Usage usage;
    // The call waits for llm-service to become reachable; this bounds that wait.
    boost::asio::steady_timer connect_timer;
  };

  void OnAccept(boost::beast::error_code ec);
  void MaybeRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void HandleMessage(std::string_view message);
  void ReleaseMessage();
  void HandleText(std::string_view frame);
  void StartReply(std::string content);
  void OnConnectCheck(uint64_t call_id);
  void EndReply(const grpc::Status& status);

  void OnCallMessage(uint64_t call_id, llm::v1::StreamChatResponse message) override;
  void OnCallDone(uint64_t call_id, const grpc::Status& status) override;

  void OnHeartbeat();
  void Touch() { last_activity_ = std::chrono::steady_clock::now(); }

  void SendError(ClientError error);
  // Queues the frame `encode(seq)` returns; nothing once the session is closing.
  template <class Encode>
  void Send(Encode&& encode) {
    if (closing_) return;
    outbox_.Push(std::forward<Encode>(encode));
    Flush();
  }
  // Applies the outbound bound to what was just queued and starts writing if idle.
  void Flush();
  void DoWrite();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void DoClose(CloseReason reason);
  void SendClose(const CloseReason& reason);
  // Drops the TCP connection without a handshake (dead or unreadable peer).
  void Abort(std::string_view why);
  // Ends the session's work after the connection is gone; `reason` is for the log.
  void Teardown(std::string_view reason);
  // Gives the registry slot back, once: at teardown or, failing that, destruction.
  void ReleaseSlot();
  size_t max_outbound() const { return static_cast<size_t>(deps_.config->max_outbound_bytes); }

  // On the bare socket: Beast's WebSocket timeouts and our timers bound every wait, and a
  // tcp_stream would add three timers to every idle connection.
  // Without permessage-deflate, which is never negotiated here: leaner per connection.
  boost::beast::websocket::stream<Socket, /*deflateSupported=*/false> ws_;
  const SessionDeps deps_;
  const std::string id_;
  const std::chrono::steady_clock::time_point opened_at_;
  // Idle connections wait for their next message with only this small buffer; a message
  // that does not fit continues in message_, which holds no memory between messages.
  // message_ is bounded by --max-message-bytes (one byte more is read to detect excess).
  std::array<char, 64> first_read_;
  std::string message_;
  size_t message_bytes_ = 0;  // of message_, what has been read (the rest is read room)
  // Bounded by config.max_outbound_bytes: above it the reply's stream and the client's
  // reads pause until the queue is down to half. Views id_, declared before it.
  Outbox outbox_;
  std::chrono::steady_clock::time_point last_activity_;
  Conversation conversation_;
  // Both on the heap: idle sessions are the many, and these are large when present.
  std::unique_ptr<ActiveReply> reply_;
  std::unique_ptr<CloseReason> close_when_flushed_;
  uint64_t next_call_id_ = 1;
  bool reading_ = false;
  bool ping_in_flight_ = false;
  bool reply_paused_ = false;
  bool registered_ = false;
  bool slot_released_ = false;
  bool draining_ = false;  // close once the active reply ends
  bool closing_ = false;   // no new reads or frames; close pending or done
  bool torn_down_ = false;
};

}  // namespace streamgate::gateway
