#include "tools/streamgate-cli/ws_chat_backend.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace streamgate::cli {

namespace net = boost::asio;

namespace {

ReplyEnd Ended(ReplyEnd::Outcome outcome, std::string error = "") {
  return ReplyEnd{.outcome = outcome, .error = std::move(error)};
}

std::string ErrorText(const ServerFrame& frame) {
  std::string text = frame.error.empty() ? "error" : frame.error;
  if (!frame.code.empty()) text += " (" + frame.code + ")";
  return text;
}

}  // namespace

WsChatBackend::WsChatBackend(net::io_context& io, Endpoint endpoint, Options options,
                             ChatListener* listener)
    : io_(io),
      endpoint_(std::move(endpoint)),
      options_(std::move(options)),
      listener_(listener),
      reconnect_timer_(io),
      conversation_(options_.conversation) {}

void WsChatBackend::Start() {
  phase_ = Phase::kConnecting;
  Connect();
}

void WsChatBackend::Connect() {
  connection_ = WsClientConnection::Start(io_, endpoint_,
                                          {.connect_timeout = options_.connect_timeout,
                                           .token = options_.token,
                                           .tls_ca = options_.tls_ca},
                                          this);
}

void WsChatBackend::OnOpen() {
  // A resume must be the connection's first frame; the fresh session's hello may already
  // be on its way, which is fine (HandleResumeAnswer keeps it aside).
  if (phase_ == Phase::kResuming) connection_->Send(session_.ResumeFrame());
}

void WsChatBackend::OnFrame(std::string_view text) {
  std::optional<ServerFrame> frame = ParseServerFrame(text);
  if (!frame.has_value()) {
    Print(text);
    return listener_->OnNotice("the gateway sent a frame that is not JSON");
  }
  switch (phase_) {
    case Phase::kConnecting:
      return HandleHello(*frame, text);
    case Phase::kResuming:
      return HandleResumeAnswer(*frame, text);
    case Phase::kOpen:
      if (!session_.Advance(*frame)) return;  // seen before the connection dropped
      Print(text);
      return HandleSessionFrame(*frame);
    case Phase::kNew:
    case Phase::kWaitingRetry:
    case Phase::kClosed:
      return;
  }
}

void WsChatBackend::HandleHello(const ServerFrame& frame, std::string_view text) {
  Print(text);
  if (frame.type == "connection_established") {
    session_.Establish(frame);
    phase_ = Phase::kOpen;
    return listener_->OnReady(WsClientConnection::Describe(endpoint_) + ", session " +
                              session_.id());
  }
  if (frame.type == "error") return Lose("the gateway refused the session: " + frame.error);
}

void WsChatBackend::HandleResumeAnswer(const ServerFrame& frame, std::string_view text) {
  if (frame.session_id == session_.id()) {
    // The replay, then session_resumed.
    if (!session_.Advance(frame)) return;
    Print(text);
    if (frame.type != "session_resumed") return HandleSessionFrame(frame);
    session_.Resumed(frame);
    phase_ = Phase::kOpen;
    fresh_hello_.reset();
    backoff_.Reset();
    listener_->OnNotice("resumed session " + session_.id() + " (" + std::to_string(frame.replayed) +
                        " frames replayed)");
    return CatchUp();
  }
  // The fresh session this connection started as: its hello, then (if the resume fails)
  // the refusal. Its hello is printed only if it becomes the session.
  if (frame.type == "connection_established") {
    fresh_hello_ = frame;
    fresh_hello_text_ = std::string(text);
    return;
  }
  if (frame.type != "error" || frame.code != "resume_failed") {
    Print(text);
    return listener_->OnNotice("the gateway says: " + ErrorText(frame));
  }
  std::string old_id = session_.id();
  if (fresh_hello_.has_value()) {
    Print(fresh_hello_text_);
    session_.Establish(*fresh_hello_);
  } else {
    session_.Establish(frame);  // no token: a later loss cannot be resumed
  }
  fresh_hello_.reset();
  session_.Advance(frame);
  Print(text);
  phase_ = Phase::kOpen;
  backoff_.Reset();
  listener_->OnNotice("could not resume session " + old_id + " (" +
                      (frame.reason.empty() ? "resume_failed" : frame.reason) +
                      "): going on as new session " + session_.id() +
                      ", without the conversation so far");
  if (!reply_.has_value()) return;
  if (!reply_->sent()) return SendAsk();
  EndReply(Ended(ReplyEnd::Outcome::kFailed,
                 "the reply was lost with the connection (the session could not be resumed)"));
}

