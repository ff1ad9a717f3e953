#include "tests/fakes/fake_connection.h"

#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/string.hpp>
#include <utility>

#include "common/log.h"

namespace streamgate::fake_claude {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr uint32_t kHeaderLimit = 64 * 1024;

}  // namespace

FakeConnection::FakeConnection(tcp::socket socket, ConnectionDeps deps)
    : socket_(std::move(socket)), deps_(std::move(deps)), timer_(socket_.get_executor()) {}

uint64_t FakeConnection::Start() {
  beast::error_code ec;
  tcp::endpoint peer = socket_.remote_endpoint(ec);
  id_ = deps_.recorder->OpenConnection(
      ec ? "unknown" : peer.address().to_string() + ":" + std::to_string(peer.port()));
  DoReadHeader();
  return id_;
}

void FakeConnection::Stop() { Close(CloseReason::kShutdown); }

// --- reading ---

void FakeConnection::DoReadHeader() {
  if (closed_ || reading_) return;
  reading_ = true;
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  parser_->body_limit(deps_.max_body_bytes);
  http::async_read_header(
      socket_, buffer_, *parser_,
      beast::bind_front_handler(&FakeConnection::OnReadHeader, shared_from_this()));
}

void FakeConnection::OnReadHeader(beast::error_code ec, size_t) {
  if (ec) return OnReadFailed(ec);
  const auto& header = parser_->get();
  // curl sends "Expect: 100-continue" before bodies over 1 MiB and waits a second for it.
  // The interim response is written only between replies, so it never interleaves with one.
  if (!script_.has_value() && beast::iequals(header[http::field::expect], "100-continue")) {
    continue_bytes_ = "HTTP/1.1 100 Continue\r\n\r\n";
    net::async_write(
        socket_, net::buffer(continue_bytes_),
        beast::bind_front_handler(&FakeConnection::OnContinueWritten, shared_from_this()));
    return;
  }
  DoReadBody();
}

void FakeConnection::OnContinueWritten(beast::error_code ec, size_t) {
  if (closed_) return;
  if (ec) return Close(CloseReason::kPeer);
  DoReadBody();
}

void FakeConnection::DoReadBody() {
  http::async_read(socket_, buffer_, *parser_,
                   beast::bind_front_handler(&FakeConnection::OnReadBody, shared_from_this()));
}

void FakeConnection::OnReadBody(beast::error_code ec, size_t) {
  if (ec) return OnReadFailed(ec);
  reading_ = false;
  IncomingRequest request = ToIncoming(parser_->get());
  parser_.reset();
  if (script_.has_value()) {
    queued_ = std::move(request);  // served when the current reply ends
    return;
  }
  Serve(request);
}

void FakeConnection::OnReadFailed(beast::error_code ec) {
  reading_ = false;
  if (closed_ || ec == net::error::operation_aborted) return;
  if (ec == http::error::body_limit && !script_.has_value()) {
    // The declared body is over the limit: answer like the API, then close.
    IncomingRequest request = ToIncoming(parser_->get());
    return Play(deps_.router->TooLarge(request));
  }
  if (ec.category() == beast::error_code(http::error::need_more).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    // Not HTTP: a parse error. There is nobody to answer sensibly; hang up.
    common::Logger("fake_claude")->warn("bad request conn={} error=\"{}\"", id_, ec.message());
    return Close(CloseReason::kServer);
  }
  // EOF between or inside messages, a reset, or any other socket error: the peer left.
  Close(CloseReason::kPeer);
}

IncomingRequest FakeConnection::ToIncoming(const Parser::value_type& message) const {
  IncomingRequest request;
  request.connection_id = id_;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = message.body();
  request.keep_alive = message.keep_alive();
  return request;
}

// --- replying ---

void FakeConnection::Serve(const IncomingRequest& request) {
  Play(deps_.router->Route(request));
  // Keep a read pending during the reply, to see the peer leave (and the next request).
  DoReadHeader();
}

void FakeConnection::Play(RoutedReply reply) {
  script_.emplace(std::move(reply.script));
  reply_request_id_ = reply.request_id;
  next_step_ = 0;
  delay_done_ = false;
  events_sent_ = 0;
  RunSteps();
}

void FakeConnection::RunSteps() {
  if (next_step_ == script_->steps().size()) return FinishReply();
  const ReplyStep& step = script_->steps()[next_step_];
  if (step.delay.count() > 0 && !delay_done_) {
    timer_.expires_after(step.delay);
    timer_.async_wait(beast::bind_front_handler(&FakeConnection::OnDelay, shared_from_this()));
    return;
  }
  delay_done_ = false;
  switch (step.kind) {
    case ReplyStep::Kind::kWrite:
      write_offset_ = 0;
      return DoWrite();
    case ReplyStep::Kind::kClose:
    case ReplyStep::Kind::kReset:
      return Close(CloseReason::kScripted, step.kind == ReplyStep::Kind::kReset);
    case ReplyStep::Kind::kHold:
      // Nothing more is written. The pending read ends this when the peer leaves.
      if (reply_request_id_ != 0) {
        deps_.recorder->SetResponseEnd(reply_request_id_, ResponseEnd::kStalled, events_sent_);
      }
      return;
  }
}

void FakeConnection::OnDelay(beast::error_code ec) {
  if (closed_ || ec) return;
  delay_done_ = true;
  RunSteps();
}

void FakeConnection::DoWrite() {
  const std::string& bytes = script_->steps()[next_step_].bytes;
  size_t size = bytes.size() - write_offset_;
  if (script_->tiny_writes()) size = 1;
  net::async_write(socket_, net::buffer(bytes.data() + write_offset_, size),
                   beast::bind_front_handler(&FakeConnection::OnWrite, shared_from_this()));
}

void FakeConnection::OnWrite(beast::error_code ec, size_t bytes) {
  if (closed_) return;
  if (ec) return Close(CloseReason::kPeer);  // EPIPE / ECONNRESET: the client went away
  write_offset_ += bytes;
  const ReplyStep& step = script_->steps()[next_step_];
  if (write_offset_ < step.bytes.size()) return DoWrite();
  events_sent_ += step.events;
  ++next_step_;
  RunSteps();
}

void FakeConnection::FinishReply() {
  const bool keep_alive = script_->keep_alive();
  script_.reset();
  if (reply_request_id_ != 0) {
    deps_.recorder->SetResponseEnd(reply_request_id_, ResponseEnd::kCompleted, events_sent_);
  }
  if (!keep_alive) return Close(CloseReason::kServer);
  if (queued_.has_value()) {
    IncomingRequest next = *std::move(queued_);
    queued_.reset();
    return Serve(next);
  }
  DoReadHeader();
}

void FakeConnection::Close(CloseReason reason, bool reset) {
  if (closed_) return;
  closed_ = true;
  const bool mid_stream = script_.has_value();
  if (mid_stream && reply_request_id_ != 0) {
    ResponseEnd end = reason == CloseReason::kPeer       ? ResponseEnd::kPeerClosed
                      : reason == CloseReason::kShutdown ? ResponseEnd::kShutdown
                                                         : ResponseEnd::kDropped;
    deps_.recorder->SetResponseEnd(reply_request_id_, end, events_sent_);
  }
  timer_.cancel();
  beast::error_code ignored;
  if (reset) {
    socket_.set_option(net::socket_base::linger(true, 0), ignored);
  } else {
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
  }
  socket_.close(ignored);
  deps_.recorder->CloseConnection(id_, reason == CloseReason::kPeer, mid_stream);
  if (deps_.on_closed) deps_.on_closed(id_);
}

}  // namespace streamgate::fake_claude
