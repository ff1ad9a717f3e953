// llm-service's Chat stream in process (LlmServer with the mock, a real gRPC client): many
// replies on one stream, each meaning what a StreamChat call means; bad requests end one
// reply, not the stream; credit paces one reply without stalling the others; cancel; the
// cap; batching; the drain.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "llm-service/llm_server.h"
#include "llm-service/mock_provider.h"
#include "streamgate/llm/v1/llm_service.grpc.pb.h"
#include "tests/llm-service/llm_test_client.h"

namespace streamgate::llm {
namespace {

using namespace std::chrono_literals;
using testing::ChatOnce;
using testing::OneMessage;
using testing::TestChannel;

// What one reply on the stream received.
struct ReplySeen {
  std::vector<std::string> kinds;  // "started", "delta", "completed", "ended", in order
  std::string text;
  int code = -1;  // Ended.code once ended
  std::string message;
  std::string replica;  // Started.replica
  bool ended() const { return code >= 0; }
};

// A Chat stream driven by the test thread: writes frames, reads until a condition holds.
class ChatClient {
 public:
  explicit ChatClient(const std::shared_ptr<grpc::Channel>& channel)
      : stub_(v1::LlmService::NewStub(channel)) {
    context_.set_deadline(std::chrono::system_clock::now() + 30s);
    stream_ = stub_->Chat(&context_);
  }

  bool Start(uint64_t id, const v1::StreamChatRequest& request, uint64_t credit = 0) {
    return StartBytes(id, request.SerializeAsString(), credit);
  }
  bool StartBytes(uint64_t id, std::string bytes, uint64_t credit = 0) {
    v1::ChatClientFrame frame;
    v1::StartReply* start = frame.add_start();
    start->set_reply_id(id);
    start->set_request(std::move(bytes));
    start->set_credit_bytes(credit);
    return stream_->Write(frame);
  }
  bool Grant(uint64_t id, uint64_t bytes) {
    v1::ChatClientFrame frame;
    v1::GrantCredit* credit = frame.add_credit();
    credit->set_reply_id(id);
    credit->set_bytes(bytes);
    return stream_->Write(frame);
  }
  bool Cancel(uint64_t id) {
    v1::ChatClientFrame frame;
    frame.add_cancel()->set_reply_id(id);
    return stream_->Write(frame);
  }

  // Reads frames until `done` holds; false when the stream ends first.
  bool ReadUntil(const std::function<bool()>& done) {
    while (!done()) {
      v1::ChatServerFrame frame;
      if (!stream_->Read(&frame)) return false;
      ++frames_;
      draining_ = draining_ || frame.draining();
      for (const v1::ReplyEvent& event : frame.events()) {
        ++events_;
        ReplySeen& seen = replies_[event.reply_id()];
        switch (event.event_case()) {
          case v1::ReplyEvent::kStarted:
            seen.kinds.push_back("started");
            seen.replica = event.started().replica();
            break;
          case v1::ReplyEvent::kDelta:
            seen.kinds.push_back("delta");
            seen.text += event.delta().text();
            break;
          case v1::ReplyEvent::kCompleted:
            seen.kinds.push_back("completed");
            break;
          case v1::ReplyEvent::kEnded:
            seen.kinds.push_back("ended");
            seen.code = event.ended().code();
            seen.message = event.ended().message();
            break;
          case v1::ReplyEvent::EVENT_NOT_SET:
            break;
        }
      }
    }
    return true;
  }
  bool ReadUntilEnded(std::vector<uint64_t> ids) {
    return ReadUntil([&] {
      for (uint64_t id : ids) {
        if (!replies_[id].ended()) return false;
      }
      return true;
    });
  }
  grpc::Status Close() {
    stream_->WritesDone();
    v1::ChatServerFrame rest;
    while (stream_->Read(&rest)) {
    }
    return stream_->Finish();
  }

  ReplySeen& reply(uint64_t id) { return replies_[id]; }
  int frames() const { return frames_; }
  int events() const { return events_; }
  bool draining() const { return draining_; }

 private:
  std::unique_ptr<v1::LlmService::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::ChatClientFrame, v1::ChatServerFrame>> stream_;
  std::map<uint64_t, ReplySeen> replies_;
  int frames_ = 0;
  int events_ = 0;
  bool draining_ = false;
};

class ChatServiceTest : public ::testing::Test {
 protected:
  void StartServer(MockProviderOptions options = {.chunk_delay = absl::ZeroDuration()}) {
    provider_ = std::make_unique<MockProvider>(options);
    config_.bind = "127.0.0.1";
    config_.port = 0;
    auto server = LlmServer::Start(config_, provider_.get());
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    channel_ = TestChannel(server_->port());
  }
  void TearDown() override {
    server_.reset();
    if (provider_) provider_->Shutdown();
  }

