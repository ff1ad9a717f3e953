// streamgate-cli end to end: the real CLI against the real gateway and llm-service on free
// ports. Every wait is on printed output or process exit, with a deadline.
#include <signal.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "gtest/gtest.h"
#include "tests/cli/cli_process.h"
#include "tests/support/streamgate_pair.h"

namespace streamgate::testing {
namespace {

using Json = nlohmann::json;
using Stream = CliProcess::Stream;
constexpr Stream kOut = Stream::kStdout;
constexpr Stream kErr = Stream::kStderr;
constexpr auto kExitTimeout = 20s;

std::string Cli() { return BinaryPath("streamgate-cli"); }
std::string WsUrl(int port) { return "ws://127.0.0.1:" + std::to_string(port) + "/ws"; }
std::string HostPort(int port) { return "127.0.0.1:" + std::to_string(port); }

// llm-service paced so that a reply takes seconds (30 ms x ~300 words): long enough to be
// interrupted, and a finished reply could not pass for a stopped one.
StreamgatePair::Options LongReplies() {
  StreamgatePair::Options options;
  options.llm_args = {"--mock-chunk-delay-ms=30", "--mock-extra-words=300"};
  return options;
}

std::vector<Json> JsonLines(const CliProcess& cli) {
  std::vector<Json> frames;
  for (const auto& line : cli.Lines(kOut)) {
    Json frame = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(frame.is_object()) << "not a JSON object: " << line;
    frames.push_back(std::move(frame));
  }
  return frames;
}

// The text of each reply in --json output of the WebSocket protocol: stream_chunk contents
// between a stream_start and its stream_end.
std::vector<std::string> ReplyTexts(const std::vector<Json>& frames) {
  std::vector<std::string> replies;
  for (const auto& frame : frames) {
    if (frame.value("type", "") == "stream_start") replies.emplace_back();
    if (frame.value("type", "") == "stream_chunk" && !replies.empty()) {
      replies.back() += frame.value("content", "");
    }
  }
  return replies;
}

bool WaitForCancelledCall(StreamgatePair& pair) {
  static const std::regex kCancelled("call end .*status=CANCELLED");
  return pair.llm().WaitForLine(kCancelled, 10s).has_value();
}

TEST(StreamgateCliE2e, OneShotPrintsExactlyTheReplyAndExitsZero) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  CliProcess cli({Cli(), "--url", WsUrl(pair.gateway_port()), "hello from the terminal"}, {},
                 CliProcess::Input::kNone);
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  EXPECT_EQ(cli.Output(kOut), "Echo: hello from the terminal\n");
  EXPECT_EQ(cli.Output(kErr), "");
}

TEST(StreamgateCliE2e, UrlFromTheEnvironmentAndWordsAfterDoubleDashFormTheQuestion) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  CliProcess cli({Cli(), "--", "-v", "is", "not", "a", "flag"},
                 {"STREAMGATE_URL=" + WsUrl(pair.gateway_port())}, CliProcess::Input::kNone);
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  EXPECT_EQ(cli.Output(kOut), "Echo: -v is not a flag\n");
}

TEST(StreamgateCliE2e, JsonPrintsEveryServerFrameAsOneObjectPerLine) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  CliProcess cli({Cli(), "--json", "--url", WsUrl(pair.gateway_port()), "json please"}, {},
                 CliProcess::Input::kNone);
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  std::vector<Json> frames = JsonLines(cli);
  ASSERT_GE(frames.size(), 4u) << cli.Diagnostics();
  EXPECT_EQ(frames.front()["type"], "connection_established");
  EXPECT_EQ(frames[1]["type"], "stream_start");
  EXPECT_EQ(frames.back()["type"], "stream_end");
  for (size_t i = 2; i + 1 < frames.size(); ++i) EXPECT_EQ(frames[i]["type"], "stream_chunk");
  for (const auto& frame : frames) {
    EXPECT_EQ(frame["sessionId"], frames.front()["sessionId"]);
  }
  EXPECT_EQ(ReplyTexts(frames), std::vector<std::string>{"Echo: json please"});
}

TEST(StreamgateCliE2e, GatewayDownExitsThreeWithTheReasonOnStderr) {
  CliProcess cli({Cli(), "--url", WsUrl(UnusedPort()), "anyone there?"}, {},
                 CliProcess::Input::kNone);
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 3) << cli.Diagnostics();
  EXPECT_EQ(cli.Output(kOut), "");
  EXPECT_TRUE(cli.WaitForOutput(kErr, std::regex("cannot connect to ws://"), 0ms))
      << cli.Diagnostics();
}

TEST(StreamgateCliE2e, ErrorFrameExitsOneWithTheErrorTextOnStderr) {
  // A gateway whose llm-service is not there answers with an `error` frame.
  ChildProcess gateway({GatewayBinary(), "--port=0", "--llm-service=" + HostPort(UnusedPort())});
  int port = WaitForListeningPort(gateway, 10s);
  ASSERT_GT(port, 0);
  CliProcess cli({Cli(), "--url", WsUrl(port), "is the model there?"}, {},
                 CliProcess::Input::kNone);
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 1) << cli.Diagnostics();
  EXPECT_EQ(cli.Output(kOut), "");
  EXPECT_TRUE(
      cli.WaitForOutput(kErr, std::regex("streamgate-cli: .*\\(upstream_unavailable\\)"), 0ms))
      << cli.Diagnostics();
}

