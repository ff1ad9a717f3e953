#include "tools/streamgate-cli/grpc_reply_call.h"

#include <boost/asio/post.hpp>

namespace streamgate::cli {

GrpcReplyCall::GrpcReplyCall(llm::v1::StreamChatRequest request,
                             boost::asio::any_io_executor executor, MessageCallback on_message,
                             EndCallback on_end)
    : request_(std::move(request)),
      executor_(std::move(executor)),
      on_message_(std::move(on_message)),
      on_end_(std::move(on_end)) {}

std::shared_ptr<GrpcReplyCall> GrpcReplyCall::Start(llm::v1::LlmService::Stub* stub,
                                                    llm::v1::StreamChatRequest request,
                                                    const std::string& authorization,
                                                    boost::asio::any_io_executor executor,
                                                    MessageCallback on_message,
                                                    EndCallback on_end) {
  std::shared_ptr<GrpcReplyCall> call(new GrpcReplyCall(std::move(request), std::move(executor),
                                                        std::move(on_message), std::move(on_end)));
  call->self_ = call;
  if (!authorization.empty()) call->context_.AddMetadata("authorization", authorization);
  stub->async()->StreamChat(&call->context_, &call->request_, call.get());
  // Every read after the first is started by the io thread, outside a reaction: the hold
  // keeps OnDone from running before the last of them has completed.
  call->AddHold();
  call->StartRead(&call->response_);
  call->StartCall();
  return call;
}

void GrpcReplyCall::OnReadDone(bool ok) {
  if (!ok) {
    RemoveHold();  // the stream is over; OnDone follows with the status
    return;
  }
  boost::asio::post(executor_, [self = shared_from_this()] {
    self->on_message_(self->response_);
    self->StartRead(&self->response_);
  });
}

void GrpcReplyCall::OnDone(const grpc::Status& status) {
  boost::asio::post(executor_, [self = shared_from_this(), status] { self->on_end_(status); });
  self_.reset();
}

}  // namespace streamgate::cli
