#include "tools/ws-bench/resume_session.h"

#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/strings/str_cat.h"
#include "tools/ws-bench/client_frames.h"

namespace streamgate::bench {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

bool IsOrdinaryEnd(const beast::error_code& ec) {
  return ec == websocket::error::closed || ec == net::error::operation_aborted;
}

}  // namespace

const char* ResumeSession::PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kOpening:
      return "opening";
    case Phase::kAwaitingHello:
      return "awaiting connection_established";
    case Phase::kReady:
      return "waiting to send";
    case Phase::kStreaming:
      return "streaming before the cut";
    case Phase::kReconnecting:
      return "reconnecting";
    case Phase::kAwaitingFreshHello:
      return "awaiting the second connection_established";
    case Phase::kReplaying:
      return "awaiting session_resumed";
    case Phase::kLive:
      return "streaming after the resume";
    case Phase::kDone:
      return "done";
    case Phase::kFailed:
      return "failed";
    case Phase::kClosed:
      return "closed";
  }
  return "?";
}

ResumeSession::ResumeSession(net::io_context& io, const BenchConfig& config, const Target& target,
                             const ReferenceReply& reference, int index, BenchStats* stats,
                             RunProgress* progress)
    : io_(io),
      config_(config),
      target_(target),
      reference_(reference),
      index_(index),
      stats_(stats),
      progress_(progress) {}

void ResumeSession::Start() { OpenLink(0); }

void ResumeSession::OpenLink(int link) {
  opener_ = WsOpener::Open(io_, config_, target_,
                           [self = shared_from_this(), link](const std::string& error,
                                                             std::unique_ptr<WsStream> stream) {
                             self->OnOpen(link, error, std::move(stream));
                           });
}

void ResumeSession::OnOpen(int link, const std::string& error, std::unique_ptr<WsStream> stream) {
  if (Terminal()) return;
  if (link == 0) {
    if (!error.empty()) return FailOpening(error);
    phase_ = Phase::kAwaitingHello;
  } else {
    if (!error.empty()) return Fail(absl::StrCat("reconnect: ", error));
    phase_ = Phase::kAwaitingFreshHello;
  }
  links_[link].ws = std::move(stream);
  DoRead(link);
}

void ResumeSession::DoRead(int link) {
  links_[link].ws->async_read(
      links_[link].buffer,
      beast::bind_front_handler(&ResumeSession::OnRead, shared_from_this(), link));
}

void ResumeSession::OnRead(int link, beast::error_code ec, size_t) {
  // The cut connection's last read ends here with an error nobody waits for.
  if (link != current_ || phase_ == Phase::kFailed) return;
  if (ec) {
    if (phase_ == Phase::kClosed) return;
    return Drop(IsOrdinaryEnd(ec) ? "closed by server" : ec.message());
  }
  Link& current = links_[link];
  if (!current.ws->got_text()) {
    stats_->AddViolation("binary_frame");
  } else {
    auto data = current.buffer.cdata();
    HandleFrame(std::string_view(static_cast<const char*>(data.data()), data.size()));
  }
  current.buffer.consume(current.buffer.size());
  // A cut moved the session to the other link; a failure or the run ended it.
  if (link == current_ && phase_ != Phase::kFailed) DoRead(link);
}

void ResumeSession::Write(int link, std::string frame) {
  Link& target = links_[link];
  target.out_frame = std::move(frame);
  target.writing = true;
  target.ws->text(true);
  target.ws->async_write(
      net::buffer(target.out_frame),
      beast::bind_front_handler(&ResumeSession::OnWrite, shared_from_this(), link));
}

void ResumeSession::OnWrite(int link, beast::error_code ec, size_t) {
  links_[link].writing = false;
  if (link != current_) return;
  if (close_after_write_) return DoClose();
  if (ec && !Terminal()) Drop(absl::StrCat("write: ", ec.message()));
}

void ResumeSession::HandleFrame(std::string_view text) {
  ServerFrame frame;
  if (!ScanServerFrame(text, &frame)) return stats_->AddViolation("unparseable_frame");
  switch (phase_) {
    case Phase::kAwaitingHello:
      return HandleHello(frame);
    case Phase::kAwaitingFreshHello:
      return HandleFreshHello(frame);
    case Phase::kReady:
    case Phase::kStreaming:
    case Phase::kReplaying:
    case Phase::kLive:
    case Phase::kDone:
      return HandleSessionFrame(frame);
    default:
      return;  // no read is running in the other phases, or nobody needs the frame
  }
}

void ResumeSession::HandleHello(const ServerFrame& frame) {
  if (frame.type == FrameType::kError) {
    stats_->AddError(frame.code);
    return FailOpening("error before connection_established");
  }
  if (frame.type != FrameType::kConnectionEstablished) {
    return stats_->AddViolation("frame_before_connection_established");
  }
  if (frame.session_id.empty()) stats_->AddViolation("no_session_id");
  if (frame.seq < 0) stats_->AddViolation("no_seq");
  session_id_ = frame.session_id;
  resume_token_ = frame.resume_token;
  last_seq_ = frame.seq < 0 ? 0 : frame.seq;
  phase_ = Phase::kReady;
  stats_->AddEstablished();
  progress_->attempts_done.fetch_add(1, std::memory_order_relaxed);
  if (resume_token_.empty()) return Fail("no resumeToken in connection_established");
  if (!config_.sync_start) SendMessage();
}

