#pragma once

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include <chrono>
#include <memory>
#include <string>

#include "llm-service/chunk_channel.h"

namespace streamgate::llm {

class CallTracker;

// The server side of one StreamChat call: sends what the provider puts into the channel,
// one write in flight. Created with `new` by LlmStreamService; deletes itself in OnDone.
// `tracker`, when not null, counted this call already (CallTracker::TryBegin) and is told in
// OnDone that it ended; a call refused before it started passes null.
// StreamChat is a raw method (see LlmStreamService), so each message is serialised here.
// Its methods are gRPC reactions (any gRPC thread) or channel callbacks (a provider
// thread); the channel serialises them. It never hands `this` to a provider.
class ReplyStreamReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer>,
                           private ChunkChannel::Consumer {
 public:
  ReplyStreamReactor(std::shared_ptr<ChunkChannel> channel, std::string session_id,
                     std::string request_id, CallTracker* tracker);

  // Starts sending; call once after the provider was started (or the channel finished).
  void Begin();

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  void WriteMessage(const StreamChatResponse* message) override;
  void FinishStream(const absl::Status& status) override;

  const std::shared_ptr<ChunkChannel> channel_;
  const std::string session_id_;
  const std::string request_id_;
  CallTracker* const tracker_;
  const std::chrono::steady_clock::time_point started_at_;
  // Written by WriteMessage/FinishStream, read in OnDone; the channel orders them all.
  int writes_ = 0;
  grpc::ByteBuffer out_;  // the one write in flight
  absl::Status final_status_;
  bool cancelled_ = false;
};

}  // namespace streamgate::llm
