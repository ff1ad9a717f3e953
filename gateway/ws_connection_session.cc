// WsConnection: what the client sends, the `resume` that picks the session, and the
// connection's credential.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "absl/time/clock.h"
#include "common/log.h"
#include "gateway/auth/authenticator.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_metrics.h"
#include "gateway/session_table.h"
#include "gateway/store/session_store.h"
#include "gateway/ws_connection.h"

namespace streamgate::gateway {

namespace net = boost::asio;
namespace websocket = boost::beast::websocket;

std::string_view WsConnection::session_id() const {
  // A session's id is set before it is shared and never changes: readable from any loop.
  return session_ ? std::string_view(session_->id()) : std::string_view("-");
}

void WsConnection::LogBadMessage(std::string_view code, std::string_view detail) {
  uint64_t suppressed = 0;
  if (!bad_message_log_.Admit(std::chrono::steady_clock::now(), &suppressed)) return;
  common::Logger("session")->info("bad client message session={} code={} detail=\"{}\" repeated={}",
                                  session_id(), code, detail, suppressed);
}

void WsConnection::SendError(ClientError error) {
  // About this connection's input: not part of the session's history, never replayed.
  WithSession([error](ChatSession& session) { session.SendError(error, /*ephemeral=*/true); });
}

void WsConnection::HandleMessage(std::string_view message) {
  if (!CountFrame()) return;
  bool first = first_message_;
  first_message_ = false;
  if (!ws_.got_text()) {
    services_.metrics->CountBinaryFrame();
    LogBadMessage(ErrorCodeName(ClientError::kUnsupportedFrame),
                  "binary frame of " + std::to_string(message.size()) + " bytes");
    return SendError(ClientError::kUnsupportedFrame);
  }
  ParseResult parsed = ParseClientMessage(message, session_id());
  if (!parsed.message.has_value()) {
    services_.metrics->CountInvalidFrame();
    LogBadMessage(ErrorCodeName(parsed.error), parsed.detail);
    return SendError(parsed.error);
  }
  services_.metrics->CountClientFrame(parsed.message->type);
  switch (parsed.message->type) {
    case ClientMessage::Type::kAuthenticate:
      return OnAuthenticate(std::move(parsed.message->content));
    case ClientMessage::Type::kResume:
      if (!first) {
        LogBadMessage(ErrorCodeName(ClientError::kInvalidMessage), "resume after the first frame");
        return SendError(ClientError::kInvalidMessage);
      }
      return StartResume(std::move(*parsed.message));
    case ClientMessage::Type::kUserMessage:
      if (!parsed.message->trace && upgrade_trace_) parsed.message->trace = *upgrade_trace_;
      [[fallthrough]];
    default:
      WithSession([message = std::move(*parsed.message)](ChatSession& session) mutable {
        session.HandleMessage(std::move(message));
      });
  }
}

// --- resume ---

void WsConnection::StartResume(ClientMessage message) {
  if (message.session_id == session_id()) {
    LogBadMessage(ErrorCodeName(ClientError::kInvalidMessage),
                  "resume of the connection's own session");
    return SendError(ClientError::kInvalidMessage);
  }
  resuming_ = true;
  if (auto target = services_.sessions->Find(message.session_id)) {
    return ResumeWith(std::move(target), std::move(message));
  }
  // Not here: after a restart it is in the store. The answer comes on the store's thread.
  std::string id = message.session_id;
  services_.store->Load(std::move(id), [self = shared_from_this(), message = std::move(message)](
                                           std::optional<SessionSnapshot> snapshot) mutable {
    net::post(self->ws_.get_executor(),
              [self, message = std::move(message), snapshot = std::move(snapshot)]() mutable {
                self->OnStoredSession(std::move(message), std::move(snapshot));
              });
  });
}

void WsConnection::OnStoredSession(ClientMessage message, std::optional<SessionSnapshot> snapshot) {
  if (!snapshot) {
    ResumeTokens::CompareWithNothing(message.content);
    return OnResumed(nullptr, 0, ChatSession::ResumeResult{});
  }
  // Restored on this connection's loop, which is the one about to attach to it.
  Principal stored_owner;
  stored_owner.identity = snapshot->session.identity;
  auto owner = std::make_shared<const Principal>(std::move(stored_owner));
  auto restored = std::make_shared<ChatSession>(services_, ws_.get_executor(), std::move(owner));
  restored->Restore(*std::move(snapshot));
  // A closed session (its window passed) answers `expired` and is not kept.
  if (restored->state() != ChatSession::State::kClosed) {
    restored = services_.sessions->AddIfAbsent(std::move(restored));
  }
  ResumeWith(std::move(restored), std::move(message));
}

void WsConnection::ResumeWith(std::shared_ptr<ChatSession> target, ClientMessage message) {
  uint64_t attach_id = NextAttachId();
  ChatSession::ResumeRequest request{
      .token = std::move(message.content),
      .identity = services_.auth->mode() == AuthMode::kNone ? "" : principal_->identity,
      .last_seq = message.seq};
  auto resume = [self = shared_from_this(), target, attach_id,
                 request = std::move(request)]() mutable {
    target->Resume(self, attach_id, std::move(request),
                   [self, target, attach_id](ChatSession::ResumeResult result) {
                     auto answer = [self, target, attach_id, result] {
                       self->OnResumed(target, attach_id, result);
                     };
                     if (self->OnOwnLoop()) return answer();
                     net::dispatch(self->ws_.get_executor(), std::move(answer));
                   });
  };
  net::dispatch(target->executor(), std::move(resume));
}

void WsConnection::OnResumed(std::shared_ptr<ChatSession> target, uint64_t attach_id,
                             ChatSession::ResumeResult result) {
  auto log = common::Logger("session");
  if (!result.ok) {
    if (target && (result.failure == ResumeFailure::kBadToken ||
                   result.failure == ResumeFailure::kUnknownSession)) {
      // A session held here answers without the store, which an unknown id had to ask:
      // asking it too keeps the two refusals alike in time (no oracle for valid ids).
      return services_.store->Load(
          std::string(target->id()),
          [self = shared_from_this(), result](std::optional<SessionSnapshot> /*ignored*/) {
            net::post(self->ws_.get_executor(),
                      [self, result] { self->OnResumed(nullptr, 0, result); });
          });
    }
    resuming_ = false;
    services_.metrics->CountResume(false, result.failure);
    log->info("resume failed session={} reason={}", session_id(),
              ResumeFailureName(result.failure));
    if (torn_down_) {
      session_.reset();
      return;
    }
    WithSession([result](ChatSession& session) {
      session.SendEphemeral([&](uint64_t seq) {
        return EncodeResumeFailed(session.id(), seq, result.failure, result.oldest_seq);
      });
    });
    return MaybeRead();
  }
  resuming_ = false;
  services_.metrics->CountResume(true, result.failure);
  std::shared_ptr<ChatSession> fresh = std::exchange(session_, std::move(target));
  attach_id_ = attach_id;
  session_here_ = session_->executor() == ws_.get_executor();
  log->info("connection resumed session={} replaced={}", session_id(), fresh->id());
  // The fresh session this connection started with is not needed: nothing of it is kept.
  if (fresh->executor() == ws_.get_executor()) {
    fresh->Discard();
  } else {
    net::dispatch(fresh->executor(), [fresh] { fresh->Discard(); });
  }
  if (torn_down_) {
    // The client went away while the resume was decided: the session waits for the next.
    WithSession([attach_id](ChatSession& session) { session.Detach(attach_id); });
    session_.reset();
    return;
  }
  MaybeRead();
}

void WsConnection::WithSession(std::function<void(ChatSession&)> fn) {
  if (!session_) return;
  if (session_here_) return fn(*session_);
  net::dispatch(session_->executor(), [session = session_, fn = std::move(fn)] { fn(*session); });
}

// --- credentials that expire ---

void WsConnection::WatchCredential() {
  if (principal_->expires == absl::InfiniteFuture()) return;
  if (!credential_) credential_ = std::make_unique<CredentialWatch>(ws_.get_executor());
  uint64_t generation = ++credential_->generation;
  absl::Time when =
      credential_->expired ? principal_->expires + services_.auth->leeway() : principal_->expires;
  // Rounded up, so the wait never ends before `when`.
  credential_->timer.expires_after(
      absl::ToChronoMilliseconds(std::max(absl::ZeroDuration(), when - absl::Now())) +
      std::chrono::milliseconds(1));
  credential_->timer.async_wait(
      [self = shared_from_this(), generation](boost::beast::error_code ec) {
        if (!ec) self->OnCredentialTimer(generation);
      });
}

void WsConnection::OnCredentialTimer(uint64_t generation) {
  if (generation != credential_->generation || closing_) return;
  // The timer runs on the steady clock, exp is wall time: a wake-up a moment early waits for
  // the rest, so that "expired" is never said of a token the verifier still takes as valid.
  absl::Time due =
      credential_->expired ? principal_->expires + services_.auth->leeway() : principal_->expires;
  if (absl::Now() < due) return WatchCredential();
  if (!credential_->expired) {
    common::Logger("session")->info("credential expired session={} identity={}", session_id(),
                                    principal_->identity);
    credential_->expired = true;
    services_.metrics->CountAuthFailure(AuthFailure::kExpired);
    SendError(ClientError::kTokenExpired);
    return WatchCredential();
  }
  common::Logger("session")->info("closing session={} reason=credential_expired", session_id());
  DoClose(CloseReason(kCloseUnauthorized, "token expired"));
}

void WsConnection::OnAuthenticate(std::string token) {
  auto log = common::Logger("session");
  if (principal_->expires == absl::InfiniteFuture() || services_.auth->mode() != AuthMode::kJwt) {
    LogBadMessage(ErrorCodeName(ClientError::kInvalidMessage),
                  "authenticate without a JWT connection");
    return SendError(ClientError::kInvalidMessage);
  }
  absl::Time now = absl::Now();
  Authenticator::Outcome outcome = services_.auth->Authenticate(token, now);
  // The verifier accepts a token up to its leeway past exp; a renewal must not be one that
  // has already expired, or it would only restart the countdown it is meant to end.
  std::string_view refusal = outcome.principal == nullptr ? std::string_view(outcome.reason)
                             : outcome.principal->identity != principal_->identity
                                 ? "another identity"
                             : outcome.principal->expires <= now ? "the token has expired"
                                                                 : "";
  if (!refusal.empty()) {
    services_.metrics->CountAuthFailure(AuthFailure::kRenewal);
    log->info("authenticate refused session={} reason=\"{}\"", session_id(), refusal);
    return SendError(ClientError::kUnauthenticated);
  }
  principal_ = std::move(outcome.principal);
  if (credential_) credential_->expired = false;
  log->info("authenticated session={} identity={}", session_id(), principal_->identity);
  int64_t expires_in_ms = absl::ToInt64Milliseconds(principal_->expires - absl::Now());
  WithSession([expires_in_ms](ChatSession& session) {
    session.SendEphemeral(
        [&](uint64_t seq) { return EncodeAuthenticated(session.id(), seq, expires_in_ms); });
  });
  WatchCredential();
}

void WsConnection::Revalidate() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (self->closing_ || self->services_.auth->StillValid(*self->principal_)) return;
    common::Logger("session")->info("closing session={} reason=credential_revoked identity={}",
                                    self->session_id(), self->principal_->identity);
    self->DoClose(CloseReason(kCloseUnauthorized, "credential revoked"));
  });
}

}  // namespace streamgate::gateway
