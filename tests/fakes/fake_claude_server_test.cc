// fake_claude_server end to end: the real binary on port 0, plain HTTP from a Beast client,
// streamed bodies parsed by llm-service's own SseParser and ClaudeEventDecoder.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "llm-service/claude/claude_event_decoder.h"
#include "llm-service/claude/sse_parser.h"
#include "tests/fakes/http_test_client.h"
#include "tests/support/child_process.h"
#include "tests/support/streamgate_pair.h"

namespace streamgate::fake_claude {
namespace {

using Json = nlohmann::json;
using streamgate::testing::BinaryPath;
using streamgate::testing::ChildProcess;

// Auth and version headers the real API wants.
HttpTestClient::Headers ApiHeaders(std::string key = "test-key") {
  HttpTestClient::Headers headers = {{"anthropic-version", "2023-06-01"},
                                     {"content-type", "application/json"}};
  if (!key.empty()) headers.emplace_back("x-api-key", key);
  return headers;
}

// A Messages API body; `turns` alternate user/assistant and end with the user's message.
std::string Body(const std::vector<std::string>& turns) {
  Json messages = Json::array();
  for (size_t i = 0; i < turns.size(); ++i) {
    messages.push_back({{"role", i % 2 == 0 ? "user" : "assistant"}, {"content", turns[i]}});
  }
  return Json{
      {"model", "claude-test"}, {"max_tokens", 256}, {"stream", true}, {"messages", messages}}
      .dump();
}

// A streamed body as llm-service will see it.
struct Parsed {
  std::vector<llm::SseEvent> events;
  absl::Status parse_status;
  std::string text;  // the decoder's text deltas, concatenated
  int text_deltas = 0;
  absl::Status decode_status;  // ClaudeEventDecoder::Finish (or the first error)
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& event : events) names.push_back(event.event);
    return names;
  }
};

Parsed Parse(const std::string& body) {
  Parsed parsed;
  llm::SseParser parser;
  auto events = parser.Feed(body);
  parsed.parse_status = events.status();
  if (events.ok()) parsed.events = *events;
  llm::ClaudeEventDecoder decoder;
  parsed.decode_status = absl::OkStatus();
  for (const auto& event : parsed.events) {
    auto message = decoder.Decode(event);
    if (!message.ok()) {
      parsed.decode_status = message.status();
      return parsed;
    }
    if (message->has_value() && (*message)->has_delta()) {
      parsed.text += (*message)->delta().text();
      ++parsed.text_deltas;
    }
  }
  parsed.decode_status = decoder.Finish();
  return parsed;
}

// Each test gets its own fake, so log lines and records belong to that test alone.
class FakeClaudeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{BinaryPath("fake_claude_server"), "--port", "0"});
    port_ = streamgate::testing::WaitForListeningPort(*fake_, 10s);
    ASSERT_GT(port_, 0);
  }

  // Waits for a stderr line matching `pattern` printed at or after line `from`.
  std::optional<std::string> WaitForLog(const std::string& pattern, size_t from = 0) {
    auto match = fake_->WaitForLine(std::regex(pattern), 10s, from);
    if (!match.has_value()) {
      ADD_FAILURE() << "no log line matching " << pattern << "; output:\n"
                    << fake_->OutputForDiagnostics();
    }
    return match;
  }

  Json GetJson(const std::string& target) {
    HttpReply reply = HttpTestClient::Fetch(port_, "GET", target);
    EXPECT_EQ(reply.status, 200) << target;
    Json value = Json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(value.is_discarded()) << reply.body;
    return value;
  }

  std::unique_ptr<ChildProcess> fake_;
  int port_ = 0;
};

