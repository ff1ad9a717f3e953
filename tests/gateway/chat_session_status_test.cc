// What a session tells its connection about the service behind the gateway: the limits and
// the service's state in connection_established, and `status` frames when the state changes.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "gateway/chat_session.h"
#include "gateway/server_frames.h"
#include "gtest/gtest.h"
#include "tests/gateway/chat_session_fixture.h"

namespace streamgate::gateway::testing {
namespace {

using Json = nlohmann::json;
using Strings = std::vector<std::string>;

const ServiceStatus kDown{
    .state = ServiceState::kUnavailable, .provider = "fake", .model = "fake-model"};

Json Parsed(const ReplayLog::Frame& frame) { return Json::parse(*frame.text); }

TEST_F(ChatSessionTest, ConnectionEstablishedTellsTheConfiguredLimits) {
  config_.max_message_bytes = 5000;
  config_.max_active_replies = 2;
  config_.max_conversations = 7;
  std::shared_ptr<FakePeer> peer;
  auto session = OpenAttached(&peer);
  ASSERT_EQ(peer->delivered.size(), 1u);
  Json established = Parsed(peer->delivered[0]);
  EXPECT_EQ(established["limits"],
            Json::parse(R"({"maxMessageBytes":5000,"maxActiveReplies":2,"maxConversations":7})"));
  EXPECT_EQ(established["service"],
            Json::parse(R"({"state":"ready","provider":"fake","model":"fake-model"})"));
}

// A change as LlmReachability publishes it: each newer than the last, and newer than what
// the fixture's client had published when the session attached (a handful of changes).
std::shared_ptr<const ServiceStatus> Shared(ServiceStatus status) {
  static uint64_t version = 1000;
  status.version = ++version;
  return std::make_shared<const ServiceStatus>(std::move(status));
}

// connection_established told version N: a change published while the session attached
// (N or older, its post still on the way) is not told twice.
TEST_F(ChatSessionTest, AChangeTheConnectionWasAlreadyToldIsDropped) {
  std::shared_ptr<FakePeer> peer;
  auto session = OpenAttached(&peer);
  TestIo().poll();
  ServiceStatus told = llm_->reachability().Current();
  ASSERT_GT(told.version, 0u);
  session->OnServiceStatus(std::make_shared<const ServiceStatus>(told));
  EXPECT_EQ(peer->delivered.size(), 1u);
  ServiceStatus newer = kDown;
  newer.version = told.version + 1;
  session->OnServiceStatus(std::make_shared<const ServiceStatus>(newer));
  EXPECT_EQ(peer->delivered.size(), 2u);
}

// Outside the seq order: the frames around a status keep contiguous seqs.
TEST_F(ChatSessionTest, AnAttachedSessionIsToldAtOnceWithSeqZero) {
  std::shared_ptr<FakePeer> peer;
  auto session = OpenAttached(&peer);
  const std::string& id = session->id();
  const std::string token = Field(peer->delivered[0], "resumeToken");
  TestIo().poll();  // connection_established is written
  session->OnServiceStatus(Shared(kDown));
  ASSERT_EQ(peer->delivered.size(), 2u);
  UserMessage(*session, "hi");
  auto call = WaitForCall(0);
  ASSERT_NE(call, nullptr);
  call->Started();
  ASSERT_TRUE(WaitForFrames(*peer, 3));
  EXPECT_EQ(peer->texts(),
            (Strings{Established(id, token), EncodeStatus(id, 0, kDown),
                     EncodeStreamStart(id, 2, "default", call->request().request_id(),
                                       call->trace_id())}));
  EXPECT_EQ(peer->seqs(), (std::vector<uint64_t>{1, 0, 2}));
}

// A client that does not read is told the latest state once, not every change it missed;
// what waits for it is one pointer, whatever the number of changes.
TEST_F(ChatSessionTest, ANewerChangeReplacesOneNotYetSent) {
  auto session = NewSession();
  auto peer = std::make_shared<FakePeer>();
  peer->HoldWrites(true);
  Attach(session, peer);
  ASSERT_EQ(peer->delivered.size(), 1u);  // connection_established, still being written
  session->OnServiceStatus(Shared(kDown));
  session->OnServiceStatus(Shared(FakeServiceReady()));
  session->OnServiceStatus(Shared(kDown));
  peer->HoldWrites(false);
  ASSERT_TRUE(WaitForFrames(*peer, 2));
  TestIo().poll();
  EXPECT_EQ(peer->texts(),
            (Strings{Established(session->id(), Field(peer->delivered[0], "resumeToken")),
                     EncodeStatus(session->id(), 0, kDown)}));
}

TEST_F(ChatSessionTest, StatusFramesAreNeverReplayedAndADetachedSessionSkipsThem) {
  std::shared_ptr<FakePeer> peer;
  auto session = OpenAttached(&peer);
  const std::string& id = session->id();
  const std::string token = Field(peer->delivered[0], "resumeToken");
  TestIo().poll();
  session->OnServiceStatus(Shared(kDown));
  ASSERT_EQ(peer->delivered.size(), 2u);
  TestIo().poll();
  session->Detach(peer->attach_id());
  ASSERT_EQ(session->state(), ChatSession::State::kDetached);
  // Nobody to tell; the connection that resumes was told in its connection_established.
  session->OnServiceStatus(Shared(FakeServiceReady()));

  auto peer2 = std::make_shared<FakePeer>();
  ASSERT_TRUE(Resume(session, peer2, token, /*last_seq=*/1).ok);
  ASSERT_TRUE(WaitForFrames(*peer2, 1));
  const std::string token2 = Field(peer2->delivered[0], "resumeToken");
  EXPECT_EQ(peer2->texts(), (Strings{EncodeSessionResumed(id, 2, /*replayed=*/0, token2)}));
  TestIo().poll();
  session->OnServiceStatus(Shared(kDown));
  ASSERT_TRUE(WaitForFrames(*peer2, 2));
  EXPECT_EQ(peer2->texts()[1], EncodeStatus(id, 0, kDown));
  EXPECT_EQ(peer->delivered.size(), 2u);  // nothing more to the connection that left
}

TEST_F(ChatSessionTest, ADrainingSessionSaysSoBeforeItsGoingAwayAndClose) {
  std::shared_ptr<FakePeer> peer;
  auto session = OpenAttached(&peer);
  const std::string& id = session->id();
  const ServiceStatus draining{
      .state = ServiceState::kDraining, .provider = "fake", .model = "fake-model"};
  // GatewayServer::Drain's order: the status first, then every session's Drain.
  session->OnServiceStatus(Shared(draining));
  session->Drain(1500);
  ASSERT_TRUE(RunUntil([&] { return !peer->closes.empty(); }));
  ASSERT_EQ(peer->delivered.size(), 3u);
  EXPECT_EQ(peer->texts()[1], EncodeStatus(id, 0, draining));
  EXPECT_EQ(Field(peer->delivered[2], "type"), "going_away");
  EXPECT_EQ(peer->delivered[2].seq, 2u);
  EXPECT_EQ(peer->closes[0].code, 1012);
}

}  // namespace
}  // namespace streamgate::gateway::testing
