// ChatSession against a fake ReplyBackend: no gRPC, no llm-service, no sockets. The session's
// own rules (one reply per conversation, cancel, backpressure on the reply, what a failure
// leaves behind) with every event scripted by the test, which runs the session's loop.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/metrics/registry.h"
#include "gateway/auth/principal.h"
#include "gateway/chat_session.h"
#include "gateway/connection_registry.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_metrics.h"
#include "gateway/gateway_services.h"
#include "gateway/limits/identity_limits.h"
#include "gateway/llm_client.h"
#include "gateway/session_table.h"
#include "gateway/store/memory_session_store.h"
#include "gtest/gtest.h"
#include "tests/gateway/chat_session_fixture.h"
#include "tests/gateway/fake_peer.h"
#include "tests/gateway/fake_reply_backend.h"
#include "tests/support/prometheus_text.h"

namespace streamgate::gateway::testing {
namespace {

class SessionOnFakeBackendTest : public ::testing::Test {
 protected:
  SessionOnFakeBackendTest() {
    config_.resume_window = absl::Minutes(2);
    config_.reply_timeout = absl::Seconds(77);
    config_.connect_timeout = absl::Milliseconds(1500);
    services_.config = &config_;
    services_.llm = &llm_;
    services_.replies = &backend_;
    services_.identities = &identities_;
    services_.sessions = &sessions_;
    services_.store = &store_;
    services_.metrics = &metrics_;
  }
  ~SessionOnFakeBackendTest() override {
    if (session_) session_->Discard();
    TestIo().poll();
  }

  void Open() {
    Principal principal;
    principal.identity = "user-a";
    session_ = std::make_shared<ChatSession>(services_, TestIo().get_executor(),
                                             std::make_shared<const Principal>(principal));
    session_->Open();
    peer_ = std::make_shared<FakePeer>();
    peer_->Bind(session_, 1);
    session_->Attach(peer_, 1);
    TestIo().poll();
  }
  void Say(std::string content, std::string conversation = "default") {
    ClientMessage message;
    message.type = ClientMessage::Type::kUserMessage;
    message.content = std::move(content);
    message.conversation_id = std::move(conversation);
    session_->HandleMessage(std::move(message));
    TestIo().poll();
  }
  void Cancel(std::string conversation = "default") {
    ClientMessage message;
    message.type = ClientMessage::Type::kCancel;
    message.conversation_id = std::move(conversation);
    session_->HandleMessage(std::move(message));
    TestIo().poll();
  }
  // The frames delivered after connection_established, as parsed JSON.
  std::vector<nlohmann::json> Frames() {
    TestIo().poll();
    std::vector<nlohmann::json> out;
    for (size_t i = 1; i < peer_->delivered.size(); ++i) {
      out.push_back(nlohmann::json::parse(*peer_->delivered[i].text));
    }
    return out;
  }
  // One series of the session's metrics, as /metrics would show it.
  double Metric(const std::string& series) {
    return ::streamgate::testing::SampleValue(metrics_registry_.Render(), series).value_or(-1);
  }
  std::vector<std::string> Types() {
    std::vector<std::string> out;
    for (const auto& frame : Frames()) out.push_back(frame["type"]);
    return out;
  }

