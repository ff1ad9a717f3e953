// The gateway's plain HTTP edge over raw TCP: HEAD wherever GET works, 405 with Allow for
// other methods on known paths, and when a connection closes after a response (HTTP/1.0,
// "Connection: close") or stays open for the next request (keep-alive).
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/child_process.h"
#include "tests/support/streamgate_pair.h"

namespace streamgate::testing {
namespace {

// A response as it came off the wire.
struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;

  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// One blocking TCP connection to 127.0.0.1. Every read is bounded by kReadTimeoutSeconds, a
// safety net for a failing test: reads return as soon as bytes or the peer's FIN arrive.
class RawConnection {
 public:
  static constexpr int kReadTimeoutSeconds = 10;

  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{kReadTimeoutSeconds, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  bool Send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }

  // Reads one response: its header, then Content-Length bytes of body (none when
  // `expect_body` is false, as for HEAD). Nullopt when the bytes do not come.
  std::optional<RawResponse> ReadResponse(bool expect_body = true) {
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    RawResponse response;
    std::string header = buffer_.substr(0, header_end);
    buffer_.erase(0, header_end + 4);
    size_t line_end = header.find("\r\n");
    std::string status_line = header.substr(0, line_end);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return std::nullopt;
    response.status = std::stoi(status_line.substr(9, 3));
    while (line_end != std::string::npos) {
      size_t start = line_end + 2;
      line_end = header.find("\r\n", start);
      std::string line = header.substr(start, line_end - start);
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      size_t value_start = line.find_first_not_of(' ', colon + 1);
      response.headers[name] = value_start == std::string::npos ? "" : line.substr(value_start);
    }
    size_t length = expect_body ? std::stoul("0" + response.Header("content-length")) : 0;
    while (buffer_.size() < length) {
      if (!Fill()) return std::nullopt;
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  // Reads until the server closes its side. True on FIN (0 from recv), false on a reset or
  // when nothing comes within the read timeout; whatever arrived stays in rest().
  bool ReadToEof() {
    while (true) {
      char chunk[4096];
      ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n == 0) return true;
      if (n < 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }
  const std::string& rest() const { return buffer_; }

 private:
  bool Fill() {
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

std::string Request(const std::string& method, const std::string& target,
                    const std::string& version = "HTTP/1.1", const std::string& extra = "") {
  return method + " " + target + " " + version + "\r\nHost: 127.0.0.1\r\n" + extra + "\r\n";
}

// The gateway alone, its llm-service a port nobody listens on: /readyz answers 503 the same
// way every time. A long --handshake-timeout, so that a connection the gateway closes was
// closed for the request's sake, not by the idle deadline.
class HttpMethodsE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    gateway_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{GatewayBinary(), "--port=0", "--handshake-timeout=60s",
                                 "--llm-service=127.0.0.1:" + std::to_string(UnusedPort())});
    port_ = WaitForListeningPort(*gateway_, 10s);
    ASSERT_GT(port_, 0);
  }

  // One request on a fresh connection that asks to be closed; the whole response.
  RawResponse Exchange(const std::string& method, const std::string& target) {
    RawConnection connection(port_);
    EXPECT_TRUE(connection.connected());
    EXPECT_TRUE(connection.Send(Request(method, target, "HTTP/1.1", "Connection: close\r\n")));
    auto response = connection.ReadResponse(method != "HEAD");
    EXPECT_TRUE(response.has_value()) << method << " " << target;
    EXPECT_TRUE(connection.ReadToEof()) << method << " " << target;
    // Nothing after the response: in particular no body after HEAD's header.
    EXPECT_EQ(connection.rest(), "") << method << " " << target;
    return response.value_or(RawResponse{});
  }

  std::unique_ptr<ChildProcess> gateway_;
  int port_ = 0;
};

TEST_F(HttpMethodsE2e, HeadAnswersWithTheGetsStatusAndHeadersAndNoBody) {
  for (const std::string path : {"/", "/healthz", "/readyz", "/app.js", "/style.css"}) {
    RawResponse get = Exchange("GET", path);
    RawResponse head = Exchange("HEAD", path);
    ASSERT_NE(get.status, 0) << path;
    EXPECT_FALSE(get.body.empty()) << path;
    EXPECT_EQ(head.status, get.status) << path;
    EXPECT_EQ(head.Header("content-length"), std::to_string(get.body.size())) << path;
    EXPECT_EQ(head.Header("content-type"), get.Header("content-type")) << path;
    EXPECT_EQ(head.Header("cache-control"), get.Header("cache-control")) << path;
    EXPECT_EQ(head.Header("content-security-policy"), get.Header("content-security-policy"))
        << path;
    EXPECT_EQ(head.body, "") << path;
  }
  EXPECT_EQ(Exchange("GET", "/readyz").status, 503);  // llm-service unreachable
  EXPECT_EQ(Exchange("HEAD", "/healthz").status, 200);
  EXPECT_EQ(Exchange("HEAD", "/nope").status, 404);
  // The exposition changes between two requests (process figures): only its headers.
  RawResponse metrics = Exchange("HEAD", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics.Header("content-length"), "");
  EXPECT_EQ(metrics.body, "");
}

TEST_F(HttpMethodsE2e, OtherMethodsOnKnownPathsAre405WithAllow) {
  const std::vector<std::pair<std::string, std::string>> read_only = {
      {"PUT", "/"},     {"DELETE", "/healthz"}, {"POST", "/readyz"},    {"PATCH", "/app.js"},
      {"OPTIONS", "/"}, {"DELETE", "/ws"},      {"POST", "/healthz?x"}, {"POST", "/metrics"}};
  for (const auto& [method, path] : read_only) {
    RawResponse response = Exchange(method, path);
    EXPECT_EQ(response.status, 405) << method << " " << path;
    EXPECT_EQ(response.Header("allow"), "GET, HEAD") << method << " " << path;
  }
  for (const std::string method : {"PUT", "DELETE", "GET"}) {
    RawResponse response = Exchange(method, "/v1/tickets");
    EXPECT_EQ(response.status, 405) << method;
    EXPECT_EQ(response.Header("allow"), "POST, OPTIONS") << method;
  }
  RawResponse head = Exchange("HEAD", "/v1/tickets");
  EXPECT_EQ(head.status, 405);
  EXPECT_EQ(head.Header("allow"), "POST, OPTIONS");
  EXPECT_EQ(Exchange("PUT", "/nope").status, 404);
  EXPECT_EQ(Exchange("DELETE", "/nope").status, 404);
}

TEST_F(HttpMethodsE2e, Http10RequestIsAnsweredThenClosed) {
  RawConnection connection(port_);
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.Send(Request("GET", "/healthz", "HTTP/1.0")));
  auto response = connection.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "{\"status\":\"ok\"}\n");
  EXPECT_EQ(response->Header("connection"), "close");
  EXPECT_TRUE(connection.ReadToEof()) << "the gateway kept the connection open";
}

TEST_F(HttpMethodsE2e, ConnectionCloseIsAnsweredThenClosed) {
  for (const std::string method : {"GET", "HEAD"}) {
    RawConnection connection(port_);
    ASSERT_TRUE(connection.connected());
    ASSERT_TRUE(connection.Send(Request(method, "/", "HTTP/1.1", "Connection: close\r\n")));
    auto response = connection.ReadResponse(method == "GET");
    ASSERT_TRUE(response.has_value()) << method;
    EXPECT_EQ(response->status, 200) << method;
    EXPECT_EQ(response->Header("connection"), "close") << method;
    EXPECT_TRUE(connection.ReadToEof()) << method << ": the gateway kept the connection open";
  }
}

TEST_F(HttpMethodsE2e, KeepAliveServesTheNextRequestOnTheSameConnection) {
  RawConnection connection(port_);
  ASSERT_TRUE(connection.connected());
  ASSERT_TRUE(connection.Send(Request("GET", "/healthz")));
  auto first = connection.ReadResponse();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->Header("connection"), "");
  // HEAD then GET pipelined: the GET's response starts right after HEAD's header.
  ASSERT_TRUE(connection.Send(Request("HEAD", "/app.js") + Request("GET", "/app.js")));
  auto head = connection.ReadResponse(/*expect_body=*/false);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  auto get = connection.ReadResponse();
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(head->Header("content-length"), std::to_string(get->body.size()));
  // A 405 keeps the connection too.
  ASSERT_TRUE(connection.Send(Request("PUT", "/healthz") + Request("GET", "/healthz")));
  auto refused = connection.ReadResponse();
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 405);
  auto after = connection.ReadResponse();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->status, 200);
}

TEST_F(HttpMethodsE2e, Http10KeepAliveIsHonouredAndSaidSo) {
  RawConnection connection(port_);
  ASSERT_TRUE(connection.connected());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(
        connection.Send(Request("GET", "/healthz", "HTTP/1.0", "Connection: keep-alive\r\n")));
    auto response = connection.ReadResponse();
    ASSERT_TRUE(response.has_value()) << "request " << i;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->Header("connection"), "keep-alive");
  }
}

}  // namespace
}  // namespace streamgate::testing
