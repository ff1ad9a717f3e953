// llm-service with the claude provider: how a call's life bounds the upstream request —
// client cancellation and deadlines close the upstream connection, backoff waits give way
// to both, and a slow reader pauses the transfer without losing or repeating text.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>

#include <regex>
#include <thread>

#include "gtest/gtest.h"
#include "tests/claude/claude_e2e_support.h"
#include "tests/support/streamgate_pair.h"
#include "tests/support/ws_test_client.h"

namespace streamgate::testing {
namespace {

const std::regex kClosedByPeerMidStream("connection closed conn=\\d+ by=peer mid_stream=true");

class ClaudeFlowE2e : public ClaudeE2eTest {
 protected:
  std::unique_ptr<llm::v1::LlmService::Stub> NewStub(const grpc::ChannelArguments& args = {}) {
    return llm::v1::LlmService::NewStub(
        grpc::CreateCustomChannel(llm_->target(), grpc::InsecureChannelCredentials(), args));
  }
};

TEST_F(ClaudeFlowE2e, CancellingMidStreamClosesTheUpstreamConnection) {
  Start();
  auto stub = NewStub();
  grpc::ClientContext context;
  // 500 words 20 ms apart: ten seconds if nobody stopped it.
  auto reader =
      stub->StreamChat(&context, UserRequest("[fake:slow:20] [fake:long:500] stop me", "cancel-1"));
  llm::v1::StreamChatResponse response;
  int deltas = 0;
  while (deltas < 3 && reader->Read(&response)) deltas += response.has_delta() ? 1 : 0;
  ASSERT_EQ(deltas, 3);
  const auto cancelled_at = std::chrono::steady_clock::now();
  context.TryCancel();
  EXPECT_TRUE(fake_->process().WaitForLine(kClosedByPeerMidStream, 3s).has_value())
      << fake_->process().OutputForDiagnostics();
  EXPECT_LT(std::chrono::steady_clock::now() - cancelled_at, 3s);
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  auto outcome = llm_->WaitForOutcome("cancel-1");
  ASSERT_TRUE(outcome.has_value());
  EXPECT_NE(outcome->find("status=CANCELLED"), std::string::npos) << *outcome;
  bool recorded = false;
  for (const Json& connection : fake_->Connections()) {
    recorded = recorded || connection.value("closed_by_peer_mid_stream", false);
  }
  EXPECT_TRUE(recorded);
}

TEST_F(ClaudeFlowE2e, TheCallDeadlineEndsTheUpstreamRequest) {
  Start();
  ChatResult result = Chat(
      llm_->target(), UserRequest("[fake:slow:50] [fake:long:200] too slow", "deadline-1"), 400ms);
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_FALSE(result.completed.has_value());
  EXPECT_TRUE(fake_->process().WaitForLine(kClosedByPeerMidStream, 3s).has_value());
  ASSERT_TRUE(llm_->WaitForOutcome("deadline-1").has_value());
}

TEST_F(ClaudeFlowE2e, ARetryThatCouldNotStartBeforeTheDeadlineIsNotWaitedFor) {
  Start();
  // retry-after: 1 s, deadline 500 ms: waiting would only delay the same failure.
  ChatResult result =
      Chat(llm_->target(), UserRequest("[fake:rate_limit:1] hurry", "late-retry"), 500ms);
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_LT(result.elapsed, 450ms);
  EXPECT_EQ(fake_->MessagesRequests().size(), 1u);
}

TEST_F(ClaudeFlowE2e, CancellingDuringABackoffWaitEndsItAtOnce) {
  Start();
  auto stub = NewStub();
  grpc::ClientContext context;
  auto reader =
      stub->StreamChat(&context, UserRequest("[fake:rate_limit:1] wait for it", "backoff-cancel"));
  // The first attempt got its 429; llm-service now waits one second before the retry.
  ASSERT_TRUE(fake_->process().WaitForLine(std::regex("request id=req_fake_1 .*status=429"), 5s));
  ASSERT_TRUE(
      llm_->process().WaitForLine(std::regex("upstream retry .*request=backoff-cancel"), 5s));
  const auto cancelled_at = std::chrono::steady_clock::now();
  context.TryCancel();
  auto outcome = llm_->WaitForOutcome("backoff-cancel", 2s);
  ASSERT_TRUE(outcome.has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - cancelled_at, 700ms);
  EXPECT_NE(outcome->find("attempts=1 "), std::string::npos) << *outcome;
  EXPECT_NE(outcome->find("status=CANCELLED"), std::string::npos) << *outcome;
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
}

TEST_F(ClaudeFlowE2e, ASlowReaderPausesTheTransferAndStillGetsEveryWordOnce) {
  // A 1 KiB queue per call, and a stall timeout shorter than the reader's pause: a paused
  // transfer is our own backpressure, not a stalled upstream.
  Start({"--max-queued-bytes-per-call=1024", "--upstream-stall-timeout=1s", "--log-level=debug"});
  grpc::ChannelArguments args;
  // Keeps the client's HTTP/2 window at its 64 KiB start, so the reply below cannot all sit
  // in gRPC buffers and the transfer must pause.
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  auto stub = NewStub(args);
  grpc::ClientContext context;
  constexpr int kWords = 20000;
  const std::string content = "[fake:long:20000] slow reader";
  auto request = UserRequest(content, "slow-1");
  request.set_max_tokens(kWords + 100);  // the fake stops at max_tokens deltas, like Claude
  auto reader = stub->StreamChat(&context, request);
  ASSERT_TRUE(
      llm_->process().WaitForLine(std::regex("upstream paused request=slow-1 "), 10s).has_value())
      << llm_->process().OutputForDiagnostics();
  // The reader is slower than the stall timeout on purpose (this wait is the behaviour under
  // test, not synchronisation).
  std::this_thread::sleep_for(1300ms);
  std::string text;
  llm::v1::StreamChatResponse response;
  bool completed = false;
  while (reader->Read(&response)) {
    if (response.has_delta()) text += response.delta().text();
    completed = completed || response.has_completed();
  }
  grpc::Status status = reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(completed);
  std::string expected = "Claude echo: " + content;
  for (int i = 1; i <= kWords; ++i) expected += " w" + std::to_string(i);
  EXPECT_EQ(text.size(), expected.size());
  EXPECT_TRUE(text == expected) << "text differs from the expected reply";
  auto outcome = llm_->WaitForOutcome("slow-1");
  ASSERT_TRUE(outcome.has_value());
  EXPECT_EQ(outcome->find("pauses=0 "), std::string::npos) << *outcome;
  EXPECT_NE(outcome->find("status=OK"), std::string::npos) << *outcome;
}

TEST_F(ClaudeFlowE2e, AnUnreachableUpstreamIsUnavailableAfterTheRetries) {
  llm_ = std::make_unique<ClaudeLlmService>("http://127.0.0.1:" + std::to_string(UnusedPort()),
                                            std::vector<std::string>{});
  ASSERT_TRUE(llm_->ok());
  ChatResult result = Chat(llm_->target(), UserRequest("anyone there?", "refused-1"));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  auto outcome = llm_->WaitForOutcome("refused-1");
  ASSERT_TRUE(outcome.has_value());
  EXPECT_NE(outcome->find("attempts=3 http=0 status=UNAVAILABLE"), std::string::npos) << *outcome;
}

TEST_F(ClaudeFlowE2e, BadClaudeConfigurationStopsStartupWithExitCode2) {
  struct Case {
    std::vector<std::string> env;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"ANTHROPIC_API_KEY="}, "needs ANTHROPIC_API_KEY"},
           {{std::string("ANTHROPIC_API_KEY=") + kApiKey, "ANTHROPIC_BASE_URL=ftp://x"},
            "ANTHROPIC_BASE_URL must start with"},
           {{std::string("ANTHROPIC_API_KEY=bad key with spaces")}, "API key"}}) {
    ChildProcess process({LlmServiceBinary(), "--port=0", "--metrics-port=0", "--provider=claude"},
                         c.env);
    auto status = process.WaitForExit(10s);
    ASSERT_TRUE(status.has_value());
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << c.message;
    EXPECT_NE(process.OutputForDiagnostics().find(c.message), std::string::npos)
        << process.OutputForDiagnostics();
    EXPECT_EQ(process.OutputForDiagnostics().find("bad key with spaces"), std::string::npos);
  }
}

