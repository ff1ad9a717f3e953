#include "llm-service/claude/claude_request_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace streamgate::llm {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

ClaudeRequestBuilder MakeBuilder() {
  auto builder =
      ClaudeRequestBuilder::Create({.default_model = "claude-default", .default_max_tokens = 1024});
  EXPECT_TRUE(builder.ok()) << builder.status();
  return *std::move(builder);
}

v1::StreamChatRequest Conversation(std::vector<std::pair<v1::Role, std::string>> turns) {
  v1::StreamChatRequest request;
  request.set_session_id("s1");
  request.set_request_id("r1");
  for (auto& [role, content] : turns) {
    auto* message = request.add_messages();
    message->set_role(role);
    message->set_content(content);
  }
  return request;
}

v1::StreamChatRequest Hello() { return Conversation({{v1::ROLE_USER, "Hello"}}); }

struct BodyCase {
  const char* name;
  v1::StreamChatRequest request;
  const char* expected_json;
};

std::vector<BodyCase> BodyCases() {
  std::vector<BodyCase> cases;
  cases.push_back({"defaults", Hello(),
                   R"({"model":"claude-default","max_tokens":1024,
                       "messages":[{"role":"user","content":"Hello"}],"stream":true})"});
  {
    auto request = Hello();
    request.set_model("claude-other");
    request.set_max_tokens(50);
    cases.push_back({"overrides", request,
                     R"({"model":"claude-other","max_tokens":50,
                         "messages":[{"role":"user","content":"Hello"}],"stream":true})"});
  }
  {
    auto request = Hello();
    request.set_model("");  // present but empty means the default
    cases.push_back({"empty_model", request,
                     R"({"model":"claude-default","max_tokens":1024,
                         "messages":[{"role":"user","content":"Hello"}],"stream":true})"});
  }
  {
    auto request = Hello();
    request.set_system("Be brief.");
    cases.push_back({"system", request,
                     R"({"model":"claude-default","max_tokens":1024,"system":"Be brief.",
                         "messages":[{"role":"user","content":"Hello"}],"stream":true})"});
  }
  {
    auto request = Hello();
    request.set_system("");
    cases.push_back({"empty_system_omitted", request,
                     R"({"model":"claude-default","max_tokens":1024,
                         "messages":[{"role":"user","content":"Hello"}],"stream":true})"});
  }
  {
    auto request = Hello();
    request.set_temperature(0.7f);
    cases.push_back({"temperature", request,
                     R"({"model":"claude-default","max_tokens":1024,
                         "messages":[{"role":"user","content":"Hello"}],"temperature":0.7,
                         "stream":true})"});
  }
  {
    auto request = Hello();
    request.set_temperature(0.0f);  // set to zero is still set
    cases.push_back({"temperature_zero", request,
                     R"({"model":"claude-default","max_tokens":1024,
                         "messages":[{"role":"user","content":"Hello"}],"temperature":0.0,
                         "stream":true})"});
  }
  cases.push_back(
      {"multi_turn",
       Conversation(
           {{v1::ROLE_USER, "Hi"}, {v1::ROLE_ASSISTANT, "Hello!"}, {v1::ROLE_USER, "2+2?"}}),
       R"({"model":"claude-default","max_tokens":1024,
           "messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"},
                       {"role":"user","content":"2+2?"}],"stream":true})"});
  cases.push_back({"escaping_and_unicode",
                   Conversation({{v1::ROLE_USER, "say \"hi\"\n\tcafé 日本 \\ </script>"}}),
                   R"({"model":"claude-default","max_tokens":1024,"stream":true,
                       "messages":[{"role":"user",
                                    "content":"say \"hi\"\n\tcafé 日本 \\ </script>"}]})"});
  return cases;
}

