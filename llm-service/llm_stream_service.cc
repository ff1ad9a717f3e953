#include "llm-service/llm_stream_service.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/log_value.h"
#include "llm-service/reply_stream_reactor.h"

namespace streamgate::llm {
namespace {

bool IsValidId(const std::string& id) {
  return id.empty() || common::IsPrintableToken(id, kMaxIdBytes);
}

// The id as the log may show it: an id that failed validation never reaches a log line.
std::string LoggedId(const std::string& id) { return IsValidId(id) ? id : "-"; }

// gRPC reports "no deadline" as the largest time_point; providers get InfiniteFuture.
absl::Time CallDeadline(const grpc::CallbackServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

}  // namespace

absl::Status ValidateRequest(const v1::StreamChatRequest& request) {
  for (const auto& [name, id] : {std::pair{"session_id", &request.session_id()},
                                 std::pair{"request_id", &request.request_id()}}) {
    if (!IsValidId(*id)) {
      return absl::InvalidArgumentError(absl::StrCat(name, " must be at most ", kMaxIdBytes,
                                                     " bytes of printable ASCII without spaces"));
    }
  }
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

LlmStreamService::LlmStreamService(Provider* provider, size_t max_queued_bytes_per_call,
                                   int64_t max_concurrent_calls)
    : provider_(provider),
      max_queued_bytes_per_call_(max_queued_bytes_per_call),
      max_concurrent_calls_(max_concurrent_calls) {}

grpc::ServerWriteReactor<v1::StreamChatResponse>* LlmStreamService::StreamChat(
    grpc::CallbackServerContext* context, const v1::StreamChatRequest* request) {
  auto channel = std::make_shared<ChunkChannel>(max_queued_bytes_per_call_);
  std::string session_id = LoggedId(request->session_id());
  std::string request_id = LoggedId(request->request_id());
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
  absl::Status valid = ValidateRequest(*request);
  if (valid.ok()) {
    log->info("call start session={} request={} provider={} messages={}", session_id, request_id,
              provider_->name(), request->messages_size());
    provider_->Start(*request, channel, CallDeadline(*context));
  } else {
    log->warn("call rejected session={} request={} reason=\"{}\"", session_id, request_id,
              valid.message());
    channel->Finish(valid);
  }
  reactor->Begin();
  return reactor;
}

}  // namespace streamgate::llm
