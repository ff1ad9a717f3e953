#include "gateway/llm_reachability.h"

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/llm_client.h"
#include "gtest/gtest.h"
#include "tests/gateway/chat_session_fixture.h"
#include "tests/gateway/fake_llm_service.h"

namespace streamgate::gateway {
namespace {

using testing::FakeLlmServer;
using testing::WaitForServiceStatus;

// Every status the listener was called with, in order.
struct Recorder {
  absl::Mutex mu;
  std::vector<ServiceStatus> seen ABSL_GUARDED_BY(mu);

  LlmReachability::Listener Listener() {
    return [this](const ServiceStatus& status) {
      absl::MutexLock lock(&mu);
      seen.push_back(status);
    };
  }
  std::vector<ServiceState> States() {
    absl::MutexLock lock(&mu);
    std::vector<ServiceState> out;
    for (const auto& status : seen) out.push_back(status.state);
    return out;
  }
};

constexpr ServiceState kReady = ServiceState::kReady;
constexpr ServiceState kUnavailable = ServiceState::kUnavailable;
constexpr ServiceState kDraining = ServiceState::kDraining;

TEST(LlmReachability, NothingIsReachableUntilTheChannelIsReady) {
  LlmReachability reachability("llm:1", nullptr, "");
  EXPECT_EQ(reachability.Current().state, kUnavailable);
  reachability.OnChannelState(GRPC_CHANNEL_CONNECTING);
  EXPECT_EQ(reachability.Current().state, kUnavailable);
  reachability.OnChannelState(GRPC_CHANNEL_READY);
  EXPECT_EQ(reachability.Current().state, kReady);
  // No channel: nobody to ask who answers.
  EXPECT_EQ(reachability.Current().provider, "");
}

TEST(LlmReachability, EachTransitionReachesTheListenerOnceAndInOrder) {
  LlmReachability reachability("llm:1", nullptr, "");
  Recorder recorder;
  reachability.SetListener(recorder.Listener());
  reachability.OnChannelState(GRPC_CHANNEL_CONNECTING);
  reachability.OnChannelState(GRPC_CHANNEL_READY);
  reachability.OnChannelState(GRPC_CHANNEL_READY);
  // A reconnect passes through IDLE and CONNECTING: still what it was until it fails.
  reachability.OnChannelState(GRPC_CHANNEL_IDLE);
  reachability.OnChannelState(GRPC_CHANNEL_CONNECTING);
  EXPECT_EQ(reachability.Current().state, kReady);
  reachability.OnChannelState(GRPC_CHANNEL_TRANSIENT_FAILURE);
  reachability.OnChannelState(GRPC_CHANNEL_CONNECTING);
  reachability.OnChannelState(GRPC_CHANNEL_TRANSIENT_FAILURE);
  reachability.OnChannelState(GRPC_CHANNEL_READY);
  reachability.OnChannelState(GRPC_CHANNEL_SHUTDOWN);
  EXPECT_EQ(recorder.States(),
            (std::vector<ServiceState>{kReady, kUnavailable, kReady, kUnavailable}));
}

TEST(LlmReachability, AFirstFailureChangesNothingClientsWereToldAlready) {
  LlmReachability reachability("llm:1", nullptr, "");
  Recorder recorder;
  reachability.SetListener(recorder.Listener());
  reachability.OnChannelState(GRPC_CHANNEL_TRANSIENT_FAILURE);
  EXPECT_EQ(reachability.Current().state, kUnavailable);
  EXPECT_TRUE(recorder.States().empty());
}

TEST(LlmReachability, DrainingWinsOverEveryLaterChannelState) {
  LlmReachability reachability("llm:1", nullptr, "");
  Recorder recorder;
  reachability.SetListener(recorder.Listener());
  reachability.OnChannelState(GRPC_CHANNEL_READY);
  reachability.SetDraining();
  reachability.OnChannelState(GRPC_CHANNEL_TRANSIENT_FAILURE);
  reachability.OnChannelState(GRPC_CHANNEL_READY);
  EXPECT_EQ(reachability.Current().state, kDraining);
  EXPECT_EQ(recorder.States(), (std::vector<ServiceState>{kReady, kDraining}));
}

TEST(LlmReachability, ARemovedListenerIsNotCalledAgain) {
  LlmReachability reachability("llm:1", nullptr, "");
  Recorder recorder;
  reachability.SetListener(recorder.Listener());
  reachability.OnChannelState(GRPC_CHANNEL_READY);
  reachability.SetListener(nullptr);
  reachability.OnChannelState(GRPC_CHANNEL_TRANSIENT_FAILURE);
  EXPECT_EQ(recorder.States(), (std::vector<ServiceState>{kReady}));
  EXPECT_EQ(reachability.Current().state, kUnavailable);
}

// With a real channel: the client asks GetServiceInfo once connected and tells who answers.
TEST(LlmReachability, OnceConnectedItAsksWhoAnswers) {
  FakeLlmServer server;
  LlmClient client(server.target());
  EXPECT_TRUE(WaitForServiceStatus(client.reachability(),
                                   {.state = kReady, .provider = "fake", .model = "fake-model"},
                                   absl::Seconds(20)));
  EXPECT_EQ(server.service().info_calls(), 1u);
}

TEST(LlmReachability, AFailedInfoCallLeavesTheServiceReadyWithoutAName) {
  FakeLlmServer server;
  server.service().set_info_status(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "older"));
  LlmClient client(server.target());
  EXPECT_TRUE(WaitForServiceStatus(client.reachability(), {.state = kReady}, absl::Seconds(20)));
  // The failure changes nothing a message would meet: still ready, just nameless.
  ASSERT_TRUE(server.service().WaitForInfoCalls(1, absl::Seconds(20)));
  EXPECT_EQ(client.reachability().Current(), ServiceStatus{.state = kReady});
}

}  // namespace
}  // namespace streamgate::gateway
