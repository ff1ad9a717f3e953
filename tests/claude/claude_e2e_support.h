#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "streamgate/llm/v1/llm_service.grpc.pb.h"
#include "tests/support/child_process.h"

namespace streamgate::testing {

using namespace std::chrono_literals;
using Json = nlohmann::json;

// The key both the fake and llm-service are given: distinctive, so that finding it in any
// output or status is unambiguous.
inline constexpr char kApiKey[] = "sk-ant-e2e-Zq7Xv3Kp9-secret";

// fake_claude_server on a free port, with the request/connection records it serves.
class FakeClaude {
 public:
  explicit FakeClaude(std::vector<std::string> extra_args = {});
  int port() const { return port_; }
  bool ok() const { return port_ > 0; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  ChildProcess& process() { return *process_; }

  // GET /__fake/requests and /__fake/connections, parsed (an empty array on failure).
  Json Requests();
  Json Connections();
  // Only the POST /v1/messages records.
  std::vector<Json> MessagesRequests();

 private:
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

// llm-service with --provider=claude pointed at a FakeClaude. Tests shorten the retry base
// delay (--upstream-retry-base-delay) unless they pass their own.
class ClaudeLlmService {
 public:
  ClaudeLlmService(const FakeClaude& fake, std::vector<std::string> extra_args = {},
                   std::string api_key = kApiKey);
  // Pointed at `base_url` instead of a fake (e.g. a port nothing listens on).
  ClaudeLlmService(const std::string& base_url, std::vector<std::string> extra_args);
  int port() const { return port_; }
  bool ok() const { return port_ > 0; }
  ChildProcess& process() { return *process_; }
  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }
  // The value of one series of its /metrics (-1 when absent or unreachable).
  double Metric(const std::string& series);
  // Fails the test when the key appears in any line printed so far.
  void ExpectKeyNeverPrinted(const std::string& key = kApiKey);
  // Waits for the one "upstream end" line of `request_id`; returns it.
  std::optional<std::string> WaitForOutcome(const std::string& request_id,
                                            std::chrono::milliseconds timeout = 5s);

 private:
  ClaudeLlmService(const std::string& base_url, std::vector<std::string> extra_args,
                   std::string api_key);

  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
  int metrics_port_ = 0;
};

// Everything one StreamChat call returned.
struct ChatResult {
  std::optional<llm::v1::Started> started;
  std::string text;
  int deltas = 0;
  std::optional<llm::v1::Completed> completed;
  int messages_after_completed = 0;
  grpc::Status status;
  std::chrono::milliseconds elapsed{0};
};

llm::v1::StreamChatRequest UserRequest(const std::string& content,
                                       const std::string& request_id = "r1");
// Adds a message with `role` to `request`.
void AddMessage(llm::v1::StreamChatRequest* request, llm::v1::Role role,
                const std::string& content);

// One StreamChat call to llm-service at `target`, read to the end.
ChatResult Chat(const std::string& target, const llm::v1::StreamChatRequest& request,
                std::chrono::milliseconds deadline = 20s);

// A regex matching `text` literally.
std::string RegexEscape(const std::string& text);

// Base fixture of the Claude e2e suites: a fresh fake and llm-service per test (Start), and
// after every test the check that the API key was never printed.
class ClaudeE2eTest : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> llm_args = {}) {
    fake_ = std::make_unique<FakeClaude>();
    ASSERT_TRUE(fake_->ok());
    llm_ = std::make_unique<ClaudeLlmService>(*fake_, std::move(llm_args));
    ASSERT_TRUE(llm_->ok());
  }
  void TearDown() override {
    if (llm_ != nullptr) llm_->ExpectKeyNeverPrinted();
  }

  std::unique_ptr<FakeClaude> fake_;
  std::unique_ptr<ClaudeLlmService> llm_;
};

}  // namespace streamgate::testing