TEST_F(FakeClaudeServerTest, NormalReplyStreamsTheEchoWordByWord) {
  HttpReply reply =
      HttpTestClient::Fetch(port_, "POST", "/v1/messages", ApiHeaders(),
                            Body({"first question", "first answer", "hello streaming world"}));
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.Header("content-type").rfind("text/event-stream", 0), 0u);
  EXPECT_TRUE(std::regex_match(reply.Header("request-id"), std::regex("req_fake_[0-9]+")));

  Parsed parsed = Parse(reply.body);
  ASSERT_TRUE(parsed.parse_status.ok()) << parsed.parse_status;
  EXPECT_TRUE(parsed.decode_status.ok()) << parsed.decode_status;
  EXPECT_EQ(parsed.text, "Claude echo: hello streaming world");
  EXPECT_EQ(parsed.text_deltas, 5);  // "Claude", " echo:", " hello", " streaming", " world"
  std::vector<std::string> expected = {"message_start", "content_block_start", "ping"};
  expected.insert(expected.end(), 5, "content_block_delta");
  expected.insert(expected.end(), {"content_block_stop", "message_delta", "message_stop"});
  EXPECT_EQ(parsed.Names(), expected);

  Json start = Json::parse(parsed.events.front().data);
  EXPECT_EQ(start["message"]["model"], "claude-test");
  EXPECT_EQ(start["message"]["usage"]["input_tokens"], 3);  // one per message received
  Json delta = Json::parse(parsed.events[parsed.events.size() - 2].data);
  EXPECT_EQ(delta["delta"]["stop_reason"], "end_turn");
  EXPECT_EQ(delta["usage"]["output_tokens"], 5);
}

TEST_F(FakeClaudeServerTest, MissingOrWrongKeyIs401) {
  const std::string kBody =
      R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})";
  HttpReply missing =
      HttpTestClient::Fetch(port_, "POST", "/v1/messages", ApiHeaders(""), Body({"hi"}));
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(missing.body, kBody);
  EXPECT_EQ(missing.Header("content-type"), "application/json");
  HttpReply wrong =
      HttpTestClient::Fetch(port_, "POST", "/v1/messages", ApiHeaders("nope"), Body({"hi"}));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.body, kBody);
}

TEST_F(FakeClaudeServerTest, InvalidRequestsAre400) {
  HttpTestClient::Headers no_version = {{"x-api-key", "test-key"}};
  for (const auto& [headers, body] : std::vector<std::pair<HttpTestClient::Headers, std::string>>{
           {no_version, Body({"hi"})},
           {ApiHeaders(), "{not json"},
           {ApiHeaders(),
            R"({"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}]})"},
           {ApiHeaders(), Body({"[fake:no_such_scenario]"})},
       }) {
    HttpReply reply = HttpTestClient::Fetch(port_, "POST", "/v1/messages", headers, body);
    EXPECT_EQ(reply.status, 400) << body;
    Json error = Json::parse(reply.body, nullptr, false);
    EXPECT_EQ(error["error"]["type"], "invalid_request_error") << reply.body;
  }
}

TEST_F(FakeClaudeServerTest, RateLimitFailsFirstThenTheRetrySucceedsOnTheSameConnection) {
  HttpTestClient client;
  ASSERT_TRUE(client.Connect(port_));
  const std::string body = Body({"[fake:rate_limit] please"});
  HttpReply first = client.Exchange("POST", "/v1/messages", ApiHeaders(), body);
  EXPECT_EQ(first.status, 429);
  EXPECT_EQ(first.Header("retry-after"), "1");
  EXPECT_EQ(Json::parse(first.body)["error"]["type"], "rate_limit_error");
  WaitForLog(R"(request id=req_fake_\d+ conn=1 .*status=429 scenario=rate_limit stage=0)");

  HttpReply second = client.Exchange("POST", "/v1/messages", ApiHeaders(), body);
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(Parse(second.body).text, "Claude echo: [fake:rate_limit] please");
  WaitForLog(R"(request id=req_fake_\d+ conn=1 .*status=200 scenario=rate_limit stage=1)");

  HttpReply ms = client.Exchange("POST", "/v1/messages", ApiHeaders(),
                                 Body({"[fake:rate_limit:250ms] again"}));
  EXPECT_EQ(ms.status, 429);
  EXPECT_EQ(ms.Header("retry-after-ms"), "250");
  EXPECT_EQ(ms.Header("retry-after"), "");
}

