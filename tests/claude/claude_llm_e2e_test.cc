// llm-service with the claude provider against fake_claude_server, called directly over
// gRPC: what is sent upstream, how every upstream behaviour ends the call, retries,
// cancellation, deadline, stall and backpressure.
#include <grpcpp/grpcpp.h>

#include <regex>
#include <thread>

#include "gtest/gtest.h"
#include "tests/claude/claude_e2e_support.h"

namespace streamgate::testing {
namespace {

using llm::v1::ROLE_ASSISTANT;
using llm::v1::ROLE_USER;

class ClaudeLlmE2e : public ClaudeE2eTest {
 protected:
  // One call with a single user message; the status message never holds the key.
  ChatResult Ask(const std::string& content, const std::string& request_id,
                 std::chrono::milliseconds deadline = 20s) {
    ChatResult result = Chat(llm_->target(), UserRequest(content, request_id), deadline);
    EXPECT_EQ(result.status.error_message().find(kApiKey), std::string::npos);
    return result;
  }

  // The "attempts=N" of the call's outcome line (-1 when the line never came).
  int AttemptsLogged(const std::string& request_id) {
    auto line = llm_->WaitForOutcome(request_id);
    std::smatch match;
    if (!line.has_value() || !std::regex_search(*line, match, std::regex(R"(attempts=(\d+))"))) {
      ADD_FAILURE() << "no outcome line for " << request_id << "\n"
                    << llm_->process().OutputForDiagnostics();
      return -1;
    }
    return std::stoi(match[1]);
  }
};

TEST_F(ClaudeLlmE2e, StreamsTheReplyWithStartedDeltasAndCompleted) {
  Start();
  ChatResult result = Ask("hello there, streaming world", "normal-1");
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_EQ(result.text, "Claude echo: hello there, streaming world");
  ASSERT_TRUE(result.started.has_value());
  EXPECT_EQ(result.started->model(), "claude-sonnet-4-5");  // the documented default
  EXPECT_EQ(result.started->message_id().rfind("msg_fake_", 0), 0u);
  ASSERT_TRUE(result.completed.has_value());
  EXPECT_EQ(result.completed->stop_reason(), "end_turn");
  EXPECT_EQ(result.completed->usage().input_tokens(), 1u);  // the fake: number of messages
  EXPECT_EQ(result.completed->messages_received(), 1u);
  EXPECT_GT(result.completed->usage().output_tokens(), 0u);
  EXPECT_EQ(result.messages_after_completed, 0);
  auto outcome = llm_->WaitForOutcome("normal-1");
  ASSERT_TRUE(outcome.has_value());
  EXPECT_NE(outcome->find("upstream_request_id=req_fake_"), std::string::npos) << *outcome;
  EXPECT_NE(outcome->find("attempts=1 http=200 status=OK"), std::string::npos) << *outcome;
}

TEST_F(ClaudeLlmE2e, SendsTheHeadersAndTheBodyBuiltFromTheConversation) {
  Start({"--anthropic-model=claude-e2e-default", "--max-tokens=77"});
  auto request = UserRequest("first question", "body-1");
  AddMessage(&request, ROLE_ASSISTANT, "first answer");
  AddMessage(&request, ROLE_USER, "second question");
  request.set_system("be brief");
  ChatResult plain = Chat(llm_->target(), request);
  ASSERT_TRUE(plain.status.ok()) << plain.status.error_message();
  EXPECT_EQ(plain.text, "Claude echo: second question");
  EXPECT_EQ(plain.completed->usage().input_tokens(), 3u);

  request.set_request_id("body-2");
  request.set_model("claude-e2e-chosen");
  request.set_max_tokens(5);
  request.set_temperature(0.25f);
  ASSERT_TRUE(Chat(llm_->target(), request).status.ok());

  auto sent = fake_->MessagesRequests();
  ASSERT_EQ(sent.size(), 2u);
  const Json& headers = sent[0]["headers"];
  EXPECT_EQ(sent[0]["method"], "POST");
  EXPECT_EQ(headers.value("x-api-key", ""), kApiKey);
  EXPECT_EQ(headers.value("anthropic-version", ""), "2023-06-01");
  EXPECT_EQ(headers.value("content-type", ""), "application/json");
  EXPECT_FALSE(headers.contains("expect"));
  Json body = Json::parse(sent[0]["body"].get<std::string>());
  EXPECT_EQ(body["model"], "claude-e2e-default");
  EXPECT_EQ(body["max_tokens"], 77);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["system"], "be brief");
  EXPECT_FALSE(body.contains("temperature"));  // newer API versions reject it unless asked
  Json expected_messages = Json::array({{{"role", "user"}, {"content", "first question"}},
                                        {{"role", "assistant"}, {"content", "first answer"}},
                                        {{"role", "user"}, {"content", "second question"}}});
  EXPECT_EQ(body["messages"], expected_messages);

