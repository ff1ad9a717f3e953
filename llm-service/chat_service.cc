#include "llm-service/chat_service.h"

#include <vector>

#include "common/log.h"

namespace streamgate::llm {

grpc::ServerBidiReactor<v1::ChatClientFrame, v1::ChatServerFrame>* ChatService::Chat(
    grpc::CallbackServerContext* context) {
  auto stream = std::make_shared<ChatStream>(this, engine_);
  bool draining;
  size_t open;
  {
    absl::MutexLock lock(&mu_);
    streams_[stream.get()] = stream;
    draining = draining_;
    open = streams_.size();
  }
  // One line per stream, not per reply: streams are few and long-lived.
  common::Logger("llm")->info("chat stream open peer={} streams={}", context->peer(), open);
  stream->Begin();
  if (draining) stream->Drain();
  return stream.get();
}

void ChatService::Drain() {
  std::vector<std::shared_ptr<ChatStream>> streams;
  {
    absl::MutexLock lock(&mu_);
    draining_ = true;
    for (auto& [raw, stream] : streams_) streams.push_back(stream);
  }
  // Outside mu_: a stream may end (and Remove itself) from within Drain.
  for (auto& stream : streams) stream->Drain();
}

size_t ChatService::streams() const {
  absl::MutexLock lock(&mu_);
  return streams_.size();
}

void ChatService::Remove(ChatStream* stream) {
  std::shared_ptr<ChatStream> last;  // let go outside mu_
  absl::MutexLock lock(&mu_);
  auto it = streams_.find(stream);
  if (it == streams_.end()) return;
  last = std::move(it->second);
  streams_.erase(it);
}
}  // namespace streamgate::llm
