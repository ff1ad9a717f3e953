// streamgate-cli at a terminal and with piped input: the real CLI on a pseudo-terminal
// (PtyProcess) or with a stdin pipe (CliProcess), against the real gateway and llm-service
// on free ports. Every wait is on printed output or process exit, with a deadline.
#include <nlohmann/json.hpp>
#include <regex>

#include "gtest/gtest.h"
#include "llm-service/mock_reply.h"
#include "tests/cli/cli_process.h"
#include "tests/cli/pty_process.h"
#include "tests/support/streamgate_pair.h"
#include "tests/support/tcp_proxy.h"

namespace streamgate::testing {
namespace {

using Json = nlohmann::json;
constexpr auto kExitTimeout = 30s;
constexpr char kPasteStart[] = "\x1B[200~";
constexpr char kPasteEnd[] = "\x1B[201~";
constexpr char kPasteModeOn[] = "\x1B[?2004h";
constexpr char kPasteModeOff[] = "\x1B[?2004l";

std::string Cli() { return BinaryPath("streamgate-cli"); }
std::string WsUrl(int port) { return "ws://127.0.0.1:" + std::to_string(port) + "/ws"; }

// The --json frames among what the terminal showed: lines that parse as JSON objects (the
// prompt, the editor's echo and the notes share the terminal).
std::vector<Json> JsonFrames(const std::string& shown) {
  std::vector<Json> frames;
  size_t start = 0;
  for (size_t nl; (nl = shown.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string line = shown.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t brace = line.find("{\"");
    if (brace == std::string::npos) continue;
    Json frame = Json::parse(line.substr(brace), nullptr, /*allow_exceptions=*/false);
    if (frame.is_object()) frames.push_back(std::move(frame));
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

std::string MockReply(const std::string& question, int extra_words) {
  llm::v1::StreamChatRequest request;
  auto* message = request.add_messages();
  message->set_role(llm::v1::ROLE_USER);
  message->set_content(question);
  return llm::MockReplyText(request, extra_words);
}

// Waits for the prompt libedit shows once it has the terminal (after the banner).
bool WaitForPrompt(PtyProcess& cli, size_t from = 0) {
  return cli.WaitForOutput(std::regex("> $"), 10s, from);
}

// Waits for the end of a reply (--json) and the prompt after it: keys typed before the
// editor has the terminal again would meet the terminal's own line discipline.
bool WaitForReplyAndPrompt(PtyProcess& cli, size_t from = 0, std::chrono::seconds timeout = 10s) {
  return cli.WaitForOutput(std::regex("\"stream_end\"[^\\n]*\\n[\\s\\S]*> $"), timeout, from);
}

// After the CLI exits, the terminal assembles lines and echoes again, as the shell left it.
bool LinesAndEchoAreBack(const PtyProcess& cli) {
  auto modes = cli.TerminalModes();
  return modes.has_value() && (modes->c_lflag & ICANON) != 0 && (modes->c_lflag & ECHO) != 0;
}

TEST(StreamgateCliTerminalE2e, ABracketedPasteOfThreeLinesIsOneMessage) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  PtyProcess cli({Cli(), "--json", "--url", WsUrl(pair.gateway_port())});
  ASSERT_TRUE(WaitForPrompt(cli)) << cli.Output();
  // A terminal sends the pasted newlines as "\r"; the Enter after the paste sends it.
  ASSERT_TRUE(cli.Type(std::string(kPasteStart) + "line one\rline two\rline three" + kPasteEnd));
  ASSERT_TRUE(cli.WaitForOutput(std::regex("\\.\\.\\. $"), 10s)) << cli.Output();
  ASSERT_TRUE(cli.Type("\r"));
  ASSERT_TRUE(WaitForReplyAndPrompt(cli)) << cli.Output();
  ASSERT_TRUE(cli.Type("\x04"));  // Ctrl-D
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Output();
  std::vector<Json> frames = JsonFrames(cli.Output());
  EXPECT_EQ(ReplyTexts(frames), std::vector<std::string>{"Echo: line one\nline two\nline three"})
      << cli.Output();
  // Paste mode was on while editing and is off at the end.
  std::string shown = cli.Output();
  EXPECT_NE(shown.find(kPasteModeOn), std::string::npos);
  EXPECT_GT(shown.rfind(kPasteModeOff), shown.rfind(kPasteModeOn));
}

TEST(StreamgateCliTerminalE2e, LinesAreEditedAndHistoryRecallsThem) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  PtyProcess cli({Cli(), "--json", "--url", WsUrl(pair.gateway_port())});
  ASSERT_TRUE(WaitForPrompt(cli)) << cli.Output();
  // Backspace (DEL), then Left and a character inserted before the last one.
  ASSERT_TRUE(cli.Type("helpx\x7F\x1B[Dl\r"));
  ASSERT_TRUE(WaitForReplyAndPrompt(cli)) << cli.Output();
  size_t mark = cli.Output().size();
  // Up recalls the line; a trailing "\" continues it on the next line.
  ASSERT_TRUE(cli.Type("\x1B[A \\\r"));
  ASSERT_TRUE(cli.WaitForOutput(std::regex("\\.\\.\\. $"), 10s, mark)) << cli.Output();
  ASSERT_TRUE(cli.Type("again\r"));
  ASSERT_TRUE(WaitForReplyAndPrompt(cli, mark)) << cli.Output();
  ASSERT_TRUE(cli.Type("\x04"));
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Output();
  EXPECT_EQ(ReplyTexts(JsonFrames(cli.Output())),
            (std::vector<std::string>{"Echo: hellp", "Echo: hellp \nagain"}))
      << cli.Output();
}

TEST(StreamgateCliTerminalE2e, CtrlCAtThePromptExits130WithPasteModeOff) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  PtyProcess cli({Cli(), "--url", WsUrl(pair.gateway_port())});
  ASSERT_TRUE(WaitForPrompt(cli)) << cli.Output();
  ASSERT_TRUE(cli.Type("half a thought\x03"));  // the terminal's interrupt character
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 130) << cli.Output();
  std::string shown = cli.Output();
  ASSERT_NE(shown.find(kPasteModeOn), std::string::npos) << shown;
  EXPECT_GT(shown.rfind(kPasteModeOff), shown.rfind(kPasteModeOn)) << shown;
  EXPECT_TRUE(LinesAndEchoAreBack(cli));
}

// Keys typed while a reply streams are neither echoed into it nor lost: they wait for the
// next prompt (a line typed ahead is the next message), and a Ctrl-D among them ends the
// session there.
TEST(StreamgateCliTerminalE2e, KeysTypedDuringAReplyWaitForTheNextPrompt) {
  StreamgatePair::Options options;
  options.llm_args = {"--mock-chunk-delay-ms=25", "--mock-extra-words=40"};
  StreamgatePair pair(options);
  ASSERT_TRUE(pair.ok());
  PtyProcess cli({Cli(), "--json", "--url", WsUrl(pair.gateway_port())});
  ASSERT_TRUE(WaitForPrompt(cli)) << cli.Output();
  ASSERT_TRUE(cli.Type("tell me\r"));
  // Forty more deltas 25 ms apart follow the first: the keys go in while it streams.
  ASSERT_TRUE(cli.WaitForOutput(std::regex("stream_chunk"), 10s)) << cli.Output();
  auto during = cli.TerminalModes();
  ASSERT_TRUE(during.has_value());
  EXPECT_EQ(during->c_lflag & (ICANON | ECHO), 0u);
  const size_t first_typed = cli.Output().size();
  ASSERT_TRUE(cli.Type("typed ahead\r"));
  ASSERT_TRUE(cli.WaitForOutput(std::regex("stream_chunk[^\\n]*typed"), 20s, first_typed))
      << cli.Output();
  ASSERT_TRUE(cli.Type("\x04"));
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Output();
  std::string shown = cli.Output();
  // Nothing of what was typed showed up inside the first reply.
  size_t first_end = shown.find("stream_end", first_typed);
  ASSERT_NE(first_end, std::string::npos) << shown;
  EXPECT_EQ(shown.substr(first_typed, first_end - first_typed).find("typed"), std::string::npos)
      << shown;
  std::vector<std::string> replies = ReplyTexts(JsonFrames(shown));
  ASSERT_EQ(replies.size(), 2u) << shown;
  EXPECT_EQ(replies[0].rfind("Echo: tell me lorem", 0), 0u) << replies[0];
  EXPECT_EQ(replies[1].rfind("Echo: typed ahead lorem", 0), 0u) << replies[1];
  EXPECT_TRUE(LinesAndEchoAreBack(cli));
}

TEST(StreamgateCliTerminalE2e, ADroppedConnectionAtTheTerminalResumesTheSession) {
  constexpr int kExtraWords = 120;
  StreamgatePair::Options options;
  options.llm_args = {"--mock-chunk-delay-ms=25", "--mock-extra-words=120"};
  StreamgatePair pair(options);
  ASSERT_TRUE(pair.ok());
  TcpProxy proxy(pair.gateway_port());
  ASSERT_GT(proxy.port(), 0);
  PtyProcess cli({Cli(), "--json", "--url", WsUrl(proxy.port())});
  ASSERT_TRUE(WaitForPrompt(cli)) << cli.Output();
  ASSERT_TRUE(cli.Type("tell me a long story\r"));
  ASSERT_TRUE(cli.WaitForOutput(std::regex("stream_chunk[^\\n]*lorem"), 10s)) << cli.Output();
  proxy.SeverAll();
  ASSERT_TRUE(cli.WaitForOutput(std::regex("resumed session \\S+ \\(\\d+ frames replayed\\)"), 10s))
      << cli.Output();
  ASSERT_TRUE(WaitForReplyAndPrompt(cli, 0, 20s)) << cli.Output();
  ASSERT_TRUE(cli.Type("\x04"));
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Output();
  EXPECT_EQ(proxy.accepted(), 2);
  std::vector<Json> frames = JsonFrames(cli.Output());
  ASSERT_FALSE(frames.empty());
  int starts = 0, ends = 0;
  for (const auto& frame : frames) {
    EXPECT_EQ(frame["sessionId"], frames.front()["sessionId"]) << frame.dump();
    starts += frame["type"] == "stream_start";
    ends += frame["type"] == "stream_end";
  }
  EXPECT_EQ(starts, 1);
  EXPECT_EQ(ends, 1);
  EXPECT_EQ(ReplyTexts(frames),
            std::vector<std::string>{MockReply("tell me a long story", kExtraWords)});
}

TEST(StreamgateCliPipeE2e, PipedTextAndAQuestionAreOneMessage) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  CliProcess cli({Cli(), "--url", WsUrl(pair.gateway_port()), "what", "is", "this?"});
  ASSERT_TRUE(cli.WriteStdin("doc line 1\ndoc line 2\n"));
  cli.CloseStdin();
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  EXPECT_EQ(cli.Output(CliProcess::Stream::kStdout),
            "Echo: doc line 1\ndoc line 2\n\nwhat is this?\n");
}

