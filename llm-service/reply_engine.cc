#include "llm-service/reply_engine.h"

#include "common/log.h"
#include "common/trace_context.h"
#include "llm-service/request_validator.h"

namespace streamgate::llm {
namespace {

// The id as the log may show it: an id that failed validation never reaches a log line.
std::string LoggedId(const std::string& id) { return IsLoggableId(id) ? id : "-"; }

}  // namespace

ReplyEngine::ReplyEngine(Provider* provider, size_t max_queued_bytes_per_reply,
                         int64_t max_concurrent, LlmMetrics* metrics)
    : provider_(provider),
      max_queued_bytes_per_reply_(max_queued_bytes_per_reply),
      max_concurrent_(max_concurrent),
      metrics_(metrics) {
  if (metrics_ != nullptr) metrics_->WatchCalls(calls_);
}

ReplyEngine::Reply ReplyEngine::Begin(const v1::StreamChatRequest& request, absl::Status decoded,
                                      absl::Time deadline, std::string_view traceparent) {
  Reply reply;
  reply.channel = std::make_shared<ChunkChannel>(max_queued_bytes_per_reply_);
  if (metrics_ != nullptr) reply.channel->SetMetrics(&metrics_->ForModel(request.model()));
  absl::Status valid = decoded.ok() ? ValidateRequest(request) : std::move(decoded);
  reply.session_id = LoggedId(request.session_id());
  reply.request_id = LoggedId(request.request_id());
  auto trace = common::ParseTraceparent(traceparent);
  reply.trace_id = trace ? trace->trace_id : "-";
  reply.channel->set_trace_id(reply.trace_id);
  reply.channel->set_replica(replica());
  auto log = common::Logger("llm");
  reply.counted = calls_.TryBegin(max_concurrent_);
  if (!reply.counted) {
    uint64_t suppressed = 0;
    if (over_capacity_log_.Admit(&suppressed)) {
      log->warn(
          "call rejected session={} request={} reason=\"max concurrent calls ({}) "
          "reached\" repeated={} trace={}",
          reply.session_id, reply.request_id, max_concurrent_, suppressed, reply.trace_id);
    }
    reply.channel->Finish(absl::ResourceExhaustedError(
        "llm-service is at its limit of concurrent calls; try again shortly"));
    return reply;
  }
  if (valid.ok()) {
    log->info("call start session={} request={} provider={} messages={} trace={}", reply.session_id,
              reply.request_id, provider_->name(), request.messages_size(), reply.trace_id);
    provider_->Start(request, reply.channel, deadline);
  } else {
    log->warn("call rejected session={} request={} reason=\"{}\" trace={}", reply.session_id,
              reply.request_id, valid.message(), reply.trace_id);
    reply.channel->Finish(valid);
  }
  return reply;
}

void ReplyEngine::set_replica(std::string replica) {
  absl::MutexLock lock(&replica_mu_);
  replica_ = std::move(replica);
}

std::string ReplyEngine::replica() const {
  absl::MutexLock lock(&replica_mu_);
  return replica_;
}

void ReplyEngine::End(const Reply& reply, absl::StatusCode code, int writes, int64_t elapsed_ms) {
  common::Logger("llm")->info("call end session={} request={} status={} writes={} ms={} trace={}",
                              reply.session_id, reply.request_id, absl::StatusCodeToString(code),
                              writes, elapsed_ms, reply.trace_id);
  if (metrics_ != nullptr) metrics_->CountCall(code);
  if (reply.counted) calls_.End();
}

}  // namespace streamgate::llm
