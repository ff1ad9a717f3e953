// streamgate-cli keeps its gateway session across a lost connection, and talks in the
// conversation thread it is told: the real CLI, gateway and llm-service on free ports, the
// CLI reaching the gateway through a TcpProxy that the test cuts. Every wait is on printed
// output, a log line, a proxy count or process exit, with a deadline.
#include <signal.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "gtest/gtest.h"
#include "llm-service/mock_reply.h"
#include "tests/cli/cli_process.h"
#include "tests/support/streamgate_pair.h"
#include "tests/support/tcp_proxy.h"
#include "tests/support/temp_dir.h"

namespace streamgate::testing {
namespace {

using Json = nlohmann::json;
using Stream = CliProcess::Stream;
constexpr Stream kOut = Stream::kStdout;
constexpr Stream kErr = Stream::kStderr;
constexpr auto kExitTimeout = 30s;
constexpr int kExtraWords = 120;

std::string Cli() { return BinaryPath("streamgate-cli"); }
std::string WsUrl(int port) { return "ws://127.0.0.1:" + std::to_string(port) + "/ws"; }

// llm-service paced so that a reply takes a few seconds (25 ms x ~120 words): cut after
// its first words, most of it is still to come.
StreamgatePair::Options SlowReplies(std::vector<std::string> gateway_args = {}) {
  StreamgatePair::Options options;
  options.llm_args = {"--mock-chunk-delay-ms=25",
                      "--mock-extra-words=" + std::to_string(kExtraWords)};
  options.gateway_args = std::move(gateway_args);
  return options;
}

// The whole text the mock answers `question` with.
std::string MockReply(const std::string& question, int extra_words) {
  llm::v1::StreamChatRequest request;
  auto* message = request.add_messages();
  message->set_role(llm::v1::ROLE_USER);
  message->set_content(question);
  return llm::MockReplyText(request, extra_words);
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

// The session id the CLI reported resuming ("resumed session <id> (...)" on stderr).
std::string ResumedSessionId(const CliProcess& cli) {
  std::smatch match;
  std::string err = cli.Output(kErr);
  if (!std::regex_search(err, match, std::regex("resumed session (\\S+) \\("))) return "";
  return match[1];
}

// The `messages=N` of every llm-service call, in order (what reached the model), once
// `calls` of them were logged.
std::vector<int> MessagesPerCall(ChildProcess& llm, size_t calls) {
  static const std::regex kCallStart("call start .* messages=(\\d+)");
  size_t from = 0;
  for (size_t i = 0; i < calls; ++i) {
    size_t at = 0;
    if (!llm.WaitForLine(kCallStart, 5s, from, &at)) break;
    from = at + 1;
  }
  std::vector<int> counts;
  for (const auto& line : llm.Lines()) {
    std::smatch match;
    if (std::regex_search(line, match, kCallStart)) counts.push_back(std::stoi(match[1]));
  }
  return counts;
}

TEST(StreamgateCliResumeE2e, AReplyCutMidStreamGoesOnWithNoTextTwice) {
  StreamgatePair pair(SlowReplies());
  ASSERT_TRUE(pair.ok());
  TcpProxy proxy(pair.gateway_port());
  ASSERT_GT(proxy.port(), 0);
  CliProcess cli({Cli(), "--url", WsUrl(proxy.port())});
  const std::string question = "tell me a long story";
  const std::string reply = MockReply(question, kExtraWords);
  ASSERT_TRUE(cli.WriteStdin(question + "\n"));
  ASSERT_TRUE(cli.WaitForOutput(kOut, std::regex("Echo: tell me a long story lorem"), 10s))
      << cli.Diagnostics();
  proxy.SeverAll();
  ASSERT_LT(cli.Output(kOut).size(), reply.size() / 2) << "the cut must come mid-reply";
  ASSERT_TRUE(
      cli.WaitForOutput(kErr, std::regex("resumed session \\S+ \\(\\d+ frames replayed\\)"), 10s))
      << cli.Diagnostics();
  EXPECT_EQ(proxy.accepted(), 2);
  cli.CloseStdin();
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  EXPECT_EQ(cli.Output(kOut), reply + "\n");
  EXPECT_TRUE(
      cli.WaitForOutput(kErr, std::regex("lost: .*; reconnecting to resume the session"), 0ms))
      << cli.Diagnostics();
  std::string id = ResumedSessionId(cli);
  ASSERT_FALSE(id.empty()) << cli.Diagnostics();
  EXPECT_TRUE(pair.gateway().WaitForLine(std::regex("session resumed session=" + id), 5s))
      << pair.gateway().OutputForDiagnostics();
  // The reply was not cancelled and not asked for twice.
  EXPECT_EQ(MessagesPerCall(pair.llm(), 1), std::vector<int>{1});
}

TEST(StreamgateCliResumeE2e, JsonSurvivesTwoCutsWithEachFrameOnceAndNoToken) {
  StreamgatePair pair(SlowReplies());
  ASSERT_TRUE(pair.ok());
  TcpProxy proxy(pair.gateway_port());
  CliProcess cli({Cli(), "--json", "--url", WsUrl(proxy.port()), "cut me twice"}, {},
                 CliProcess::Input::kNone);
  // Each cut after some text on that connection, so that both are mid-reply.
  ASSERT_TRUE(cli.WaitForOutput(kOut, std::regex("stream_chunk"), 10s)) << cli.Diagnostics();
  proxy.SeverAll();
  ASSERT_TRUE(
      cli.WaitForOutput(kOut, std::regex("session_resumed[^\\n]*\\n[^\\n]*stream_chunk"), 10s))
      << cli.Diagnostics();
  proxy.SeverAll();
  ASSERT_TRUE(
      cli.WaitForOutput(kErr, std::regex("resumed session[^\\n]*\\n[\\s\\S]*resumed session"), 10s))
      << cli.Diagnostics();
  EXPECT_EQ(proxy.accepted(), 3);
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  std::vector<Json> frames = JsonLines(cli);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(ReplyTexts(frames), std::vector<std::string>{MockReply("cut me twice", kExtraWords)});
  std::set<uint64_t> seqs;
  uint64_t last = 0;
  int resumed = 0;
  for (const auto& frame : frames) {
    EXPECT_EQ(frame["sessionId"], frames.front()["sessionId"]) << frame.dump();
    uint64_t seq = frame.value("seq", uint64_t{0});
    EXPECT_GT(seq, last) << "seqs grow, none repeats: " << frame.dump();
    last = seq;
    if (frame.contains("resumeToken")) {
      EXPECT_EQ(frame["resumeToken"], "<redacted>");
    }
    if (frame["type"] == "session_resumed") ++resumed;
  }
  EXPECT_EQ(resumed, 2);
  EXPECT_EQ(frames.front()["type"], "connection_established");
  EXPECT_EQ(frames.back()["type"], "stream_end");
}

TEST(StreamgateCliResumeE2e, AGatewayRestartIsWaitedOutAndTheHistoryKept) {
  TempDir dir;
  const std::string store = "--store=sqlite:" + dir.Path("gateway.db");
  StreamgatePair pair(SlowReplies({store, "--drain-retry-after=100ms"}));
  ASSERT_TRUE(pair.ok());
  TcpProxy proxy(pair.gateway_port());
  CliProcess cli({Cli(), "--json", "--url", WsUrl(proxy.port())});
  ASSERT_TRUE(cli.WriteStdin("before the restart\n"));
  ASSERT_TRUE(cli.WaitForOutput(kOut, std::regex("\"stream_end\""), 15s)) << cli.Diagnostics();

  pair.gateway().Signal(SIGTERM);
  ASSERT_TRUE(cli.WaitForOutput(kErr,
                                std::regex("the gateway is restarting; resuming the "
                                           "session in \\d+ms"),
                                10s))
      << cli.Diagnostics();
  ASSERT_TRUE(pair.gateway().WaitForExit(15s).has_value());
  ChildProcess next({GatewayBinary(), "--port=0",
                     "--llm-service=127.0.0.1:" + std::to_string(pair.llm_port()), store});
  int next_port = WaitForListeningPort(next, 10s);
  ASSERT_GT(next_port, 0);
  proxy.SetTargetPort(next_port);
  ASSERT_TRUE(cli.WaitForOutput(kErr, std::regex("resumed session"), 20s)) << cli.Diagnostics();

  ASSERT_TRUE(cli.WriteStdin("after the restart\n"));
  cli.CloseStdin();
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  std::vector<Json> frames = JsonLines(cli);
  bool going_away = false;
  for (const auto& frame : frames) going_away |= frame["type"] == "going_away";
  EXPECT_TRUE(going_away) << cli.Diagnostics();
  EXPECT_EQ(ReplyTexts(frames),
            (std::vector<std::string>{MockReply("before the restart", kExtraWords),
                                      MockReply("after the restart", kExtraWords)}));
  std::string id = ResumedSessionId(cli);
  EXPECT_TRUE(next.WaitForLine(std::regex("session resumed session=" + id), 5s))
      << next.OutputForDiagnostics();
  // The second question reached the model with the first exchange before it.
  EXPECT_EQ(MessagesPerCall(pair.llm(), 2), (std::vector<int>{1, 3}));
}

TEST(StreamgateCliResumeE2e, AFailedResumeSaysSoAndGoesOnAsANewSession) {
  // Without a resume window the gateway forgets a session at its disconnect.
  StreamgatePair pair(StreamgatePair::Options{.gateway_args = {"--resume-window=0"}});
  ASSERT_TRUE(pair.ok());
  TcpProxy proxy(pair.gateway_port());
  CliProcess cli({Cli(), "--url", WsUrl(proxy.port())});
  ASSERT_TRUE(cli.WriteStdin("first\n"));
  ASSERT_TRUE(cli.WaitForOutput(kOut, std::regex("^Echo: first\n$"), 10s)) << cli.Diagnostics();
  proxy.SeverAll();
  ASSERT_TRUE(cli.WaitForOutput(
      kErr,
      std::regex("could not resume session \\S+ \\((unknown_session|expired)\\): going on "
                 "as new session \\S+, without the conversation so far"),
      10s))
      << cli.Diagnostics();
  ASSERT_TRUE(cli.WriteStdin("second\n"));
  cli.CloseStdin();
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  EXPECT_EQ(cli.Output(kOut), "Echo: first\nEcho: second\n");
  EXPECT_EQ(MessagesPerCall(pair.llm(), 2), (std::vector<int>{1, 1}));  // no history carried
}

TEST(StreamgateCliResumeE2e, WithoutReconnectingALostConnectionExitsThree) {
  StreamgatePair pair(SlowReplies());
  ASSERT_TRUE(pair.ok());
  TcpProxy proxy(pair.gateway_port());
  CliProcess cli({Cli(), "--reconnect-timeout=0", "--url", WsUrl(proxy.port()), "short-lived"}, {},
                 CliProcess::Input::kNone);
  ASSERT_TRUE(cli.WaitForOutput(kOut, std::regex("Echo: short-lived"), 10s)) << cli.Diagnostics();
  proxy.SeverAll();
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 3) << cli.Diagnostics();
  EXPECT_EQ(proxy.accepted(), 1);
}

TEST(StreamgateCliConversationE2e, ThreadsOfOneSessionKeepTheirOwnHistories) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  CliProcess cli({Cli(), "--json", "--conversation", "alpha", "--url", WsUrl(pair.gateway_port())});
  ASSERT_TRUE(
      cli.WriteStdin("a one\n/conversation beta\nb one\n/conversation\n"
                     "/conversation alpha\na two\n"));
  cli.CloseStdin();
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  std::vector<Json> frames = JsonLines(cli);
  EXPECT_EQ(ReplyTexts(frames),
            (std::vector<std::string>{"Echo: a one", "Echo: b one", "Echo: a two"}));
  std::vector<std::string> threads;
  for (const auto& frame : frames) {
    if (frame["type"] == "stream_start") threads.push_back(frame.value("conversationId", ""));
    EXPECT_EQ(frame["sessionId"], frames.front()["sessionId"]) << "one session";
  }
  EXPECT_EQ(threads, (std::vector<std::string>{"alpha", "beta", "alpha"}));
  // beta starts empty although alpha has an exchange; alpha's second turn carries alpha's
  // first exchange only.
  EXPECT_EQ(MessagesPerCall(pair.llm(), 3), (std::vector<int>{1, 1, 3}));
  EXPECT_TRUE(
      pair.gateway().WaitForLine(std::regex("reply start .*conversation=beta .*history=0"), 5s));
  EXPECT_TRUE(
      pair.gateway().WaitForLine(std::regex("reply start .*conversation=alpha .*history=1"), 5s));
  EXPECT_TRUE(
      cli.WaitForOutput(kErr, std::regex("conversation beta\n[\\s\\S]*conversation alpha\n"), 0ms))
      << cli.Diagnostics();
}

TEST(StreamgateCliConversationE2e, OneShotAsksInTheNamedThread) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  CliProcess cli({Cli(), "--conversation=notes_2", "--url", WsUrl(pair.gateway_port()), "hi"}, {},
                 CliProcess::Input::kNone);
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  EXPECT_EQ(cli.Output(kOut), "Echo: hi\n");
  EXPECT_TRUE(pair.gateway().WaitForLine(std::regex("reply start .*conversation=notes_2 "), 5s))
      << pair.gateway().OutputForDiagnostics();
}