  Json chosen = Json::parse(sent[1]["body"].get<std::string>());
  EXPECT_EQ(chosen["model"], "claude-e2e-chosen");
  EXPECT_EQ(chosen["max_tokens"], 5);
  EXPECT_EQ(chosen["temperature"], 0.25);
}

TEST_F(ClaudeLlmE2e, SequentialCallsReuseOneKeepAliveConnection) {
  Start();
  ASSERT_TRUE(Ask("one", "reuse-1").status.ok());
  ASSERT_TRUE(Ask("two", "reuse-2").status.ok());
  ASSERT_TRUE(Ask("three", "reuse-3").status.ok());
  auto sent = fake_->MessagesRequests();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0]["connection_id"], sent[2]["connection_id"]);
}

TEST_F(ClaudeLlmE2e, RolesThatDoNotAlternateAreRejectedBeforeAnyNetworkCall) {
  Start();
  auto request = UserRequest("first", "roles-1");
  AddMessage(&request, ROLE_USER, "second user message in a row");
  ChatResult result = Chat(llm_->target(), request);
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(result.status.error_message(),
            "messages[1].role: roles must alternate ROLE_USER/ROLE_ASSISTANT");
  EXPECT_FALSE(result.started.has_value());
  EXPECT_TRUE(fake_->MessagesRequests().empty());
}

// The mock's own test (LlmStreamServiceTest.TheMockRefusesWhatClaudeRefuses...) expects these
// same words: one validator runs before either provider.
TEST_F(ClaudeLlmE2e, TheSharedValidatorRefusesBeforeClaudeWithTheMocksWords) {
  Start();
  auto hot = UserRequest("hi", "rules-1");
  hot.set_temperature(5);
  auto blank = UserRequest(" \n", "rules-2");
  auto no_tokens = UserRequest("hi", "rules-3");
  no_tokens.set_max_tokens(0);
  const std::vector<std::pair<llm::v1::StreamChatRequest, std::string>> cases = {
      {hot, "temperature: must be within [0, 1]"},
      {blank, "messages[0].content: must not be empty or only whitespace"},
      {no_tokens, "max_tokens: must be at least 1 when set"},
  };
  for (const auto& [request, expected] : cases) {
    ChatResult result = Chat(llm_->target(), request);
    EXPECT_EQ(result.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << expected;
    EXPECT_EQ(result.status.error_message(), expected);
    EXPECT_FALSE(result.started.has_value());
  }
  EXPECT_TRUE(fake_->MessagesRequests().empty());
}

TEST_F(ClaudeLlmE2e, RateLimitIsRetriedAfterTheServersRetryAfterMs) {
  Start();
  ChatResult result = Ask("[fake:rate_limit:300ms] again please", "rl-1");
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_EQ(result.text, "Claude echo: [fake:rate_limit:300ms] again please");
  EXPECT_GE(result.elapsed, 290ms);  // the server's 300 ms, not our 20 ms base delay
  auto sent = fake_->MessagesRequests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0]["status"], 429);
  EXPECT_EQ(AttemptsLogged("rl-1"), 2);
}

TEST_F(ClaudeLlmE2e, RateLimitHonoursRetryAfterSeconds) {
  Start();
  ChatResult result = Ask("[fake:rate_limit:1] seconds hint", "rl-secs");
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_GE(result.elapsed, 990ms);
  EXPECT_EQ(fake_->MessagesRequests().size(), 2u);
}

TEST_F(ClaudeLlmE2e, RetryAfterAsAnHttpDateIsHonoured) {
  Start();
  ChatResult result = Ask("[fake:retry_after_date:1] dated hint", "rl-date");
  ASSERT_TRUE(result.status.ok()) << result.status.error_message();
  EXPECT_EQ(fake_->MessagesRequests().size(), 2u);
}

