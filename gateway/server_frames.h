#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/client_protocol.h"
#include "gateway/service_status.h"

namespace streamgate::gateway {

// Server -> client frames. Every frame carries the session id and the session's `seq`; the
// frames of a reply carry its `conversationId` too (clients that know only one conversation
// ignore it). Built by hand, not through a JSON library: they are on the per-chunk path.
struct Usage {
  uint32_t input_tokens = 0;
  uint32_t output_tokens = 0;
};

// The gateway's limits a client can act on before it sends (the page refuses a message
// over max_message_bytes instead of being closed with 1009).
struct ClientLimits {
  int64_t max_message_bytes = 0;
  int64_t max_active_replies = 0;
  int64_t max_conversations = 0;
};

// `resume_token` is a secret: this frame is never logged, replayed or stored. Carries the
// limits ("limits") and the service's state ("service", as in EncodeStatus).
std::string EncodeConnectionEstablished(std::string_view session_id, uint64_t seq,
                                        std::string_view resume_token, const ClientLimits& limits,
                                        const ServiceStatus& service);
// The service behind the gateway changed (llm-service went, came back, named its provider,
// or the gateway drains): {"type":"status",...,"service":{"state","provider","model"}}. Sent
// with seq 0: outside the session's seq order (ChatSession::OnServiceStatus).
std::string EncodeStatus(std::string_view session_id, uint64_t seq, const ServiceStatus& service);
// `trace_id` (W3C, 32 hex digits) goes out as "traceId" when not empty.
std::string EncodeStreamStart(std::string_view session_id, uint64_t seq,
                              std::string_view conversation, std::string_view request_id,
                              std::string_view trace_id = "");
std::string EncodeStreamChunk(std::string_view session_id, uint64_t seq,
                              std::string_view conversation, std::string_view text);
std::string EncodeStreamEnd(std::string_view session_id, uint64_t seq,
                            std::string_view conversation, std::string_view request_id,
                            std::string_view stop_reason, const Usage& usage,
                            std::string_view trace_id = "");
// A reply stopped by the client's `cancel` ends with stop_reason "cancelled" and
// "cancelled":true, so clients that only know stream_end still finish cleanly.
std::string EncodeStreamCancelled(std::string_view session_id, uint64_t seq,
                                  std::string_view conversation, std::string_view request_id,
                                  std::string_view trace_id = "");
std::string EncodeError(std::string_view session_id, uint64_t seq, ClientError error);
// An error about one conversation (busy, a reply that failed, ...); `request_id` may be empty.
std::string EncodeConversationError(std::string_view session_id, uint64_t seq,
                                    std::string_view conversation, std::string_view request_id,
                                    ClientError error);
// A request refused by one of the gateway's own limits: `error` with code rate_limited,
// the limit's name in `limit` and when to retry in `retryAfterMs`.
std::string EncodeLimitError(std::string_view session_id, uint64_t seq,
                             std::string_view conversation, std::string_view limit,
                             int64_t retry_after_ms);
// The answer to an accepted `authenticate`: the new credential holds for expiresInMs.
std::string EncodeAuthenticated(std::string_view session_id, uint64_t seq, int64_t expires_in_ms);

// `error` with code resume_failed, its `reason`, and for `gap` the oldest seq still held.
std::string EncodeResumeFailed(std::string_view session_id, uint64_t seq, ResumeFailure reason,
                               uint64_t oldest_seq);
// After a resume's replay: how many frames were replayed and the next token (a secret).
std::string EncodeSessionResumed(std::string_view session_id, uint64_t seq, uint64_t replayed,
                                 std::string_view resume_token);
// Before a drain closes the connection with 1012: reconnect (and resume) after this long.
std::string EncodeGoingAway(std::string_view session_id, uint64_t seq, int64_t retry_after_ms);

struct HistoryMessage {
  bool from_user = true;
  std::string_view content;
};
std::string EncodeHistory(std::string_view session_id, uint64_t seq, std::string_view conversation,
                          const std::vector<HistoryMessage>& messages);
struct ConversationSummary {
  std::string_view conversation_id;
  size_t exchanges = 0;
  int64_t last_activity_ms = 0;  // Unix time
};
std::string EncodeConversations(std::string_view session_id, uint64_t seq,
                                const std::vector<ConversationSummary>& conversations);
// The answer to delete_conversation.
std::string EncodeConversationDeleted(std::string_view session_id, uint64_t seq,
                                      std::string_view conversation);

}  // namespace streamgate::gateway
