#include "common/metrics/metrics_http_server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <string>
#include <vector>

namespace streamgate::common::metrics {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// A blocking HTTP/1.1 client on one connection, for requests one after another.
class Scraper {
 public:
  explicit Scraper(int port) : socket_(io_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }
  http::response<http::string_body> Send(http::verb method, const std::string& target) {
    http::request<http::empty_body> request(method, target, 11);
    request.set(http::field::host, "127.0.0.1");
    http::write(socket_, request);
    http::response<http::string_body> response;
    http::response_parser<http::string_body> parser;
    parser.skip(method == http::verb::head);
    http::read(socket_, buffer_, parser);
    return parser.release();
  }
  // True when the server closed the connection (EOF before any byte).
  bool ClosedByServer() {
    char byte;
    beast::error_code ec;
    socket_.read_some(net::buffer(&byte, 1), ec);
    return ec == net::error::eof || ec == net::error::connection_reset;
  }

 private:
  net::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

class MetricsHttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_.AddCounter("demo_total", "Count.").Increment(7);
    auto started = MetricsHttpServer::Start("127.0.0.1", 0, registry_);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = *std::move(started);
  }
  Registry registry_;
  std::unique_ptr<MetricsHttpServer> server_;
};

TEST_F(MetricsHttpServerTest, ServesTheExpositionWithItsContentTypeOverKeepAlive) {
  Scraper scraper(server_->port());
  auto first = scraper.Send(http::verb::get, "/metrics");
  EXPECT_EQ(first.result(), http::status::ok);
  EXPECT_EQ(first[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(first.body(), registry_.Render());
  EXPECT_NE(first.body().find("demo_total 7\n"), std::string::npos);
  // The same connection serves the next scrape, which sees the series move.
  registry_.AddGauge("demo_late", "Registered later.").Set(3);
  auto second = scraper.Send(http::verb::get, "/metrics?x=1");
  EXPECT_EQ(second.result(), http::status::ok);
  EXPECT_NE(second.body().find("demo_late 3\n"), std::string::npos);
}

TEST_F(MetricsHttpServerTest, AnswersHeadWithoutABodyAndRefusesOtherPathsAndMethods) {
  Scraper scraper(server_->port());
  auto head = scraper.Send(http::verb::head, "/metrics");
  EXPECT_EQ(head.result(), http::status::ok);
  EXPECT_EQ(head.body(), "");
  EXPECT_EQ(head[http::field::content_length], std::to_string(registry_.Render().size()));
  EXPECT_EQ(scraper.Send(http::verb::get, "/").result(), http::status::not_found);
  auto post = scraper.Send(http::verb::post, "/metrics");
  EXPECT_EQ(post.result(), http::status::method_not_allowed);
  EXPECT_EQ(post[http::field::allow], "GET, HEAD");
}

TEST_F(MetricsHttpServerTest, RefusesAPortAlreadyHeld) {
  Registry other;
  auto second = MetricsHttpServer::Start("127.0.0.1", server_->port(), other);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(std::string(second.status().message()).find("cannot listen"), std::string::npos);
}

TEST_F(MetricsHttpServerTest, ClosesConnectionsBeyondItsBound) {
  std::vector<std::unique_ptr<Scraper>> open;
  for (int i = 0; i < MetricsHttpServer::kMaxConnections; ++i) {
    open.push_back(std::make_unique<Scraper>(server_->port()));
    // A completed request proves the server has accepted this one before the next.
    ASSERT_EQ(open.back()->Send(http::verb::get, "/metrics").result(), http::status::ok);
  }
  Scraper extra(server_->port());
  EXPECT_TRUE(extra.ClosedByServer());
  open.pop_back();
  // Room again once one goes: wait for the server to see the close by trying until accepted.
  bool served = false;
  for (int attempt = 0; attempt < 200 && !served; ++attempt) {
    Scraper again(server_->port());
    beast::error_code ec;
    try {
      served = again.Send(http::verb::get, "/metrics").result() == http::status::ok;
    } catch (const beast::system_error&) {
    }
  }
  EXPECT_TRUE(served);
}

}  // namespace
}  // namespace streamgate::common::metrics
