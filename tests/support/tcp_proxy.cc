#include "tests/support/tcp_proxy.h"

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <future>

namespace streamgate::testing {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using ErrorCode = boost::system::error_code;

// One proxied connection: the accepted socket, the one to the target, and a pump each way.
// Kept alive by its pending operations and by the proxy's set until it ends or is severed;
// the proxy's thread only.
class TcpProxy::Link : public std::enable_shared_from_this<Link> {
 public:
  Link(TcpProxy* proxy, tcp::socket client)
      : proxy_(proxy), client_(std::move(client)), upstream_(client_.get_executor()) {}

  void Start(int target_port) {
    tcp::endpoint target(net::ip::address_v4::loopback(), static_cast<uint16_t>(target_port));
    upstream_.async_connect(target, [self = shared_from_this()](ErrorCode ec) {
      if (self->ended_) return;
      // The target is not there: the client sees its connection close, as with no proxy.
      if (ec) return self->End(/*reset=*/false);
      self->Pump(self->to_upstream_, self->client_, self->upstream_);
      self->Pump(self->to_client_, self->upstream_, self->client_);
    });
  }

  // Closes both sockets; `reset` makes it abortive (RST instead of FIN).
  void End(bool reset) {
    if (ended_) return;
    ended_ = true;
    for (tcp::socket* socket : {&client_, &upstream_}) {
      ErrorCode ignored;
      if (reset && socket->is_open())
        socket->set_option(net::socket_base::linger(true, 0), ignored);
      socket->close(ignored);
    }
    proxy_->Forget(shared_from_this());
  }

 private:
  struct Direction {
    std::array<char, 16 * 1024> buffer;
    bool done = false;  // its source reached end of file
  };

  void Pump(Direction& direction, tcp::socket& from, tcp::socket& to) {
    from.async_read_some(net::buffer(direction.buffer), [self = shared_from_this(), &direction,
                                                         &from, &to](ErrorCode ec, size_t n) {
      if (self->ended_) return;
      if (ec == net::error::eof) return self->HalfClose(direction, to);
      if (ec) return self->End(/*reset=*/false);
      net::async_write(to, net::buffer(direction.buffer.data(), n),
                       [self, &direction, &from, &to](ErrorCode write_ec, size_t) {
                         if (self->ended_) return;
                         if (write_ec) return self->End(/*reset=*/false);
                         self->Pump(direction, from, to);
                       });
    });
  }

  void HalfClose(Direction& direction, tcp::socket& to) {
    direction.done = true;
    ErrorCode ignored;
    to.shutdown(tcp::socket::shutdown_send, ignored);
    if (to_upstream_.done && to_client_.done) End(/*reset=*/false);
  }

  TcpProxy* const proxy_;
  tcp::socket client_;
  tcp::socket upstream_;
  Direction to_upstream_;
  Direction to_client_;
  bool ended_ = false;
};

TcpProxy::TcpProxy(int target_port) : acceptor_(io_), target_port_(target_port) {
  ErrorCode ec;
  tcp::endpoint listen_on(net::ip::address_v4::loopback(), 0);
  acceptor_.open(listen_on.protocol(), ec);
  if (!ec) acceptor_.bind(listen_on, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return;
  port_ = acceptor_.local_endpoint(ec).port();
  DoAccept();
  thread_ = std::thread([this] { io_.run(); });
}

TcpProxy::~TcpProxy() {
  if (!thread_.joinable()) return;
  // With the listener and every socket closed, nothing is left to run and run() returns.
  net::post(io_, [this] {
    stopping_ = true;
    ErrorCode ignored;
    acceptor_.close(ignored);
    auto links = links_;
    for (const auto& link : links) link->End(/*reset=*/false);
  });
  thread_.join();
}

void TcpProxy::DoAccept() {
  acceptor_.async_accept(
      [this](ErrorCode ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
}

void TcpProxy::OnAccept(ErrorCode ec, tcp::socket socket) {
  if (stopping_ || ec == net::error::operation_aborted) return;
  if (!ec) {
    ErrorCode ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto link = std::make_shared<Link>(this, std::move(socket));
    links_.insert(link);
    link->Start(target_port_);
    std::lock_guard lock(mu_);
    ++accepted_;
    accepted_changed_.notify_all();
  }
  DoAccept();
}

void TcpProxy::Forget(const std::shared_ptr<Link>& link) { links_.erase(link); }

void TcpProxy::RunOnThread(const std::function<void()>& fn) {
  if (!thread_.joinable()) return;
  std::promise<void> done;
  net::post(io_, [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

void TcpProxy::SeverAll() {
  RunOnThread([this] {
    auto links = links_;
    for (const auto& link : links) link->End(/*reset=*/true);
  });
}

int TcpProxy::accepted() const {
  std::lock_guard lock(mu_);
  return accepted_;
}

bool TcpProxy::WaitForAccepted(int count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return accepted_changed_.wait_for(lock, timeout, [&] { return accepted_ >= count; });
}

size_t TcpProxy::open_connections() {
  size_t count = 0;
  RunOnThread([&] { count = links_.size(); });
  return count;
}

}  // namespace streamgate::testing
