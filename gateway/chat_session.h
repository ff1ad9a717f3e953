#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/auth/principal.h"
#include "gateway/client_protocol.h"
#include "gateway/conversation.h"
#include "gateway/gateway_services.h"
#include "gateway/limits/identity_limits.h"
#include "gateway/replay_log.h"
#include "gateway/reply_backend.h"
#include "gateway/resume_tokens.h"
#include "gateway/server_frames.h"

namespace streamgate::gateway {

struct SessionSnapshot;

// One client's session: its id and resume tokens, its conversations (each with its history
// and at most one reply streaming), and every server frame with its seq in a ReplayLog. It
// outlives connections: when its connection drops it stays, detached, for --resume-window,
// its replies still generating into the log, and a new connection that presents its token
// (`resume`) gets what it missed, exactly once, and goes on live.
//
// At most one connection is attached; the session speaks to it through Peer and knows
// nothing of sockets. Likewise it starts, cancels and paces replies through a ReplyBackend
// (services.replies) and knows nothing of gRPC: events and ends come in its own terms.
// Owned by the SessionTable (shared: posted events and the attached
// connection hold it too). Every method runs on the session's loop (`executor()`): the
// loop of the connection that created it, so that a session and its first connection
// (almost always its only one) share one loop and their calls are plain calls; a
// connection on another loop (a resume) dispatches to it.
class ChatSession : public ReplyObserver, public std::enable_shared_from_this<ChatSession> {
 public:
  // The attached connection as the session sees it. Called on the session's loop; the
  // connection dispatches to its own.
  class Peer {
   public:
    virtual ~Peer() = default;
    // Write `frame`; answer with ChatSession::OnDelivered(attach_id) when it is written.
    virtual void Deliver(uint64_t attach_id, ReplayLog::Frame frame) = 0;
    // Stop (or resume) reading the client: the session's outbound queue is over its bound.
    virtual void PauseReading(bool paused) = 0;
    // Close with `code` and `reason` once what was delivered is written.
    virtual void CloseConnection(uint16_t code, std::string reason) = 0;
  };

  enum class State : uint8_t { kAttached, kDetached, kClosed };

  struct ResumeRequest {
    std::string token;     // a secret
    std::string identity;  // the new connection's; empty with --auth none (not checked)
    uint64_t last_seq = 0;
  };
  struct ResumeResult {
    bool ok = false;
    ResumeFailure failure = ResumeFailure::kUnknownSession;
    uint64_t oldest_seq = 0;  // for kGap
  };

  // A loop of the gateway's IoPool (one thread: the session needs no strand).
  using Executor = boost::asio::io_context::executor_type;

  ChatSession(const GatewayServices& services, Executor executor,
              std::shared_ptr<const Principal> owner);
  ~ChatSession() override;
  ChatSession(const ChatSession&) = delete;
  ChatSession& operator=(const ChatSession&) = delete;

  // A new session (fresh id and token), persisted. Called on `executor`.
  void Open();
  // A session from the store after a restart, detached until a resume attaches.
  void Restore(SessionSnapshot snapshot);

  // --- on the session's loop ---
  // A fresh session's first connection: connection_established (with the token) goes out.
  void Attach(std::shared_ptr<Peer> peer, uint64_t attach_id);
  // A `resume` from another connection: checks, takes over (closing a connection still
  // attached with 4000), replays what comes after request.last_seq and sends
  // session_resumed; `done` is called (on this loop) with the outcome before any of that
  // is delivered.
  void Resume(std::shared_ptr<Peer> peer, uint64_t attach_id, ResumeRequest request,
              std::function<void(ResumeResult)> done);
  // The connection `attach_id` is gone. With a resume window the session waits, detached;
  // without one it ends now (its replies cancelled).
  void Detach(uint64_t attach_id);
  // A fresh session given up for the one its connection resumed: ends now, nothing kept.
  void Discard();
  void OnDelivered(uint64_t attach_id);
  void HandleMessage(ClientMessage message);
  void SendError(ClientError error, bool ephemeral = false);
  // A connection-level frame (authenticated, token_expired...): takes a seq, never replayed.
  template <class Encode>
  void SendEphemeral(Encode&& encode) {
    log_.Push(std::forward<Encode>(encode), /*ephemeral=*/true);
    Pump();
  }
  // The service behind the gateway changed: an attached connection gets a `status` frame
  // next, ahead of any queued frame, with seq 0: it is outside the session's seq order (not
  // logged, never replayed), so a client's seqs stay contiguous whenever it arrives. A newer
  // change replaces one not yet sent; one not newer than what the connection was told (a
  // change published while it attached) is dropped. A detached session skips it: the
  // connection that resumes was told the state in its own connection_established.
  void OnServiceStatus(std::shared_ptr<const ServiceStatus> status);
  // SIGTERM: idle sessions go at once (going_away, close 1012), busy ones when their
  // replies end; Interrupt() at the drain deadline ends the replies still running.
  void Drain(int64_t retry_after_ms);
  void Interrupt();
  // The resume window passed, or the detached memory budget needs the room.
  void Expire(std::string_view why);
  // Everything not yet in the store goes there (the drain, before exit).
  void Persist();
  // At exit, with no thread running: lets go of the connection (which holds this session).
  void Abandon() { peer_.reset(); }

