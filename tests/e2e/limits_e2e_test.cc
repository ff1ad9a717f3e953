// Limits end to end: per identity (concurrent replies, messages and tokens per minute,
// connections), per client address (upgrades, pending handshakes), per connection (frames),
// and the log that a flood of bad frames cannot fill.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>
#include <thread>

#include "common/credential_file.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"
#include "tests/support/temp_dir.h"

namespace streamgate::testing {
namespace {

// A gateway with API keys for alice and bob, plus `gateway_args`.
class LimitsE2e : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> llm_args, std::vector<std::string> gateway_args) {
    alice_ = *common::MakeCredential("alice");
    bob_ = *common::MakeCredential("bob");
    std::string keys = dir_.Write("keys.txt", alice_.line + "\n" + bob_.line + "\n");
    gateway_args.insert(gateway_args.begin(), {"--auth=api-keys", "--api-keys-file=" + keys});
    pair_ =
        std::make_unique<StreamgatePair>(PairArgs(std::move(llm_args), std::move(gateway_args)));
    ASSERT_TRUE(pair_->ok());
  }

  bool Connect(WsTestClient& client, const common::NewCredential& as) {
    WsTestClient::ConnectOptions options;
    options.headers = {{"Authorization", "Bearer " + as.secret}};
    return client.Connect(pair_->gateway_port(), options) &&
           client.ReadUntilType("connection_established").has_value();
  }

  TempDir dir_;
  common::NewCredential alice_;
  common::NewCredential bob_;
  std::unique_ptr<StreamgatePair> pair_;
};

void ExpectLimitError(const std::optional<Json>& error, std::string_view limit) {
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ((*error)["type"], "error");
  EXPECT_EQ((*error)["code"], "rate_limited");
  EXPECT_EQ((*error)["limit"], limit);
  EXPECT_GT((*error)["retryAfterMs"].get<int64_t>(), 0);
}

TEST_F(LimitsE2e, ConcurrentRepliesArePerIdentityAcrossItsConnections) {
  Start({"--mock-chunk-delay-ms=20", "--mock-extra-words=60"}, {"--limit-concurrent-replies=1"});
  WsTestClient first, second, other;
  ASSERT_TRUE(Connect(first, alice_));
  ASSERT_TRUE(Connect(second, alice_));
  ASSERT_TRUE(Connect(other, bob_));
  ASSERT_TRUE(first.SendJson(UserMessage("long")));
  ASSERT_TRUE(first.ReadUntilType("stream_start").has_value());
  ASSERT_TRUE(second.SendJson(UserMessage("me too")));
  ExpectLimitError(second.ReadJson(), "concurrent_replies");
  EXPECT_EQ(GatewayMetric(pair_->gateway_port(),
                          "streamgate_gateway_rate_limited_total{limit=\"concurrent_replies\"}"),
            1);
  // Another identity is not affected, and the refused connection stays usable.
  ASSERT_TRUE(other.SendJson(UserMessage("bob here")));
  EXPECT_TRUE(ReadReply(other).end.has_value());
  ASSERT_TRUE(ReadReply(first, 20s).end.has_value());
  ASSERT_TRUE(second.SendJson(UserMessage("now")));
  EXPECT_TRUE(ReadReply(second, 20s).end.has_value());
}

TEST_F(LimitsE2e, MessagesPerMinuteRefuseWithRetryAfterAndTheConnectionGoesOn) {
  Start({"--mock-chunk-delay-ms=0"}, {"--limit-messages-per-minute=2"});
  WsTestClient client;
  ASSERT_TRUE(Connect(client, alice_));
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(client.SendJson(UserMessage("m" + std::to_string(i))));
    ASSERT_TRUE(ReadReply(client).end.has_value());
  }
  ASSERT_TRUE(client.SendJson(UserMessage("one too many")));
  auto refused = client.ReadJson();
  ExpectLimitError(refused, "messages_per_minute");
  EXPECT_LE((*refused)["retryAfterMs"].get<int64_t>(), 30000);
  int port = pair_->gateway_port();
  EXPECT_EQ(
      GatewayMetric(port, "streamgate_gateway_rate_limited_total{limit=\"messages_per_minute\"}"),
      1);
  EXPECT_EQ(GatewayMetric(port, "streamgate_gateway_errors_sent_total{code=\"rate_limited\"}"), 1);
  ASSERT_TRUE(client.SendJson({{"type", "cancel"}}));
  EXPECT_EQ((*client.ReadJson())["code"], "nothing_to_cancel");
}

