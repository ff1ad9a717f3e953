// The mux transport's streams over their lifetime, with the real binaries: a connection
// attempt that never completes is bounded by --llm-connect-timeout; a stream past
// --llm-stream-max-age takes no new replies and ends after its running one; replies spread
// over two llm-service replicas and go to the one left when the other stops.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"

namespace streamgate::testing {
namespace {

size_t CountLines(const ChildProcess& process, const std::regex& pattern, size_t from = 0) {
  std::vector<std::string> lines = process.Lines();
  size_t count = 0;
  for (size_t i = from; i < lines.size(); ++i) count += std::regex_search(lines[i], pattern);
  return count;
}

// The rest of a reply whose first frames were read already: its text from here to the end.
std::optional<std::string> RestOfReply(WsTestClient& client) {
  std::string text;
  for (;;) {
    auto frame = client.ReadJson(10s);
    if (!frame.has_value() || (*frame)["type"] == "error") return std::nullopt;
    if ((*frame)["type"] == "stream_chunk") text += (*frame)["content"].get<std::string>();
    if ((*frame)["type"] == "stream_end") return text;
  }
}

// A TCP port that completes connections (the kernel's backlog) but never speaks: gRPC's
// connection attempt stays in progress.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 || listen(fd_, 16) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      return;
    }
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(MuxStreamsE2e, AConnectionAttemptInProgressIsWaitedForUpToTheConnectTimeout) {
  SilentListener silent;
  ASSERT_GT(silent.port(), 0);
  ChildProcess gateway({GatewayBinary(), "--port=0", "--store=memory",
                        "--llm-connect-timeout=300ms",
                        "--llm-service=127.0.0.1:" + std::to_string(silent.port())});
  int port = WaitForListeningPort(gateway, 10s);
  ASSERT_GT(port, 0);
  WsTestClient client;
  ASSERT_FALSE(Open(client, port).empty());
  ASSERT_TRUE(client.SendJson(UserMessage("anyone?")));
  auto error = client.ReadUntilType("error", 10s);
  ASSERT_TRUE(error.has_value()) << gateway.OutputForDiagnostics();
  EXPECT_EQ((*error)["code"], "upstream_unavailable");
  EXPECT_TRUE(gateway.WaitForLine(std::regex(" warning session reply failed .*grpc_status="
                                             "DEADLINE_EXCEEDED detail=\"llm-service not "
                                             "reachable within --llm-connect-timeout 300ms\""),
                                  5s))
      << gateway.OutputForDiagnostics();
}

TEST(MuxStreamsE2e, AStreamPastItsMaxAgeTakesNoNewReplyAndEndsAfterItsRunningOne) {
  // Each delta waits 20 ms: once the first reply's first chunk is read, its stream is older
  // than the 1 ms max age.
  StreamgatePair pair(PairArgs({"--mock-chunk-delay-ms=20"},
                               {"--llm-streams=1", "--llm-stream-max-age=1ms", "--store=memory"}));
  ASSERT_TRUE(pair.ok());
  const std::regex opened("chat stream open ");
  WsTestClient first, second;
  ASSERT_FALSE(Open(first, pair.gateway_port()).empty());
  ASSERT_FALSE(Open(second, pair.gateway_port()).empty());
  ASSERT_TRUE(first.SendJson(UserMessage("the first of two replies, in several words")));
  auto chunk = first.ReadUntilType("stream_chunk", 10s);
  ASSERT_TRUE(chunk.has_value());
  ASSERT_TRUE(second.SendJson(UserMessage("the second")));
  Reply later = ReadReply(second);
  ASSERT_TRUE(later.end.has_value()) << (later.error ? later.error->dump() : "no end");
  EXPECT_EQ(later.text, "Echo: the second");
  auto rest = RestOfReply(first);
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ((*chunk)["content"].get<std::string>() + *rest,
            "Echo: the first of two replies, in several words");
  // The second reply had a stream of its own; the first's ended cleanly after it.
  EXPECT_EQ(CountLines(pair.llm(), opened), 2u) << pair.llm().OutputForDiagnostics();
  EXPECT_TRUE(pair.llm().WaitForLine(std::regex("chat stream end replies=1 cut_off=0"), 10s))
      << pair.llm().OutputForDiagnostics();
}

TEST(MuxStreamsE2e, RepliesSpreadOverTwoReplicasAndGoToTheOneLeftWhenTheOtherStops) {
  ChildProcess one({LlmServiceBinary(), "--port=0", "--metrics-port=0", "--provider=mock"});
  int port_one = WaitForListeningPort(one, 10s);
  ChildProcess two({LlmServiceBinary(), "--port=0", "--metrics-port=0", "--provider=mock"});
  int port_two = WaitForListeningPort(two, 10s);
  ASSERT_GT(port_one, 0);
  ASSERT_GT(port_two, 0);
  // Both addresses behind one target, balanced round robin as for a dns:/// name with two
  // records; a stream of 1 ms max age is balanced anew for each reply.
  ChildProcess gateway({GatewayBinary(), "--port=0", "--store=memory", "--llm-streams=1",
                        "--llm-stream-max-age=1ms",
                        "--llm-service=ipv4:127.0.0.1:" + std::to_string(port_one) +
                            ",127.0.0.1:" + std::to_string(port_two)});
  int port = WaitForListeningPort(gateway, 10s);
  ASSERT_GT(port, 0);
  WsTestClient client;
  ASSERT_FALSE(Open(client, port).empty());
  const std::regex served("call start ");
  int asked = 0;
  while (asked < 40 && (CountLines(one, served) == 0 || CountLines(two, served) == 0)) {
    ASSERT_TRUE(client.SendJson(UserMessage("which replica? " + std::to_string(asked))));
    Reply reply = ReadReply(client);
    ASSERT_TRUE(reply.end.has_value()) << (reply.error ? reply.error->dump() : "no end");
    EXPECT_EQ(reply.text, "Echo: which replica? " + std::to_string(asked));
    ++asked;
  }
  ASSERT_GT(CountLines(one, served), 0u) << "after " << asked << " replies";
  ASSERT_GT(CountLines(two, served), 0u) << "after " << asked << " replies";

  one.Signal(SIGKILL);
  ASSERT_TRUE(one.WaitForExit(10s).has_value());
  // A reply started while the gateway learns of the loss may fail; once one succeeds,
  // every next one does, on the replica left.
  int tries = 0;
  for (bool ok = false; !ok && tries < 20; ++tries) {
    ASSERT_TRUE(client.SendJson(UserMessage("still there?")));
    Reply reply = ReadReply(client);
    ok = reply.end.has_value();
    if (!ok) {
      ASSERT_TRUE(reply.error.has_value()) << "neither an end nor an error";
      ASSERT_EQ((*reply.error)["code"], "upstream_unavailable");
    }
  }
  ASSERT_LT(tries, 20);
  const size_t before = CountLines(two, served);
  constexpr int kAfter = 6;
  for (int i = 0; i < kAfter; ++i) {
    ASSERT_TRUE(client.SendJson(UserMessage("after " + std::to_string(i))));
    Reply reply = ReadReply(client);
    ASSERT_TRUE(reply.end.has_value()) << (reply.error ? reply.error->dump() : "no end");
    EXPECT_EQ(reply.text, "Echo: after " + std::to_string(i));
  }
  EXPECT_EQ(CountLines(two, served), before + kAfter);
}

}  // namespace
}  // namespace streamgate::testing
