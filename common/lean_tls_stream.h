#pragma once

#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream_base.hpp>
#include <boost/asio/write.hpp>
#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

namespace streamgate::common {

// TLS over a TCP socket, like boost::asio::ssl::stream, but holding no buffer while idle.
// Asio's stream keeps four 17 KiB buffers per connection for its whole life (two in its
// engine, two in OpenSSL's BIO pair): 70 KiB for every idle wss:// connection, where a
// plain one costs 4. Here OpenSSL reads and writes through a BIO of ours: ciphertext that
// arrived is held only until OpenSSL consumes it, ciphertext to send only until the socket
// took it, and an idle read waits for the socket to become readable with no buffer at all.
// With SSL_MODE_RELEASE_BUFFERS (set on the server context) OpenSSL frees its own record
// buffers between records, so an idle connection keeps just OpenSSL's session state.
//
// Like Asio's stream: AsyncReadStream and AsyncWriteStream, at most one read and one write
// operation at a time (Beast's WebSocket runs one of each, plus a handshake or a shutdown in
// place of one of them). Not thread-safe: every operation runs on the socket's executor
// (the connection's thread). Output produced by either operation goes out in the order
// OpenSSL produced it, one socket write at a time; an operation that needs the socket while
// the other one is using it waits for it.
class LeanTlsStream {
 public:
  // On an io_context's own executor, not a type-erased one: one pointer per copy, and
  // every pending operation holds copies (idle connections are the many).
  using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp,
                                                 boost::asio::io_context::executor_type>;
  using executor_type = Socket::executor_type;
  using ErrorCode = boost::system::error_code;

  LeanTlsStream(Socket&& socket, std::shared_ptr<boost::asio::ssl::context> context);
  ~LeanTlsStream();
  LeanTlsStream(const LeanTlsStream&) = delete;
  LeanTlsStream& operator=(const LeanTlsStream&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  Socket& next_layer() { return socket_; }
  SSL* native_handle() { return ssl_; }
  // Heap bytes of ciphertext buffer this stream holds now (not OpenSSL's): 0 when idle.
  size_t buffered_capacity() const {
    auto heap = [](const std::string& s) {
      return s.capacity() > std::string().capacity() ? s.capacity() : 0;
    };
    return heap(input_) + heap(output_) + heap(in_flight_);
  }

  template <class Handler>
  void async_handshake(boost::asio::ssl::stream_base::handshake_type type, Handler&& handler) {
    if (type == boost::asio::ssl::stream_base::client) {
      SSL_set_connect_state(ssl_);
    } else {
      SSL_set_accept_state(ssl_);
    }
    Start<void(ErrorCode)>(Action::kHandshake, nullptr, 0, std::forward<Handler>(handler));
  }
  // Sends close_notify; does not wait for the peer's (the socket is torn down next).
  template <class Handler>
  void async_shutdown(Handler&& handler) {
    Start<void(ErrorCode)>(Action::kShutdown, nullptr, 0, std::forward<Handler>(handler));
  }
  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    auto first = *boost::asio::buffer_sequence_begin(buffers);
    Start<void(ErrorCode, size_t)>(Action::kRead, first.data(), first.size(),
                                   std::forward<Handler>(handler));
  }
  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    // One record per frame: a WebSocket frame comes as header + payload buffers, and writing
    // them one by one would cost a record (and its overhead) for the header alone. The
    // linearized copy lives in a per-thread scratch buffer, not in the stream (idle streams
    // are the many): OpenSSL takes it within this call (see Op).
    char* scratch = Scratch();
    size_t size = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && size < kMaxWrite; ++it) {
      boost::asio::const_buffer piece(*it);
      size_t take = std::min(piece.size(), kMaxWrite - size);
      std::memcpy(scratch + size, piece.data(), take);
      size += take;
    }
    Start<void(ErrorCode, size_t)>(Action::kWrite, scratch, size, std::forward<Handler>(handler));
  }

 private:
  enum class Action { kHandshake, kRead, kWrite, kShutdown };
  // What one call of OpenSSL left to do.
  enum class Next { kDone, kNeedInput, kFailed };
  static constexpr size_t kMaxWrite = 16 * 1024;  // one TLS record's worth of plaintext

  static char* Scratch();

  // Runs `action` once in OpenSSL. On kDone *result is what the operation returns (bytes);
  // on kFailed *error says why.
  Next Run(Action action, void* data, size_t size, size_t* result, ErrorCode* error);
  // Reads what the socket has (it is readable) into the input; false with *error on failure.
  bool ReadAvailable(ErrorCode* error);
  // Whether OpenSSL could make progress on a read without waiting for the socket.
  bool HasInput() const {
    return input_used_ < input_.size() || input_eof_ || SSL_has_pending(ssl_) == 1;
  }
  void WakeWaiter(std::optional<boost::asio::any_completion_handler<void(ErrorCode)>>* waiter);

  template <class Signature, class Handler>
  void Start(Action action, void* data, size_t size, Handler&& handler);
  template <class Signature>
  struct Op;

  // The BIO OpenSSL reads ciphertext from and writes it to (see lean_tls_stream.cc).
  friend int LeanBioRead(BIO* bio, char* out, int size);
  friend int LeanBioWrite(BIO* bio, const char* in, int size);
  friend long LeanBioCtrl(BIO* bio, int cmd, long num, void* ptr);

  Socket socket_;
  std::shared_ptr<boost::asio::ssl::context> context_;  // outlives ssl_
  SSL* ssl_ = nullptr;
  std::string input_;       // ciphertext received and not yet consumed by OpenSSL
  size_t input_used_ = 0;   // of input_, what OpenSSL has read
  bool input_eof_ = false;  // the peer closed its side of the TCP connection
  std::string output_;      // ciphertext OpenSSL produced, not yet handed to the socket
  std::string in_flight_;   // ciphertext the socket is writing now
  bool writing_ = false;    // a socket write of in_flight_ is under way
  bool reading_ = false;    // an operation waits for the socket to become readable
  // The operation waiting for the socket the other one is using.
  std::optional<boost::asio::any_completion_handler<void(ErrorCode)>> write_waiter_;
  std::optional<boost::asio::any_completion_handler<void(ErrorCode)>> read_waiter_;
};

