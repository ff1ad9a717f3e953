#include "tests/gateway/chat_session_fixture.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "gateway/auth/principal.h"

namespace streamgate::gateway::testing {

boost::asio::io_context& TestIo() {
  static auto* io = new boost::asio::io_context;
  static auto* guard = new auto(boost::asio::make_work_guard(*io));
  (void)guard;
  return *io;
}

ChatSessionTest::ChatSessionTest() {
  config_.resume_window = absl::Minutes(2);
  // Replies wait for the test's script, not for a slow machine's connect.
  config_.connect_timeout = absl::Seconds(60);
  config_.store_flush_interval = absl::Milliseconds(10);
  llm_ = std::make_unique<LlmClient>(llm_server_.target());
  // connection_established tells the service's state: every test starts from "ready",
  // with the fake's provider known.
  EXPECT_TRUE(WaitForServiceStatus(llm_->reachability(), FakeServiceReady(), absl::Seconds(20)));
  services_.config = &config_;
  services_.llm = llm_.get();
  replies_ = std::make_unique<PerCallReplyBackend>(llm_.get());
  services_.replies = replies_.get();
  services_.identities = &identities_;
  services_.sessions = &sessions_;
  services_.store = &store_;
  services_.metrics = &metrics_;
  services_.metrics_registry = &metrics_registry_;
}

bool WaitForServiceStatus(LlmReachability& reachability, const ServiceStatus& want,
                          absl::Duration timeout) {
  struct Seen {
    absl::Mutex mu;
    bool matched ABSL_GUARDED_BY(mu) = false;
  } seen;
  reachability.SetListener([&](const ServiceStatus& status) {
    absl::MutexLock lock(&seen.mu);
    if (status == want) seen.matched = true;
  });
  {
    // Read after the listener is in place: a change from here on reaches it.
    absl::MutexLock lock(&seen.mu);
    if (reachability.Current() == want) seen.matched = true;
  }
  bool matched;
  {
    absl::MutexLock lock(&seen.mu);
    matched = seen.mu.AwaitWithTimeout(absl::Condition(&seen.matched), timeout);
  }
  reachability.SetListener(nullptr);
  return matched;
}

ServiceStatus ChatSessionTest::FakeServiceReady() {
  return ServiceStatus{.state = ServiceState::kReady, .provider = "fake", .model = "fake-model"};
}

std::string ChatSessionTest::Established(const std::string& session_id,
                                         const std::string& token) const {
  return EncodeConnectionEstablished(session_id, 1, token,
                                     ClientLimits{.max_message_bytes = config_.max_message_bytes,
                                                  .max_active_replies = config_.max_active_replies,
                                                  .max_conversations = config_.max_conversations},
                                     FakeServiceReady());
}

void ChatSessionTest::TearDown() {
  // Replies still running are cancelled; wait for their ends so that no call outlives the
  // test holding its session.
  for (auto& session : made_) session->Discard();
  RunUntil(
      [&] {
        for (auto& session : made_) {
          if (session->replying()) return false;
        }
        return true;
      },
      absl::Seconds(10));
  TestIo().poll();
  made_.clear();
  TestIo().poll();
}

std::shared_ptr<ChatSession> ChatSessionTest::NewSession(std::string identity) {
  Principal principal;
  principal.identity = std::move(identity);
  auto session = std::make_shared<ChatSession>(
      services_, executor_, std::make_shared<const Principal>(std::move(principal)));
  session->Open();
  made_.push_back(session);
  return session;
}

std::shared_ptr<ChatSession> ChatSessionTest::OpenAttached(std::shared_ptr<FakePeer>* peer,
                                                           std::string identity) {
  auto session = NewSession(std::move(identity));
  *peer = std::make_shared<FakePeer>();
  Attach(session, *peer);
  return session;
}

void ChatSessionTest::Attach(const std::shared_ptr<ChatSession>& session,
                             const std::shared_ptr<FakePeer>& peer) {
  uint64_t attach_id = next_attach_id_++;
  peer->Bind(session, attach_id);
  session->Attach(peer, attach_id);
}

ChatSession::ResumeResult ChatSessionTest::Resume(const std::shared_ptr<ChatSession>& session,
                                                  const std::shared_ptr<FakePeer>& peer,
                                                  std::string token, uint64_t last_seq,
                                                  std::string identity) {
  uint64_t attach_id = next_attach_id_++;
  peer->Bind(session, attach_id);
  std::optional<ChatSession::ResumeResult> result;
  size_t delivered_at_done = 0;
  session->Resume(
      peer, attach_id,
      ChatSession::ResumeRequest{
          .token = std::move(token), .identity = std::move(identity), .last_seq = last_seq},
      [&](ChatSession::ResumeResult r) {
        result = r;
        delivered_at_done = peer->delivered.size();
      });
  EXPECT_TRUE(result.has_value()) << "Resume returned without calling done";
  // The outcome comes before anything of the replay is delivered.
  EXPECT_EQ(delivered_at_done, 0u);
  return result.value_or(ChatSession::ResumeResult{});
}

void ChatSessionTest::UserMessage(ChatSession& session, std::string content,
                                  std::string conversation) {
  ClientMessage message;
  message.type = ClientMessage::Type::kUserMessage;
  message.content = std::move(content);
  message.conversation_id = std::move(conversation);
  session.HandleMessage(std::move(message));
}

void ChatSessionTest::Request(ChatSession& session, ClientMessage::Type type,
                              std::string conversation, uint64_t seq) {
  ClientMessage message;
  message.type = type;
  message.conversation_id = std::move(conversation);
  message.seq = seq;
  session.HandleMessage(std::move(message));
}

bool RunIoUntil(const std::function<bool()>& done, absl::Duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(timeout);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    // Returns as soon as one handler ran; the slice bounds how late a condition that no
    // handler signals (the fake server's side) is seen.
    TestIo().run_one_for(std::chrono::milliseconds(5));
  }
  return true;
}

bool ChatSessionTest::RunUntil(const std::function<bool()>& done, absl::Duration timeout) {
  return RunIoUntil(done, timeout);
}

std::shared_ptr<FakeReplyCall> ChatSessionTest::WaitForCall(size_t index) {
  RunUntil([&] { return llm_server_.service().calls() > index; });
  return llm_server_.service().call(index);
}

bool ChatSessionTest::WaitForFrames(const FakePeer& peer, size_t count) {
  return RunUntil([&] { return peer.delivered.size() >= count; });
}

std::string ChatSessionTest::Field(const ReplayLog::Frame& frame, const std::string& name) {
  if (!frame.text) return "<null>";
  auto json = nlohmann::json::parse(*frame.text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains(name)) return "<absent>";
  const auto& value = json[name];
  return value.is_string() ? value.get<std::string>() : value.dump();
}

uint64_t ChatSessionTest::SeqField(const ReplayLog::Frame& frame) {
  return std::stoull(Field(frame, "seq"));
}

}  // namespace streamgate::gateway::testing