bool WsChatBackend::InReply(const ServerFrame& frame) const {
  if (!reply_.has_value() || !reply_->sent()) return false;
  // Errors about a frame, not a conversation, carry none.
  return frame.conversation_id.empty() || frame.conversation_id == reply_->conversation;
}

void WsChatBackend::HandleSessionFrame(const ServerFrame& frame) {
  if (frame.type == "stream_start") {
    if (InReply(frame)) reply_->delivery = Reply::Delivery::kSeen;
  } else if (frame.type == "stream_chunk") {
    if (!InReply(frame)) return;
    reply_->delivery = Reply::Delivery::kSeen;
    listener_->OnReplyText(frame.content);
  } else if (frame.type == "stream_end") {
    if (!InReply(frame)) return;
    EndReply(
        Ended(frame.cancelled ? ReplyEnd::Outcome::kCancelled : ReplyEnd::Outcome::kCompleted));
  } else if (frame.type == "error") {
    // Only ever the answer to a cancel that crossed the reply's end: nothing to tell.
    if (frame.code == "nothing_to_cancel") return;
    if (frame.code == "busy" && InReply(frame) && reply_->delivery == Reply::Delivery::kResent) {
      // The message sent again after a resume: the gateway had the first one after all,
      // and its reply is running. Wait for that one.
      reply_->delivery = Reply::Delivery::kSeen;
      return;
    }
    if (!InReply(frame)) return listener_->OnNotice("the gateway says: " + ErrorText(frame));
    EndReply(Ended(ReplyEnd::Outcome::kFailed, ErrorText(frame)));
  } else if (frame.type == "going_away") {
    // The close (1012) follows; come back after this long.
    going_away_ms_ = std::max<int64_t>(frame.retry_after_ms, 0);
  }
  // stream_start needs nothing else; other types are extensions this client does not know.
}

void WsChatBackend::CatchUp() {
  if (!reply_.has_value()) return;
  if (reply_->cancel_wanted) {
    SendCancel();
    // Whether the gateway ever had the message is unknown: the cancel stops it if so, and
    // the person asked for it to stop either way.
    if (reply_->delivery != Reply::Delivery::kSeen) EndReply(Ended(ReplyEnd::Outcome::kCancelled));
    return;
  }
  // A reply the replay says nothing of: the message may have been lost with the connection,
  // or the gateway may have it and not have started streaming. Send it again; if the gateway
  // had it, the answer is `busy` (see HandleSessionFrame).
  if (reply_->delivery != Reply::Delivery::kSeen) SendAsk();
}

void WsChatBackend::Ask(std::string text) {
  if (phase_ == Phase::kNew || phase_ == Phase::kConnecting || phase_ == Phase::kClosed) return;
  reply_ = Reply{.text = std::move(text), .conversation = conversation_};
  // While reconnecting it waits: CatchUp sends it once the session is back.
  if (phase_ == Phase::kOpen) SendAsk();
}

void WsChatBackend::SendAsk() {
  connection_->Send(EncodeUserMessage(reply_->text, session_.id(), reply_->conversation));
  reply_->delivery = reply_->sent() ? Reply::Delivery::kResent : Reply::Delivery::kSent;
}

void WsChatBackend::Cancel() {
  if (!reply_.has_value() || reply_->cancel_wanted) return;
  reply_->cancel_wanted = true;
  if (!reply_->sent()) return EndReply(Ended(ReplyEnd::Outcome::kCancelled));
  if (phase_ == Phase::kOpen) SendCancel();
}

void WsChatBackend::SendCancel() {
  connection_->Send(EncodeCancel(session_.id(), reply_->conversation));
}

