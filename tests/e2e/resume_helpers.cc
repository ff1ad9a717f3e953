#include "tests/e2e/resume_helpers.h"

#include <signal.h>
#include <sys/wait.h>

#include "gtest/gtest.h"

namespace streamgate::testing {

std::optional<ClientSession> OpenSession(WsTestClient& client, int port,
                                         const WsTestClient::ConnectOptions& options) {
  if (!client.Connect(port, options)) return std::nullopt;
  auto hello = client.ReadJson();
  if (!hello || (*hello)["type"] != "connection_established") return std::nullopt;
  return ClientSession{.id = (*hello)["sessionId"].get<std::string>(),
                       .token = (*hello)["resumeToken"].get<std::string>(),
                       .last_seq = (*hello)["seq"].get<uint64_t>()};
}

std::optional<Json> ReadTracked(WsTestClient& client, ClientSession& session,
                                std::chrono::milliseconds timeout) {
  auto frame = client.ReadJson(timeout);
  if (!frame) return frame;
  uint64_t seq = (*frame)["seq"].get<uint64_t>();
  EXPECT_GT(seq, session.last_seq) << frame->dump();
  session.last_seq = seq;
  if ((*frame)["type"] == "stream_chunk") session.text += (*frame)["content"].get<std::string>();
  return frame;
}

std::optional<Json> ReadTrackedUntil(WsTestClient& client, ClientSession& session,
                                     const std::string& type, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto frame = ReadTracked(client, session, left);
    if (!frame || (*frame)["type"] == type) return frame;
  }
  return std::nullopt;
}

ResumeOutcome Resume(WsTestClient& client, int port, ClientSession& session,
                     std::optional<uint64_t> last_seq,
                     const WsTestClient::ConnectOptions& options) {
  ResumeOutcome outcome;
  auto fresh = OpenSession(client, port, options);
  if (!fresh) {
    ADD_FAILURE() << "no connection_established on the new connection";
    return outcome;
  }
  outcome.fresh_id = fresh->id;
  uint64_t from = last_seq.value_or(session.last_seq);
  EXPECT_TRUE(client.SendJson({{"type", "resume"},
                               {"sessionId", session.id},
                               {"resumeToken", session.token},
                               {"lastSeq", from}}));
  session.last_seq = from;
  for (int i = 0; i < 100000; ++i) {
    auto frame = client.ReadJson(10s);
    if (!frame) {
      ADD_FAILURE() << "the resume got no answer";
      return outcome;
    }
    if ((*frame)["type"] == "session_resumed") {
      outcome.resumed = frame;
      session.token = (*frame)["resumeToken"].get<std::string>();
      session.last_seq = (*frame)["seq"].get<uint64_t>();
      return outcome;
    }
    if ((*frame)["type"] == "error" && (*frame)["code"] == "resume_failed") {
      outcome.failure = frame;
      return outcome;
    }
    EXPECT_EQ((*frame)["sessionId"], session.id) << frame->dump();
    uint64_t seq = (*frame)["seq"].get<uint64_t>();
    EXPECT_GT(seq, session.last_seq) << "replayed out of order: " << frame->dump();
    session.last_seq = seq;
    if ((*frame)["type"] == "stream_chunk") session.text += (*frame)["content"].get<std::string>();
    outcome.replayed.push_back(*frame);
  }
  return outcome;
}

std::string ReferenceReply(int port, const std::string& content) {
  WsTestClient client;
  if (Open(client, port).empty()) return "<no connection>";
  if (!client.SendJson(UserMessage(content))) return "<not sent>";
  Reply reply = ReadReply(client, 30s);
  if (!reply.end) return "<no end>";
  return reply.text;
}

GatewayProcess::GatewayProcess(int llm_port, std::vector<std::string> args)
    : llm_port_(llm_port), args_(std::move(args)) {
  Start();
}

void GatewayProcess::Start() {
  std::vector<std::string> argv = {GatewayBinary(), "--port=0",
                                   "--llm-service=127.0.0.1:" + std::to_string(llm_port_)};
  argv.insert(argv.end(), args_.begin(), args_.end());
  process_ = std::make_unique<ChildProcess>(argv);
  port_ = WaitForListeningPort(*process_, 10s);
}

bool GatewayProcess::Stop(std::chrono::milliseconds timeout) {
  process_->Signal(SIGTERM);
  auto status = process_->WaitForExit(timeout);
  return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

void GatewayProcess::Kill() {
  process_->Signal(SIGKILL);
  EXPECT_TRUE(process_->WaitForExit(10s).has_value());
}

void ExpectNotInLog(ChildProcess& process, const std::string& secret) {
  ASSERT_FALSE(secret.empty());
  for (const auto& line : process.Lines()) {
    ASSERT_EQ(line.find(secret), std::string::npos) << "logged a secret: " << line;
  }
}

}  // namespace streamgate::testing