TEST_F(LimitsE2e, ConnectionsPerIdentityBeyondTheLimitGet429) {
  Start({"--mock-chunk-delay-ms=0"}, {"--limit-connections=2"});
  WsTestClient a, b, c, d;
  ASSERT_TRUE(Connect(a, alice_));
  ASSERT_TRUE(Connect(b, alice_));
  EXPECT_FALSE(Connect(c, alice_));
  EXPECT_EQ(c.handshake_status(), 429);
  EXPECT_EQ(GatewayMetric(pair_->gateway_port(),
                          "streamgate_gateway_rate_limited_total{limit=\"identity_connections\"}"),
            1);
  EXPECT_EQ(GatewayMetric(pair_->gateway_port(),
                          "streamgate_gateway_upgrades_total{result=\"identity_connections\"}"),
            1);
  EXPECT_TRUE(Connect(d, bob_));
  a.Close();
  ASSERT_TRUE(pair_->gateway().WaitForLine(std::regex("connection close"), 5s));
  WsTestClient e;
  EXPECT_TRUE(Connect(e, alice_));
}

TEST_F(LimitsE2e, UpgradesPerSecondPerAddressGet429WithRetryAfter) {
  Start({"--mock-chunk-delay-ms=0"}, {"--limit-upgrades-per-second=1"});  // burst 2
  WsTestClient a, b, c;
  ASSERT_TRUE(Connect(a, alice_));
  ASSERT_TRUE(Connect(b, bob_));
  EXPECT_FALSE(Connect(c, alice_));
  EXPECT_EQ(c.handshake_status(), 429);
  EXPECT_EQ(c.response_header("Retry-After"), "1");
  EXPECT_EQ(GatewayMetric(pair_->gateway_port(),
                          "streamgate_gateway_rate_limited_total{limit=\"upgrades_per_second\"}"),
            1);
}

TEST_F(LimitsE2e, TokensPerMinuteAreReservedSoTwentyConcurrentRequestsCannotOvershoot) {
  // Every reply reserves its estimated input (~25 tokens here) plus 50: four fit in 300.
  // Replies last ~1 s, so all twenty requests are decided before any reservation returns.
  constexpr int64_t kLimit = 300;
  Start({"--mock-chunk-delay-ms=50", "--mock-extra-words=20"},
        {"--limit-tokens-per-minute=" + std::to_string(kLimit), "--reply-max-tokens=50",
         "--limit-concurrent-replies=0", "--limit-connections=0"});
  std::vector<std::unique_ptr<WsTestClient>> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(std::make_unique<WsTestClient>());
    ASSERT_TRUE(Connect(*clients.back(), alice_));
  }
  for (auto& client : clients) ASSERT_TRUE(client->SendJson(UserMessage("count me")));
  int started = 0;
  int refused = 0;
  int64_t used = 0;
  for (auto& client : clients) {
    Reply reply = ReadReply(*client, 20s);
    if (reply.error.has_value()) {
      EXPECT_EQ((*reply.error)["limit"], "tokens_per_minute");
      ++refused;
      continue;
    }
    ASSERT_TRUE(reply.end.has_value());
    ++started;
    used += (*reply.end)["usage"]["inputTokens"].get<int64_t>() +
            (*reply.end)["usage"]["outputTokens"].get<int64_t>();
  }
  EXPECT_EQ(started + refused, 20);
  EXPECT_GE(started, 1);
  EXPECT_LE(started, 4);
  EXPECT_LE(used, kLimit);
  EXPECT_EQ(GatewayMetric(pair_->gateway_port(),
                          "streamgate_gateway_rate_limited_total{limit=\"tokens_per_minute\"}"),
            refused);
}