void ResumeSession::BeginMessages(Clock::time_point go) {
  if (phase_ != Phase::kReady) return;
  auto offset = std::chrono::duration<double, std::milli>(
      static_cast<double>(config_.start_spread_ms) * index_ / config_.connections);
  SendAt(go + std::chrono::duration_cast<Clock::duration>(offset));
}

void ResumeSession::SendAt(Clock::time_point when) {
  if (when <= Clock::now()) return SendMessage();
  if (!timer_.has_value()) timer_.emplace(io_);
  timer_->expires_at(when);
  timer_->async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec && self->phase_ == Phase::kReady) self->SendMessage();
  });
}

void ResumeSession::SendMessage() {
  sent_text_ = UserMessageText(index_, 1, config_.words);
  phase_ = Phase::kStreaming;
  sent_at_ = Clock::now();
  stats_->AddSent(sent_at_);
  Write(0, UserMessageFrame(sent_text_, session_id_));
}

void ResumeSession::HandleFreshHello(const ServerFrame& frame) {
  if (frame.type == FrameType::kError) {
    stats_->AddError(frame.code);
    return Fail("reconnect: error before connection_established");
  }
  if (frame.type != FrameType::kConnectionEstablished) {
    return stats_->AddViolation("frame_before_connection_established");
  }
  // Every connection starts as a fresh session; the resume takes ours back.
  if (frame.session_id == session_id_) stats_->AddViolation("reconnect_reused_session_id");
  phase_ = Phase::kReplaying;
  Write(1, ResumeFrame(session_id_, resume_token_, last_seq_));
}

void ResumeSession::HandleSessionFrame(const ServerFrame& frame) {
  if (frame.type == FrameType::kError) {
    // resume_failed carries the fresh session's id; a reply's error carries ours.
    stats_->AddError(frame.code);
    if (frame.code == "resume_failed") {
      return Fail(absl::StrCat("resume_failed: ", frame.reason.empty() ? "?" : frame.reason));
    }
    return Fail(absl::StrCat("error: ", frame.code.empty() ? "(none)" : frame.code));
  }
  if (frame.session_id != session_id_) stats_->AddViolation("wrong_session_id");
  if (frame.type == FrameType::kSessionResumed) return HandleResumed(frame);
  // Outside the seq order (seq 0), whatever the phase (a drain sends one).
  if (frame.type == FrameType::kStatus) return;
  if (frame.type == FrameType::kConnectionEstablished) {
    return stats_->AddViolation("repeated_connection_established");
  }
  if (phase_ == Phase::kDone) return stats_->AddViolation("frame_after_stream_end");
  if (phase_ == Phase::kReady) return stats_->AddViolation("frame_before_user_message");
  // Replayed frames as the server counts them, a duplicate included.
  if (phase_ == Phase::kReplaying) ++replayed_;
  if (!AcceptSeq(frame)) return;
  HandleReplyFrame(frame);
}

bool ResumeSession::AcceptSeq(const ServerFrame& frame) {
  if (frame.seq < 0) {
    stats_->AddViolation("no_seq");
    return true;
  }
  if (frame.seq <= last_seq_) {
    ++duplicated_;
    stats_->resume().AddDuplicatedChunks(1);
    return false;
  }
  if (frame.seq > last_seq_ + 1) {
    int64_t skipped = frame.seq - last_seq_ - 1;
    lost_ += skipped;
    stats_->resume().AddLostChunks(skipped);
  }
  last_seq_ = frame.seq;
  return true;
}

void ResumeSession::HandleResumed(const ServerFrame& frame) {
  if (phase_ != Phase::kReplaying) return stats_->AddViolation("unexpected_session_resumed");
  // Ephemeral, but it takes the next seq: a hole before it is a lost replayed frame.
  AcceptSeq(frame);
  if (frame.replayed != replayed_) stats_->AddViolation("replayed_count_mismatch");
  if (frame.resume_token.empty()) stats_->AddViolation("no_resume_token");
  stats_->resume().AddResumed(MillisecondsBetween(reconnect_at_, Clock::now()), replayed_);
  resume_token_ = frame.resume_token;
  phase_ = Phase::kLive;
  if (reply_ended_) Verify();
}

