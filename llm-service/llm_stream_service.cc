#include "llm-service/llm_stream_service.h"

#include "llm-service/reply_stream_reactor.h"
#include "llm-service/request_decoder.h"

namespace streamgate::llm {
namespace {

// The caller's `traceparent` metadata ("" without one).
std::string_view Traceparent(const grpc::CallbackServerContext& context) {
  const auto& metadata = context.client_metadata();
  auto found = metadata.find("traceparent");
  if (found == metadata.end()) return {};
  return std::string_view(found->second.data(), found->second.size());
}

// gRPC reports "no deadline" as the largest time_point; providers get InfiniteFuture.
absl::Time CallDeadline(const grpc::CallbackServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* LlmStreamService::StreamChat(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* bytes) {
  // Lives only for this reaction: providers copy what they keep before Start returns.
  v1::StreamChatRequest request;
  absl::Status decoded = DecodeRequest(*bytes, &request);
  auto* reactor = new ReplyStreamReactor(
      engine_,
      engine_->Begin(request, std::move(decoded), CallDeadline(*context), Traceparent(*context)));
  reactor->Begin();
  return reactor;
}

}  // namespace streamgate::llm
