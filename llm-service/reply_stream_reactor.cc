#include "llm-service/reply_stream_reactor.h"

#include <grpcpp/impl/codegen/proto_utils.h>

#include "common/log.h"
#include "common/status_util.h"

namespace streamgate::llm {

ReplyStreamReactor::ReplyStreamReactor(ReplyEngine* engine, ReplyEngine::Reply reply)
    : engine_(engine),
      reply_(std::move(reply)),
      channel_(reply_.channel.get()),
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
    common::Logger("llm")->error("reply not serialisable session={} request={}", reply_.session_id,
                                 reply_.request_id);
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
  engine_->End(reply_, code, writes_, elapsed.count());
  delete this;
}

}  // namespace streamgate::llm
