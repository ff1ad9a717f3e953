#include "llm-service/chunk_channel.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "gtest/gtest.h"

namespace streamgate::llm {
namespace {

using PushResult = ChunkChannel::PushResult;

StreamChatResponse Started() {
  StreamChatResponse message;
  message.mutable_started()->set_model("m");
  return message;
}

StreamChatResponse Completed() {
  StreamChatResponse message;
  message.mutable_completed()->set_stop_reason("end_turn");
  return message;
}

// Records what the channel asks of the reactor; the test completes writes by hand.
class RecordingConsumer : public ChunkChannel::Consumer {
 public:
  void WriteMessage(const StreamChatResponse* message) override {
    EXPECT_FALSE(write_pending) << "two writes in flight";
    written.push_back(*message);
    write_pending = true;
  }
  void FinishStream(const absl::Status& status) override {
    EXPECT_FALSE(finished.has_value()) << "finished twice";
    EXPECT_FALSE(write_pending) << "finished with a write in flight";
    finished = status;
  }
  void Complete(ChunkChannel& channel, bool ok = true) {
    ASSERT_TRUE(write_pending);
    write_pending = false;
    channel.OnWriteDone(ok);
  }

  std::vector<StreamChatResponse> written;
  std::optional<absl::Status> finished;
  bool write_pending = false;
};

class ChunkChannelTest : public ::testing::Test {
 protected:
  void Make(size_t max_bytes) {
    channel_ = std::make_shared<ChunkChannel>(max_bytes);
    channel_->SetProducerCallbacks([this] { ++resumes_; }, [this] { ++cancels_; });
    channel_->Attach(&consumer_);
  }

