#include "gateway/client_protocol.h"

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

using Json = nlohmann::json;
constexpr std::string_view kSession = "3f2b6c1e-8d4a-4e0b-9c7d-2a1b3c4d5e6f";

struct BadInput {
  std::string frame;
  ClientError expected;
};

class ClientProtocolRejects : public ::testing::TestWithParam<BadInput> {};

TEST_P(ClientProtocolRejects, WithTheRightCode) {
  ParseResult result = ParseClientMessage(GetParam().frame, kSession);
  EXPECT_FALSE(result.message.has_value());
  EXPECT_EQ(ErrorCodeName(result.error), ErrorCodeName(GetParam().expected));
  EXPECT_FALSE(result.detail.empty());
}

INSTANTIATE_TEST_SUITE_P(
    BadFrames, ClientProtocolRejects,
    ::testing::Values(
        BadInput{"", ClientError::kInvalidJson}, BadInput{"{", ClientError::kInvalidJson},
        BadInput{"not json", ClientError::kInvalidJson},
        BadInput{"{\"type\":\"user_message\",\"content\":\"\xFF\"}", ClientError::kInvalidJson},
        BadInput{"[]", ClientError::kInvalidMessage}, BadInput{"42", ClientError::kInvalidMessage},
        BadInput{"\"user_message\"", ClientError::kInvalidMessage},
        BadInput{"null", ClientError::kInvalidMessage}, BadInput{"{}", ClientError::kUnknownType},
        BadInput{R"({"type":7,"content":"x"})", ClientError::kUnknownType},
        BadInput{R"({"type":"shout","content":"x"})", ClientError::kUnknownType},
        BadInput{R"({"type":"user_message"})", ClientError::kInvalidContent},
        BadInput{R"({"type":"user_message","content":""})", ClientError::kInvalidContent},
        BadInput{R"({"type":"user_message","content":"  \n\t "})", ClientError::kInvalidContent},
        BadInput{R"({"type":"user_message","content":42})", ClientError::kInvalidContent},
        BadInput{R"({"type":"user_message","content":["x"]})", ClientError::kInvalidContent},
        BadInput{R"({"type":"user_message","content":null})", ClientError::kInvalidContent},
        BadInput{R"({"type":"user_message","content":"x","sessionId":"other"})",
                 ClientError::kSessionMismatch},
        BadInput{R"({"type":"user_message","content":"x","sessionId":5})",
                 ClientError::kInvalidMessage},
        BadInput{R"({"type":"cancel","sessionId":"other"})", ClientError::kSessionMismatch},
        BadInput{R"({"type":"authenticate"})", ClientError::kInvalidMessage},
        BadInput{R"({"type":"authenticate","token":""})", ClientError::kInvalidMessage},
        BadInput{R"({"type":"authenticate","token":7})", ClientError::kInvalidMessage},
        BadInput{R"({"type":"authenticate","token":")" + std::string(8 * 1024 + 1, 'a') + "\"}",
                 ClientError::kInvalidMessage}));

TEST(ClientProtocol, AcceptsAuthenticateWithItsToken) {
  auto parsed = ParseClientMessage(R"({"type":"authenticate","token":"a.b.c"})", kSession);
  ASSERT_TRUE(parsed.message.has_value());
  EXPECT_EQ(parsed.message->type, ClientMessage::Type::kAuthenticate);
  EXPECT_EQ(parsed.message->content, "a.b.c");
}

TEST(ClientProtocol, EncodesALimitErrorWithTheLimitAndRetryAfter) {
  Json frame = Json::parse(EncodeLimitError(kSession, 9, "messages_per_minute", 1500));
  EXPECT_EQ(frame["type"], "error");
  EXPECT_EQ(frame["code"], "rate_limited");
  EXPECT_EQ(frame["limit"], "messages_per_minute");
  EXPECT_EQ(frame["retryAfterMs"], 1500);
  EXPECT_EQ(frame["seq"], 9);
  EXPECT_EQ(frame["sessionId"], kSession);
  EXPECT_FALSE(frame["error"].get<std::string>().empty());
}

TEST(ClientProtocol, EncodesTokenExpiredAndAuthenticated) {
  Json expired = Json::parse(EncodeError(kSession, 3, ClientError::kTokenExpired));
  EXPECT_EQ(expired["code"], "token_expired");
  Json renewed = Json::parse(EncodeAuthenticated(kSession, 4, 60000));
  EXPECT_EQ(renewed["type"], "authenticated");
  EXPECT_EQ(renewed["expiresInMs"], 60000);
  EXPECT_EQ(renewed["seq"], 4);
}

