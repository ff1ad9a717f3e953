#include "common/lean_tls_stream.h"

#include <openssl/bio.h>
#include <openssl/err.h>

#include <algorithm>
#include <cstring>

#include "common/fatal.h"

namespace streamgate::common {

namespace net = boost::asio;

// One read of available ciphertext at most this big; the rest waits in the socket.
constexpr size_t kMaxInputChunk = 64 * 1024;

int LeanBioRead(BIO* bio, char* out, int size) {
  auto* stream = static_cast<LeanTlsStream*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  size_t left = stream->input_.size() - stream->input_used_;
  if (left == 0) {
    if (stream->input_eof_) return 0;
    BIO_set_retry_read(bio);
    return -1;
  }
  size_t take = std::min(left, static_cast<size_t>(size));
  std::memcpy(out, stream->input_.data() + stream->input_used_, take);
  stream->input_used_ += take;
  if (stream->input_used_ == stream->input_.size()) {
    // Consumed: hold no memory for it.
    std::string().swap(stream->input_);
    stream->input_used_ = 0;
  }
  return static_cast<int>(take);
}

int LeanBioWrite(BIO* bio, const char* in, int size) {
  auto* stream = static_cast<LeanTlsStream*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  stream->output_.append(in, static_cast<size_t>(size));
  return size;
}

long LeanBioCtrl(BIO* bio, int cmd, long /*num*/, void* /*ptr*/) {
  auto* stream = static_cast<LeanTlsStream*>(BIO_get_data(bio));
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING:
      return static_cast<long>(stream->input_.size() - stream->input_used_);
    case BIO_CTRL_WPENDING:
      return static_cast<long>(stream->output_.size());
    case BIO_CTRL_EOF:
      return stream->input_eof_ && stream->input_.size() == stream->input_used_ ? 1 : 0;
    default:
      return 0;
  }
}

namespace {

int LeanBioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

int LeanBioDestroy(BIO* /*bio*/) { return 1; }

const BIO_METHOD* LeanBioMethod() {
  static const BIO_METHOD* method = [] {
    BIO_METHOD* made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "streamgate-lean");
    if (made == nullptr) Fatal("lean_tls", "BIO_meth_new failed");
    BIO_meth_set_read(made, LeanBioRead);
    BIO_meth_set_write(made, LeanBioWrite);
    BIO_meth_set_ctrl(made, LeanBioCtrl);
    BIO_meth_set_create(made, LeanBioCreate);
    BIO_meth_set_destroy(made, LeanBioDestroy);
    return made;
  }();
  return method;
}

}  // namespace

LeanTlsStream::LeanTlsStream(Socket&& socket, std::shared_ptr<net::ssl::context> context)
    : socket_(std::move(socket)), context_(std::move(context)) {
  ssl_ = SSL_new(context_->native_handle());
  if (ssl_ == nullptr) Fatal("lean_tls", "SSL_new failed");
  // Beast retries a partial write with the rest of its buffers, at another address.
  SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                         SSL_MODE_RELEASE_BUFFERS);
  BIO* bio = BIO_new(LeanBioMethod());
  if (bio == nullptr) Fatal("lean_tls", "BIO_new failed");
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);  // one reference for both directions
  // ReadAvailable reads what is there; a spurious wake-up must not block the thread.
  ErrorCode ignored;
  socket_.non_blocking(true, ignored);
}

LeanTlsStream::~LeanTlsStream() { SSL_free(ssl_); }

char* LeanTlsStream::Scratch() {
  thread_local std::unique_ptr<char[]> scratch(new char[kMaxWrite]);
  return scratch.get();
}

void LeanTlsStream::WakeWaiter(
    std::optional<net::any_completion_handler<void(ErrorCode)>>* waiter) {
  if (!waiter->has_value()) return;
  auto handler = std::move(**waiter);
  waiter->reset();
  // Posted: the waiting operation resumes after the current one has returned.
  net::post(socket_.get_executor(),
            [handler = std::move(handler)]() mutable { std::move(handler)(ErrorCode()); });
}

LeanTlsStream::Next LeanTlsStream::Run(Action action, void* data, size_t size, size_t* result,
                                       ErrorCode* error) {
  ERR_clear_error();
  int ret = 0;
  switch (action) {
    case Action::kHandshake:
      ret = SSL_do_handshake(ssl_);
      break;
    case Action::kRead:
      if (size == 0) return *result = 0, Next::kDone;
      ret = SSL_read(ssl_, data, static_cast<int>(std::min<size_t>(size, INT32_MAX)));
      break;
    case Action::kWrite:
      if (size == 0) return *result = 0, Next::kDone;
      ret = SSL_write(ssl_, data, static_cast<int>(size));
      break;
    case Action::kShutdown:
      ret = SSL_shutdown(ssl_);
      // 0: our close_notify is out; the peer's is not awaited.
      if (ret >= 0) return *result = 0, Next::kDone;
      break;
  }
  if (ret > 0) {
    *result = action == Action::kHandshake ? 0 : static_cast<size_t>(ret);
    return Next::kDone;
  }
  int ssl_error = SSL_get_error(ssl_, ret);
  if (ssl_error == SSL_ERROR_WANT_READ) return Next::kNeedInput;
  if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    *error = net::error::eof;  // the peer's close_notify: an orderly end
    return Next::kFailed;
  }
  unsigned long code = ERR_get_error();
  if (code == 0 || (ssl_error == SSL_ERROR_SYSCALL) ||
      ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    *error = net::ssl::error::stream_truncated;  // TCP closed without a close_notify
  } else {
    *error = ErrorCode(static_cast<int>(code), net::error::get_ssl_category());
  }
  return Next::kFailed;
}

bool LeanTlsStream::ReadAvailable(ErrorCode* error) {
  size_t available = socket_.available(*error);
  if (*error) return false;
  // Readable with nothing available: the peer closed (or an error is pending, which the
  // read reports). New bytes go after any OpenSSL has not consumed yet.
  size_t kept = input_.size();
  size_t chunk = std::clamp<size_t>(available, 1, kMaxInputChunk);
  input_.resize(kept + chunk);
  size_t read = socket_.read_some(net::buffer(input_.data() + kept, chunk), *error);
  if (*error == net::error::would_block || *error == net::error::try_again ||
      *error == net::error::eof) {
    if (*error == net::error::eof) input_eof_ = true;
    *error = {};
    read = 0;
  }
  if (*error) return false;
  input_.resize(kept + read);
  if (input_.size() == input_used_) {
    std::string().swap(input_);
    input_used_ = 0;
  }
  return true;
}

}  // namespace streamgate::common