TEST(StreamgateCliE2e, InteractiveLinesFromAPipeShareOneSession) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  CliProcess cli({Cli(), "--json", "--url", WsUrl(pair.gateway_port())});
  ASSERT_TRUE(cli.WriteStdin("first question\nsecond question\n"));
  cli.CloseStdin();
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  std::vector<Json> frames = JsonLines(cli);
  int established = 0, ends = 0;
  for (const auto& frame : frames) {
    if (frame["type"] == "connection_established") ++established;
    if (frame["type"] == "stream_end") ++ends;
    EXPECT_EQ(frame["sessionId"], frames.front()["sessionId"]) << frame.dump();
  }
  EXPECT_EQ(established, 1);
  EXPECT_EQ(ends, 2);
  EXPECT_EQ(ReplyTexts(frames),
            (std::vector<std::string>{"Echo: first question", "Echo: second question"}));
}

TEST(StreamgateCliE2e, InteractiveTextSkipsBlankLinesAndEndsAtEndOfInput) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  CliProcess cli({Cli(), "--url", WsUrl(pair.gateway_port())});
  // A blank line is not sent; the last line counts without its newline.
  ASSERT_TRUE(cli.WriteStdin("one\n\n   \r\ntwo"));
  cli.CloseStdin();
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  EXPECT_EQ(cli.Output(kOut), "Echo: one\nEcho: two\n");
  EXPECT_EQ(cli.Output(kErr), "");  // not a terminal: no banner, no prompt
}

TEST(StreamgateCliE2e, CtrlCStopsTheReplyAndASecondCtrlCExits) {
  StreamgatePair pair(LongReplies());
  ASSERT_TRUE(pair.ok());
  CliProcess cli({Cli(), "--url", WsUrl(pair.gateway_port())});
  ASSERT_TRUE(cli.WriteStdin("tell me a long story\n"));
  ASSERT_TRUE(cli.WaitForOutput(kOut, std::regex("Echo: tell me a long story"), 10s))
      << cli.Diagnostics();
  cli.Signal(SIGINT);
  // The whole reply would take about nine seconds.
  ASSERT_TRUE(cli.WaitForOutput(kErr, std::regex("\\[stopped\\]"), 5s)) << cli.Diagnostics();
  EXPECT_TRUE(WaitForCancelledCall(pair)) << pair.llm().OutputForDiagnostics();
  EXPECT_FALSE(cli.WaitForExit(0ms).has_value()) << "the first Ctrl-C must not exit";
  EXPECT_TRUE(cli.WaitForOutput(kOut, std::regex("\n$"), 0ms)) << "the reply line is ended";
  cli.Signal(SIGINT);
  EXPECT_EQ(cli.WaitForExit(kExitTimeout), 130) << cli.Diagnostics();
}

TEST(StreamgateCliE2e, CtrlCInOneShotModeStopsTheReplyAndExits130) {
  StreamgatePair pair(LongReplies());
  ASSERT_TRUE(pair.ok());
  CliProcess cli({Cli(), "--url", WsUrl(pair.gateway_port()), "another long story"}, {},
                 CliProcess::Input::kNone);
  ASSERT_TRUE(cli.WaitForOutput(kOut, std::regex("Echo: another"), 10s)) << cli.Diagnostics();
  cli.Signal(SIGINT);
  ASSERT_EQ(cli.WaitForExit(5s), 130) << cli.Diagnostics();
  EXPECT_TRUE(cli.WaitForOutput(kErr, std::regex("\\[stopped\\]"), 0ms)) << cli.Diagnostics();
  EXPECT_TRUE(WaitForCancelledCall(pair)) << pair.llm().OutputForDiagnostics();
}

TEST(StreamgateCliE2e, GrpcOneShotStreamsStraightFromLlmService) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  CliProcess cli({Cli(), "--grpc", HostPort(pair.llm_port()), "no gateway needed"}, {},
                 CliProcess::Input::kNone);
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  EXPECT_EQ(cli.Output(kOut), "Echo: no gateway needed\n");
  EXPECT_EQ(cli.Output(kErr), "");
}

TEST(StreamgateCliE2e, GrpcInteractiveSendsTheWholeConversationEachTurn) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  CliProcess cli({Cli(), "--json", "--grpc", HostPort(pair.llm_port())});
  ASSERT_TRUE(cli.WriteStdin("first\nsecond\n"));
  cli.CloseStdin();
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  std::vector<int> received;
  std::vector<std::string> statuses;
  for (const auto& line : JsonLines(cli)) {
    if (line.contains("completed")) received.push_back(line["completed"]["messagesReceived"]);
    if (line.contains("status")) statuses.push_back(line["status"]);
  }
  // llm-service is stateless: the second call carries question, answer, question.
  EXPECT_EQ(received, (std::vector<int>{1, 3}));
  EXPECT_EQ(statuses, (std::vector<std::string>{"OK", "OK"}));
}