TEST(ClaudeRequestBuilder, BuildsBodies) {
  const ClaudeRequestBuilder builder = MakeBuilder();
  for (const BodyCase& test_case : BodyCases()) {
    auto body = builder.BuildBody(test_case.request);
    ASSERT_TRUE(body.ok()) << test_case.name << ": " << body.status();
    json parsed = json::parse(*body, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << test_case.name << ": " << *body;
    EXPECT_EQ(parsed, json::parse(test_case.expected_json)) << test_case.name << ": " << *body;
  }
}

TEST(ClaudeRequestBuilder, TemperatureIsAbsentUnlessSet) {
  auto body = MakeBuilder().BuildBody(Hello());
  ASSERT_TRUE(body.ok());
  EXPECT_FALSE(json::parse(*body).contains("temperature"));
  EXPECT_FALSE(json::parse(*body).contains("system"));
}

TEST(ClaudeRequestBuilder, TemperatureKeepsTheDecimalTheCallerWrote) {
  auto request = Hello();
  request.set_temperature(0.3f);
  auto body = MakeBuilder().BuildBody(request);
  ASSERT_TRUE(body.ok());
  EXPECT_THAT(*body, HasSubstr(R"("temperature":0.3,)"));
}

TEST(ClaudeRequestBuilder, BodyListsModelFirstAndStreamLast) {
  auto body = MakeBuilder().BuildBody(Hello());
  ASSERT_TRUE(body.ok());
  EXPECT_THAT(*body, StartsWith(R"({"model":"claude-default",)"));
  EXPECT_THAT(*body, testing::EndsWith(R"("stream":true})"));
}

TEST(ClaudeRequestBuilder, InvalidUtf8IsReplacedNotThrown) {
  auto body = MakeBuilder().BuildBody(Conversation({{v1::ROLE_USER, "bad \xFF byte"}}));
  ASSERT_TRUE(body.ok());
  json parsed = json::parse(*body, nullptr, false);
  ASSERT_FALSE(parsed.is_discarded());
  EXPECT_EQ(parsed["messages"][0]["content"], "bad \xEF\xBF\xBD byte");  // U+FFFD
}

TEST(ClaudeRequestBuilder, CreateRejectsBadOptions) {
  EXPECT_EQ(ClaudeRequestBuilder::Create({.default_model = ""}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ClaudeRequestBuilder::Create({.default_model = "m", .default_max_tokens = 0}).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ClaudeRequestBuilder::Create({.default_model = "m", .anthropic_version = "a\r\nb"})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ClaudeRequestBuilder::Create({.default_model = "m", .anthropic_version = ""}).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(ClaudeRequestBuilder, BuildsHeaders) {
  auto headers = MakeBuilder().BuildHeaders("sk-ant-test-key");
  ASSERT_TRUE(headers.ok());
  EXPECT_THAT(*headers, ElementsAre("x-api-key: sk-ant-test-key", "anthropic-version: 2023-06-01",
                                    "content-type: application/json", "accept: text/event-stream"));
}

TEST(ClaudeRequestBuilder, AnthropicVersionIsConfigurable) {
  auto builder =
      ClaudeRequestBuilder::Create({.default_model = "m", .anthropic_version = "2099-01-01"});
  ASSERT_TRUE(builder.ok());
  auto headers = builder->BuildHeaders("k");
  ASSERT_TRUE(headers.ok());
  EXPECT_EQ((*headers)[1], "anthropic-version: 2099-01-01");
}

TEST(ClaudeRequestBuilder, ApiKeyGoesOnlyIntoItsHeader) {
  const ClaudeRequestBuilder builder = MakeBuilder();
  auto body = builder.BuildBody(Hello());
  ASSERT_TRUE(body.ok());
  auto headers = builder.BuildHeaders("sk-ant-unique-marker");
  ASSERT_TRUE(headers.ok());
  EXPECT_THAT(*body, Not(HasSubstr("sk-ant-unique-marker")));
  int holders = 0;
  for (const std::string& header : *headers) {
    if (header.find("sk-ant-unique-marker") != std::string::npos) ++holders;
  }
  EXPECT_EQ(holders, 1);
}

TEST(ClaudeRequestBuilder, RejectsHeaderInjectionWithoutQuotingTheKey) {
  const ClaudeRequestBuilder builder = MakeBuilder();
  for (const char* key : {"", "sk-secret\r\nx-evil: 1", "sk-secret with space", "sk-secret\n"}) {
    auto headers = builder.BuildHeaders(key);
    EXPECT_EQ(headers.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(headers.status().message(), Not(HasSubstr("sk-secret")));
  }
}

}  // namespace
}  // namespace streamgate::llm