TEST(ClientProtocol, AcceptsUserMessageWithOwnOrMissingSessionId) {
  auto with_id = ParseClientMessage(R"({"type":"user_message","content":"hi there","sessionId":")" +
                                        std::string(kSession) + R"("})",
                                    kSession);
  ASSERT_TRUE(with_id.message.has_value());
  EXPECT_EQ(with_id.message->type, ClientMessage::Type::kUserMessage);
  EXPECT_EQ(with_id.message->content, "hi there");

  auto without_id = ParseClientMessage(R"({"type":"user_message","content":" x "})", kSession);
  ASSERT_TRUE(without_id.message.has_value());
  EXPECT_EQ(without_id.message->content, " x ");  // content is passed on exactly
}

TEST(ClientProtocol, AcceptsCancel) {
  auto result = ParseClientMessage(R"({"type":"cancel"})", kSession);
  ASSERT_TRUE(result.message.has_value());
  EXPECT_EQ(result.message->type, ClientMessage::Type::kCancel);
}

TEST(ClientProtocol, IgnoresUnknownExtraFields) {
  auto result =
      ParseClientMessage(R"({"type":"user_message","content":"x","extra":{"a":[1]}})", kSession);
  EXPECT_TRUE(result.message.has_value());
}

TEST(ClientProtocol, UnknownTypeDetailDoesNotEchoClientText) {
  auto result = ParseClientMessage(R"({"type":"<script>secret</script>"})", kSession);
  EXPECT_EQ(result.detail.find("secret"), std::string::npos);
}

Json Parse(const std::string& frame) {
  Json json = Json::parse(frame, nullptr, false);
  EXPECT_FALSE(json.is_discarded()) << frame;
  return json;
}

TEST(ClientProtocol, EncodesEveryServerFrameAsJsonWithSessionAndSeq) {
  Usage usage{.input_tokens = 12, .output_tokens = 34};
  std::vector<std::pair<std::string, std::string>> frames = {
      {"connection_established", EncodeConnectionEstablished(kSession, 1)},
      {"stream_start", EncodeStreamStart(kSession, 2, "req-1")},
      {"stream_chunk", EncodeStreamChunk(kSession, 3, "a \"quoted\"\nline")},
      {"stream_end", EncodeStreamEnd(kSession, 4, "req-1", "end_turn", usage)},
      {"stream_end", EncodeStreamCancelled(kSession, 5, "req-1")},
      {"error", EncodeError(kSession, 6, ClientError::kBusy)},
  };
  uint64_t seq = 1;
  for (const auto& [type, frame] : frames) {
    Json json = Parse(frame);
    EXPECT_EQ(json["type"], type);
    EXPECT_EQ(json["sessionId"], kSession);
    EXPECT_EQ(json["seq"], seq++);
  }
  EXPECT_EQ(Parse(frames[2].second)["content"], "a \"quoted\"\nline");
  Json end = Parse(frames[3].second);
  EXPECT_EQ(end["requestId"], "req-1");
  EXPECT_EQ(end["stopReason"], "end_turn");
  EXPECT_EQ(end["usage"]["inputTokens"], 12);
  EXPECT_EQ(end["usage"]["outputTokens"], 34);
  EXPECT_FALSE(end.contains("cancelled"));
  Json cancelled = Parse(frames[4].second);
  EXPECT_EQ(cancelled["cancelled"], true);
  EXPECT_EQ(cancelled["stopReason"], "cancelled");
  Json error = Parse(frames[5].second);
  EXPECT_EQ(error["code"], "busy");
  EXPECT_FALSE(error["error"].get<std::string>().empty());
}

TEST(ClientProtocol, EveryErrorHasADistinctCodeAndText) {
  std::set<std::string_view> codes;
  for (int e = 0; e <= static_cast<int>(ClientError::kUnauthenticated); ++e) {
    auto error = static_cast<ClientError>(e);
    EXPECT_TRUE(codes.insert(ErrorCodeName(error)).second) << ErrorCodeName(error);
    EXPECT_FALSE(ErrorText(error).empty());
  }
}

TEST(ClientProtocol, StatusMappingIsGenericAndStable) {
  struct Case {
    grpc::StatusCode code;
    ClientError expected;
  };
  for (auto [code, expected] : std::vector<Case>{
           {grpc::StatusCode::UNAVAILABLE, ClientError::kUpstreamUnavailable},
           {grpc::StatusCode::RESOURCE_EXHAUSTED, ClientError::kRateLimited},
           {grpc::StatusCode::DEADLINE_EXCEEDED, ClientError::kTimeout},
           {grpc::StatusCode::INVALID_ARGUMENT, ClientError::kUpstreamError},
           {grpc::StatusCode::UNAUTHENTICATED, ClientError::kUpstreamError},
           {grpc::StatusCode::INTERNAL, ClientError::kUpstreamError},
       }) {
    grpc::Status status(code, "secret upstream detail sk-ant-123");
    ClientError error = ClientErrorForStatus(status);
    EXPECT_EQ(ErrorCodeName(error), ErrorCodeName(expected)) << static_cast<int>(code);
    EXPECT_EQ(std::string(ErrorText(error)).find("sk-ant"), std::string::npos);
  }
}

}  // namespace
}  // namespace streamgate::gateway
