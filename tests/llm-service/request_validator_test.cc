// ValidateRequest rule by rule: each case a request and the exact message it earns, so a
// change of rule or wording shows here first.
#include "llm-service/request_validator.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace streamgate::llm {
namespace {

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

constexpr auto kUser = v1::ROLE_USER;
constexpr auto kAssistant = v1::ROLE_ASSISTANT;

struct Case {
  const char* name;
  v1::StreamChatRequest request;
  std::string message;  // "" when the request is valid
};

std::vector<Case> Cases() {
  std::vector<Case> cases;
  auto with = [](auto change) {
    v1::StreamChatRequest request = Hello();
    change(request);
    return request;
  };
  cases.push_back({"one user message", Hello(), ""});
  cases.push_back({"three alternating turns",
                   Conversation({{kUser, "a"}, {kAssistant, "b"}, {kUser, "c"}}), ""});
  cases.push_back({"no messages", Conversation({}), "messages: at least one message is required"});
  cases.push_back({"starts with assistant", Conversation({{kAssistant, "a"}, {kUser, "b"}}),
                   "messages[0].role: the first message must be ROLE_USER"});
  cases.push_back({"two users in a row", Conversation({{kUser, "a"}, {kUser, "b"}}),
                   "messages[1].role: roles must alternate ROLE_USER/ROLE_ASSISTANT"});
  cases.push_back({"two assistants in a row",
                   Conversation({{kUser, "a"}, {kAssistant, "b"}, {kAssistant, "c"}}),
                   "messages[2].role: roles must alternate ROLE_USER/ROLE_ASSISTANT"});
  cases.push_back({"ends with assistant (no prefill)",
                   Conversation({{kUser, "a"}, {kAssistant, "b"}}),
                   "messages[1].role: the last message must be ROLE_USER"});
  cases.push_back({"unspecified role", Conversation({{v1::ROLE_UNSPECIFIED, "a"}}),
                   "messages[0].role: must be ROLE_USER or ROLE_ASSISTANT"});
  cases.push_back({"unknown role number", Conversation({{static_cast<v1::Role>(7), "a"}}),
                   "messages[0].role: must be ROLE_USER or ROLE_ASSISTANT"});
  cases.push_back({"empty content", Conversation({{kUser, ""}}),
                   "messages[0].content: must not be empty or only whitespace"});
  cases.push_back({"ASCII blank content later",
                   Conversation({{kUser, "a"}, {kAssistant, " \t\r\n\f\v"}, {kUser, "c"}}),
                   "messages[1].content: must not be empty or only whitespace"});
  cases.push_back({"Unicode blank content (NBSP, ideographic space, U+2028)",
                   Conversation({{kUser, "\xC2\xA0\xE3\x80\x80\xE2\x80\xA8"}}),
                   "messages[0].content: must not be empty or only whitespace"});
  cases.push_back(
      {"zero-width space is not White_Space", Conversation({{kUser, "\xE2\x80\x8B"}}), ""});
  cases.push_back({"invalid UTF-8 content", Conversation({{kUser, "ok \xFF"}}),
                   "messages[0].content: not valid UTF-8"});
  cases.push_back({"overlong encoding", Conversation({{kUser, "\xC0\xAF"}}),
                   "messages[0].content: not valid UTF-8"});
  cases.push_back({"surrogate code point", Conversation({{kUser, "\xED\xA0\x80"}}),
                   "messages[0].content: not valid UTF-8"});
  cases.push_back({"above U+10FFFF", Conversation({{kUser, "\xF4\x90\x80\x80"}}),
                   "messages[0].content: not valid UTF-8"});
  cases.push_back({"truncated sequence", Conversation({{kUser, "caf\xC3"}}),
                   "messages[0].content: not valid UTF-8"});
  cases.push_back({"four-byte emoji", Conversation({{kUser, "\xF0\x9F\x98\x80"}}), ""});
  cases.push_back({"system set", with([](auto& r) { r.set_system("Be brief."); }), ""});
  cases.push_back({"system empty means none", with([](auto& r) { r.set_system(""); }), ""});
  cases.push_back({"system blank", with([](auto& r) { r.set_system(" \n"); }),
                   "system: must not be only whitespace (leave it unset for none)"});
  cases.push_back(
      {"system not UTF-8", with([](auto& r) { r.set_system("\x80"); }), "system: not valid UTF-8"});
  cases.push_back({"model alias", with([](auto& r) { r.set_model("claude-sonnet-4-5"); }), ""});
  cases.push_back({"model empty means the default", with([](auto& r) { r.set_model(""); }), ""});
  cases.push_back({"Bedrock model id",
                   with([](auto& r) { r.set_model("anthropic.claude-3-5-sonnet-20241022-v2:0"); }),
                   ""});
  cases.push_back(
      {"Vertex model id", with([](auto& r) { r.set_model("claude-3-5-sonnet-v2@20241022"); }), ""});
  cases.push_back(
      {"model 256 bytes", with([](auto& r) { r.set_model(std::string(256, 'm')); }), ""});
  const std::string model_rule = "model: at most 256 bytes of letters, digits and . _ : @ / -";
  cases.push_back(
      {"model 257 bytes", with([](auto& r) { r.set_model(std::string(257, 'm')); }), model_rule});
  cases.push_back(
      {"model with a space", with([](auto& r) { r.set_model("claude sonnet"); }), model_rule});
  cases.push_back({"model with a newline", with([](auto& r) { r.set_model("m\n"); }), model_rule});
  cases.push_back({"max_tokens 1", with([](auto& r) { r.set_max_tokens(1); }), ""});
  cases.push_back({"max_tokens 0", with([](auto& r) { r.set_max_tokens(0); }),
                   "max_tokens: must be at least 1 when set"});
  for (float ok : {0.0f, 0.5f, 1.0f}) {
    cases.push_back({"temperature in range", with([ok](auto& r) { r.set_temperature(ok); }), ""});
  }
  for (float bad : {-0.01f, 1.01f, 5.0f, std::numeric_limits<float>::quiet_NaN(),
                    std::numeric_limits<float>::infinity()}) {
    cases.push_back({"temperature out of range", with([bad](auto& r) { r.set_temperature(bad); }),
                     "temperature: must be within [0, 1]"});
  }
  const std::string id_rule = "must be at most 128 bytes of printable ASCII without spaces";
  cases.push_back({"ids empty", with([](auto& r) {
                     r.clear_session_id();
                     r.clear_request_id();
                   }),
                   ""});
  cases.push_back(
      {"session_id 128 bytes", with([](auto& r) { r.set_session_id(std::string(128, 'a')); }), ""});
  cases.push_back({"session_id 129 bytes",
                   with([](auto& r) { r.set_session_id(std::string(129, 'a')); }),
                   "session_id: " + id_rule});
  cases.push_back({"request_id forging a log line",
                   with([](auto& r) { r.set_request_id("r\n2026-01-01 info forged"); }),
                   "request_id: " + id_rule});
  cases.push_back({"request_id with a space", with([](auto& r) { r.set_request_id("a b"); }),
                   "request_id: " + id_rule});
  cases.push_back({"request_id DEL", with([](auto& r) { r.set_request_id("a\x7f"); }),
                   "request_id: " + id_rule});
  return cases;
}

TEST(RequestValidator, EachRuleHasItsOwnMessageNamingTheField) {
  for (const Case& c : Cases()) {
    absl::Status status = ValidateRequest(c.request);
    if (c.message.empty()) {
      EXPECT_TRUE(status.ok()) << c.name << ": " << status;
    } else {
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name;
      EXPECT_EQ(status.message(), c.message) << c.name;
    }
  }
}

TEST(RequestValidator, MessagesNeverQuoteContentOrIds) {
  auto request = Conversation({{kUser, "private words"}, {kUser, "more private"}});
  request.set_request_id("secret-looking id");
  for (int fix = 0; fix < 2; ++fix) {
    absl::Status status = ValidateRequest(request);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.message().find("private"), absl::string_view::npos) << status;
    EXPECT_EQ(status.message().find("secret"), absl::string_view::npos) << status;
    request.set_request_id("r1");
  }
}