TEST_F(FakeClaudeServerTest, RequestsAreRecordedAndResetForgetsThem) {
  HttpReply reply =
      HttpTestClient::Fetch(port_, "POST", "/v1/messages", ApiHeaders(), Body({"record me"}));
  ASSERT_EQ(reply.status, 200);
  // The record is final once the fake has logged the end of the response.
  WaitForLog(R"(response ended id=)" + reply.Header("request-id") + " .*outcome=completed");

  Json records = GetJson("/__fake/requests");
  ASSERT_EQ(records.size(), 1u) << records.dump();
  const Json& record = records[0];
  EXPECT_EQ(record["request_id"], reply.Header("request-id"));
  EXPECT_EQ(record["method"], "POST");
  EXPECT_EQ(record["path"], "/v1/messages");
  EXPECT_EQ(record["headers"]["x-api-key"], "test-key");
  EXPECT_EQ(record["headers"]["anthropic-version"], "2023-06-01");
  EXPECT_EQ(record["body"], Body({"record me"}));
  EXPECT_EQ(record["status"], 200);
  EXPECT_EQ(record["scenario"], "none");
  EXPECT_EQ(record["stage"], 0);
  EXPECT_EQ(record["outcome"], "completed");
  EXPECT_GT(record["events_sent"].get<int>(), 5);
  EXPECT_TRUE(record["connection_id"].is_number_unsigned());
  EXPECT_TRUE(record["arrival"].is_string());
  EXPECT_TRUE(GetJson("/__fake/requests?since=" + record["id"].dump()).empty());

  HttpReply reset = HttpTestClient::Fetch(port_, "POST", "/__fake/reset");
  EXPECT_EQ(reset.status, 200);
  EXPECT_TRUE(GetJson("/__fake/requests").empty());
}

// The client goes away while the fake is still streaming: silent (stall) or between slow
// deltas, with FIN or RST. Either way the fake must see it at once and say so.
struct MidStreamCase {
  const char* directive;
  bool reset;
  friend void PrintTo(const MidStreamCase& c, std::ostream* os) {
    *os << c.directive << (c.reset ? " then RST" : " then FIN");
  }
};
class ClientClosesMidStream : public FakeClaudeServerTest,
                              public ::testing::WithParamInterface<MidStreamCase> {};

TEST_P(ClientClosesMidStream, IsRecordedAsClosedByPeerMidStream) {
  HttpTestClient client;
  ASSERT_TRUE(client.Connect(port_));
  ASSERT_TRUE(client.Send("POST", "/v1/messages", ApiHeaders(),
                          Body({std::string(GetParam().directive) + " a b c d e f"})));
  ASSERT_TRUE(client.ReadHeader());
  EXPECT_EQ(client.reply().status, 200);
  // Two text deltas in, then hang up.
  ASSERT_TRUE(client.ReadUntil([](const std::string& body) {
    size_t count = 0;
    for (size_t at = body.find("text_delta"); at != std::string::npos;
         at = body.find("text_delta", at + 1)) {
      ++count;
    }
    return count >= 2;
  }));
  const int local_port = client.local_port();
  const size_t from = fake_->LineCount();
  client.Close(GetParam().reset);

  WaitForLog(R"(connection closed conn=\d+ by=peer mid_stream=true)", from);
  WaitForLog(R"(response ended id=req_fake_\d+ conn=\d+ outcome=peer_closed)", from);
  Json connections = GetJson("/__fake/connections");
  const Json* mine = nullptr;
  for (const Json& connection : connections) {
    if (connection["peer"] == "127.0.0.1:" + std::to_string(local_port)) mine = &connection;
  }
  ASSERT_NE(mine, nullptr) << connections.dump();
  EXPECT_EQ((*mine)["closed_by"], "peer");
  EXPECT_EQ((*mine)["closed_by_peer_mid_stream"], true);
  EXPECT_TRUE((*mine)["closed"].is_string());
  EXPECT_EQ(GetJson("/__fake/requests")[0]["outcome"], "peer_closed");
}