  const std::string& id() const { return id_; }
  const std::string& identity() const { return owner_->identity; }
  Executor executor() const { return executor_; }
  State state() const { return state_; }
  bool replying() const { return active_replies_ > 0; }
  size_t log_bytes() const { return log_.bytes(); }

 private:
  struct ChunkTiming;
  struct ActiveReply;
  struct ConversationState;
  struct Lifecycle;

  Lifecycle& life();
  uint64_t reserved_seq() const;
  int64_t LastSeenPutMs() const;
  int64_t LastSeenRefreshMs() const;

  // --- delivery (chat_session.cc) ---
  template <class Encode>
  uint64_t Send(Encode&& encode) {
    if (state_ == State::kClosed) return 0;
    uint64_t seq = log_.Push(std::forward<Encode>(encode));
    Pump();
    return seq;
  }
  void Pump();
  void ApplyBackpressure();
  void StartWindow();
  void OnWindow(uint64_t generation);
  void Close(std::string_view why);
  void PersistSession();
  // Whether this session goes to the store (and from now on always will).
  bool Storable();
  void PutSessionRow();
  void SchedulePersist();
  void FlushFrames();
  void ReportDetachedBytes();
  // This session's share of the outbound-queue gauge becomes `pending` (its
  // log_.pending_bytes() while attached, 0 otherwise).
  void ReportQueuedBytes(size_t pending);
  // Frames up to log_.handed_seq() are written: the latency of the replies they carried.
  void ObserveWritten();

  // --- conversations and replies (chat_session_replies.cc) ---
  // An `error` about one conversation (and reply, when `request_id` is set), counted.
  void SendConversationError(std::string_view conversation, std::string_view request_id,
                             ClientError error);
  ConversationState* FindConversation(std::string_view id);
  ConversationState* ConversationFor(std::string_view id, bool create);
  void StartReply(ConversationState& conversation, std::string content,
                  const std::optional<common::TraceContext>& trace);
  void EndReply(ActiveReply& reply, ReplyEnd end);
  // Into the conversation's history: the text the client saw, or, for a reply longer than the
  // history could keep, what keeping it would have left.
  void RecordExchange(ConversationState& conversation, const ActiveReply& reply);
  void CancelReplies();
  void PauseReplies(bool paused);
  ActiveReply* FindReply(uint64_t call_id);
  uint64_t OldestRunningReplySeq() const;
  static uint64_t TokensUsed(const ActiveReply& reply, const ReplyEnd& end);
  void SendHistory(std::string_view conversation);
  void SendConversations();
  void DeleteConversation(std::string_view conversation);
  // With `pending_user`, the reply to it is running (stored with the history).
  void PersistConversation(const ConversationState& conversation,
                           const std::string* pending_user = nullptr);
  int64_t NowMs() const;

  // ReplyObserver: the events of the reply `reply_id` (ActiveReply::call_id).
  void OnReplyStarted(uint64_t reply_id) override;
  void OnReplyUpstreamLatency(uint64_t reply_id, std::chrono::microseconds to_first_delta) override;
  void OnReplyDelta(uint64_t reply_id, std::string text) override;
  void OnReplyEnd(uint64_t reply_id, ReplyEnd end) override;

  const GatewayServices& services_;
  const Executor executor_;
  std::shared_ptr<const Principal> owner_;
  IdentityLimits::Account account_;
  std::string id_;
  ResumeTokens tokens_;
  // Views id_, declared after it.
  ReplayLog log_;
  // On the heap: idle sessions are the many, and conversations and replies are large.
  std::unique_ptr<std::vector<std::unique_ptr<ConversationState>>> conversations_;
  std::shared_ptr<Peer> peer_;
  std::shared_ptr<const ServiceStatus> status_to_send_;  // shared by every session told
  uint64_t told_service_version_ = 0;                    // ServiceStatus::version
  uint64_t attach_id_ = 0;
  bool peer_busy_ = false;  // a delivered frame is being written
  bool reading_paused_ = false;
  bool replies_paused_ = false;
  State state_ = State::kAttached;
  uint16_t active_replies_ = 0;
  bool draining_ = false;  // SIGTERM: life_->drain_retry_after_ms is set
  // Restored from the store: seqs up to the reservation may have been sent (a crash), and
  // Lifecycle::interrupted lists the replies that must end with `interrupted` on resume.
  bool restored_ = false;
  // With --resume-window 0 nothing of a session outlives its connection: no store writes.
  const bool persistent_;
  bool stored_ = false;  // the store has (or is sent) a row of this session: see Storable
  // What this session adds to streamgate_gateway_outbound_queued_bytes now (attached only).
  uint32_t reported_queued_bytes_ = 0;
  // Made on first use (idle sessions are the many, and need none of it): see Lifecycle.
  // Last, after the flags: they fill the hole before it.
  std::unique_ptr<Lifecycle> life_;
};

}  // namespace streamgate::gateway
