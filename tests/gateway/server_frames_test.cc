#include "gateway/server_frames.h"

#include <nlohmann/json.hpp>

#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

using Json = nlohmann::json;
constexpr std::string_view kSession = "3f2b6c1e-8d4a-4e0b-9c7d-2a1b3c4d5e6f";
const ClientLimits kLimits{
    .max_message_bytes = 262144, .max_active_replies = 4, .max_conversations = 32};
const ServiceStatus kMock{.state = ServiceState::kReady, .provider = "mock", .model = "mock"};

Json Parse(const std::string& frame) {
  Json json = Json::parse(frame, nullptr, false);
  EXPECT_FALSE(json.is_discarded()) << frame;
  return json;
}

TEST(ServerFrames, EveryFrameIsJsonWithSessionAndSeq) {
  Usage usage{.input_tokens = 12, .output_tokens = 34};
  std::vector<std::pair<std::string, std::string>> frames = {
      {"connection_established", EncodeConnectionEstablished(kSession, 1, "tok", kLimits, kMock)},
      {"stream_start", EncodeStreamStart(kSession, 2, "c1", "req-1")},
      {"stream_chunk", EncodeStreamChunk(kSession, 3, "c1", "a \"quoted\"\nline")},
      {"stream_end", EncodeStreamEnd(kSession, 4, "c1", "req-1", "end_turn", usage)},
      {"stream_end", EncodeStreamCancelled(kSession, 5, "c1", "req-1")},
      {"error", EncodeError(kSession, 6, ClientError::kBusy)},
      {"error", EncodeConversationError(kSession, 7, "c1", "req-1", ClientError::kInterrupted)},
      {"error", EncodeLimitError(kSession, 8, "c1", "messages_per_minute", 1500)},
      {"authenticated", EncodeAuthenticated(kSession, 9, 60000)},
      {"error", EncodeResumeFailed(kSession, 10, ResumeFailure::kGap, 42)},
      {"session_resumed", EncodeSessionResumed(kSession, 11, 3, "next")},
      {"going_away", EncodeGoingAway(kSession, 12, 1500)},
      {"history", EncodeHistory(kSession, 13, "c1", {})},
      {"conversations", EncodeConversations(kSession, 14, {})},
      {"conversation_deleted", EncodeConversationDeleted(kSession, 15, "c1")},
      {"status", EncodeStatus(kSession, 16, kMock)},
  };
  uint64_t seq = 1;
  for (const auto& [type, frame] : frames) {
    Json json = Parse(frame);
    EXPECT_EQ(json["type"], type) << frame;
    EXPECT_EQ(json["sessionId"], kSession) << frame;
    EXPECT_EQ(json["seq"], seq++) << frame;
  }
}

TEST(ServerFrames, ReplyFramesCarryTheirConversation) {
  Json start = Parse(EncodeStreamStart(kSession, 2, "trip", "req-1"));
  EXPECT_EQ(start["conversationId"], "trip");
  EXPECT_EQ(start["requestId"], "req-1");
  Json chunk = Parse(EncodeStreamChunk(kSession, 3, "trip", "a \"quoted\"\nline\x01"));
  EXPECT_EQ(chunk["conversationId"], "trip");
  EXPECT_EQ(chunk["content"], "a \"quoted\"\nline\x01");
  Json end = Parse(EncodeStreamEnd(kSession, 4, "trip", "req-1", "end_turn",
                                   Usage{.input_tokens = 12, .output_tokens = 34}));
  EXPECT_EQ(end["conversationId"], "trip");
  EXPECT_EQ(end["requestId"], "req-1");
  EXPECT_EQ(end["stopReason"], "end_turn");
  EXPECT_EQ(end["usage"]["inputTokens"], 12);
  EXPECT_EQ(end["usage"]["outputTokens"], 34);
  EXPECT_FALSE(end.contains("cancelled"));
  Json cancelled = Parse(EncodeStreamCancelled(kSession, 5, "trip", "req-1"));
  EXPECT_EQ(cancelled["cancelled"], true);
  EXPECT_EQ(cancelled["stopReason"], "cancelled");
  EXPECT_EQ(cancelled["conversationId"], "trip");
  Json interrupted =
      Parse(EncodeConversationError(kSession, 6, "trip", "req-1", ClientError::kInterrupted));
  EXPECT_EQ(interrupted["code"], "interrupted");
  EXPECT_EQ(interrupted["conversationId"], "trip");
  EXPECT_FALSE(interrupted["error"].get<std::string>().empty());
}

