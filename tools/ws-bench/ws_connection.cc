#include "tools/ws-bench/ws_connection.h"

#include "absl/strings/str_cat.h"
#include "tools/ws-bench/client_frames.h"

namespace streamgate::bench {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

bool IsOrdinaryEnd(const beast::error_code& ec) {
  return ec == websocket::error::closed || ec == net::error::operation_aborted;
}

}  // namespace

WsConnection::WsConnection(net::io_context& io, const BenchConfig& config, const Target& target,
                           int index, BenchStats* stats, RunProgress* progress)
    : io_(io),
      config_(config),
      target_(target),
      index_(index),
      stats_(stats),
      progress_(progress) {}

void WsConnection::CloseSocket() {
  beast::error_code ignored;
  if (ws_) {
    ws_->next_layer().socket().close(ignored);
  } else if (auto opener = opener_.lock()) {
    opener->Cancel();
  }
}

void WsConnection::Start() {
  opener_ = WsOpener::Open(
      io_, config_, target_,
      [self = shared_from_this()](const std::string& error, std::unique_ptr<WsStream> stream) {
        self->OnOpen(error, std::move(stream));
      });
}

void WsConnection::OnOpen(const std::string& error, std::unique_ptr<WsStream> stream) {
  if (closing_) return;
  if (!error.empty()) return FailOpening(error);
  ws_ = std::move(stream);
  phase_ = Phase::kAwaitingHello;
  DoRead();
}

void WsConnection::DoRead() {
  ws_->async_read(read_buffer_,
                  beast::bind_front_handler(&WsConnection::OnRead, shared_from_this()));
}

void WsConnection::OnRead(beast::error_code ec, size_t) {
  if (ec) {
    if (closing_) return;
    if (phase_ == Phase::kAwaitingHello) {
      return FailOpening(absl::StrCat("before connection_established: ", ec.message()));
    }
    return Drop(IsOrdinaryEnd(ec) ? "closed by server" : ec.message());
  }
  if (!ws_->got_text()) {
    stats_->AddViolation("binary_frame");
  } else {
    auto data = read_buffer_.cdata();
    HandleFrame(std::string_view(static_cast<const char*>(data.data()), data.size()));
  }
  read_buffer_.consume(read_buffer_.size());
  if (!closing_) DoRead();
}

void WsConnection::HandleFrame(std::string_view text) {
  ServerFrame frame;
  if (!ScanServerFrame(text, &frame)) return stats_->AddViolation("unparseable_frame");
  if (phase_ == Phase::kAwaitingHello) return HandleHello(frame);
  if (frame.session_id != session_id_) stats_->AddViolation("wrong_session_id");
  HandleReplyFrame(frame);
}

void WsConnection::HandleHello(const ServerFrame& frame) {
  if (frame.type == FrameType::kError) {
    stats_->AddError(frame.code);
    FailOpening("error before connection_established");
    return;
  }
  if (frame.type != FrameType::kConnectionEstablished) {
    return stats_->AddViolation("frame_before_connection_established");
  }
  if (frame.session_id.empty()) stats_->AddViolation("no_session_id");
  session_id_ = frame.session_id;
  phase_ = Phase::kReady;
  stats_->AddEstablished();
  progress_->attempts_done.fetch_add(1, std::memory_order_relaxed);
  if (!config_.message_mode()) return MarkFinished();  // idle: held until the run closes it
  if (!config_.sync_start) SendNext();
}

void WsConnection::BeginMessages(Clock::time_point go) {
  if (phase_ != Phase::kReady || closing_ || messages_done_ > 0) return;
  auto offset = std::chrono::duration<double, std::milli>(
      static_cast<double>(config_.start_spread_ms) * index_ / config_.connections);
  SendAt(go + std::chrono::duration_cast<Clock::duration>(offset));
}

