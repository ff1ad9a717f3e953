#pragma once

#include <memory>

#include "gateway/llm_client.h"
#include "gateway/reply_backend.h"

namespace streamgate::gateway {

// Replies over one StreamChat call each (LlmStreamCall): the transport every llm-service
// speaks. gRPC's statuses become ReplyEnds here and nowhere else: OK after `completed` is
// kCompleted, CANCELLED after Cancel() is kCancelled, anything else kFailed with
// ClientErrorForStatus and the status for the log. A reply that cannot reach llm-service
// within its connect timeout ends kFailed upstream_unavailable, logged as DEADLINE_EXCEEDED
// "llm-service not reachable within --llm-connect-timeout ..." (the call itself would only
// say CANCELLED). Owned by GatewayServer; thread-safe (it holds nothing per reply).
class PerCallReplyBackend final : public ReplyBackend {
 public:
  explicit PerCallReplyBackend(LlmClient* llm) : llm_(llm) {}

  std::shared_ptr<ReplyHandle> Start(ReplyStart start, boost::asio::any_io_executor executor,
                                     std::weak_ptr<ReplyObserver> observer) override;

 private:
  LlmClient* const llm_;
};

}  // namespace streamgate::gateway
