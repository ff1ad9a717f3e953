#include "tests/claude/claude_e2e_support.h"

#include <cstdlib>

#include "gtest/gtest.h"
#include "tests/support/prometheus_text.h"
#include "tests/support/streamgate_pair.h"
#include "tests/support/ws_test_client.h"

namespace streamgate::testing {
namespace {

// These tests must never reach the real API, whatever the developer's shell holds, and the
// children get exactly the ANTHROPIC_* values the tests give them.
const bool kAnthropicEnvironmentCleared = [] {
  for (const char* name : {"ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL"}) {
    unsetenv(name);
  }
  return true;
}();

}  // namespace

FakeClaude::FakeClaude(std::vector<std::string> extra_args) {
  std::vector<std::string> argv = {BinaryPath("fake_claude_server"), "--port=0",
                                   std::string("--api-key=") + kApiKey};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<ChildProcess>(argv);
  port_ = WaitForListeningPort(*process_, 10s);
}

Json FakeClaude::Requests() {
  HttpResult result = HttpGet(port_, "/__fake/requests");
  Json parsed = Json::parse(result.body, nullptr, /*allow_exceptions=*/false);
  return parsed.is_array() ? parsed : Json::array();
}

Json FakeClaude::Connections() {
  HttpResult result = HttpGet(port_, "/__fake/connections");
  Json parsed = Json::parse(result.body, nullptr, /*allow_exceptions=*/false);
  return parsed.is_array() ? parsed : Json::array();
}

std::vector<Json> FakeClaude::MessagesRequests() {
  std::vector<Json> out;
  for (const Json& request : Requests()) {
    if (request.value("path", "") == "/v1/messages") out.push_back(request);
  }
  return out;
}

ClaudeLlmService::ClaudeLlmService(const FakeClaude& fake, std::vector<std::string> extra_args,
                                   std::string api_key)
    : ClaudeLlmService(fake.base_url(), std::move(extra_args), std::move(api_key)) {}

ClaudeLlmService::ClaudeLlmService(const std::string& base_url, std::vector<std::string> extra_args)
    : ClaudeLlmService(base_url, std::move(extra_args), kApiKey) {}

ClaudeLlmService::ClaudeLlmService(const std::string& base_url, std::vector<std::string> extra_args,
                                   std::string api_key) {
  std::vector<std::string> argv = {LlmServiceBinary(), "--port=0", "--metrics-port=0",
                                   "--provider=claude", "--upstream-retry-base-delay=20ms"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  // The test process's own environment holds no ANTHROPIC_* variable (see the test main),
  // so these are the only ones the child sees.
  process_ = std::make_unique<ChildProcess>(
      argv,
      std::vector<std::string>{"ANTHROPIC_API_KEY=" + api_key, "ANTHROPIC_BASE_URL=" + base_url});
  port_ = WaitForListeningPort(*process_, 10s);
  auto metrics = process_->WaitForLine(std::regex(R"(listening .*metrics_port=(\d+))"), 1s);
  metrics_port_ = metrics ? std::stoi(*metrics) : 0;
}

double ClaudeLlmService::Metric(const std::string& series) {
  return SampleValue(HttpGet(metrics_port_, "/metrics").body, series).value_or(-1);
}

void ClaudeLlmService::ExpectKeyNeverPrinted(const std::string& key) {
  for (const std::string& line : process_->Lines()) {
    EXPECT_EQ(line.find(key), std::string::npos) << "the API key was printed: " << line;
  }
}

std::optional<std::string> ClaudeLlmService::WaitForOutcome(const std::string& request_id,
                                                            std::chrono::milliseconds timeout) {
  std::regex outcome("(upstream end .*request=" + RegexEscape(request_id) + " .*)");
  return process_->WaitForLine(outcome, timeout);
}

llm::v1::StreamChatRequest UserRequest(const std::string& content, const std::string& request_id) {
  llm::v1::StreamChatRequest request;
  request.set_session_id("e2e-session");
  request.set_request_id(request_id);
  AddMessage(&request, llm::v1::ROLE_USER, content);
  return request;
}

void AddMessage(llm::v1::StreamChatRequest* request, llm::v1::Role role,
                const std::string& content) {
  auto* message = request->add_messages();
  message->set_role(role);
  message->set_content(content);
}

ChatResult Chat(const std::string& target, const llm::v1::StreamChatRequest& request,
                std::chrono::milliseconds deadline) {
  auto stub =
      llm::v1::LlmService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline);
  const auto start = std::chrono::steady_clock::now();
  auto reader = stub->StreamChat(&context, request);
  ChatResult result;
  llm::v1::StreamChatResponse response;
  while (reader->Read(&response)) {
    if (result.completed.has_value()) ++result.messages_after_completed;
    if (response.has_started()) result.started = response.started();
    if (response.has_delta()) {
      result.text += response.delta().text();
      ++result.deltas;
    }
    if (response.has_completed()) result.completed = response.completed();
  }
  result.status = reader->Finish();
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return result;
}

std::string RegexEscape(const std::string& text) {
  static const std::regex kSpecial(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(text, kSpecial, R"(\$&)");
}

}  // namespace streamgate::testing
