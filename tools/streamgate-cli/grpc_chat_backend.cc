#include "tools/streamgate-cli/grpc_chat_backend.h"

#include <google/protobuf/util/json_util.h>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "absl/status/status.h"
#include "common/ids.h"

namespace streamgate::cli {
namespace {

std::string CodeName(grpc::StatusCode code) {
  // gRPC and absl share the canonical code numbers.
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

std::string MessageJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  if (!google::protobuf::util::MessageToJsonString(message, &out, options).ok()) return "{}";
  return out;
}

// The last --json line of a gRPC reply: there is no stream_end frame, only the status.
std::string StatusJson(const grpc::Status& status) {
  nlohmann::ordered_json line = {{"status", CodeName(status.error_code())}};
  if (!status.ok()) line["message"] = status.error_message();
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

grpc::ChannelArguments ChannelArgs() {
  grpc::ChannelArguments args;
  // A person waits at the prompt: reconnect to a restarted llm-service within a second,
  // not gRPC's default of up to two minutes.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  return args;
}

}  // namespace

GrpcChatBackend::GrpcChatBackend(boost::asio::io_context& io, const std::string& target,
                                 std::shared_ptr<grpc::ChannelCredentials> credentials,
                                 std::string authorization, ChatListener* listener)
    : io_(io),
      target_(target),
      authorization_(std::move(authorization)),
      listener_(listener),
      channel_(grpc::CreateCustomChannel(target, credentials, ChannelArgs())),
      stub_(llm::v1::LlmService::NewStub(channel_)),
      session_id_("cli-" + common::NewUuidV4()) {}

void GrpcChatBackend::Start() {
  // Nothing to open: the channel connects on the first call, and a failure to connect is
  // that call's UNAVAILABLE status.
  boost::asio::post(io_, [this] {
    if (!shutting_down_) listener_->OnReady("llm-service " + target_ + ", session " + session_id_);
  });
}

void GrpcChatBackend::Ask(std::string text) {
  if (call_ != nullptr || shutting_down_) return;
  llm::v1::StreamChatRequest request;
  request.set_session_id(session_id_);
  request.set_request_id(common::NewUuidV4());
  for (const auto& turn : history_) *request.add_messages() = turn;
  auto* message = request.add_messages();
  message->set_role(llm::v1::ROLE_USER);
  message->set_content(text);
  pending_question_ = std::move(text);
  reply_text_.clear();
  completed_ = false;
  cancel_requested_ = false;
  message_seen_ = false;
  call_ = GrpcReplyCall::Start(
      stub_.get(), std::move(request), authorization_, io_.get_executor(),
      [this](const llm::v1::StreamChatResponse& response) { OnMessage(response); },
      [this](const grpc::Status& status) { OnEnd(status); });
}

void GrpcChatBackend::OnMessage(const llm::v1::StreamChatResponse& message) {
  if (shutting_down_) return;
  message_seen_ = true;
  reached_ = true;
  listener_->OnRawEvent(MessageJson(message));
  if (message.has_delta()) {
    reply_text_ += message.delta().text();
    listener_->OnReplyText(message.delta().text());
  } else if (message.has_completed()) {
    completed_ = true;
  }
}

void GrpcChatBackend::OnEnd(const grpc::Status& status) {
  call_.reset();
  if (shutting_down_) {
    if (shutdown_done_) std::exchange(shutdown_done_, nullptr)();
    return;
  }
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE && !message_seen_ && !reached_ &&
      channel_->GetState(/*try_to_connect=*/false) != GRPC_CHANNEL_READY) {
    // Never connected (an UNAVAILABLE from a connected llm-service, say Claude being down,
    // leaves the channel READY): like the gateway path, exit 3, not a failed reply.
    return listener_->OnConnectionLost("cannot connect to llm-service at " + target_ + ": " +
                                       status.error_message());
  }
  reached_ = true;
  listener_->OnRawEvent(StatusJson(status));
  ReplyEnd end;
  if (status.ok() && completed_) {
    llm::v1::ChatMessage question, answer;
    question.set_role(llm::v1::ROLE_USER);
    question.set_content(std::move(pending_question_));
    answer.set_role(llm::v1::ROLE_ASSISTANT);
    answer.set_content(std::move(reply_text_));
    history_.push_back(std::move(question));
    history_.push_back(std::move(answer));
  } else if (cancel_requested_ && status.error_code() == grpc::StatusCode::CANCELLED) {
    end.outcome = ReplyEnd::Outcome::kCancelled;
  } else {
    end.outcome = ReplyEnd::Outcome::kFailed;
    end.error = status.ok() ? "llm-service ended the stream without `completed`"
                            : "StreamChat failed: " + CodeName(status.error_code()) + ": " +
                                  status.error_message();
  }
  listener_->OnReplyEnd(end);
}

void GrpcChatBackend::Cancel() {
  if (call_ == nullptr || cancel_requested_) return;
  cancel_requested_ = true;
  call_->Cancel();
}

void GrpcChatBackend::Shutdown(bool /*graceful*/, std::function<void()> done) {
  if (done) shutdown_done_ = std::move(done);
  shutting_down_ = true;
  // A call must end before the channel and the io_context go away: cancel it and finish
  // from its end callback.
  if (call_ != nullptr) return call_->Cancel();
  if (shutdown_done_) {
    boost::asio::post(io_, [this] {
      if (shutdown_done_) std::exchange(shutdown_done_, nullptr)();
    });
  }
}

}  // namespace streamgate::cli