TEST_F(ClaudeLlmE2e, OverloadedAndServerErrorsAreRetriedUntilTheReplyComes) {
  Start();
  ChatResult overloaded = Ask("[fake:overloaded] busy", "529-1");
  ASSERT_TRUE(overloaded.status.ok()) << overloaded.status.error_message();
  EXPECT_EQ(overloaded.text, "Claude echo: [fake:overloaded] busy");
  EXPECT_EQ(AttemptsLogged("529-1"), 2);
  ChatResult server_error = Ask("[fake:server_error:2] broken twice", "500-1");
  ASSERT_TRUE(server_error.status.ok()) << server_error.status.error_message();
  EXPECT_EQ(AttemptsLogged("500-1"), 3);
  EXPECT_EQ(fake_->MessagesRequests().size(), 5u);
  // Each attempt by its status, each retry by its reason, the usage by the configured model.
  EXPECT_EQ(llm_->Metric("streamgate_llm_upstream_requests_total{status=\"529\"}"), 1);
  EXPECT_EQ(llm_->Metric("streamgate_llm_upstream_requests_total{status=\"500\"}"), 2);
  EXPECT_EQ(llm_->Metric("streamgate_llm_upstream_requests_total{status=\"200\"}"), 2);
  EXPECT_EQ(llm_->Metric("streamgate_llm_upstream_retries_total{reason=\"overloaded\"}"), 1);
  EXPECT_EQ(llm_->Metric("streamgate_llm_upstream_retries_total{reason=\"server_error\"}"), 2);
  EXPECT_EQ(llm_->Metric("streamgate_llm_upstream_retries_total{reason=\"rate_limited\"}"), 0);
  EXPECT_GT(
      llm_->Metric("streamgate_llm_tokens_total{direction=\"output\",model=\"claude-sonnet-4-5\"}"),
      0);
  EXPECT_EQ(llm_->Metric("streamgate_llm_first_delta_seconds_count{provider=\"claude\"}"), 2);
}