// One operation: call OpenSSL; send what it produced; give it input when it wants some;
// repeat until it is done. Resumed by socket completions (write: (ec, n); readable: (ec))
// and by the other operation releasing the socket ((ec)).
template <class Signature>
struct LeanTlsStream::Op {
  enum class State { kRun, kFlush, kWritten, kInput, kReadable };

  LeanTlsStream* stream = nullptr;
  Action action = Action::kRead;
  void* data = nullptr;
  size_t size = 0;
  // A write that must be retried after input (OpenSSL wants the same bytes again) keeps its
  // own copy: the per-thread scratch it came in will have been reused by then.
  std::string retained;
  State state = State::kRun;
  size_t result = 0;
  bool finished = false;  // OpenSSL is done; what remains is sending its output
  ErrorCode failure;

  template <class Self>
  void operator()(Self& self, ErrorCode ec = {}, size_t /*bytes*/ = 0) {
    for (;;) {
      switch (state) {
        case State::kRun: {
          // A read with nothing to read waits for the socket before asking OpenSSL: a
          // read OpenSSL cannot finish keeps its 17 KiB record buffer allocated, and an
          // idle connection would hold that for as long as it is idle.
          if (action == Action::kRead && size > 0 && !stream->HasInput()) {
            state = State::kInput;
            break;
          }
          Next next = stream->Run(action, data, size, &result, &failure);
          finished = next != Next::kNeedInput;
          if (!finished && action == Action::kWrite && retained.empty()) {
            retained.assign(static_cast<const char*>(data), size);
            data = retained.data();
          }
          state = State::kFlush;
          break;
        }
        case State::kFlush:
          if (!stream->output_.empty()) {
            if (stream->writing_) {
              stream->write_waiter_.emplace(std::move(self));
              return;  // resumed (in kFlush) when the other operation's write is done
            }
            stream->writing_ = true;
            stream->in_flight_.swap(stream->output_);
            state = State::kWritten;
            boost::asio::async_write(stream->socket_, boost::asio::buffer(stream->in_flight_),
                                     std::move(self));
            return;
          }
          if (finished) return Complete(self, failure);
          state = State::kInput;
          break;
        case State::kWritten:
          stream->writing_ = false;
          std::string().swap(stream->in_flight_);
          stream->WakeWaiter(&stream->write_waiter_);
          if (ec) return Complete(self, ec);
          state = State::kFlush;
          break;
        case State::kInput:
          if (stream->reading_) {
            stream->read_waiter_.emplace(std::move(self));
            state = State::kRun;
            return;  // resumed when the other operation has read: try OpenSSL again
          }
          stream->reading_ = true;
          state = State::kReadable;
          stream->socket_.async_wait(Socket::wait_read, std::move(self));
          return;
        case State::kReadable: {
          stream->reading_ = false;
          stream->WakeWaiter(&stream->read_waiter_);
          if (ec) return Complete(self, ec);
          if (!stream->ReadAvailable(&ec)) return Complete(self, ec);
          state = State::kRun;
          break;
        }
      }
    }
  }

  template <class Self>
  void Complete(Self& self, ErrorCode ec) {
    if constexpr (std::is_same_v<Signature, void(ErrorCode)>) {
      self.complete(ec);
    } else {
      self.complete(ec, ec ? 0 : result);
    }
  }
};

template <class Signature, class Handler>
void LeanTlsStream::Start(Action action, void* data, size_t size, Handler&& handler) {
  Op<Signature> op;
  op.stream = this;
  op.action = action;
  op.data = data;
  op.size = size;
  boost::asio::async_compose<Handler, Signature>(std::move(op), handler, socket_);
}

}  // namespace streamgate::common
