#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/metrics/registry.h"
#include "gateway/chat_session.h"
#include "gateway/connection_registry.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_metrics.h"
#include "gateway/gateway_services.h"
#include "gateway/limits/identity_limits.h"
#include "gateway/llm_client.h"
#include "gateway/per_call_backend.h"
#include "gateway/session_table.h"
#include "gateway/store/memory_session_store.h"
#include "gtest/gtest.h"
#include "tests/gateway/fake_llm_service.h"
#include "tests/gateway/fake_peer.h"

namespace streamgate::gateway::testing {

// The io_context every session of these tests runs on, for the whole process: once a call
// is cancelled, LlmStreamCall posts its end to the session's executor from a gRPC thread at
// a time no test controls, and that post must stay valid whichever test runs then. Its
// work guard keeps run_one_for waiting rather than returning at once when idle.
boost::asio::io_context& TestIo();

// Runs TestIo() until `done` holds, for at most `timeout`.
bool RunIoUntil(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(20));

// Waits until `reachability` says `want` (through a listener it sets and then removes).
bool WaitForServiceStatus(LlmReachability& reachability, const ServiceStatus& want,
                          absl::Duration timeout);

// ChatSession with its real neighbours in process: LlmStreamCall on a gRPC channel to a
// FakeLlmServer whose replies the test writes, a MemorySessionStore, a SessionTable, and a
// FakePeer for each connection. The test thread runs the io_context (RunUntil) and calls
// the sessions directly, which is their strand since no other thread runs it. Set config_
// before making a session: a session reads it (resume_window) when it is made.
class ChatSessionTest : public ::testing::Test {
 protected:
  ChatSessionTest();
  void TearDown() override;

  // A fresh session of `identity`, opened (in the table) but not attached.
  std::shared_ptr<ChatSession> NewSession(std::string identity = "user-a");
  // NewSession plus a connection attached: connection_established is its first frame.
  std::shared_ptr<ChatSession> OpenAttached(std::shared_ptr<FakePeer>* peer,
                                            std::string identity = "user-a");
  void Attach(const std::shared_ptr<ChatSession>& session, const std::shared_ptr<FakePeer>& peer);
  // A resume from `peer`; `done` runs before Resume returns (asserted).
  ChatSession::ResumeResult Resume(const std::shared_ptr<ChatSession>& session,
                                   const std::shared_ptr<FakePeer>& peer, std::string token,
                                   uint64_t last_seq, std::string identity = "");

  void UserMessage(ChatSession& session, std::string content, std::string conversation = "default");
  void Request(ChatSession& session, ClientMessage::Type type, std::string conversation = "default",
               uint64_t seq = 0);

  // Runs the io_context until `done` holds, for at most `timeout`.
  bool RunUntil(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(20));
  // The index-th StreamChat call at the fake, once it has arrived (null on timeout).
  std::shared_ptr<FakeReplyCall> WaitForCall(size_t index);
  // Runs until `peer` has `count` frames.
  bool WaitForFrames(const FakePeer& peer, size_t count);

  // The fake llm-service as the fixture's client sees it once connected.
  static ServiceStatus FakeServiceReady();
  // The connection_established a fresh session of this fixture sends (seq 1).
  std::string Established(const std::string& session_id, const std::string& token) const;

  // Fields of a delivered frame, parsed.
  static std::string Field(const ReplayLog::Frame& frame, const std::string& name);
  static uint64_t SeqField(const ReplayLog::Frame& frame);

  GatewayConfig config_;
  FakeLlmServer llm_server_;
  std::unique_ptr<LlmClient> llm_;
  std::unique_ptr<PerCallReplyBackend> replies_;
  IdentityLimits identities_{IdentityLimitRules{}};
  SessionTable sessions_{size_t{256} << 20};
  MemorySessionStore store_;
  common::metrics::Registry metrics_registry_;
  ConnectionRegistry connections_;
  GatewayMetrics metrics_{metrics_registry_, connections_};
  GatewayServices services_;
  ChatSession::Executor executor_ = TestIo().get_executor();

 private:
  std::vector<std::shared_ptr<ChatSession>> made_;  // discarded at TearDown
  uint64_t next_attach_id_ = 1;
};

}  // namespace streamgate::gateway::testing
