#pragma once

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/server_callback.h>

#include <chrono>
#include <memory>
#include <string>

#include "llm-service/chunk_channel.h"
#include "llm-service/reply_engine.h"

namespace streamgate::llm {

// The server side of one StreamChat call: sends what the provider puts into the reply's
// channel, one write in flight. Created with `new` by LlmStreamService; deletes itself in
// OnDone, where the engine is told the reply ended.
// StreamChat is a raw method (see LlmStreamService), so each message is serialised here.
// Its methods are gRPC reactions (any gRPC thread) or channel callbacks (a provider
// thread); the channel serialises them. It never hands `this` to a provider.
class ReplyStreamReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer>,
                           private ChunkChannel::Consumer {
 public:
  ReplyStreamReactor(ReplyEngine* engine, ReplyEngine::Reply reply);

  // Starts sending; call once after the provider was started (or the channel finished).
  void Begin();

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  void WriteMessage(const StreamChatResponse* message) override;
  void FinishStream(const absl::Status& status) override;

  ReplyEngine* const engine_;
  const ReplyEngine::Reply reply_;
  ChunkChannel* const channel_;  // reply_'s
  const std::chrono::steady_clock::time_point started_at_;
  // Written by WriteMessage/FinishStream, read in OnDone; the channel orders them all.
  int writes_ = 0;
  grpc::ByteBuffer out_;  // the one write in flight
  absl::Status final_status_;
  bool cancelled_ = false;
};

}  // namespace streamgate::llm