TEST(ServerFrames, AReplysTraceIdIsInItsStartAndEndOnlyWhenItHasOne) {
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  EXPECT_EQ(Parse(EncodeStreamStart(kSession, 2, "c", "r", trace))["traceId"], trace);
  EXPECT_EQ(Parse(EncodeStreamEnd(kSession, 3, "c", "r", "end_turn", Usage{}, trace))["traceId"],
            trace);
  EXPECT_EQ(Parse(EncodeStreamCancelled(kSession, 4, "c", "r", trace))["traceId"], trace);
  EXPECT_FALSE(Parse(EncodeStreamStart(kSession, 2, "c", "r")).contains("traceId"));
  EXPECT_FALSE(
      Parse(EncodeStreamEnd(kSession, 3, "c", "r", "end_turn", Usage{})).contains("traceId"));
}

TEST(ServerFrames, LimitErrorNamesTheLimitAndRetryAfter) {
  Json frame = Parse(EncodeLimitError(kSession, 9, "default", "messages_per_minute", 1500));
  EXPECT_EQ(frame["code"], "rate_limited");
  EXPECT_EQ(frame["limit"], "messages_per_minute");
  EXPECT_EQ(frame["retryAfterMs"], 1500);
  EXPECT_FALSE(frame["error"].get<std::string>().empty());
}

TEST(ServerFrames, TokenExpiredAndAuthenticated) {
  EXPECT_EQ(Parse(EncodeError(kSession, 3, ClientError::kTokenExpired))["code"], "token_expired");
  Json renewed = Parse(EncodeAuthenticated(kSession, 4, 60000));
  EXPECT_EQ(renewed["expiresInMs"], 60000);
}

TEST(ServerFrames, ResumeFramesCarryTheirFields) {
  Json established =
      Parse(EncodeConnectionEstablished(kSession, 1, "secret-token", kLimits, kMock));
  EXPECT_EQ(established["resumeToken"], "secret-token");
  for (auto [failure, name] : std::vector<std::pair<ResumeFailure, std::string>>{
           {ResumeFailure::kUnknownSession, "unknown_session"},
           {ResumeFailure::kBadToken, "bad_token"},
           {ResumeFailure::kExpired, "expired"},
           {ResumeFailure::kGap, "gap"},
           {ResumeFailure::kAhead, "ahead"}}) {
    Json failed = Parse(EncodeResumeFailed(kSession, 2, failure, 42));
    EXPECT_EQ(failed["code"], "resume_failed");
    EXPECT_EQ(failed["reason"], name);
    EXPECT_EQ(failed.contains("oldestSeq"), failure == ResumeFailure::kGap) << name;
  }
  EXPECT_EQ(Parse(EncodeResumeFailed(kSession, 2, ResumeFailure::kGap, 42))["oldestSeq"], 42);
  Json resumed = Parse(EncodeSessionResumed(kSession, 20, 7, "t2"));
  EXPECT_EQ(resumed["replayed"], 7);
  EXPECT_EQ(resumed["resumeToken"], "t2");
  EXPECT_EQ(Parse(EncodeGoingAway(kSession, 3, 1234))["retryAfterMs"], 1234);
}

