#include "llm-service/reply_stream_reactor.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include "common/log.h"
#include "common/status_util.h"
#include "llm-service/call_tracker.h"

namespace streamgate::llm {

ReplyStreamReactor::ReplyStreamReactor(std::shared_ptr<ChunkChannel> channel,
                                       std::string session_id, std::string request_id,
                                       CallTracker* tracker)
    : channel_(std::move(channel)),
      session_id_(std::move(session_id)),
      request_id_(std::move(request_id)),
      tracker_(tracker),
      started_at_(std::chrono::steady_clock::now()) {}

void ReplyStreamReactor::Begin() { channel_->Attach(this); }

void ReplyStreamReactor::OnWriteDone(bool ok) { channel_->OnWriteDone(ok); }

void ReplyStreamReactor::OnCancel() {
  cancelled_ = true;
  channel_->Cancel();
}

void ReplyStreamReactor::WriteMessage(const StreamChatResponse* message) {
  // The previous write is done (one in flight), and the serialiser wants an empty buffer.
  out_.Clear();
  bool own_buffer = false;
  grpc::Status serialized =
      grpc::SerializationTraits<StreamChatResponse>::Serialize(*message, &out_, &own_buffer);
  if (!serialized.ok()) {
    // Only a message over 2 GiB fails, which the channel's bound rules out; end the call as
    // a failed write would.
    common::Logger("llm")->error("reply not serialisable session={} request={}", session_id_,
                                 request_id_);
    channel_->OnWriteDone(false);
    return;
  }
  ++writes_;
  StartWrite(&out_);
}

void ReplyStreamReactor::FinishStream(const absl::Status& status) {
  final_status_ = status;
  Finish(common::ToGrpcStatus(status));
}

void ReplyStreamReactor::OnDone() {
  channel_->Detach();
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started_at_);
  // A client cancel shows as CANCELLED whatever status we were about to send.
  auto code = cancelled_ ? absl::StatusCode::kCancelled : final_status_.code();
  common::Logger("llm")->info("call end session={} request={} status={} writes={} ms={}",
                              session_id_, request_id_, absl::StatusCodeToString(code), writes_,
                              elapsed.count());
  if (tracker_ != nullptr) tracker_->End();
  delete this;
}

}  // namespace streamgate::llm
