#include "llm-service/llm_stream_service.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "llm-service/reply_stream_reactor.h"
#include "llm-service/request_decoder.h"

namespace streamgate::llm {
namespace {

// The id as the log may show it: an id that failed validation never reaches a log line.
std::string LoggedId(const std::string& id) { return IsLoggableId(id) ? id : "-"; }

// gRPC reports "no deadline" as the largest time_point; providers get InfiniteFuture.
absl::Time CallDeadline(const grpc::CallbackServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

}  // namespace

LlmStreamService::LlmStreamService(Provider* provider, size_t max_queued_bytes_per_call,
                                   int64_t max_concurrent_calls)
    : provider_(provider),
      max_queued_bytes_per_call_(max_queued_bytes_per_call),
      max_concurrent_calls_(max_concurrent_calls) {}

grpc::ServerWriteReactor<grpc::ByteBuffer>* LlmStreamService::StreamChat(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* bytes) {
  auto channel = std::make_shared<ChunkChannel>(max_queued_bytes_per_call_);
  // Lives only for this reaction: providers copy what they keep before Start returns.
  v1::StreamChatRequest request;
  absl::Status valid = DecodeRequest(*bytes, &request);
  if (valid.ok()) valid = ValidateRequest(request);
  std::string session_id = LoggedId(request.session_id());
  std::string request_id = LoggedId(request.request_id());
  auto log = common::Logger("llm");
  const bool admitted = calls_.TryBegin(max_concurrent_calls_);
  auto* reactor =
      new ReplyStreamReactor(channel, session_id, request_id, admitted ? &calls_ : nullptr);
  if (!admitted) {
    uint64_t suppressed = 0;
    if (over_capacity_log_.Admit(&suppressed)) {
      log->warn(
          "call rejected session={} request={} reason=\"max concurrent calls ({}) "
          "reached\" repeated={}",
          session_id, request_id, max_concurrent_calls_, suppressed);
    }
    channel->Finish(absl::ResourceExhaustedError(
        "llm-service is at its limit of concurrent calls; try again shortly"));
    reactor->Begin();
    return reactor;
  }
  if (valid.ok()) {
    log->info("call start session={} request={} provider={} messages={}", session_id, request_id,
              provider_->name(), request.messages_size());
    provider_->Start(request, channel, CallDeadline(*context));
  } else {
    log->warn("call rejected session={} request={} reason=\"{}\"", session_id, request_id,
              valid.message());
    channel->Finish(valid);
  }
  reactor->Begin();
  return reactor;
}

}  // namespace streamgate::llm