TEST_F(ClaudeFlowE2e, SigtermWhileStreamingEndsTheUpstreamRequestAndExitsCleanly) {
  Start({"--drain-timeout=200ms"});
  auto stub = NewStub();
  grpc::ClientContext context;
  auto reader =
      stub->StreamChat(&context, UserRequest("[fake:slow:20] [fake:long:500] long one", "term-1"));
  llm::v1::StreamChatResponse response;
  ASSERT_TRUE(reader->Read(&response));
  llm_->process().Signal(SIGTERM);
  auto status = llm_->process().WaitForExit(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
  EXPECT_TRUE(fake_->process().WaitForLine(kClosedByPeerMidStream, 5s).has_value());
  while (reader->Read(&response)) {
  }
  EXPECT_FALSE(reader->Finish().ok());
}

TEST_F(ClaudeFlowE2e, ManyCallsCancelledAtRandomPointsLeaveNoUpstreamResponseOpen) {
  // A small queue so that some calls are paused when they are cancelled.
  Start({"--max-queued-bytes-per-call=1024", "--curl-threads=2"});
  constexpr int kCalls = 40;
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([this, i] {
      auto stub = NewStub();
      grpc::ClientContext context;
      auto reader = stub->StreamChat(
          &context, UserRequest("[fake:slow:2] [fake:long:400] caller " + std::to_string(i),
                                "storm-" + std::to_string(i)));
      llm::v1::StreamChatResponse response;
      for (int read = 0; read < i % 8 && reader->Read(&response); ++read) {
      }
      context.TryCancel();
      reader->Finish();
    });
  }
  for (auto& thread : threads) thread.join();
  // Every upstream response ends (closed by llm-service, or finished) within a deadline.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  int open = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    Json stats = Json::parse(HttpGet(fake_->port(), "/__fake/stats").body, nullptr, false);
    open = stats.is_object() ? stats.value("open_responses", -1) : -1;
    if (open == 0) break;
    std::this_thread::yield();
  }
  EXPECT_EQ(open, 0);
  // Every call llm-service saw (a client may cancel before its call was even sent) ended
  // its upstream side with the one outcome line.
  const std::vector<std::string> lines = llm_->process().Lines();
  for (int i = 0; i < kCalls; ++i) {
    const std::string tag = "request=storm-" + std::to_string(i) + " ";
    bool seen = false;
    for (const std::string& line : lines) {
      seen = seen ||
             (line.find("call start ") != std::string::npos && line.find(tag) != std::string::npos);
    }
    if (seen) {
      EXPECT_TRUE(llm_->WaitForOutcome("storm-" + std::to_string(i)).has_value()) << i;
    }
  }
  ChatResult after = Chat(llm_->target(), UserRequest("still serving?", "after-storm"));
  EXPECT_TRUE(after.status.ok()) << after.status.error_message();
  EXPECT_EQ(after.text, "Claude echo: still serving?");
}

}  // namespace
}  // namespace streamgate::testing
