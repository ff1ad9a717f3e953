#include "tests/fakes/messages_endpoint.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "absl/time/time.h"

namespace streamgate::fake_claude {
namespace {

IncomingRequest Post(const std::string& content, bool with_key = true, bool with_version = true) {
  IncomingRequest request;
  request.connection_id = 1;
  request.method = "POST";
  request.target = "/v1/messages";
  if (with_key) request.headers.emplace_back("X-Api-Key", "test-key");
  if (with_version) request.headers.emplace_back("anthropic-version", "2023-06-01");
  request.headers.emplace_back("content-type", "application/json");
  nlohmann::json body = {{"model", "claude-test"},
                         {"max_tokens", 100},
                         {"stream", true},
                         {"messages", {{{"role", "user"}, {"content", content}}}}};
  request.body = body.dump();
  return request;
}

// Every byte the script writes, in order.
std::string Wire(const ReplyScript& script) {
  std::string wire;
  for (const auto& step : script.steps()) wire += step.bytes;
  return wire;
}

class MessagesEndpointTest : public ::testing::Test {
 protected:
  TrafficRecorder recorder_;
  MessagesEndpoint endpoint_{{.api_key = "test-key"}, &recorder_};
};

TEST_F(MessagesEndpointTest, MissingOrWrongKeyIs401WithTheApiBody) {
  for (bool with_key : {false, true}) {
    IncomingRequest request = Post("hi", with_key);
    if (with_key) request.headers[0].second = "wrong";
    RoutedReply reply = endpoint_.Handle(request);
    EXPECT_EQ(reply.script.status(), 401);
    std::string wire = Wire(reply.script);
    EXPECT_NE(
        wire.find(
            R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})"),
        std::string::npos)
        << wire;
    EXPECT_NE(wire.find("request-id: req_fake_"), std::string::npos);
  }
}

TEST_F(MessagesEndpointTest, MissingVersionIs400) {
  RoutedReply reply = endpoint_.Handle(Post("hi", true, false));
  EXPECT_EQ(reply.script.status(), 400);
  EXPECT_NE(Wire(reply.script).find("anthropic-version"), std::string::npos);
}

TEST_F(MessagesEndpointTest, UnknownDirectiveIs400) {
  RoutedReply reply = endpoint_.Handle(Post("[fake:no_such_thing]"));
  EXPECT_EQ(reply.script.status(), 400);
  EXPECT_NE(Wire(reply.script).find("invalid_request_error"), std::string::npos);
}

TEST_F(MessagesEndpointTest, NormalReplyIsAChunkedEventStream) {
  RoutedReply reply = endpoint_.Handle(Post("hello"));
  EXPECT_EQ(reply.script.status(), 200);
  EXPECT_TRUE(reply.script.chunked());
  std::string wire = Wire(reply.script);
  EXPECT_EQ(wire.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(wire.find("content-type: text/event-stream"), std::string::npos);
  EXPECT_NE(wire.find("request-id: req_fake_" + std::to_string(reply.request_id)),
            std::string::npos);
  EXPECT_NE(wire.find("event: message_stop"), std::string::npos);
  EXPECT_EQ(wire.substr(wire.size() - 5), "0\r\n\r\n");
}

TEST_F(MessagesEndpointTest, RateLimitFailsOnceThenStreams) {
  RoutedReply first = endpoint_.Handle(Post("[fake:rate_limit] x"));
  EXPECT_EQ(first.script.status(), 429);
  EXPECT_NE(Wire(first.script).find("retry-after: 1\r\n"), std::string::npos);
  RoutedReply second = endpoint_.Handle(Post("[fake:rate_limit] x"));
  EXPECT_EQ(second.script.status(), 200);
  // Another conversation starts at stage 0 again.
  EXPECT_EQ(endpoint_.Handle(Post("[fake:rate_limit] y")).script.status(), 429);
  endpoint_.Reset();
  EXPECT_EQ(endpoint_.Handle(Post("[fake:rate_limit] x")).script.status(), 429);
}

TEST_F(MessagesEndpointTest, RetryHeadersOfTheRetryScenarios) {
  std::string ms = Wire(endpoint_.Handle(Post("[fake:rate_limit_always:250ms]")).script);
  EXPECT_NE(ms.find("retry-after-ms: 250\r\n"), std::string::npos);
  EXPECT_EQ(ms.find("retry-after:"), std::string::npos);

  std::string no_retry = Wire(endpoint_.Handle(Post("[fake:should_retry_false]")).script);
  EXPECT_EQ(no_retry.rfind("HTTP/1.1 503", 0), 0u);
  EXPECT_NE(no_retry.find("x-should-retry: false\r\n"), std::string::npos);

  std::string date = Wire(endpoint_.Handle(Post("[fake:retry_after_date:30]")).script);
  size_t at = date.find("retry-after: ");
  ASSERT_NE(at, std::string::npos);
  std::string value = date.substr(at + 13, date.find("\r\n", at) - at - 13);
  absl::Time when;
  std::string error;
  ASSERT_TRUE(absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", value, &when, &error)) << value;
  EXPECT_GT(when, absl::Now() + absl::Seconds(20));

  EXPECT_EQ(endpoint_.Handle(Post("[fake:overloaded_always]")).script.status(), 529);
  EXPECT_EQ(endpoint_.Handle(Post("[fake:overloaded_always]")).script.status(), 529);
  EXPECT_EQ(endpoint_.Handle(Post("[fake:server_error:2]")).script.status(), 500);
  EXPECT_EQ(endpoint_.Handle(Post("[fake:server_error:2]")).script.status(), 500);
  EXPECT_EQ(endpoint_.Handle(Post("[fake:server_error:2]")).script.status(), 200);
}

TEST_F(MessagesEndpointTest, MidStreamOutcomesEndTheScriptTheirWay) {
  auto last = [&](const std::string& content) {
    return endpoint_.Handle(Post(content)).script.steps().back();
  };
  EXPECT_EQ(last("[fake:drop]").kind, ReplyStep::Kind::kClose);
  EXPECT_EQ(last("[fake:drop:1:rst]").kind, ReplyStep::Kind::kReset);
  EXPECT_EQ(last("[fake:stall]").kind, ReplyStep::Kind::kHold);

  std::string clean = Wire(endpoint_.Handle(Post("[fake:clean_end_without_stop:1] a b c")).script);
  EXPECT_EQ(clean.substr(clean.size() - 5), "0\r\n\r\n");
  EXPECT_EQ(clean.find("message_stop"), std::string::npos);

  std::string error = Wire(endpoint_.Handle(Post("[fake:midstream_error] a b c")).script);
  EXPECT_NE(error.find("event: error\ndata: "), std::string::npos);
  EXPECT_EQ(error.find("message_stop"), std::string::npos);
}

TEST_F(MessagesEndpointTest, SlowDelaysEveryDeltaAndTinyWritesIsFlagged) {
  ReplyScript script = endpoint_.Handle(Post("[fake:slow:7][fake:tiny_writes] a b")).script;
  EXPECT_TRUE(script.tiny_writes());
  int delayed = 0;
  for (const auto& step : script.steps()) delayed += step.delay == std::chrono::milliseconds(7);
  EXPECT_EQ(delayed, 5);  // "Claude", " echo:", " [fake:slow:7][fake:tiny_writes]", " a", " b"
}

TEST_F(MessagesEndpointTest, EveryRequestIsRecordedWithItsStage) {
  endpoint_.Handle(Post("[fake:rate_limit] z", /*with_key=*/false));
  endpoint_.Handle(Post("[fake:rate_limit] z"));
  endpoint_.Handle(Post("[fake:rate_limit] z"));
  auto records = nlohmann::json::parse(recorder_.RequestsJson(0));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0]["status"], 401);
  EXPECT_TRUE(records[0]["stage"].is_null());
  EXPECT_EQ(records[1]["status"], 429);
  EXPECT_EQ(records[1]["stage"], 0);
  EXPECT_EQ(records[1]["scenario"], "rate_limit");
  EXPECT_EQ(records[1]["headers"]["x-api-key"], "test-key");
  EXPECT_EQ(records[2]["status"], 200);
  EXPECT_EQ(records[2]["stage"], 1);
  EXPECT_EQ(records[2]["outcome"], "in_progress");
  EXPECT_EQ(nlohmann::json::parse(recorder_.RequestsJson(records[1]["id"])).size(), 1u);
}

}  // namespace
}  // namespace streamgate::fake_claude