void ResumeSession::HandleReplyFrame(const ServerFrame& frame) {
  Clock::time_point now = Clock::now();
  double since_send = MillisecondsBetween(sent_at_, now);
  switch (frame.type) {
    case FrameType::kStreamStart:
      if (timings_.start_ms.has_value()) return stats_->AddViolation("unexpected_stream_start");
      timings_.start_ms = since_send;
      return;
    case FrameType::kStreamChunk:
      if (!timings_.start_ms.has_value()) stats_->AddViolation("stream_chunk_before_start");
      if (reply_ended_) return stats_->AddViolation("stream_chunk_after_end");
      if (!timings_.first_chunk_ms.has_value()) timings_.first_chunk_ms = since_send;
      stats_->AddChunk(frame.content.size());
      text_.append(frame.content);
      ++chunks_;
      if (phase_ == Phase::kStreaming && chunks_ >= config_.cut_after_chunks) Cut();
      return;
    case FrameType::kStreamEnd:
      if (reply_ended_) return stats_->AddViolation("unexpected_stream_end");
      reply_ended_ = true;
      timings_.end_ms = since_send;
      stats_->AddReply(timings_, now);
      if (phase_ == Phase::kStreaming) {
        return Fail("reply ended before the cut (fewer chunks than --cut-after-chunks)");
      }
      // A reply that ended while detached comes in the replay: judged after session_resumed.
      if (phase_ == Phase::kLive) Verify();
      return;
    default:
      return stats_->AddViolation("unknown_type");
  }
}

void ResumeSession::Cut() {
  // Linger 0: close() resets the connection at once, as a dead network or a killed client
  // would, instead of a FIN the server could take for an orderly end.
  auto& socket = links_[0].ws->next_layer().socket();
  beast::error_code ignored;
  socket.set_option(tcp::socket::linger(true, 0), ignored);
  socket.close(ignored);
  current_ = 1;
  phase_ = Phase::kReconnecting;
  if (config_.reconnect_delay_ms <= 0) return Reconnect();
  if (!timer_.has_value()) timer_.emplace(io_);
  timer_->expires_after(std::chrono::milliseconds(config_.reconnect_delay_ms));
  timer_->async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec && self->phase_ == Phase::kReconnecting) self->Reconnect();
  });
}

void ResumeSession::Reconnect() {
  reconnect_at_ = Clock::now();
  OpenLink(1);
}

void ResumeSession::Verify() {
  const bool text_matches = reference_.ok() && text_ == reference_.ExpectedFor(sent_text_);
  if (reference_.ok() && !text_matches) {
    stats_->resume().AddTextMismatch();
    stats_->AddMismatch();
  }
  if (!reference_.ok()) return Fail("no reference reply");
  if (lost_ > 0) return Fail("lost chunks");
  if (duplicated_ > 0) return Fail("duplicated chunks");
  if (!text_matches) return Fail("text differs from the reference reply");
  stats_->resume().AddCompleted();
  phase_ = Phase::kDone;
  MarkFinished();
}

bool ResumeSession::Terminal() const {
  return phase_ == Phase::kDone || phase_ == Phase::kFailed || phase_ == Phase::kClosed;
}

void ResumeSession::Drop(const std::string& reason) {
  if (phase_ == Phase::kAwaitingHello) {
    return FailOpening(absl::StrCat("before connection_established: ", reason));
  }
  if (phase_ == Phase::kAwaitingFreshHello) {
    return Fail(absl::StrCat("reconnect: before connection_established: ", reason));
  }
  stats_->AddDropped(reason);
  if (phase_ == Phase::kDone) {
    phase_ = Phase::kClosed;
    return CloseSockets();
  }
  if (phase_ == Phase::kStreaming || phase_ == Phase::kReplaying || phase_ == Phase::kLive) {
    stats_->AddAbandoned();
  }
  Fail(absl::StrCat("dropped while ", PhaseName(phase_), ": ", reason));
}

void ResumeSession::FailOpening(const std::string& reason) {
  stats_->AddConnectFailure(reason);
  progress_->attempts_done.fetch_add(1, std::memory_order_relaxed);
  Fail(reason);
}

void ResumeSession::Fail(const std::string& reason) {
  if (Terminal()) return;
  stats_->resume().AddFailure(reason);
  phase_ = Phase::kFailed;
  if (timer_.has_value()) timer_->cancel();
  CloseSockets();
  MarkFinished();
}

void ResumeSession::CloseSockets() {
  beast::error_code ignored;
  if (auto opener = opener_.lock()) opener->Cancel();
  for (Link& link : links_) {
    if (link.ws) link.ws->next_layer().socket().close(ignored);
  }
}

void ResumeSession::Close(bool graceful) {
  switch (phase_) {
    case Phase::kOpening:
    case Phase::kAwaitingHello:
      return FailOpening("stopped before connection_established");
    case Phase::kDone:
      phase_ = Phase::kClosed;
      if (!graceful) return CloseSockets();
      if (links_[current_].writing) {
        close_after_write_ = true;
        return;
      }
      return DoClose();
    case Phase::kFailed:
    case Phase::kClosed:
      if (!graceful) CloseSockets();
      return;
    default:
      // The run ended (its --timeout) with the reply still under way.
      if (phase_ != Phase::kReady) stats_->AddAbandoned();
      return Fail(absl::StrCat("stopped while ", PhaseName(phase_)));
  }
}

void ResumeSession::DoClose() {
  close_after_write_ = false;
  links_[current_].ws->async_close(websocket::close_code::normal,
                                   [self = shared_from_this()](beast::error_code) {});
}

void ResumeSession::MarkFinished() {
  if (finished_) return;
  finished_ = true;
  progress_->finished.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace streamgate::bench
