#pragma once

#include <grpcpp/grpcpp.h>

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "streamgate/llm/v1/llm_service.grpc.pb.h"
#include "tools/streamgate-cli/chat_backend.h"
#include "tools/streamgate-cli/grpc_reply_call.h"

namespace streamgate::cli {

// The conversation straight with llm-service's StreamChat, for internal tools and debugging
// without a gateway. llm-service is stateless, so the conversation lives here: each call
// carries every completed turn so far plus the new message. A first call that fails UNAVAILABLE
// while the channel never connected is a connection failure (exit 3), not a failed reply. Owned by
// main and outlives io_context::run(); all methods and the call's callbacks run on the io thread.
class GrpcChatBackend : public ChatBackend {
 public:
  // `authorization`: the "authorization" metadata of every call ("Bearer <token>"), or "".
  GrpcChatBackend(boost::asio::io_context& io, const std::string& target,
                  std::shared_ptr<grpc::ChannelCredentials> credentials, std::string authorization,
                  ChatListener* listener);

  void Start() override;
  void Ask(std::string text) override;
  void Cancel() override;
  void Shutdown(bool graceful, std::function<void()> done) override;

 private:
  void OnMessage(const llm::v1::StreamChatResponse& message);
  void OnEnd(const grpc::Status& status);

  boost::asio::io_context& io_;
  const std::string target_;
  const std::string authorization_;  // never printed
  ChatListener* const listener_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<llm::v1::LlmService::Stub> stub_;
  const std::string session_id_;  // sent for log correlation only

  // Completed turns, oldest first. A turn that fails or is cancelled is dropped whole, so
  // user and assistant turns keep alternating.
  std::vector<llm::v1::ChatMessage> history_;
  std::shared_ptr<GrpcReplyCall> call_;  // the reply in progress, until its end is handled
  std::string pending_question_;
  std::string reply_text_;
  bool completed_ = false;  // the call sent `completed`
  bool cancel_requested_ = false;
  bool message_seen_ = false;  // the call in progress got a message
  // Some call reached llm-service: a later UNAVAILABLE is a failed reply, not "cannot connect".
  bool reached_ = false;
  bool shutting_down_ = false;
  std::function<void()> shutdown_done_;
};

}  // namespace streamgate::cli
