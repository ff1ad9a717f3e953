#include "common/lean_tls_stream.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/test_pki.h"

namespace streamgate::common {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using ErrorCode = boost::system::error_code;
using namespace std::chrono_literals;

// A server and a client LeanTlsStream over loopback, both driven by one io_context on the
// test's thread.
class LeanTlsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    pki_ = testing::TestPki::Create(&error);
    ASSERT_NE(pki_, nullptr) << error;
    auto server_context = std::make_shared<ssl::context>(ssl::context::tls_server);
    server_context->use_certificate_chain_file(pki_->server_pem());
    server_context->use_private_key_file(pki_->server_key(), ssl::context::pem);
    SSL_CTX_set_mode(server_context->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    auto client_context = std::make_shared<ssl::context>(ssl::context::tls_client);
    client_context->load_verify_file(pki_->ca_pem());
    client_context->set_verify_mode(ssl::verify_peer);
    client_context->set_verify_callback(ssl::host_name_verification("localhost"));

    tcp::acceptor acceptor(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    LeanTlsStream::Socket server_socket(io_), client_socket(io_);
    acceptor.async_accept(server_socket, [](ErrorCode) {});
    client_socket.async_connect(acceptor.local_endpoint(), [](ErrorCode) {});
    RunUntil([&] { return server_socket.is_open() && client_socket.is_open(); });
    io_.restart();
    io_.run_for(100ms);
    server_ = std::make_unique<LeanTlsStream>(std::move(server_socket), server_context);
    client_ = std::make_unique<LeanTlsStream>(std::move(client_socket), client_context);
    SSL_set_tlsext_host_name(client_->native_handle(), "localhost");
    std::optional<ErrorCode> server_done, client_done;
    server_->async_handshake(ssl::stream_base::server, [&](ErrorCode ec) { server_done = ec; });
    client_->async_handshake(ssl::stream_base::client, [&](ErrorCode ec) { client_done = ec; });
    RunUntil([&] { return server_done.has_value() && client_done.has_value(); });
    ASSERT_TRUE(server_done.has_value() && client_done.has_value());
    ASSERT_FALSE(*server_done) << server_done->message();
    ASSERT_FALSE(*client_done) << client_done->message();
  }

  template <class Condition>
  void RunUntil(Condition done, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    io_.restart();
    while (!done() && std::chrono::steady_clock::now() < deadline) io_.run_one_for(100ms);
  }

  std::unique_ptr<testing::TestPki> pki_;
  net::io_context io_;
  std::unique_ptr<LeanTlsStream> server_;
  std::unique_ptr<LeanTlsStream> client_;
};

std::string Pattern(size_t size, char seed) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>(seed + i * 7 % 251);
  return out;
}

TEST_F(LeanTlsStreamTest, BothDirectionsAtOnceArriveWholeAndInOrder) {
  const std::string up = Pattern(1 << 20, 'a');
  const std::string down = Pattern((1 << 20) + 12345, 'z');
  std::string got_up(up.size(), '\0'), got_down(down.size(), '\0');
  int done = 0;
  ErrorCode failure;
  auto finish = [&](ErrorCode ec, size_t) {
    if (ec) failure = ec;
    ++done;
  };
  // Each side reads and writes concurrently: one read and one write operation at a time
  // each, as Beast's WebSocket does.
  net::async_write(*client_, net::buffer(up), finish);
  net::async_write(*server_, net::buffer(down), finish);
  net::async_read(*server_, net::buffer(got_up), finish);
  net::async_read(*client_, net::buffer(got_down), finish);
  RunUntil([&] { return done == 4; }, 30s);
  ASSERT_EQ(done, 4);
  ASSERT_FALSE(failure) << failure.message();
  EXPECT_EQ(got_up, up);
  EXPECT_EQ(got_down, down);
}

TEST_F(LeanTlsStreamTest, AnIdleReadHoldsNoBuffer) {
  std::string hello = "hello", got(5, '\0');
  bool written = false, read = false;
  net::async_write(*client_, net::buffer(hello), [&](ErrorCode, size_t) { written = true; });
  net::async_read(*server_, net::buffer(got), [&](ErrorCode, size_t) { read = true; });
  RunUntil([&] { return written && read; });
  ASSERT_EQ(got, "hello");
  // The server waits for the next message: nothing to read, so nothing held.
  char byte;
  bool second = false;
  server_->async_read_some(net::buffer(&byte, 1), [&](ErrorCode, size_t) { second = true; });
  io_.restart();
  io_.run_for(50ms);
  EXPECT_FALSE(second);
  EXPECT_EQ(server_->buffered_capacity(), 0u);
  EXPECT_EQ(client_->buffered_capacity(), 0u);
  // And it still wakes up for the next byte.
  bool sent = false;
  net::async_write(*client_, net::buffer("!", 1), [&](ErrorCode, size_t) { sent = true; });
  RunUntil([&] { return sent && second; });
  EXPECT_TRUE(second);
  EXPECT_EQ(byte, '!');
}

TEST_F(LeanTlsStreamTest, ACloseNotifyEndsReadsWithEofAndATcpCloseWithTruncation) {
  char byte;
  std::optional<ErrorCode> read_result;
  server_->async_read_some(net::buffer(&byte, 1), [&](ErrorCode ec, size_t) { read_result = ec; });
  std::optional<ErrorCode> shutdown_result;
  client_->async_shutdown([&](ErrorCode ec) { shutdown_result = ec; });
  RunUntil([&] { return read_result.has_value() && shutdown_result.has_value(); });
  ASSERT_TRUE(read_result.has_value());
  EXPECT_EQ(*read_result, net::error::eof);
  EXPECT_FALSE(*shutdown_result);

  // A peer that just drops the TCP connection: the read says the stream was truncated.
  std::optional<ErrorCode> truncated;
  client_->async_read_some(net::buffer(&byte, 1), [&](ErrorCode ec, size_t) { truncated = ec; });
  server_->next_layer().close();
  RunUntil([&] { return truncated.has_value(); });
  ASSERT_TRUE(truncated.has_value());
  EXPECT_EQ(*truncated, ssl::error::stream_truncated);
}

TEST_F(LeanTlsStreamTest, ClosingTheSocketEndsAPendingRead) {
  char byte;
  std::optional<ErrorCode> result;
  server_->async_read_some(net::buffer(&byte, 1), [&](ErrorCode ec, size_t) { result = ec; });
  io_.restart();
  io_.run_for(20ms);
  server_->next_layer().close();
  RunUntil([&] { return result.has_value(); });
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(*result);
}

}  // namespace
}  // namespace streamgate::common