TEST(RequestValidator, AtMostOneHundredThousandMessages) {
  v1::StreamChatRequest request;
  for (int i = 0; i < kMaxMessages + 1; ++i) {
    auto* message = request.add_messages();
    message->set_role(i % 2 == 0 ? kUser : kAssistant);
    message->set_content("x");
  }
  EXPECT_EQ(ValidateRequest(request).message(), "messages: at most 100000 messages");
  // An even count ends with the assistant, so the longest valid conversation has 99,999.
  request.mutable_messages()->RemoveLast();
  request.mutable_messages()->RemoveLast();
  EXPECT_TRUE(ValidateRequest(request).ok()) << ValidateRequest(request);
}

TEST(RequestValidator, Utf8CheckerAgreesWithTheStandardTable) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xC2\x80"));          // U+0080, smallest two-byte
  EXPECT_TRUE(IsValidUtf8("\xEF\xBF\xBF"));      // U+FFFF
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF, largest
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xC1\xBF"));          // overlong two-byte
  EXPECT_FALSE(IsValidUtf8("\xE0\x9F\xBF"));      // overlong three-byte
  EXPECT_FALSE(IsValidUtf8("\xF0\x8F\xBF\xBF"));  // overlong four-byte
  EXPECT_FALSE(IsValidUtf8("\xED\xBF\xBF"));      // U+DFFF, a surrogate
  EXPECT_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));  // lead byte beyond U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));          // cut short
  EXPECT_FALSE(IsValidUtf8("\xE2\x28\xA1"));      // bad continuation
}

}  // namespace
}  // namespace streamgate::llm
