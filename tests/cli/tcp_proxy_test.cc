// TcpProxy (tests/support) against small in-process servers on loopback.
#include "tests/support/tcp_proxy.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/support/streamgate_pair.h"

namespace streamgate::testing {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using ErrorCode = boost::system::error_code;

// Greets each connection with "<tag>\n", then echoes what it reads; closes when the client
// half-closes. Its own thread; stops in the destructor.
class TaggedEchoServer {
 public:
  explicit TaggedEchoServer(std::string tag)
      : tag_(std::move(tag)), acceptor_(io_, tcp::endpoint(net::ip::address_v4::loopback(), 0)) {
    DoAccept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TaggedEchoServer() {
    io_.stop();
    thread_.join();
  }
  int port() const { return acceptor_.local_endpoint().port(); }

 private:
  struct Connection {
    explicit Connection(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    std::array<char, 4096> buffer;
  };

  void DoAccept() {
    acceptor_.async_accept([this](ErrorCode ec, tcp::socket socket) {
      if (ec) return;
      auto connection = std::make_shared<Connection>(std::move(socket));
      auto greeting = std::make_shared<std::string>(tag_ + "\n");
      net::async_write(connection->socket, net::buffer(*greeting),
                       [this, connection, greeting](ErrorCode write_ec, size_t) {
                         if (!write_ec) Echo(connection);
                       });
      DoAccept();
    });
  }

  void Echo(std::shared_ptr<Connection> connection) {
    connection->socket.async_read_some(
        net::buffer(connection->buffer), [this, connection](ErrorCode ec, size_t n) {
          if (ec) return;  // end of file: the connection closes with its last reference
          net::async_write(connection->socket, net::buffer(connection->buffer.data(), n),
                           [this, connection](ErrorCode write_ec, size_t) {
                             if (!write_ec) Echo(connection);
                           });
        });
  }

  const std::string tag_;
  net::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

// A blocking client whose reads give up after five seconds, so a broken proxy fails the test
// instead of hanging it.
class Client {
 public:
  explicit Client(int port) : socket_(io_) {
    ErrorCode ec;
    socket_.connect(tcp::endpoint(net::ip::address_v4::loopback(), static_cast<uint16_t>(port)),
                    ec);
    timeval timeout{.tv_sec = 5, .tv_usec = 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  bool Write(std::string_view text) {
    ErrorCode ec;
    net::write(socket_, net::buffer(text), ec);
    return !ec;
  }
  // Exactly `size` bytes, or what came before the connection ended or the timeout passed.
  std::string Read(size_t size) {
    std::string text(size, '\0');
    size_t n = net::read(socket_, net::buffer(text), last_error_);
    text.resize(n);
    return text;
  }
  // Reads until the connection ends; true when it did (end of file or reset), not a timeout.
  bool ReadsEnd() {
    char byte;
    for (;;) {
      ErrorCode ec;
      socket_.read_some(net::buffer(&byte, 1), ec);
      if (ec == net::error::eof || ec == net::error::connection_reset) return true;
      if (ec) return false;
    }
  }
  void ShutdownSend() {
    ErrorCode ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
  }
  ErrorCode last_error() const { return last_error_; }

 private:
  net::io_context io_;
  tcp::socket socket_;
  ErrorCode last_error_;
};

TEST(TcpProxy, ForwardsBothWaysToTheTarget) {
  TaggedEchoServer server("A");
  TcpProxy proxy(server.port());
  ASSERT_GT(proxy.port(), 0);
  Client client(proxy.port());
  EXPECT_EQ(client.Read(2), "A\n");
  ASSERT_TRUE(client.Write("hello"));
  EXPECT_EQ(client.Read(5), "hello");
  EXPECT_EQ(proxy.accepted(), 1);
  EXPECT_EQ(proxy.open_connections(), 1u);
}

TEST(TcpProxy, CarriesMoreThanItsBuffersBothWaysAtOnce) {
  TaggedEchoServer server("A");
  TcpProxy proxy(server.port());
  Client client(proxy.port());
  ASSERT_EQ(client.Read(2), "A\n");
  std::string payload;
  for (int i = 0; payload.size() < (1u << 20); ++i) payload += std::to_string(i) + ",";
  // Written while the echo is read: with bounded buffers, a writer alone would stall.
  std::thread writer([&] { EXPECT_TRUE(client.Write(payload)); });
  std::string echoed = client.Read(payload.size());
  writer.join();
  EXPECT_TRUE(echoed == payload) << "got " << echoed.size() << " of " << payload.size();
}

TEST(TcpProxy, SeverAllResetsOpenConnectionsAndKeepsAccepting) {
  TaggedEchoServer server("A");
  TcpProxy proxy(server.port());
  Client first(proxy.port());
  ASSERT_EQ(first.Read(2), "A\n");
  proxy.SeverAll();
  EXPECT_EQ(proxy.open_connections(), 0u);
  EXPECT_TRUE(first.ReadsEnd());
  Client second(proxy.port());
  EXPECT_EQ(second.Read(2), "A\n");
  ASSERT_TRUE(second.Write("still here"));
  EXPECT_EQ(second.Read(10), "still here");
  EXPECT_EQ(proxy.accepted(), 2);
}

TEST(TcpProxy, NewConnectionsGoToTheNewTargetAndOpenOnesStay) {
  TaggedEchoServer a("A");
  TaggedEchoServer b("B");
  TcpProxy proxy(a.port());
  Client on_a(proxy.port());
  ASSERT_EQ(on_a.Read(2), "A\n");
  proxy.SetTargetPort(b.port());
  Client on_b(proxy.port());
  EXPECT_EQ(on_b.Read(2), "B\n");
  ASSERT_TRUE(on_a.Write("x"));
  EXPECT_EQ(on_a.Read(1), "x");
}

TEST(TcpProxy, PassesAHalfCloseOn) {
  TaggedEchoServer server("A");
  TcpProxy proxy(server.port());
  Client client(proxy.port());
  ASSERT_EQ(client.Read(2), "A\n");
  ASSERT_TRUE(client.Write("last words"));
  client.ShutdownSend();
  // The server sees end of file only if the proxy passed it on; it then closes.
  EXPECT_EQ(client.Read(10), "last words");
  EXPECT_TRUE(client.ReadsEnd());
  ASSERT_TRUE(proxy.WaitForAccepted(1, 0ms));
}

TEST(TcpProxy, ClosesTheClientWhenTheTargetIsDown) {
  TcpProxy proxy(UnusedPort());
  Client client(proxy.port());
  EXPECT_TRUE(client.ReadsEnd());
  EXPECT_TRUE(proxy.WaitForAccepted(1, 5s));
}

TEST(TcpProxy, StopsWithConnectionsOpen) {
  TaggedEchoServer server("A");
  std::unique_ptr<Client> client;
  {
    TcpProxy proxy(server.port());
    client = std::make_unique<Client>(proxy.port());
    ASSERT_EQ(client->Read(2), "A\n");
  }
  EXPECT_TRUE(client->ReadsEnd());
}

}  // namespace
}  // namespace streamgate::testing
