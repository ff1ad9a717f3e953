#pragma once

#include <memory>
#include <string_view>

#include "absl/time/time.h"
#include "llm-service/chunk_channel.h"
#include "streamgate/llm/v1/llm_service.pb.h"

namespace streamgate::llm {

// A source of replies (the built-in mock, Claude). Shared by every call; thread-safe.
class Provider {
 public:
  virtual ~Provider() = default;

  // Starts producing the reply to `request` into `channel`: a `started` message, deltas, a
  // `completed` message and channel->Finish(OK), or channel->Finish(error) at any point.
  // Must not block: the work runs on the provider's own threads. The provider stops early
  // when the channel reports kClosed or calls its cancel callback. `deadline` is the gRPC
  // call's deadline (absl::InfiniteFuture() when it has none): work still running then,
  // retry waits included, ends with DEADLINE_EXCEEDED.
  virtual void Start(const v1::StreamChatRequest& request, std::shared_ptr<ChunkChannel> channel,
                     absl::Time deadline) = 0;

  // Stops the provider's threads. Call after the gRPC server has shut down, so no reply is
  // still running.
  virtual void Shutdown() = 0;

  virtual std::string_view name() const = 0;
};

}  // namespace streamgate::llm