TEST_F(ClaudeLlmE2e, AlwaysFailingUpstreamGivesUpAfterMaxRetries) {
  Start({"--upstream-max-retries=2"});
  ChatResult limited = Ask("[fake:rate_limit_always:none] never", "always-429");
  EXPECT_EQ(limited.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_FALSE(limited.completed.has_value());
  EXPECT_EQ(AttemptsLogged("always-429"), 3);
  ChatResult overloaded = Ask("[fake:overloaded_always] never either", "always-529");
  EXPECT_EQ(overloaded.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(AttemptsLogged("always-529"), 3);
  EXPECT_EQ(fake_->MessagesRequests().size(), 6u);
}

TEST_F(ClaudeLlmE2e, ClientErrorsAndShouldRetryFalseAreNotRetried) {
  Start();
  ChatResult unauthorized = Ask("[fake:unauthorized] who am i", "401-1");
  EXPECT_EQ(unauthorized.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(AttemptsLogged("401-1"), 1);
  ChatResult bad = Ask("[fake:bad_request] malformed", "400-1");
  EXPECT_EQ(bad.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(AttemptsLogged("400-1"), 1);
  ChatResult told_not_to = Ask("[fake:should_retry_false] no retry", "503-1");
  EXPECT_EQ(told_not_to.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(AttemptsLogged("503-1"), 1);
  EXPECT_EQ(fake_->MessagesRequests().size(), 3u);
}

TEST_F(ClaudeLlmE2e, AWrongKeyIsUnauthenticatedAndNeverEchoed) {
  fake_ = std::make_unique<FakeClaude>();
  ASSERT_TRUE(fake_->ok());
  const std::string wrong_key = "sk-ant-e2e-WRONG-8Hq2";
  llm_ = std::make_unique<ClaudeLlmService>(*fake_, std::vector<std::string>{}, wrong_key);
  ASSERT_TRUE(llm_->ok());
  ChatResult result = Chat(llm_->target(), UserRequest("let me in", "wrong-key"));
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(result.status.error_message().find(wrong_key), std::string::npos);
  ASSERT_TRUE(llm_->WaitForOutcome("wrong-key").has_value());
  llm_->ExpectKeyNeverPrinted(wrong_key);
}

TEST_F(ClaudeLlmE2e, MidStreamErrorEndsWithTheMappedStatusAndNoCompleted) {
  Start();
  ChatResult result = Ask("[fake:midstream_error:2] trouble ahead", "mid-1");
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE);  // overloaded_error
  EXPECT_NE(result.status.error_message().find("overloaded_error"), std::string::npos);
  EXPECT_GT(result.deltas, 0);
  EXPECT_EQ(result.text.rfind("Claude echo:", 0), 0u) << result.text;
  EXPECT_FALSE(result.completed.has_value());
  EXPECT_EQ(AttemptsLogged("mid-1"), 1);  // text went out: never retried
}

TEST_F(ClaudeLlmE2e, DroppedConnectionAndCleanEndWithoutStopAreErrorsNotSuccess) {
  Start();
  for (const std::string scenario : {"drop:2", "drop:2:rst", "clean_end_without_stop:2"}) {
    const std::string id = "end-" + scenario;
    ChatResult result = Ask("[fake:" + scenario + "] cut short", id);
    EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE) << scenario;
    EXPECT_FALSE(result.completed.has_value()) << scenario;
    EXPECT_GT(result.deltas, 0) << scenario;
    EXPECT_EQ(AttemptsLogged(id), 1) << scenario;
  }
}

TEST_F(ClaudeLlmE2e, ADropBeforeAnyTextIsRetried) {
  Start();
  ChatResult result = Ask("[fake:drop:0] early drop", "drop-0");
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_FALSE(result.started.has_value());  // held back while retrying, never sent twice
  EXPECT_EQ(AttemptsLogged("drop-0"), 3);
}

TEST_F(ClaudeLlmE2e, AStalledStreamEndsUnavailableAfterTheStallTimeout) {
  Start({"--upstream-stall-timeout=500ms"});
  ChatResult result = Ask("[fake:stall:2] then silence", "stall-1");
  EXPECT_EQ(result.status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(result.status.error_message().find("stalled"), std::string::npos);
  EXPECT_GE(result.elapsed, 450ms);
  EXPECT_LT(result.elapsed, 3s);
  EXPECT_EQ(AttemptsLogged("stall-1"), 1);
  EXPECT_EQ(llm_->Metric("streamgate_llm_upstream_requests_total{status=\"stalled\"}"), 1);
  EXPECT_EQ(llm_->Metric("streamgate_llm_upstream_requests_total{status=\"200\"}"), 0);
  // Abandoning the request closed its connection: the fake saw the peer leave.
  EXPECT_TRUE(fake_->process()
                  .WaitForLine(std::regex("connection closed .*by=peer mid_stream=true"), 5s)
                  .has_value());
}

TEST_F(ClaudeLlmE2e, ShapesOfTheStreamDoNotChangeTheText) {
  Start();
  for (const std::string shape : {"tiny_writes", "thinking", "tool_use", "ping_heavy"}) {
    const std::string content = "[fake:" + shape + "] shaped reply text";
    ChatResult result = Ask(content, "shape-" + shape);
    ASSERT_TRUE(result.status.ok()) << shape << ": " << result.status.error_message();
    EXPECT_EQ(result.text, "Claude echo: " + content) << shape;
    EXPECT_TRUE(result.completed.has_value()) << shape;
  }
}

TEST_F(ClaudeLlmE2e, ConcurrentCallsOnTwoCurlThreadsGetOnlyTheirOwnReplies) {
  Start({"--curl-threads=2"});
  constexpr int kCalls = 24;
  std::vector<ChatResult> results(kCalls);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      results[i] = Chat(llm_->target(),
                        UserRequest("[fake:slow:5] [fake:long:20] caller " + std::to_string(i),
                                    "conc-" + std::to_string(i)));
    });
  }
  for (auto& thread : threads) thread.join();
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(results[i].status.ok()) << i << ": " << results[i].status.error_message();
    const std::string expected =
        "Claude echo: [fake:slow:5] [fake:long:20] caller " + std::to_string(i) + " w1 w2";
    EXPECT_EQ(results[i].text.rfind(expected, 0), 0u) << results[i].text;
    EXPECT_NE(results[i].text.find(" w20"), std::string::npos);
  }
}

}  // namespace
}  // namespace streamgate::testing
