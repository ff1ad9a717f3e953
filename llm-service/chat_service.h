#pragma once

#include <cstddef>
#include <map>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "llm-service/chat_stream.h"
#include "llm-service/reply_engine.h"
#include "streamgate/llm/v1/llm_service.grpc.pb.h"

namespace streamgate::llm {

// The Chat endpoint: many replies per stream (ChatStream), begun by the same ReplyEngine as
// StreamChat's. StreamChat and GetServiceInfo are other classes' (marked generic here).
// Keeps every live stream so that a drain reaches them. Owned by LlmServer; thread-safe.
class ChatService final
    : public v1::LlmService::WithCallbackMethod_Chat<v1::LlmService::WithGenericMethod_StreamChat<
          v1::LlmService::WithGenericMethod_GetServiceInfo<v1::LlmService::Service>>> {
 public:
  explicit ChatService(ReplyEngine* engine) : engine_(engine) {}

  grpc::ServerBidiReactor<v1::ChatClientFrame, v1::ChatServerFrame>* Chat(
      grpc::CallbackServerContext* context) override;

  // SIGTERM: every stream, and every one opened from now on, drains (ChatStream::Drain).
  void Drain();
  size_t streams() const;

  // ChatStream::OnDone: the stream lets go of itself.
  void Remove(ChatStream* stream);

 private:
  ReplyEngine* const engine_;
  mutable absl::Mutex mu_;
  std::map<ChatStream*, std::shared_ptr<ChatStream>> streams_ ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace streamgate::llm