TEST(ConnectionLimitsE2e, AFrameFloodIsClosedWith1008WhileANeighboursStreamGoesOn) {
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=10", "--mock-extra-words=100"},
                               {"--limit-frames-per-second=20"}));
  ASSERT_TRUE(pair.ok());
  WsTestClient neighbour, flooder;
  ASSERT_FALSE(Open(neighbour, pair.gateway_port()).empty());
  ASSERT_FALSE(Open(flooder, pair.gateway_port()).empty());
  ASSERT_TRUE(neighbour.SendJson(UserMessage("steady")));
  for (int i = 0; i < 200 && flooder.SendText("{\"type\":\"cancel\"}", 1s); ++i) {
  }
  std::vector<Json> frames;
  EXPECT_FALSE(flooder.ReadUntilType("never", 5s, &frames).has_value());
  EXPECT_EQ(flooder.server_close_reason().code, 1008);
  EXPECT_EQ(flooder.server_close_reason().reason, "rate limit");
  EXPECT_EQ(GatewayMetric(pair.gateway_port(),
                          "streamgate_gateway_rate_limited_total{limit=\"frames_per_second\"}"),
            1);
  Reply reply = ReadReply(neighbour, 20s);
  ASSERT_TRUE(reply.end.has_value());
  EXPECT_EQ(reply.text.rfind("Echo: steady", 0), 0u);
  int64_t seq = reply.frames.front()["seq"];
  for (const auto& frame : reply.frames) EXPECT_EQ(frame["seq"], seq++);
}

TEST(ConnectionLimitsE2e, RepeatedBadFramesAreLoggedOncePerWindowButEachGetsItsError) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  WsTestClient client;
  std::string id = Open(client, pair.gateway_port());
  ASSERT_FALSE(id.empty());
  constexpr int kBad = 300;
  for (int i = 0; i < kBad; ++i) ASSERT_TRUE(client.SendText("{"));
  for (int i = 0; i < kBad; ++i) {
    auto error = client.ReadJson();
    ASSERT_TRUE(error.has_value()) << i;
    EXPECT_EQ((*error)["code"], "invalid_json");
  }
  // A marker after the flood: every line about it has been written once this one is.
  ASSERT_TRUE(client.SendJson(UserMessage("after")));
  ASSERT_TRUE(ReadReply(client).end.has_value());
  ASSERT_TRUE(pair.gateway().WaitForLine(std::regex("reply end session=" + id), 5s));
  int lines = 0;
  for (const auto& line : pair.gateway().Lines()) {
    if (line.find("bad client message session=" + id) != std::string::npos) ++lines;
  }
  EXPECT_EQ(lines, 1);
}

// A raw TCP connection to the gateway that sends nothing.
class IdleSocket {
 public:
  explicit IdleSocket(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port));
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~IdleSocket() { close(fd_); }
  bool connected() const { return connected_; }
  // Whether the server closed it within `timeout` (a read returns 0 or fails).
  bool ClosedByServer(std::chrono::milliseconds timeout) {
    timeval tv{};
    tv.tv_sec = timeout.count() / 1000;
    tv.tv_usec = (timeout.count() % 1000) * 1000;
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    char byte;
    ssize_t n = recv(fd_, &byte, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

 private:
  int fd_;
  bool connected_ = false;
};

TEST(ConnectionLimitsE2e, PendingHandshakesPerAddressAreBoundedAndFreedOnClose) {
  StreamgatePair pair(
      PairArgs({"--mock-chunk-delay-ms=0"},
               {"--max-pending-handshakes-per-address=4", "--max-pending-handshakes=16"}));
  ASSERT_TRUE(pair.ok());
  std::vector<std::unique_ptr<IdleSocket>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<IdleSocket>(pair.gateway_port()));
    ASSERT_TRUE(idle.back()->connected());
  }
  // The fifth is accepted and closed at once, without waiting for the handshake timeout.
  IdleSocket fifth(pair.gateway_port());
  EXPECT_TRUE(fifth.ClosedByServer(2s));
  EXPECT_TRUE(pair.gateway().WaitForLine(
      std::regex("connection refused reason=pending_handshakes_per_address"), 5s));
  // The four still wait (they have not been refused).
  EXPECT_FALSE(idle.front()->ClosedByServer(200ms));
  idle.clear();
  // Their places come back as the gateway sees them close.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  bool opened = false;
  while (!opened && std::chrono::steady_clock::now() < deadline) {
    WsTestClient client;
    opened = !Open(client, pair.gateway_port()).empty();
  }
  EXPECT_TRUE(opened);
}

}  // namespace
}  // namespace streamgate::testing
