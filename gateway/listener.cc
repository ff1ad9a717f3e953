#include "gateway/listener.h"

#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/log_throttle.h"
#include "gateway/gateway_config.h"
#include "gateway/http_connection.h"
#include "gateway/limits/address_admission.h"
#include "gateway/tls_context_source.h"

namespace streamgate::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

Listener::Listener(IoPool& io, bool tls, const GatewayServices& services)
    : io_(io),
      acceptor_(io.first().get_executor()),
      retry_timer_(acceptor_.get_executor()),
      tls_(tls),
      services_(services) {}

absl::StatusOr<std::shared_ptr<Listener>> Listener::Create(IoPool& io, const std::string& address,
                                                           int port, bool tls,
                                                           const GatewayServices& services) {
  beast::error_code ec;
  auto ip = net::ip::make_address(address, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad bind address '", address, "'"));
  tcp::endpoint endpoint(ip, static_cast<unsigned short>(port));
  auto listener = std::make_shared<Listener>(io, tls, services);
  auto& acceptor = listener->acceptor_;
  auto fail = [&](const char* what) {
    return absl::UnavailableError(
        absl::StrCat("cannot ", what, " ", address, ":", port, ": ", ec.message()));
  };
  if (acceptor.open(endpoint.protocol(), ec); ec) return fail("open");
  if (acceptor.set_option(net::socket_base::reuse_address(true), ec); ec) return fail("set up");
  if (acceptor.bind(endpoint, ec); ec) return fail("bind");
  if (acceptor.listen(net::socket_base::max_listen_connections, ec); ec) return fail("listen");
  listener->port_ = acceptor.local_endpoint().port();
  return listener;
}

void Listener::Start() { DoAccept(); }

void Listener::Stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_timer_.cancel();
  });
}

void Listener::DoAccept() {
  acceptor_.async_accept(io_.Next(),
                         beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
}

void Listener::OnAccept(beast::error_code ec, TransportStream::Socket socket) {
  if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // Typically EMFILE: keep serving the connections we have and try again shortly, rather
    // than spinning on an accept that fails at once.
    common::Logger("gateway")->warn("accept failed error=\"{}\"", ec.message());
    retry_timer_.expires_after(std::chrono::milliseconds(50));
    retry_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
      if (!wait_ec && self->acceptor_.is_open()) self->DoAccept();
    });
    return;
  }
  beast::error_code peer_ec;
  auto peer = socket.remote_endpoint(peer_ec);
  bool per_address = false;
  AddressAdmission::PendingSlot slot =
      peer_ec ? AddressAdmission::PendingSlot()
              : services_.addresses->TryAdmit(peer.address(), &per_address);
  if (!slot.valid()) {
    // Closed before a byte is read: a flood of idle connections costs one descriptor for a
    // moment each, and real clients keep getting through.
    static common::SharedLogThrottle refused_log;
    uint64_t suppressed = 0;
    if (refused_log.Admit(&suppressed)) {
      common::Logger("gateway")->warn(
          "connection refused reason={} peer={} repeated={}",
          per_address ? "pending_handshakes_per_address" : "pending_handshakes",
          peer_ec ? std::string("?") : peer.address().to_string(), suppressed);
    }
    beast::error_code ignored;
    socket.close(ignored);
    return DoAccept();
  }
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  if (int64_t bytes = services_.config->socket_send_buffer_bytes; bytes > 0) {
    // Bounds what an unread client holds in the kernel besides --max-outbound-bytes.
    socket.set_option(net::socket_base::send_buffer_size(static_cast<int>(bytes)), ignored);
  }
  TransportStream stream = tls_ ? TransportStream(std::move(socket), services_.tls->Current())
                                : TransportStream(std::move(socket));
  std::make_shared<HttpConnection>(std::move(stream), services_, std::move(slot))->Start();
  DoAccept();
}

}  // namespace streamgate::gateway
