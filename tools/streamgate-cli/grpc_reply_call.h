#pragma once

#include <grpcpp/grpcpp.h>

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>

#include "streamgate/llm/v1/llm_service.grpc.pb.h"

namespace streamgate::cli {

// One StreamChat call: a gRPC callback reactor that hands each message to the io thread and
// reads the next one only after the io thread has taken it, so a slow terminal slows the
// stream instead of growing a queue. Shared: it keeps a reference to itself from Start until
// OnDone, and its owner keeps one until it has seen the end, so Cancel is always safe.
// Reactions run on gRPC threads and only post; the callbacks run on the io executor.
class GrpcReplyCall : public grpc::ClientReadReactor<llm::v1::StreamChatResponse>,
                      public std::enable_shared_from_this<GrpcReplyCall> {
 public:
  using MessageCallback = std::function<void(const llm::v1::StreamChatResponse&)>;
  using EndCallback = std::function<void(const grpc::Status&)>;

  // `authorization` becomes the call's "authorization" metadata when not empty.
  static std::shared_ptr<GrpcReplyCall> Start(llm::v1::LlmService::Stub* stub,
                                              llm::v1::StreamChatRequest request,
                                              const std::string& authorization,
                                              boost::asio::any_io_executor executor,
                                              MessageCallback on_message, EndCallback on_end);

  // Any thread: TryCancel; the call then ends with CANCELLED (unless it had already ended).
  void Cancel() { context_.TryCancel(); }

  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  GrpcReplyCall(llm::v1::StreamChatRequest request, boost::asio::any_io_executor executor,
                MessageCallback on_message, EndCallback on_end);

  grpc::ClientContext context_;
  const llm::v1::StreamChatRequest request_;
  const boost::asio::any_io_executor executor_;
  const MessageCallback on_message_;
  const EndCallback on_end_;
  // Written by gRPC while a read is pending, read by the io thread between reads: never both.
  llm::v1::StreamChatResponse response_;
  std::shared_ptr<GrpcReplyCall> self_;  // set in Start, cleared in OnDone
};

}  // namespace streamgate::cli
