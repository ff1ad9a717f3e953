#include "gateway/reply_status.h"

#include "absl/status/status.h"

namespace streamgate::gateway {

ReplyEnd ReplyEndFor(const grpc::Status& status, bool completed, bool cancel_requested,
                     ReplyEnd end) {
  if (status.ok() && completed) {
    end.kind = ReplyEnd::Kind::kCompleted;
  } else if (cancel_requested && status.error_code() == grpc::StatusCode::CANCELLED) {
    end.kind = ReplyEnd::Kind::kCancelled;
  } else {
    end.kind = ReplyEnd::Kind::kFailed;
    end.error = status.ok() ? ClientError::kInternal : ClientErrorForStatus(status);
    end.cause_code = absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code()));
    end.cause_detail =
        status.ok() ? "stream ended without a completed event" : status.error_message();
  }
  return end;
}

void TakeCompleted(const llm::v1::Completed& completed, ReplyEnd* end) {
  end->stop_reason = completed.stop_reason();
  end->usage = Usage{completed.usage().input_tokens(), completed.usage().output_tokens()};
}

}  // namespace streamgate::gateway