void WsChatBackend::EndReply(ReplyEnd end) {
  reply_.reset();
  listener_->OnReplyEnd(end);
}

absl::Status WsChatBackend::SelectConversation(const std::string& id) {
  if (auto valid = ValidateConversationId(id); !valid.ok()) return valid;
  conversation_ = id;
  return absl::OkStatus();
}

std::string WsChatBackend::conversation() const { return conversation_; }

void WsChatBackend::OnEnded(const WsClientConnection::End& end) {
  connection_.reset();
  if (phase_ == Phase::kConnecting) return Lose(end.reason);  // no session yet
  if (phase_ != Phase::kOpen && phase_ != Phase::kResuming) return;
  using Kind = WsClientConnection::End::Kind;
  if (end.kind == Kind::kClosed && !CloseCodeAllowsResume(end.close_code)) return Lose(end.reason);
  if (end.kind == Kind::kFailedToOpen && (end.http_status == 401 || end.http_status == 403)) {
    return Lose(end.reason);  // the credential will not get better by trying again
  }
  ScheduleReconnect(end.reason);
}

void WsChatBackend::ScheduleReconnect(const std::string& why) {
  absl::Time now = absl::Now();
  fresh_hello_.reset();
  if (phase_ == Phase::kOpen) {
    // A new outage.
    if (options_.reconnect_timeout <= absl::ZeroDuration()) return Lose(why);
    give_up_at_ = now + options_.reconnect_timeout;
    listener_->OnNotice(going_away_ms_ >= 0
                            ? "the gateway is restarting; resuming the session in " +
                                  std::to_string(going_away_ms_) + "ms"
                            : why + "; reconnecting to resume the session");
  }
  if (now >= give_up_at_) {
    return Lose(why + "; gave up resuming the session after " +
                absl::FormatDuration(options_.reconnect_timeout));
  }
  absl::Duration delay =
      going_away_ms_ >= 0
          ? absl::Milliseconds(going_away_ms_)
          : backoff_.Next(std::uniform_real_distribution<double>(0.0, 1.0)(random_));
  going_away_ms_ = -1;
  // The last attempt is made at the deadline, not after it.
  delay = std::min(delay, give_up_at_ - now);
  phase_ = Phase::kWaitingRetry;
  reconnect_timer_.expires_after(absl::ToChronoNanoseconds(delay));
  reconnect_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || phase_ != Phase::kWaitingRetry) return;
    phase_ = Phase::kResuming;
    Connect();
  });
}

void WsChatBackend::Print(std::string_view text) {
  // --json prints every frame; a resume token must never reach a terminal or a log file.
  listener_->OnRawEvent(RedactSecrets(text));
}

void WsChatBackend::Shutdown(bool graceful, std::function<void()> done) {
  if (done) shutdown_done_ = std::move(done);
  // A lost connection no longer stops a reply (the gateway keeps it for a resume), so a
  // reply still running is cancelled before the close, which then waits for that write.
  if (phase_ == Phase::kOpen && connection_ && reply_.has_value() && reply_->sent() && !closing_) {
    SendCancel();
    graceful = true;
  }
  phase_ = Phase::kClosed;
  reply_.reset();
  reconnect_timer_.cancel();
  if (connection_ && graceful && !closing_) {
    closing_ = true;
    // A close frame; the gateway treats it as the end of the session (a reply in progress
    // is cancelled). A local copy keeps the connection alive through its own callback.
    auto connection = connection_;
    return connection->Close([this] {
      connection_.reset();
      RunShutdownDone();
    });
  }
  if (connection_) {
    connection_->Abort();
    connection_.reset();
  }
  RunShutdownDone();
}

void WsChatBackend::Lose(const std::string& reason) {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  reply_.reset();
  reconnect_timer_.cancel();
  if (connection_) {
    connection_->Abort();
    connection_.reset();
  }
  listener_->OnConnectionLost(reason);
}

void WsChatBackend::RunShutdownDone() {
  if (!shutdown_done_) return;
  auto done = std::move(shutdown_done_);
  shutdown_done_ = nullptr;
  done();
}

}  // namespace streamgate::cli
