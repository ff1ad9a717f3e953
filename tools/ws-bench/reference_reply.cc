#include "tools/ws-bench/reference_reply.h"

#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <memory>

#include "absl/strings/str_cat.h"
#include "tools/ws-bench/client_frames.h"
#include "tools/ws-bench/frame_scanner.h"
#include "tools/ws-bench/ws_open.h"

namespace streamgate::bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

// After the deadline, how long cut sockets get to hand back their handlers.
constexpr auto kAbortGrace = std::chrono::seconds(1);

// The one connection that fetches the reference: hello, one user_message, its reply, close.
// Kept alive by its pending operations; runs on FetchReferenceReply's io_context, one thread.
class ReferenceClient : public std::enable_shared_from_this<ReferenceClient> {
 public:
  ReferenceClient(net::io_context& io, const BenchConfig& config, const Target& target,
                  ReferenceReply* out)
      : io_(io), config_(config), target_(target), out_(out) {}

  void Start() {
    opener_ = WsOpener::Open(
        io_, config_, target_,
        [self = shared_from_this()](const std::string& error, std::unique_ptr<WsStream> stream) {
          self->OnOpen(error, std::move(stream));
        });
  }

  bool done() const { return done_; }

  // The deadline passed: shut the socket so that every handler completes.
  void Abort() {
    beast::error_code ignored;
    if (ws_) {
      ws_->next_layer().socket().close(ignored);
    } else if (auto opener = opener_.lock()) {
      opener->Cancel();
    }
  }

 private:
  void OnOpen(const std::string& error, std::unique_ptr<WsStream> stream) {
    if (!error.empty()) return Finish(error);
    ws_ = std::move(stream);
    DoRead();
  }

  void DoRead() {
    ws_->async_read(buffer_,
                    beast::bind_front_handler(&ReferenceClient::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (done_) return;
    if (ec) return Finish(absl::StrCat("read: ", ec.message()));
    auto data = buffer_.cdata();
    ServerFrame frame;
    bool parsed = ScanServerFrame(
        std::string_view(static_cast<const char*>(data.data()), data.size()), &frame);
    buffer_.consume(buffer_.size());
    if (!parsed) return Finish("unparseable frame");
    HandleFrame(frame);
    if (!done_) DoRead();
  }

  void HandleFrame(const ServerFrame& frame) {
    switch (frame.type) {
      case FrameType::kConnectionEstablished:
        if (!session_id_.empty()) return Finish("repeated connection_established");
        session_id_ = frame.session_id;
        out_frame_ = UserMessageFrame(out_->message, session_id_);
        ws_->text(true);
        sent_at_ = Clock::now();
        ws_->async_write(net::buffer(out_frame_),
                         [self = shared_from_this()](beast::error_code ec, size_t) {
                           if (ec) self->Finish(absl::StrCat("write: ", ec.message()));
                         });
        return;
      case FrameType::kStreamStart:
        return;
      case FrameType::kStreamChunk:
        ++out_->chunks;
        out_->text.append(frame.content);
        return;
      case FrameType::kStreamEnd:
        out_->duration_ms = MillisecondsBetween(sent_at_, Clock::now());
        if (out_->text.find(out_->message) == std::string::npos) {
          Finish("the reply does not echo its message");
        } else {
          Finish("");
        }
        if (out_->ok()) {
          ws_->async_close(websocket::close_code::normal,
                           [self = shared_from_this()](beast::error_code) {});
        }
        return;
      case FrameType::kError:
        return Finish(absl::StrCat("error frame: ", frame.code));
      default:
        return Finish("unexpected frame");
    }
  }

  void Finish(const std::string& error) {
    if (done_) return;
    done_ = true;
    out_->error = error;
    if (!error.empty()) Abort();
  }

  net::io_context& io_;
  const BenchConfig& config_;
  const Target& target_;
  ReferenceReply* const out_;
  std::weak_ptr<WsOpener> opener_;
  std::unique_ptr<WsStream> ws_;
  beast::flat_buffer buffer_;
  std::string session_id_;
  std::string out_frame_;  // must outlive its write
  Clock::time_point sent_at_;
  bool done_ = false;
};

}  // namespace

std::string ReferenceReply::ExpectedFor(std::string_view session_message) const {
  std::string expected = text;
  size_t at = expected.find(message);
  if (at != std::string::npos) expected.replace(at, message.size(), session_message);
  return expected;
}

ReferenceReply FetchReferenceReply(const BenchConfig& config, const Target& target,
                                   Clock::time_point deadline) {
  ReferenceReply reply;
  reply.message = UserMessageText(config.connections, 1, config.words);
  net::io_context io(1);
  auto client = std::make_shared<ReferenceClient>(io, config, target, &reply);
  client->Start();
  io.run_until(deadline);
  if (!client->done()) {
    reply.error = "timed out";
    client->Abort();
  }
  // Whatever is still pending (a cut socket's handlers, the close handshake) completes or is
  // dropped here, before `reply` is returned.
  io.restart();
  io.run_for(kAbortGrace);
  return reply;
}

}  // namespace streamgate::bench
