#pragma once

#include <grpcpp/support/byte_buffer.h>

#include <string_view>

#include "absl/status/status.h"
#include "streamgate/llm/v1/llm_service.pb.h"

namespace streamgate::llm {

// Turns StreamChat's request bytes into a StreamChatRequest. LlmStreamService takes the
// request raw because gRPC's own parse, on failure (a proto3 string that is not UTF-8),
// ends the call with UNIMPLEMENTED and tells nobody why; here it is INVALID_ARGUMENT naming
// the field ("messages[2].content: not valid UTF-8") or, for bytes that are no
// StreamChatRequest at all, "request: not a valid serialized StreamChatRequest". Messages
// never quote the bytes. Pure; any thread.
absl::Status DecodeRequest(const grpc::ByteBuffer& bytes, v1::StreamChatRequest* request);
// The same for a request carried as bytes inside another message (Chat's StartReply).
absl::Status DecodeRequest(std::string_view wire, v1::StreamChatRequest* request);

}  // namespace streamgate::llm