  GatewayConfig config_;
  LlmClient llm_{"127.0.0.1:1"};  // only for the state connection_established tells
  FakeReplyBackend backend_;
  IdentityLimits identities_{IdentityLimitRules{}};
  SessionTable sessions_{size_t{64} << 20};
  MemorySessionStore store_;
  common::metrics::Registry metrics_registry_;
  ConnectionRegistry connections_;
  GatewayMetrics metrics_{metrics_registry_, connections_};
  GatewayServices services_;
  std::shared_ptr<ChatSession> session_;
  std::shared_ptr<FakePeer> peer_;
};

TEST_F(SessionOnFakeBackendTest, AReplyStartsWithTheRequestAndItsEventsBecomeFramesInOrder) {
  Open();
  Say("hi");
  ASSERT_EQ(backend_.starts(), 1u);
  FakeReply& reply = backend_.reply(0);
  EXPECT_EQ(reply.start().timeout, absl::Seconds(77));
  EXPECT_EQ(reply.start().connect_timeout, absl::Milliseconds(1500));
  llm::v1::StreamChatRequest request = reply.request();
  EXPECT_EQ(request.session_id(), session_->id());
  ASSERT_EQ(request.messages_size(), 1);
  EXPECT_EQ(request.messages(0).content(), "hi");
  reply.Started();
  reply.Delta("Hel");
  TestIo().poll();
  reply.Delta("lo");
  reply.Completed("end_turn", {7, 2});
  auto frames = Frames();
  ASSERT_EQ(Types(), (std::vector<std::string>{"stream_start", "stream_chunk", "stream_chunk",
                                               "stream_end"}));
  EXPECT_EQ(frames[0]["requestId"], request.request_id());
  EXPECT_EQ(frames[1]["content"].get<std::string>() + frames[2]["content"].get<std::string>(),
            "Hello");
  EXPECT_EQ(frames[3]["stopReason"], "end_turn");
  EXPECT_EQ(frames[3]["usage"]["outputTokens"], 2);
  EXPECT_FALSE(session_->replying());
  EXPECT_EQ(Metric("streamgate_gateway_replies_total{outcome=\"completed\"}"), 1);
  EXPECT_EQ(Metric("streamgate_gateway_llm_calls_total{code=\"OK\"}"), 1);
  // Two chunk frames written: the first chunk, then one gap; one reply's whole duration.
  EXPECT_EQ(Metric("streamgate_gateway_reply_first_chunk_seconds_count"), 1);
  EXPECT_EQ(Metric("streamgate_gateway_chunk_gap_seconds_count"), 1);
  EXPECT_EQ(Metric("streamgate_gateway_reply_duration_seconds_count{outcome=\"completed\"}"), 1);
  EXPECT_EQ(Metric("streamgate_gateway_reply_duration_seconds_count{outcome=\"error\"}"), 0);
  EXPECT_EQ(Metric("streamgate_gateway_frames_merged_total"), 0);

  // The exchange is history: the next request carries it.
  Say("more");
  ASSERT_EQ(backend_.starts(), 2u);
  llm::v1::StreamChatRequest next = backend_.reply(1).request();
  ASSERT_EQ(next.messages_size(), 3);
  EXPECT_EQ(next.messages(1).content(), "Hello");
  EXPECT_NE(backend_.reply(1).start().reply_id, reply.start().reply_id);
}

TEST_F(SessionOnFakeBackendTest, AMessageWhileItsConversationReplysIsBusyAndStartsNothing) {
  Open();
  Say("one");
  Say("two");
  EXPECT_EQ(backend_.starts(), 1u);
  auto frames = Frames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0]["code"], "busy");
  EXPECT_EQ(Metric("streamgate_gateway_errors_sent_total{code=\"busy\"}"), 1);
  // Another conversation may reply at the same time.
  Say("three", "other");
  EXPECT_EQ(backend_.starts(), 2u);
}

TEST_F(SessionOnFakeBackendTest, CancelReachesTheBackendAndKeepsWhatTheUserSaw) {
  Open();
  Say("tell me");
  FakeReply& reply = backend_.reply(0);
  reply.Started();
  reply.Delta("partial");
  Cancel();
  EXPECT_EQ(reply.cancels(), 1);
  reply.EndCancelled();
  auto frames = Frames();
  ASSERT_EQ(frames.back()["type"], "stream_end");
  EXPECT_EQ(frames.back()["cancelled"], true);
  EXPECT_EQ(Metric("streamgate_gateway_replies_total{outcome=\"cancelled\"}"), 1);
  EXPECT_EQ(Metric("streamgate_gateway_llm_calls_total{code=\"CANCELLED\"}"), 1);
  EXPECT_EQ(Metric("streamgate_gateway_cancel_seconds_count"), 1);
  EXPECT_EQ(Metric("streamgate_gateway_reply_duration_seconds_count{outcome=\"cancelled\"}"), 1);
  Say("and then?");
  ASSERT_EQ(backend_.starts(), 2u);
  EXPECT_EQ(backend_.reply(1).request().messages(1).content(), "partial");
}

