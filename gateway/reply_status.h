#pragma once

#include <grpcpp/grpcpp.h>

#include "gateway/reply_backend.h"
#include "streamgate/llm/v1/llm_service.pb.h"

namespace streamgate::gateway {

// The one mapping from how llm-service ended a reply (its gRPC status, whether `completed`
// came, whether the session cancelled it) to the ReplyEnd a session sees, for both
// transports: OK after completed is kCompleted, CANCELLED after a cancel is kCancelled,
// anything else kFailed with ClientErrorForStatus and the status for the log. `end` brings
// what `completed` said (TakeCompleted). Pure.
ReplyEnd ReplyEndFor(const grpc::Status& status, bool completed, bool cancel_requested,
                     ReplyEnd end);
void TakeCompleted(const llm::v1::Completed& completed, ReplyEnd* end);

}  // namespace streamgate::gateway