  static v1::StreamChatRequest Turns(std::vector<std::pair<v1::Role, std::string>> turns) {
    v1::StreamChatRequest request = OneMessage("x");
    request.clear_messages();
    for (auto& [role, text] : turns) {
      auto* message = request.add_messages();
      message->set_role(role);
      message->set_content(text);
    }
    return request;
  }

  LlmServiceConfig config_;
  std::unique_ptr<MockProvider> provider_;
  std::unique_ptr<LlmServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(ChatServiceTest, RepliesOnOneStreamEachMeanWhatAStreamChatCallMeans) {
  StartServer();
  ChatClient chat(channel_);
  ASSERT_TRUE(chat.Start(1, OneMessage("hello there")));
  ASSERT_TRUE(chat.Start(2, OneMessage("and you")));
  ASSERT_TRUE(chat.ReadUntilEnded({1, 2}));
  for (uint64_t id : {1u, 2u}) {
    const ReplySeen& seen = chat.reply(id);
    EXPECT_EQ(seen.code, 0) << seen.message;
    ASSERT_GE(seen.kinds.size(), 3u);
    EXPECT_EQ(seen.kinds.front(), "started");
    EXPECT_EQ(seen.kinds[seen.kinds.size() - 2], "completed");
    EXPECT_EQ(seen.kinds.back(), "ended");
  }
  EXPECT_EQ(chat.reply(1).text, ChatOnce(channel_, OneMessage("hello there")).text);
  EXPECT_EQ(chat.reply(2).text, ChatOnce(channel_, OneMessage("and you")).text);
  EXPECT_TRUE(chat.Close().ok());
  EXPECT_EQ(server_->calls().total_started(), 4);  // two on the stream, two StreamChat calls
}

// Started names the replica on both doors: the bound address and port by default, or
// --advertise-address as given.
TEST_F(ChatServiceTest, StartedNamesTheReplicaThatHoldsTheReply) {
  StartServer();
  const std::string bound = "127.0.0.1:" + std::to_string(server_->port());
  EXPECT_EQ(server_->replica(), bound);
  ChatClient chat(channel_);
  ASSERT_TRUE(chat.Start(1, OneMessage("where are you")));
  ASSERT_TRUE(chat.ReadUntilEnded({1}));
  EXPECT_EQ(chat.reply(1).replica, bound);
  EXPECT_EQ(ChatOnce(channel_, OneMessage("and here")).replica, bound);
  EXPECT_TRUE(chat.Close().ok());

  server_.reset();
  provider_->Shutdown();
  config_.advertise_address = "llm-2.llm.svc.cluster.local:50051";
  StartServer();
  EXPECT_EQ(ChatOnce(channel_, OneMessage("named")).replica, "llm-2.llm.svc.cluster.local:50051");
}

TEST_F(ChatServiceTest, ABadRequestEndsThatReplyWithInvalidArgumentAndNothingElse) {
  StartServer();
  ChatClient chat(channel_);
  ASSERT_TRUE(chat.Start(1, Turns({{v1::ROLE_USER, "a"}, {v1::ROLE_USER, "b"}})));
  v1::StreamChatRequest bad_utf8 = OneMessage("placeholder");
  std::string bytes = bad_utf8.SerializeAsString();
  bytes.replace(bytes.find("placeholder"), 11, "bad\xff\xfe utf8x");  // same length
  ASSERT_TRUE(chat.StartBytes(2, bytes));
  ASSERT_TRUE(chat.StartBytes(3, "\xff\xff\xff not a request"));
  ASSERT_TRUE(chat.Start(4, OneMessage("fine")));
  ASSERT_TRUE(chat.ReadUntilEnded({1, 2, 3, 4}));
  EXPECT_EQ(chat.reply(1).code, static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(chat.reply(1).message,
            "messages[1].role: roles must alternate ROLE_USER/ROLE_ASSISTANT");
  EXPECT_EQ(chat.reply(2).code, static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(chat.reply(2).message, "messages[0].content: not valid UTF-8");
  EXPECT_EQ(chat.reply(3).code, static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(chat.reply(1).kinds, (std::vector<std::string>{"ended"}));
  EXPECT_EQ(chat.reply(4).code, 0);
  EXPECT_TRUE(chat.Close().ok());
}

TEST_F(ChatServiceTest, AReplyOutOfCreditWaitsWithoutHoldingUpTheOthers) {
  // One word per millisecond: deltas stay small, so the credit is what stops reply 1.
  StartServer({.chunk_delay = absl::Milliseconds(1), .extra_words = 300});
  const std::string whole = ChatOnce(channel_, OneMessage("long")).text;
  ASSERT_GT(whole.size(), 1000u);
  ChatClient chat(channel_);
  ASSERT_TRUE(chat.Start(1, OneMessage("long"), /*credit=*/100));
  ASSERT_TRUE(chat.Start(2, OneMessage("long")));
  ASSERT_TRUE(chat.ReadUntilEnded({2}));
  EXPECT_EQ(chat.reply(2).text, whole);
  // Reply 1 sent what its credit allowed (one delta may overshoot it) and waits.
  EXPECT_FALSE(chat.reply(1).ended());
  EXPECT_GE(chat.reply(1).text.size(), 100u);
  EXPECT_LT(chat.reply(1).text.size(), 200u);
  ASSERT_TRUE(chat.Grant(1, 1 << 20));
  ASSERT_TRUE(chat.ReadUntilEnded({1}));
  EXPECT_EQ(chat.reply(1).code, 0);
  EXPECT_EQ(chat.reply(1).text, whole);
  EXPECT_TRUE(chat.Close().ok());
}

TEST_F(ChatServiceTest, CancelEndsOneReplyWithCancelled) {
  StartServer({.chunk_delay = absl::Milliseconds(20), .extra_words = 200});
  ChatClient chat(channel_);
  ASSERT_TRUE(chat.Start(7, OneMessage("slow")));
  ASSERT_TRUE(chat.Start(8, OneMessage("short")));
  ASSERT_TRUE(chat.ReadUntil([&] { return !chat.reply(7).text.empty(); }));
  ASSERT_TRUE(chat.Cancel(7));
  ASSERT_TRUE(chat.ReadUntilEnded({7}));
  EXPECT_EQ(chat.reply(7).code, static_cast<int>(grpc::StatusCode::CANCELLED));
  ASSERT_TRUE(server_->calls().WaitForActiveAtMost(1, absl::Now() + absl::Seconds(10)));
  EXPECT_TRUE(chat.Close().ok());
}

TEST_F(ChatServiceTest, RepliesBeyondTheCapEndResourceExhausted) {
  config_.max_concurrent_calls = 1;
  StartServer({.chunk_delay = absl::Milliseconds(20), .extra_words = 50});
  ChatClient chat(channel_);
  ASSERT_TRUE(chat.Start(1, OneMessage("first")));
  ASSERT_TRUE(chat.ReadUntil([&] { return !chat.reply(1).kinds.empty(); }));
  ASSERT_TRUE(chat.Start(2, OneMessage("second")));
  ASSERT_TRUE(chat.ReadUntilEnded({1, 2}));
  EXPECT_EQ(chat.reply(1).code, 0);
  EXPECT_EQ(chat.reply(2).code, static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_TRUE(chat.Close().ok());
}

// Everything ready while a frame is being written goes into the next: with many replies
// producing at once, frames carry several events each.
TEST_F(ChatServiceTest, EventsOfManyRepliesShareFrames) {
  StartServer({.chunk_delay = absl::ZeroDuration(), .extra_words = 100});
  ChatClient chat(channel_);
  std::vector<uint64_t> ids;
  for (uint64_t id = 1; id <= 50; ++id) {
    ids.push_back(id);
    ASSERT_TRUE(chat.Start(id, OneMessage("many " + std::to_string(id))));
  }
  ASSERT_TRUE(chat.ReadUntilEnded(ids));
  for (uint64_t id : ids) EXPECT_EQ(chat.reply(id).code, 0) << id;
  EXPECT_LT(chat.frames(), chat.events());
  EXPECT_TRUE(chat.Close().ok());
}

TEST_F(ChatServiceTest, ADrainSaysSoRefusesNewRepliesAndLetsRunningOnesFinish) {
  StartServer({.chunk_delay = absl::Milliseconds(20), .extra_words = 20});
  ChatClient chat(channel_);
  ASSERT_TRUE(chat.Start(1, OneMessage("running")));
  ASSERT_TRUE(chat.ReadUntil([&] { return !chat.reply(1).text.empty(); }));
  std::thread shutdown([&] { server_->Shutdown(absl::Seconds(20)); });
  ASSERT_TRUE(chat.ReadUntil([&] { return chat.draining(); }));
  ASSERT_TRUE(chat.Start(2, OneMessage("too late")));
  ASSERT_TRUE(chat.ReadUntilEnded({1, 2}));
  EXPECT_EQ(chat.reply(1).code, 0);
  EXPECT_EQ(chat.reply(2).code, static_cast<int>(grpc::StatusCode::UNAVAILABLE));
  EXPECT_TRUE(chat.Close().ok());
  shutdown.join();
}

}  // namespace
}  // namespace streamgate::llm