TEST(StreamgateCliConversationE2e, ABadThreadIdIsAClearErrorNeverSent) {
  for (const std::string& id :
       {std::string("two words"), std::string("x/y"), std::string(65, 'a'), std::string("")}) {
    CliProcess cli({Cli(), "--conversation", id, "--url", WsUrl(UnusedPort()), "hi"}, {},
                   CliProcess::Input::kNone);
    EXPECT_EQ(cli.WaitForExit(kExitTimeout), 2) << id << "\n" << cli.Diagnostics();
    EXPECT_TRUE(cli.WaitForOutput(
        kErr, std::regex("streamgate-cli: --conversation: a conversation id is 1-64 characters"),
        0ms))
        << id << "\n"
        << cli.Diagnostics();
  }
  CliProcess grpc({Cli(), "--conversation", "ok", "--grpc", "127.0.0.1:1", "hi"}, {},
                  CliProcess::Input::kNone);
  EXPECT_EQ(grpc.WaitForExit(kExitTimeout), 2) << grpc.Diagnostics();

  // Interactively a bad one is refused and the session goes on in its thread.
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  CliProcess cli({Cli(), "--url", WsUrl(pair.gateway_port())});
  ASSERT_TRUE(cli.WriteStdin("/conversation no good\nstill here\n"));
  cli.CloseStdin();
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  EXPECT_EQ(cli.Output(kOut), "Echo: still here\n");
  EXPECT_TRUE(cli.WaitForOutput(kErr, std::regex("a conversation id is 1-64"), 0ms))
      << cli.Diagnostics();
  EXPECT_TRUE(pair.gateway().WaitForLine(std::regex("reply start .*conversation=default "), 5s));
}

}  // namespace
}  // namespace streamgate::testing
