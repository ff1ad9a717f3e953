#include "llm-service/llm_stream_service.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "llm-service/reply_stream_reactor.h"

namespace streamgate::llm {

absl::Status ValidateRequest(const v1::StreamChatRequest& request) {
  if (request.messages().empty()) {
    return absl::InvalidArgumentError("messages must not be empty");
  }
  for (int i = 0; i < request.messages_size(); ++i) {
    auto role = request.messages(i).role();
    if (role != v1::ROLE_USER && role != v1::ROLE_ASSISTANT) {
      return absl::InvalidArgumentError(absl::StrCat("messages[", i, "] has no valid role"));
    }
  }
  if (request.messages().rbegin()->role() != v1::ROLE_USER) {
    return absl::InvalidArgumentError("the last message must come from the user");
  }
  return absl::OkStatus();
}

namespace {

// gRPC reports "no deadline" as the largest time_point; providers get InfiniteFuture.
absl::Time CallDeadline(const grpc::CallbackServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

}  // namespace

LlmStreamService::LlmStreamService(Provider* provider, size_t max_queued_bytes_per_call)
    : provider_(provider), max_queued_bytes_per_call_(max_queued_bytes_per_call) {}

grpc::ServerWriteReactor<v1::StreamChatResponse>* LlmStreamService::StreamChat(
    grpc::CallbackServerContext* context, const v1::StreamChatRequest* request) {
  auto channel = std::make_shared<ChunkChannel>(max_queued_bytes_per_call_);
  auto* reactor =
      new ReplyStreamReactor(channel, request->session_id(), request->request_id(), &calls_);
  absl::Status valid = ValidateRequest(*request);
  auto log = common::Logger("llm");
  if (valid.ok()) {
    log->info("call start session={} request={} provider={} messages={}", request->session_id(),
              request->request_id(), provider_->name(), request->messages_size());
    provider_->Start(*request, channel, CallDeadline(*context));
  } else {
    log->warn("call rejected session={} request={} reason=\"{}\"", request->session_id(),
              request->request_id(), valid.message());
    channel->Finish(valid);
  }
  reactor->Begin();
  return reactor;
}

}  // namespace streamgate::llm