// What the page reads before it sends (message_limits.js, service_status.js): byte-exact,
// since the page and older clients parse these names.
TEST(ServerFrames, ConnectionEstablishedTellsTheLimitsAndTheService) {
  EXPECT_EQ(EncodeConnectionEstablished(kSession, 1, "tok", kLimits, kMock),
            "{\"type\":\"connection_established\",\"sessionId\":\"3f2b6c1e-8d4a-4e0b-9c7d-"
            "2a1b3c4d5e6f\",\"seq\":1,\"resumeToken\":\"tok\",\"limits\":{\"maxMessageBytes\":"
            "262144,\"maxActiveReplies\":4,\"maxConversations\":32},\"service\":{\"state\":"
            "\"ready\",\"provider\":\"mock\",\"model\":\"mock\"},\"content\":\"Connected to "
            "server\"}");
  // Not known yet: empty names, never absent fields.
  Json unknown = Parse(EncodeConnectionEstablished(kSession, 1, "tok", kLimits, ServiceStatus{}));
  EXPECT_EQ(unknown["service"], Json::parse(R"({"state":"unavailable","provider":"","model":""})"));
}

TEST(ServerFrames, StatusNamesEveryStateAndEscapesTheNames) {
  EXPECT_EQ(
      EncodeStatus(
          kSession, 7,
          {.state = ServiceState::kReady, .provider = "claude", .model = "claude-sonnet-4-5"}),
      "{\"type\":\"status\",\"sessionId\":\"3f2b6c1e-8d4a-4e0b-9c7d-2a1b3c4d5e6f\","
      "\"seq\":7,\"service\":{\"state\":\"ready\",\"provider\":\"claude\",\"model\":"
      "\"claude-sonnet-4-5\"}}");
  for (auto [state, name] : std::vector<std::pair<ServiceState, std::string>>{
           {ServiceState::kReady, "ready"},
           {ServiceState::kUnavailable, "unavailable"},
           {ServiceState::kDraining, "draining"}}) {
    EXPECT_EQ(Parse(EncodeStatus(kSession, 2, {.state = state}))["service"]["state"], name);
  }
  // A name comes from llm-service: it is JSON-escaped, never raw.
  Json odd = Parse(EncodeStatus(kSession, 3, {.provider = "a\"b", .model = "x\ny"}));
  EXPECT_EQ(odd["service"]["provider"], "a\"b");
  EXPECT_EQ(odd["service"]["model"], "x\ny");
}

TEST(ServerFrames, HistoryAndConversationList) {
  Json history = Parse(EncodeHistory(
      kSession, 5, "c1",
      {{.from_user = true, .content = "hi \"you\""}, {.from_user = false, .content = "hello\n"}}));
  EXPECT_EQ(history["conversationId"], "c1");
  ASSERT_EQ(history["messages"].size(), 2u);
  EXPECT_EQ(history["messages"][0]["role"], "user");
  EXPECT_EQ(history["messages"][0]["content"], "hi \"you\"");
  EXPECT_EQ(history["messages"][1]["role"], "assistant");
  EXPECT_EQ(history["messages"][1]["content"], "hello\n");
  Json list = Parse(EncodeConversations(
      kSession, 6,
      {{.conversation_id = "a", .exchanges = 2, .last_activity_ms = 1700000000000},
       {.conversation_id = "b", .exchanges = 0, .last_activity_ms = 5}}));
  ASSERT_EQ(list["conversations"].size(), 2u);
  EXPECT_EQ(list["conversations"][0]["conversationId"], "a");
  EXPECT_EQ(list["conversations"][0]["exchanges"], 2);
  EXPECT_EQ(list["conversations"][0]["lastActivity"], 1700000000000);
  EXPECT_EQ(list["conversations"][1]["conversationId"], "b");
  EXPECT_EQ(Parse(EncodeConversationDeleted(kSession, 7, "c9"))["conversationId"], "c9");
}

}  // namespace
}  // namespace streamgate::gateway