TEST(StreamgateCliPipeE2e, DashSendsAllOfStdinAsOneMessage) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  CliProcess cli({Cli(), "--url", WsUrl(pair.gateway_port()), "-"});
  ASSERT_TRUE(cli.WriteStdin("first line\nsecond line\n"));
  cli.CloseStdin();
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  EXPECT_EQ(cli.Output(CliProcess::Stream::kStdout), "Echo: first line\nsecond line\n");

  CliProcess empty({Cli(), "--url", WsUrl(pair.gateway_port()), "-"}, {}, CliProcess::Input::kNone);
  EXPECT_EQ(empty.WaitForExit(kExitTimeout), 2) << empty.Diagnostics();
  CliProcess mixed({Cli(), "--url", WsUrl(pair.gateway_port()), "-", "and", "words"}, {},
                   CliProcess::Input::kNone);
  EXPECT_EQ(mixed.WaitForExit(kExitTimeout), 2) << mixed.Diagnostics();
  EXPECT_TRUE(mixed.WaitForOutput(CliProcess::Stream::kStderr,
                                  std::regex("'-' reads the message from standard input"), 0ms))
      << mixed.Diagnostics();
}

TEST(StreamgateCliPipeE2e, PipedLinesContinueAfterABackslashAndInAMultiBlock) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  CliProcess cli({Cli(), "--json", "--url", WsUrl(pair.gateway_port())});
  ASSERT_TRUE(cli.WriteStdin("one \\\ntwo\n/multi\na\n\nb\n/end\nlast\n"));
  cli.CloseStdin();
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  std::vector<Json> frames;
  for (const auto& line : cli.Lines(CliProcess::Stream::kStdout)) {
    frames.push_back(Json::parse(line, nullptr, /*allow_exceptions=*/false));
  }
  EXPECT_EQ(ReplyTexts(frames),
            (std::vector<std::string>{"Echo: one \ntwo", "Echo: a\n\nb", "Echo: last"}));
}

TEST(StreamgateCliPipeE2e, EscapeSequencesInTheReplyReachTheTerminalInert) {
  StreamgatePair pair;
  ASSERT_TRUE(pair.ok());
  // The mock echoes the question, so the reply carries what the question did.
  CliProcess cli({Cli(), "--url", WsUrl(pair.gateway_port()), "\x1B]0;owned\x07\x1B[2Jhi\rX"}, {},
                 CliProcess::Input::kNone);
  ASSERT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(cli.Output(CliProcess::Stream::kStdout),
            "Echo: " + r + "]0;owned" + r + r + "[2Jhi" + r + "X\n");
}

}  // namespace
}  // namespace streamgate::testing
