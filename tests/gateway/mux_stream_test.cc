// MuxStream's bounds and lifecycle against an in-process gRPC server whose Chat handler
// never reads: the stream's write stalls in HTTP/2 flow control, starts gather behind it up
// to kMaxPendingRequestBytes and the next is refused (defined, not queued); a retired stream
// takes no new reply; every reply on the stream hears of its end when it is shut down.
#include "gateway/mux_stream.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace streamgate::gateway {
namespace {

// Chat that accepts the stream and never reads it; ends when the client cancels.
class DeafChat final
    : public grpc::ServerBidiReactor<llm::v1::ChatClientFrame, llm::v1::ChatServerFrame> {
 public:
  void OnCancel() override { Finish(grpc::Status::CANCELLED); }
  void OnDone() override { delete this; }
};

class DeafService final : public llm::v1::LlmService::CallbackService {
 public:
  grpc::ServerBidiReactor<llm::v1::ChatClientFrame, llm::v1::ChatServerFrame>* Chat(
      grpc::CallbackServerContext* /*context*/) override {
    return new DeafChat();
  }
};

// Counts the replies told that their stream was lost (on the test's io thread).
class CountingSink final : public MuxStream::Sink {
 public:
  void OnEvent(llm::v1::ReplyEvent& /*event*/) override {}
  void OnStreamLost(const grpc::Status& status) override {
    absl::MutexLock lock(&mu_);
    ++lost_;
    last_code_ = status.error_code();
  }
  bool WaitLost(absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(
                                    +[](int* lost) { return *lost > 0; }, &lost_),
                                timeout);
  }

 private:
  absl::Mutex mu_;
  int lost_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::StatusCode last_code_ ABSL_GUARDED_BY(mu_) = grpc::StatusCode::OK;
};

class MuxStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_GT(port, 0);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials());
    stub_ = llm::v1::LlmService::NewStub(channel_);
    io_thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    work_.reset();
    io_thread_.join();
    server_->Shutdown(std::chrono::system_clock::now());
  }

  static ReplyStart StartOf(uint64_t id, size_t request_bytes) {
    return ReplyStart{.reply_id = id, .request = std::string(request_bytes, 'r')};
  }

  DeafService service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<llm::v1::LlmService::Stub> stub_;
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_{
      boost::asio::make_work_guard(io_)};
  std::thread io_thread_;
};

TEST_F(MuxStreamTest, StartsBehindAStalledWriteAreBoundedAndTheNextIsRefused) {
  auto stream = MuxStream::Start(stub_.get(), "");
  constexpr size_t kRequest = 256 * 1024;
  auto sink = std::make_shared<CountingSink>();
  // The first write goes out; the server never reads, so writes stall in HTTP/2 flow
  // control and what comes after waits in the stream, up to the bound.
  ASSERT_EQ(stream->StartReply(StartOf(1, kRequest), 0, io_.get_executor(), sink),
            MuxStream::Taken::kYes);
  // gRPC takes a few MiB into its own buffers before the write stalls (more while its
  // flow-control windows grow, at its own pace); what waits in the stream never passes the
  // bound, and once it is reached the next start is refused.
  constexpr size_t kEnough = 400;  // 100 MiB: far past gRPC's buffers plus the bound
  size_t taken = 0;
  size_t refused = 0;
  for (size_t i = 0; i < kEnough && refused < 50; ++i) {
    const MuxStream::Taken answer =
        stream->StartReply(StartOf(2 + i, kRequest), 0, io_.get_executor(), sink);
    if (answer == MuxStream::Taken::kYes) {
      ++taken;
    } else {
      ASSERT_EQ(answer, MuxStream::Taken::kBacklogFull);
      ++refused;
    }
    // Only this thread adds, so what is read now is at most what was there after the add.
    ASSERT_LE(stream->pending_request_bytes(), MuxStream::kMaxPendingRequestBytes);
  }
  ASSERT_GT(refused, 0U) << "starts were never refused";
  EXPECT_GE(taken, MuxStream::kMaxPendingRequestBytes / kRequest);
  // Credit and cancels for replies on it still go in (bounded by the replies it has).
  stream->Grant(2, 1024);
  stream->Grant(2, 1024);
  stream->Cancel(3);
  stream->Cancel(3);
  EXPECT_TRUE(stream->usable());
  stream->Shutdown();
  EXPECT_TRUE(sink->WaitLost(absl::Seconds(10)));
  EXPECT_TRUE(stream->done()->WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_FALSE(stream->usable());
}

TEST_F(MuxStreamTest, ARetiredStreamTakesNoNewReplyAndEndsWithoutReplies) {
  auto stream = MuxStream::Start(stub_.get(), "");
  auto sink = std::make_shared<CountingSink>();
  stream->Retire();
  EXPECT_FALSE(stream->usable());
  EXPECT_EQ(stream->StartReply(StartOf(1, 10), 0, io_.get_executor(), sink),
            MuxStream::Taken::kNotTaking);
  stream->Shutdown();
  EXPECT_TRUE(stream->done()->WaitForNotificationWithTimeout(absl::Seconds(10)));
}

TEST_F(MuxStreamTest, AReplyStartedOnAnEndedStreamHearsItLost) {
  auto stream = MuxStream::Start(stub_.get(), "");
  stream->Shutdown();
  ASSERT_TRUE(stream->done()->WaitForNotificationWithTimeout(absl::Seconds(10)));
  auto sink = std::make_shared<CountingSink>();
  EXPECT_EQ(stream->StartReply(StartOf(1, 10), 0, io_.get_executor(), sink),
            MuxStream::Taken::kYes);
  EXPECT_TRUE(sink->WaitLost(absl::Seconds(10)));
}

}  // namespace
}  // namespace streamgate::gateway