INSTANTIATE_TEST_SUITE_P(Cases, ClientClosesMidStream,
                         ::testing::Values(MidStreamCase{"[fake:stall:3]", false},
                                           MidStreamCase{"[fake:slow:200][fake:long:50]", false},
                                           MidStreamCase{"[fake:stall:3]", true}),
                         [](const auto& info) {
                           return std::string(info.index == 1    ? "SlowFin"
                                              : info.param.reset ? "StallRst"
                                                                 : "StallFin");
                         });

TEST_F(FakeClaudeServerTest, UpstreamFailuresLookLikeTheRealThingToTheDecoder) {
  // drop: the body is cut, no message_stop; the fake is the side that closed.
  HttpReply drop = HttpTestClient::Fetch(port_, "POST", "/v1/messages", ApiHeaders(),
                                         Body({"[fake:drop] a b c"}));
  EXPECT_EQ(drop.status, 200);
  EXPECT_TRUE(drop.error) << "a cut chunked body must be a read error";
  Parsed dropped = Parse(drop.body);
  EXPECT_EQ(dropped.text, "Claude echo:");
  EXPECT_EQ(dropped.decode_status.code(), absl::StatusCode::kUnavailable);
  WaitForLog(R"(connection closed conn=\d+ by=server mid_stream=true)");

  // clean_end_without_stop: a complete HTTP body that is an incomplete stream.
  HttpReply clean = HttpTestClient::Fetch(port_, "POST", "/v1/messages", ApiHeaders(),
                                          Body({"[fake:clean_end_without_stop:1] a"}));
  EXPECT_FALSE(clean.error) << clean.error.message();
  EXPECT_EQ(Parse(clean.body).decode_status.code(), absl::StatusCode::kUnavailable);

  // midstream_error: an `error` event carrying overloaded_error.
  HttpReply midstream = HttpTestClient::Fetch(port_, "POST", "/v1/messages", ApiHeaders(),
                                              Body({"[fake:midstream_error] a b"}));
  Parsed errored = Parse(midstream.body);
  ASSERT_FALSE(errored.events.empty());
  EXPECT_EQ(errored.events.back().event, "error");
  EXPECT_EQ(errored.decode_status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(errored.decode_status.message().find("overloaded_error"), std::string::npos);

  HttpReply no_retry = HttpTestClient::Fetch(port_, "POST", "/v1/messages", ApiHeaders(),
                                             Body({"[fake:should_retry_false]"}));
  EXPECT_EQ(no_retry.status, 503);
  EXPECT_EQ(no_retry.Header("x-should-retry"), "false");
}

TEST_F(FakeClaudeServerTest, ShapeModifiersKeepTheTextIntact) {
  for (const std::string directive : {"[fake:tiny_writes]", "[fake:thinking][fake:tool_use]",
                                      "[fake:ping_heavy][fake:long:20]"}) {
    const std::string content = directive + " héllo, wörld";
    HttpReply reply =
        HttpTestClient::Fetch(port_, "POST", "/v1/messages", ApiHeaders(), Body({content}));
    ASSERT_EQ(reply.status, 200) << directive;
    Parsed parsed = Parse(reply.body);
    EXPECT_TRUE(parsed.decode_status.ok()) << directive << ": " << parsed.decode_status;
    std::string expected = "Claude echo: " + content;
    if (directive.find("long:20") != std::string::npos) {
      for (int i = 1; i <= 20; ++i) expected += " w" + std::to_string(i);
    }
    EXPECT_EQ(parsed.text, expected) << directive;
  }
}

TEST_F(FakeClaudeServerTest, SigtermClosesOpenStreamsAndExitsZero) {
  HttpTestClient client;
  ASSERT_TRUE(client.Connect(port_));
  ASSERT_TRUE(client.Send("POST", "/v1/messages", ApiHeaders(), Body({"[fake:stall] x"})));
  ASSERT_TRUE(client.ReadHeader());
  WaitForLog("outcome=stalled");
  fake_->Signal(SIGTERM);
  auto status = fake_->WaitForExit(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  WaitForLog(R"(connection closed conn=\d+ by=server mid_stream=true)");
  EXPECT_FALSE(client.ReadToEnd(5s));  // the stream was cut, not finished
}

}  // namespace
}  // namespace streamgate::fake_claude
