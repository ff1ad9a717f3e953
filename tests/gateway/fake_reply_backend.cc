#include "tests/gateway/fake_reply_backend.h"

#include <utility>

namespace streamgate::gateway::testing {

FakeReply::FakeReply(ReplyStart start, std::weak_ptr<ReplyObserver> observer)
    : start_(std::move(start)), observer_(std::move(observer)) {}

llm::v1::StreamChatRequest FakeReply::request() const {
  llm::v1::StreamChatRequest request;
  request.ParseFromString(start_.request);
  return request;
}

void FakeReply::Started() {
  if (auto observer = observer_.lock()) observer->OnReplyStarted(start_.reply_id);
}

void FakeReply::Delta(std::string text) {
  if (auto observer = observer_.lock()) observer->OnReplyDelta(start_.reply_id, std::move(text));
}

void FakeReply::Completed(std::string stop_reason, Usage usage) {
  End(ReplyEnd{
      .kind = ReplyEnd::Kind::kCompleted, .stop_reason = std::move(stop_reason), .usage = usage});
}

void FakeReply::Fail(ClientError error, std::string cause_code, std::string cause_detail) {
  End(ReplyEnd{.kind = ReplyEnd::Kind::kFailed,
               .error = error,
               .cause_code = std::move(cause_code),
               .cause_detail = std::move(cause_detail)});
}

void FakeReply::EndCancelled() { End(ReplyEnd{.kind = ReplyEnd::Kind::kCancelled}); }

void FakeReply::End(ReplyEnd end) {
  if (auto observer = observer_.lock()) observer->OnReplyEnd(start_.reply_id, std::move(end));
}

std::shared_ptr<ReplyHandle> FakeReplyBackend::Start(ReplyStart start,
                                                     boost::asio::any_io_executor /*executor*/,
                                                     std::weak_ptr<ReplyObserver> observer) {
  replies_.push_back(std::make_shared<FakeReply>(std::move(start), std::move(observer)));
  return replies_.back();
}

}  // namespace streamgate::gateway::testing