void WsConnection::HandleReplyFrame(ServerFrame& frame) {
  bool in_reply = phase_ == Phase::kAwaitingReply;
  Clock::time_point now = Clock::now();
  double since_send = MillisecondsBetween(sent_at_, now);
  switch (frame.type) {
    case FrameType::kConnectionEstablished:
      return stats_->AddViolation("repeated_connection_established");
    case FrameType::kStreamStart:
      if (!in_reply || timings_.start_ms.has_value()) {
        return stats_->AddViolation("unexpected_stream_start");
      }
      timings_.start_ms = since_send;
      return;
    case FrameType::kStreamChunk:
      if (!in_reply) return stats_->AddViolation("unexpected_stream_chunk");
      if (!timings_.start_ms.has_value()) stats_->AddViolation("stream_chunk_before_start");
      if (!timings_.first_chunk_ms.has_value()) timings_.first_chunk_ms = since_send;
      stats_->AddChunk(frame.content.size());
      reply_text_.append(frame.content);
      return;
    case FrameType::kStreamEnd:
      if (!in_reply) return stats_->AddViolation("unexpected_stream_end");
      timings_.end_ms = since_send;
      // The mock echoes the message; text from another connection or message would not
      // contain this one's unique tag.
      if (reply_text_.find(sent_text_) == std::string::npos) stats_->AddMismatch();
      stats_->AddReply(timings_, now);
      return EndReply();
    case FrameType::kError:
      stats_->AddError(frame.code);
      // An error during a reply ends it (the gateway sends no stream_end after one).
      if (in_reply) EndReply();
      return;
    case FrameType::kSessionResumed:
      return stats_->AddViolation("unexpected_session_resumed");
    case FrameType::kStatus:
      return;  // llm-service went or came back: the replies say what it meant for them
    case FrameType::kUnknown:
      return stats_->AddViolation("unknown_type");
  }
}

void WsConnection::EndReply() {
  ++messages_done_;
  if (messages_done_ >= config_.messages) {
    phase_ = Phase::kDone;
    return MarkFinished();
  }
  phase_ = Phase::kReady;
  if (config_.think_ms <= 0) return SendNext();
  SendAt(Clock::now() + std::chrono::milliseconds(config_.think_ms));
}

void WsConnection::SendAt(Clock::time_point when) {
  if (when <= Clock::now()) return SendNext();
  if (!send_timer_.has_value()) send_timer_.emplace(ws_->get_executor());
  send_timer_->expires_at(when);
  send_timer_->async_wait(
      beast::bind_front_handler(&WsConnection::OnSendTimer, shared_from_this()));
}

void WsConnection::OnSendTimer(beast::error_code ec) {
  if (ec || closing_) return;
  SendNext();
}

void WsConnection::SendNext() {
  sent_text_ = UserMessageText(index_, messages_done_ + 1, config_.words);
  out_frame_ = UserMessageFrame(sent_text_, session_id_);
  timings_ = ReplyTimings{};
  reply_text_.clear();
  phase_ = Phase::kAwaitingReply;
  writing_ = true;
  ws_->text(true);
  sent_at_ = Clock::now();
  stats_->AddSent(sent_at_);
  ws_->async_write(net::buffer(out_frame_),
                   beast::bind_front_handler(&WsConnection::OnWrite, shared_from_this()));
}

void WsConnection::OnWrite(beast::error_code ec, size_t) {
  writing_ = false;
  if (close_after_write_) return DoClose();
  if (ec && !closing_) Drop(absl::StrCat("write: ", ec.message()));
}

void WsConnection::Close(bool graceful) {
  if (phase_ == Phase::kOpening || phase_ == Phase::kAwaitingHello) {
    if (!closing_) FailOpening("stopped before connection_established");
    return;
  }
  if (phase_ == Phase::kAwaitingReply && !closing_) stats_->AddAbandoned();
  bool was_closing = closing_;
  closing_ = true;
  MarkFinished();
  if (send_timer_.has_value()) send_timer_->cancel();
  if (!graceful) {
    CloseSocket();
    return;
  }
  if (was_closing) return;
  if (writing_) {
    close_after_write_ = true;
    return;
  }
  DoClose();
}

void WsConnection::DoClose() {
  close_after_write_ = false;
  ws_->async_close(websocket::close_code::normal,
                   [self = shared_from_this()](beast::error_code) {});
}

void WsConnection::FailOpening(const std::string& reason) {
  closing_ = true;
  stats_->AddConnectFailure(reason);
  progress_->attempts_done.fetch_add(1, std::memory_order_relaxed);
  MarkFinished();
  CloseSocket();
}

void WsConnection::Drop(const std::string& reason) {
  if (phase_ == Phase::kAwaitingReply) stats_->AddAbandoned();
  closing_ = true;
  stats_->AddDropped(reason);
  MarkFinished();
  if (send_timer_.has_value()) send_timer_->cancel();
  CloseSocket();
}

void WsConnection::MarkFinished() {
  if (finished_) return;
  finished_ = true;
  progress_->finished.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace streamgate::bench