TEST_F(SessionOnFakeBackendTest, AFullOutboxPausesTheReplyAndADrainedOneResumesIt) {
  config_.max_outbound_bytes = 4096;
  Open();
  Say("a lot");
  FakeReply& reply = backend_.reply(0);
  peer_->HoldWrites(true);  // the client stops reading
  reply.Started();
  reply.Delta(std::string(3000, 'a'));
  reply.Delta(std::string(3000, 'b'));
  EXPECT_EQ(reply.pauses(), (std::vector<bool>{true}));
  EXPECT_EQ(Metric("streamgate_gateway_slow_reader_pauses_total"), 1);
  // Behind stream_start, the write in flight, each delta joined the chunk already queued.
  reply.Delta(std::string(10, 'c'));
  EXPECT_EQ(Metric("streamgate_gateway_frames_merged_total"), 2);
  // Queued: that chunk ('a', 'b' and 'c', with its JSON).
  EXPECT_GT(Metric("streamgate_gateway_outbound_queued_bytes"), 6010);
  peer_->HoldWrites(false);
  ASSERT_TRUE(RunIoUntil([&] { return reply.pauses().size() == 2; }));
  EXPECT_EQ(reply.pauses(), (std::vector<bool>{true, false}));
  ASSERT_TRUE(RunIoUntil([&] { return Metric("streamgate_gateway_outbound_queued_bytes") == 0; }));
}

TEST_F(SessionOnFakeBackendTest, AFailureEndsWithTheBackendsErrorAndLeavesNoHistory) {
  Open();
  Say("will fail");
  FakeReply& reply = backend_.reply(0);
  reply.Started();
  reply.Delta("half");
  reply.Fail(ClientError::kUpstreamUnavailable, "UNAVAILABLE", "Socket closed");
  auto frames = Frames();
  ASSERT_EQ(frames.back()["type"], "error");
  EXPECT_EQ(frames.back()["code"], "upstream_unavailable");
  EXPECT_EQ(frames.back()["requestId"], reply.request().request_id());
  // The cause is for the log only.
  EXPECT_EQ(frames.back().dump().find("Socket closed"), std::string::npos);
  EXPECT_EQ(Metric("streamgate_gateway_replies_total{outcome=\"error\"}"), 1);
  EXPECT_EQ(Metric("streamgate_gateway_llm_calls_total{code=\"UNAVAILABLE\"}"), 1);
  EXPECT_EQ(Metric("streamgate_gateway_errors_sent_total{code=\"upstream_unavailable\"}"), 1);
  Say("again");
  ASSERT_EQ(backend_.starts(), 2u);
  EXPECT_EQ(backend_.reply(1).request().messages_size(), 1);
}

// The history keeps an exchange only within --history-max-bytes; a reply that grows past it
// is not held whole meanwhile, and it leaves the history as keeping it would have: empty.
TEST_F(SessionOnFakeBackendTest, AReplyLongerThanTheHistoryBoundLeavesWhatRecordingItWould) {
  config_.history_max_bytes = 10;
  Open();
  Say("q");  // 1 byte + 9 of reply: exactly at the bound, kept
  backend_.reply(0).Started();
  backend_.reply(0).Delta("1234");
  backend_.reply(0).Delta("56789");
  backend_.reply(0).Completed("end_turn", {1, 2});
  Say("r");
  ASSERT_EQ(backend_.starts(), 2u);
  ASSERT_EQ(backend_.reply(1).request().messages_size(), 3);
  EXPECT_EQ(backend_.reply(1).request().messages(1).content(), "123456789");
  // One byte more, over several deltas: the whole history goes, this exchange included.
  backend_.reply(1).Started();
  backend_.reply(1).Delta("12345");
  backend_.reply(1).Delta("67890");
  backend_.reply(1).Delta("more after the bound");
  backend_.reply(1).Completed("end_turn", {1, 3});
  std::string shown;
  for (const auto& frame : Frames()) {
    if (frame["type"] == "stream_chunk") shown += frame["content"].get<std::string>();
  }
  EXPECT_EQ(shown,
            "123456789"
            "1234567890more after the bound");  // the client saw it all
  Say("s");
  ASSERT_EQ(backend_.starts(), 3u);
  EXPECT_EQ(backend_.reply(2).request().messages_size(), 1);
}

TEST_F(SessionOnFakeBackendTest, WithoutAResumeWindowADisconnectCancelsTheReply) {
  config_.resume_window = absl::ZeroDuration();
  Open();
  Say("going");
  session_->Detach(1);
  EXPECT_EQ(backend_.reply(0).cancels(), 1);
  EXPECT_EQ(session_->state(), ChatSession::State::kClosed);
}

}  // namespace
}  // namespace streamgate::gateway::testing