TEST(StreamgateCliE2e, GrpcCtrlCCancelsTheCall) {
  StreamgatePair pair(LongReplies());
  ASSERT_TRUE(pair.ok());
  CliProcess cli({Cli(), "--grpc", HostPort(pair.llm_port()), "a long direct story"}, {},
                 CliProcess::Input::kNone);
  ASSERT_TRUE(cli.WaitForOutput(kOut, std::regex("Echo: a long"), 10s)) << cli.Diagnostics();
  cli.Signal(SIGINT);
  ASSERT_EQ(cli.WaitForExit(5s), 130) << cli.Diagnostics();
  EXPECT_TRUE(cli.WaitForOutput(kErr, std::regex("\\[stopped\\]"), 0ms)) << cli.Diagnostics();
  EXPECT_TRUE(WaitForCancelledCall(pair)) << pair.llm().OutputForDiagnostics();
}

TEST(StreamgateCliE2e, GrpcServiceDownExitsThreeLikeTheGateway) {
  // One-shot and interactive alike: nothing to talk to is exit 3, not a failed reply.
  const std::string target = HostPort(UnusedPort());
  CliProcess one_shot({Cli(), "--grpc", target, "hello?"}, {}, CliProcess::Input::kNone);
  ASSERT_EQ(one_shot.WaitForExit(kExitTimeout), 3) << one_shot.Diagnostics();
  EXPECT_EQ(one_shot.Output(kOut), "");
  EXPECT_TRUE(one_shot.WaitForOutput(
      kErr, std::regex("streamgate-cli: cannot connect to llm-service at " + target + ": "), 0ms))
      << one_shot.Diagnostics();
  CliProcess interactive({Cli(), "--grpc", target});
  ASSERT_TRUE(interactive.WriteStdin("anyone?\n"));
  ASSERT_EQ(interactive.WaitForExit(kExitTimeout), 3) << interactive.Diagnostics();
}

TEST(StreamgateCliE2e, GrpcUnavailableFromAConnectedServiceIsAFailedReply) {
  // llm-service answers, but its upstream (here: a Claude base URL nobody listens on) does
  // not: the channel is connected, so this is exit 1 with the status.
  ChildProcess llm({LlmServiceBinary(), "--port=0", "--metrics-port=0", "--provider=claude",
                    "--anthropic-base-url=http://127.0.0.1:" + std::to_string(UnusedPort())},
                   {"ANTHROPIC_API_KEY=test-key"});
  int port = WaitForListeningPort(llm, 10s);
  ASSERT_GT(port, 0) << llm.OutputForDiagnostics();
  CliProcess cli({Cli(), "--grpc", HostPort(port), "hello?"}, {}, CliProcess::Input::kNone);
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 1) << cli.Diagnostics();
  EXPECT_TRUE(cli.WaitForOutput(kErr, std::regex("StreamChat failed: "), 0ms)) << cli.Diagnostics();
}

TEST(StreamgateCliE2e, HealthProbesSayHealthyOnlyForAServingService) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  std::string gateway = "http://127.0.0.1:" + std::to_string(pair.gateway_port());
  struct Case {
    std::vector<std::string> args;
    int code;
  };
  std::vector<Case> cases = {
      {{"--health", gateway + "/healthz"}, 0},
      {{"--grpc-health", HostPort(pair.llm_port())}, 0},
      {{"--health", gateway + "/no-such-page"}, 1},
      {{"--health", "http://" + HostPort(UnusedPort()) + "/healthz"}, 1},
      {{"--grpc-health", HostPort(UnusedPort()), "--connect-timeout=500ms"}, 1},
  };
  for (const auto& c : cases) {
    std::vector<std::string> argv = {Cli()};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    CliProcess cli(argv);
    EXPECT_EQ(cli.WaitForExit(kExitTimeout), c.code) << c.args[1] << "\n" << cli.Diagnostics();
    EXPECT_TRUE(cli.WaitForOutput(c.code == 0 ? kOut : kErr,
                                  std::regex(c.code == 0 ? "^healthy: " : "^unhealthy: "), 0ms))
        << cli.Diagnostics();
  }
}

TEST(StreamgateCliE2e, HelpListsTheExitCodesAndBadUsageExitsTwo) {
  CliProcess help({Cli(), "--help"});
  ASSERT_EQ(help.WaitForExit(kExitTimeout), 0);
  EXPECT_TRUE(help.WaitForOutput(kOut, std::regex("exit codes:[\\s\\S]*130"), 0ms))
      << help.Diagnostics();
  for (std::vector<std::string> args : {std::vector<std::string>{"--no-such-flag"},
                                        {"--url", "http://localhost:3000/ws", "hi"},
                                        {"--health", "http://x/healthz", "--grpc-health", "x:1"}}) {
    args.insert(args.begin(), Cli());
    CliProcess cli(args);
    EXPECT_EQ(cli.WaitForExit(kExitTimeout), 2) << args[1] << "\n" << cli.Diagnostics();
    EXPECT_NE(cli.Output(kErr), "");
  }
}

}  // namespace
}  // namespace streamgate::testing
