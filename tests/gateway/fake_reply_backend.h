#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateway/reply_backend.h"
#include "streamgate/llm/v1/llm_service.pb.h"

namespace streamgate::gateway::testing {

// One reply as the fake backend holds it: what the session asked for, what it did to the
// handle since (cancels, pauses), and the events the test sends it. The test thread is the
// session's loop here, so events go to the observer directly. Used on that thread only.
class FakeReply final : public ReplyHandle {
 public:
  FakeReply(ReplyStart start, std::weak_ptr<ReplyObserver> observer);

  const ReplyStart& start() const { return start_; }
  // The request, decoded.
  llm::v1::StreamChatRequest request() const;

  void Started();
  void Delta(std::string text);
  void Completed(std::string stop_reason, Usage usage);
  void Fail(ClientError error, std::string cause_code, std::string cause_detail);
  // The end a backend gives a reply after Cancel().
  void EndCancelled();

  int cancels() const { return cancels_; }
  const std::vector<bool>& pauses() const { return pauses_; }

  void Cancel() override { ++cancels_; }
  void Pause(bool paused) override { pauses_.push_back(paused); }

 private:
  void End(ReplyEnd end);

  const ReplyStart start_;
  const std::weak_ptr<ReplyObserver> observer_;
  int cancels_ = 0;
  std::vector<bool> pauses_;
};

// A ReplyBackend that produces nothing by itself: each Start is kept, in order, for the
// test to script.
class FakeReplyBackend final : public ReplyBackend {
 public:
  std::shared_ptr<ReplyHandle> Start(ReplyStart start, boost::asio::any_io_executor executor,
                                     std::weak_ptr<ReplyObserver> observer) override;

  size_t starts() const { return replies_.size(); }
  FakeReply& reply(size_t index) { return *replies_.at(index); }

 private:
  std::vector<std::shared_ptr<FakeReply>> replies_;
};

}  // namespace streamgate::gateway::testing
