#include "gateway/server_frames.h"

#include "absl/strings/str_cat.h"
#include "gateway/json_text.h"

namespace streamgate::gateway {
namespace {

// Starts a frame: {"type":"<type>","sessionId":"<id>","seq":<seq>
std::string Begin(std::string_view type, std::string_view session_id, uint64_t seq,
                  size_t extra_capacity) {
  std::string out;
  out.reserve(64 + type.size() + session_id.size() + extra_capacity);
  out.append("{\"type\":\"").append(type).append("\",\"sessionId\":");
  AppendJsonString(&out, session_id);
  absl::StrAppend(&out, ",\"seq\":", seq);
  return out;
}

void AppendField(std::string* out, std::string_view name, std::string_view value) {
  out->append(",\"").append(name).append("\":");
  AppendJsonString(out, value);
}

void AppendErrorFields(std::string* out, ClientError error) {
  AppendField(out, "error", ErrorText(error));
  AppendField(out, "code", ErrorCodeName(error));
}

void AppendService(std::string* out, const ServiceStatus& service) {
  out->append(",\"service\":{\"state\":\"").append(ServiceStateName(service.state)).append("\"");
  AppendField(out, "provider", service.provider);
  AppendField(out, "model", service.model);
  out->push_back('}');
}

}  // namespace

std::string EncodeConnectionEstablished(std::string_view session_id, uint64_t seq,
                                        std::string_view resume_token, const ClientLimits& limits,
                                        const ServiceStatus& service) {
  std::string out = Begin("connection_established", session_id, seq,
                          256 + service.provider.size() + service.model.size());
  AppendField(&out, "resumeToken", resume_token);
  absl::StrAppend(&out, ",\"limits\":{\"maxMessageBytes\":", limits.max_message_bytes,
                  ",\"maxActiveReplies\":", limits.max_active_replies,
                  ",\"maxConversations\":", limits.max_conversations, "}");
  AppendService(&out, service);
  out.append(",\"content\":\"Connected to server\"}");
  return out;
}

std::string EncodeStatus(std::string_view session_id, uint64_t seq, const ServiceStatus& service) {
  std::string out =
      Begin("status", session_id, seq, 64 + service.provider.size() + service.model.size());
  AppendService(&out, service);
  out.push_back('}');
  return out;
}

std::string EncodeStreamStart(std::string_view session_id, uint64_t seq,
                              std::string_view conversation, std::string_view request_id,
                              std::string_view trace_id) {
  std::string out = Begin("stream_start", session_id, seq, 176);
  AppendField(&out, "conversationId", conversation);
  AppendField(&out, "requestId", request_id);
  if (!trace_id.empty()) AppendField(&out, "traceId", trace_id);
  out.append(",\"content\":\"Starting response stream\"}");
  return out;
}

std::string EncodeStreamChunk(std::string_view session_id, uint64_t seq,
                              std::string_view conversation, std::string_view text) {
  std::string out = Begin("stream_chunk", session_id, seq, text.size() + 48);
  AppendField(&out, "conversationId", conversation);
  AppendField(&out, "content", text);
  out.push_back('}');
  return out;
}

std::string EncodeStreamEnd(std::string_view session_id, uint64_t seq,
                            std::string_view conversation, std::string_view request_id,
                            std::string_view stop_reason, const Usage& usage,
                            std::string_view trace_id) {
  std::string out = Begin("stream_end", session_id, seq, 240);
  AppendField(&out, "conversationId", conversation);
  AppendField(&out, "requestId", request_id);
  if (!trace_id.empty()) AppendField(&out, "traceId", trace_id);
  AppendField(&out, "stopReason", stop_reason);
  absl::StrAppend(&out, ",\"usage\":{\"inputTokens\":", usage.input_tokens,
                  ",\"outputTokens\":", usage.output_tokens, "}");
  out.append(",\"content\":\"Response stream complete\"}");
  return out;
}

std::string EncodeStreamCancelled(std::string_view session_id, uint64_t seq,
                                  std::string_view conversation, std::string_view request_id,
                                  std::string_view trace_id) {
  std::string out = Begin("stream_end", session_id, seq, 208);
  AppendField(&out, "conversationId", conversation);
  AppendField(&out, "requestId", request_id);
  if (!trace_id.empty()) AppendField(&out, "traceId", trace_id);
  out.append(",\"stopReason\":\"cancelled\",\"cancelled\":true");
  out.append(",\"content\":\"Response stream cancelled\"}");
  return out;
}

std::string EncodeError(std::string_view session_id, uint64_t seq, ClientError error) {
  std::string out = Begin("error", session_id, seq, 96);
  AppendErrorFields(&out, error);
  out.push_back('}');
  return out;
}

std::string EncodeConversationError(std::string_view session_id, uint64_t seq,
                                    std::string_view conversation, std::string_view request_id,
                                    ClientError error) {
  std::string out = Begin("error", session_id, seq, 160);
  AppendErrorFields(&out, error);
  AppendField(&out, "conversationId", conversation);
  if (!request_id.empty()) AppendField(&out, "requestId", request_id);
  out.push_back('}');
  return out;
}

std::string EncodeLimitError(std::string_view session_id, uint64_t seq,
                             std::string_view conversation, std::string_view limit,
                             int64_t retry_after_ms) {
  std::string out = Begin("error", session_id, seq, 160);
  AppendErrorFields(&out, ClientError::kRateLimited);
  AppendField(&out, "conversationId", conversation);
  AppendField(&out, "limit", limit);
  absl::StrAppend(&out, ",\"retryAfterMs\":", retry_after_ms, "}");
  return out;
}

std::string EncodeAuthenticated(std::string_view session_id, uint64_t seq, int64_t expires_in_ms) {
  std::string out = Begin("authenticated", session_id, seq, 32);
  absl::StrAppend(&out, ",\"expiresInMs\":", expires_in_ms, "}");
  return out;
}

std::string EncodeResumeFailed(std::string_view session_id, uint64_t seq, ResumeFailure reason,
                               uint64_t oldest_seq) {
  std::string out = Begin("error", session_id, seq, 128);
  AppendErrorFields(&out, ClientError::kResumeFailed);
  AppendField(&out, "reason", ResumeFailureName(reason));
  if (reason == ResumeFailure::kGap) absl::StrAppend(&out, ",\"oldestSeq\":", oldest_seq);
  out.push_back('}');
  return out;
}

std::string EncodeSessionResumed(std::string_view session_id, uint64_t seq, uint64_t replayed,
                                 std::string_view resume_token) {
  std::string out = Begin("session_resumed", session_id, seq, 96);
  absl::StrAppend(&out, ",\"replayed\":", replayed);
  AppendField(&out, "resumeToken", resume_token);
  out.push_back('}');
  return out;
}

std::string EncodeGoingAway(std::string_view session_id, uint64_t seq, int64_t retry_after_ms) {
  std::string out = Begin("going_away", session_id, seq, 32);
  absl::StrAppend(&out, ",\"retryAfterMs\":", retry_after_ms, "}");
  return out;
}

std::string EncodeHistory(std::string_view session_id, uint64_t seq, std::string_view conversation,
                          const std::vector<HistoryMessage>& messages) {
  size_t capacity = 64;
  for (const auto& message : messages) capacity += message.content.size() + 40;
  std::string out = Begin("history", session_id, seq, capacity);
  AppendField(&out, "conversationId", conversation);
  out.append(",\"messages\":[");
  for (size_t i = 0; i < messages.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append(messages[i].from_user ? "{\"role\":\"user\",\"content\":"
                                     : "{\"role\":\"assistant\",\"content\":");
    AppendJsonString(&out, messages[i].content);
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

std::string EncodeConversations(std::string_view session_id, uint64_t seq,
                                const std::vector<ConversationSummary>& conversations) {
  std::string out = Begin("conversations", session_id, seq, 96 * conversations.size() + 32);
  out.append(",\"conversations\":[");
  for (size_t i = 0; i < conversations.size(); ++i) {
    if (i > 0) out.push_back(',');
    out.append("{\"conversationId\":");
    AppendJsonString(&out, conversations[i].conversation_id);
    absl::StrAppend(&out, ",\"exchanges\":", conversations[i].exchanges,
                    ",\"lastActivity\":", conversations[i].last_activity_ms, "}");
  }
  out.append("]}");
  return out;
}

std::string EncodeConversationDeleted(std::string_view session_id, uint64_t seq,
                                      std::string_view conversation) {
  std::string out = Begin("conversation_deleted", session_id, seq, 64);
  AppendField(&out, "conversationId", conversation);
  out.push_back('}');
  return out;
}

}  // namespace streamgate::gateway