  std::shared_ptr<ChunkChannel> channel_;
  RecordingConsumer consumer_;
  int resumes_ = 0;
  int cancels_ = 0;
};

TEST_F(ChunkChannelTest, DeliversInOrderWithOneWriteInFlight) {
  Make(1 << 20);
  EXPECT_EQ(channel_->Push(Started()), PushResult::kAccepted);
  ASSERT_EQ(consumer_.written.size(), 1u);  // written at once: nothing was in flight
  channel_->PushDelta("one ");
  EXPECT_EQ(consumer_.written.size(), 1u);  // waits behind the write in flight
  consumer_.Complete(*channel_);
  ASSERT_EQ(consumer_.written.size(), 2u);
  EXPECT_EQ(consumer_.written[1].delta().text(), "one ");
  channel_->Push(Completed());
  channel_->Finish(absl::OkStatus());
  consumer_.Complete(*channel_);
  ASSERT_EQ(consumer_.written.size(), 3u);
  EXPECT_TRUE(consumer_.written[2].has_completed());
  EXPECT_FALSE(consumer_.finished.has_value());  // not while the last write is in flight
  consumer_.Complete(*channel_);
  ASSERT_TRUE(consumer_.finished.has_value());
  EXPECT_TRUE(consumer_.finished->ok());
  EXPECT_EQ(cancels_, 0);
}

TEST_F(ChunkChannelTest, MergesDeltasWaitingBehindAWrite) {
  Make(1 << 20);
  channel_->Push(Started());
  channel_->PushDelta("a ");
  channel_->PushDelta("b ");
  channel_->PushDelta("c");
  consumer_.Complete(*channel_);
  ASSERT_EQ(consumer_.written.size(), 2u);
  EXPECT_EQ(consumer_.written[1].delta().text(), "a b c");
  // A delta never merges into a completed message or across it.
  channel_->Push(Completed());
  channel_->PushDelta("late");  // producers do not do this, but order must hold anyway
  consumer_.Complete(*channel_);
  EXPECT_TRUE(consumer_.written[2].has_completed());
  consumer_.Complete(*channel_);
  EXPECT_EQ(consumer_.written[3].delta().text(), "late");
}

TEST_F(ChunkChannelTest, PausesAboveTheBoundAndResumesAtHalf) {
  Make(200);
  channel_->Push(Started());  // in flight
  EXPECT_EQ(channel_->PushDelta(std::string(100, 'x')), PushResult::kAccepted);
  EXPECT_EQ(channel_->PushDelta(std::string(100, 'y')), PushResult::kPause);
  EXPECT_EQ(resumes_, 0);
  EXPECT_GT(channel_->queued_bytes(), 200u);
  consumer_.Complete(*channel_);  // takes the merged delta: the queue is empty
  EXPECT_EQ(resumes_, 1);
  EXPECT_EQ(channel_->queued_bytes(), 0u);
  EXPECT_EQ(channel_->PushDelta("z"), PushResult::kAccepted);
}

TEST_F(ChunkChannelTest, BoundHoldsWhileTheConsumerIsStuck) {
  Make(1000);
  channel_->Push(Started());
  int accepted = 0;
  while (channel_->PushDelta(std::string(64, 'x')) == PushResult::kAccepted) ++accepted;
  EXPECT_LE(channel_->queued_bytes(), 1000u + 64u);  // overshoot by at most one push
  EXPECT_GT(accepted, 5);
}

TEST_F(ChunkChannelTest, CancelStopsTheProducerAndFinishesAfterTheWriteInFlight) {
  Make(1 << 20);
  channel_->Push(Started());
  channel_->PushDelta("queued");
  channel_->Cancel();
  EXPECT_EQ(cancels_, 1);
  EXPECT_FALSE(consumer_.finished.has_value());
  consumer_.Complete(*channel_, /*ok=*/false);
  ASSERT_TRUE(consumer_.finished.has_value());
  EXPECT_EQ(consumer_.finished->code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(consumer_.written.size(), 1u);  // the queued delta was dropped
  EXPECT_EQ(channel_->PushDelta("more"), PushResult::kClosed);
  EXPECT_TRUE(channel_->IsClosed());
  channel_->Detach();
  EXPECT_EQ(cancels_, 1);  // told once
}

TEST_F(ChunkChannelTest, CancelWhileIdleFinishesAtOnce) {
  Make(1 << 20);
  channel_->Cancel();
  ASSERT_TRUE(consumer_.finished.has_value());
  EXPECT_EQ(consumer_.finished->code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(cancels_, 1);
}

TEST_F(ChunkChannelTest, FailedWriteEndsTheStreamAndTheProducer) {
  Make(1 << 20);
  channel_->Push(Started());
  consumer_.Complete(*channel_, /*ok=*/false);
  ASSERT_TRUE(consumer_.finished.has_value());
  EXPECT_EQ(cancels_, 1);
  EXPECT_EQ(channel_->PushDelta("x"), PushResult::kClosed);
}

TEST_F(ChunkChannelTest, ProducerErrorComesAfterQueuedMessages) {
  Make(1 << 20);
  channel_->Push(Started());
  channel_->PushDelta("partial");
  channel_->Finish(absl::UnavailableError("upstream gone"));
  EXPECT_EQ(channel_->PushDelta("x"), PushResult::kClosed);
  consumer_.Complete(*channel_);
  EXPECT_EQ(consumer_.written[1].delta().text(), "partial");
  consumer_.Complete(*channel_);
  ASSERT_TRUE(consumer_.finished.has_value());
  EXPECT_EQ(consumer_.finished->code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(cancels_, 0);  // the producer ended by itself
}

TEST(ChunkChannel, StatusBeforeAttachIsDeliveredOnAttach) {
  auto channel = std::make_shared<ChunkChannel>(1024);
  channel->Finish(absl::InvalidArgumentError("bad"));
  RecordingConsumer consumer;
  channel->Attach(&consumer);
  ASSERT_TRUE(consumer.finished.has_value());
  EXPECT_EQ(consumer.finished->code(), absl::StatusCode::kInvalidArgument);
}

// A producer thread and a consumer thread racing: every byte arrives, in order, and the
// producer honours pauses.
TEST(ChunkChannel, ProducerAndConsumerThreadsLoseNothing) {
  constexpr int kDeltas = 20000;
  auto channel = std::make_shared<ChunkChannel>(256);
  std::mutex mu;
  std::condition_variable cv;
  bool resumed = false;
  int pending_writes = 0;
  bool finished = false;
  std::string received;

  class Consumer : public ChunkChannel::Consumer {
   public:
    Consumer(std::mutex& mu, std::condition_variable& cv, int& pending, bool& finished,
             std::string& received)
        : mu_(mu), cv_(cv), pending_(pending), finished_(finished), received_(received) {}
    void WriteMessage(const StreamChatResponse* message) override {
      std::lock_guard lock(mu_);
      if (message->has_delta()) received_ += message->delta().text();
      ++pending_;
      cv_.notify_all();
    }
    void FinishStream(const absl::Status&) override {
      std::lock_guard lock(mu_);
      finished_ = true;
      cv_.notify_all();
    }

   private:
    std::mutex& mu_;
    std::condition_variable& cv_;
    int& pending_;
    bool& finished_;
    std::string& received_;
  } consumer(mu, cv, pending_writes, finished, received);

  channel->SetProducerCallbacks(
      [&] {
        std::lock_guard lock(mu);
        resumed = true;
        cv.notify_all();
      },
      [] {});
  channel->Attach(&consumer);

  std::thread writer([&] {
    for (;;) {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return pending_writes > 0 || finished; });
      if (pending_writes == 0 && finished) return;
      --pending_writes;
      lock.unlock();
      channel->OnWriteDone(true);
    }
  });

  std::string expected;
  for (int i = 0; i < kDeltas; ++i) {
    std::string piece = std::to_string(i) + " ";
    expected += piece;
    if (channel->PushDelta(piece) == PushResult::kPause) {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return resumed; });
      resumed = false;
    }
  }
  channel->Finish(absl::OkStatus());
  writer.join();
  EXPECT_TRUE(finished);
  EXPECT_EQ(received, expected);
}

}  // namespace
}  // namespace streamgate::llm
