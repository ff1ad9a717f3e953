#pragma once

// The fixture of llm-service's security end-to-end tests: the real llm-service (and, where a
// test needs it, the gateway) on free ports with a test PKI and token files.
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "common/credential_file.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"
#include "tests/llm-service/llm_test_client.h"
#include "tests/support/test_pki.h"

namespace streamgate::testing {

inline bool ExitedWith(std::optional<int> status, int code) {
  return status.has_value() && WIFEXITED(*status) && WEXITSTATUS(*status) == code;
}

inline std::string Escaped(const std::string& text) {
  static const std::regex kSpecial(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(text, kSpecial, R"(\$&)");
}

class LlmServiceSecurityE2e : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    pki_ = TestPki::Create(&error);
    ASSERT_NE(pki_, nullptr) << error;
    tokens_file_ = pki_->dir() + "/tokens";
    tool_a_ = NewToken("tool-a");
    tool_b_ = NewToken("gateway");
  }

  // No token, and no secret part of one, in anything any process of the test printed.
  void TearDown() override {
    for (const auto& process : processes_) {
      for (const std::string& line : process->Lines()) {
        for (const std::string& secret : secrets_) {
          ASSERT_EQ(line.find(secret), std::string::npos) << "a secret was printed: " << line;
        }
      }
    }
  }

  common::NewCredential NewToken(const std::string& name) {
    auto made = common::MakeCredential(name);
    EXPECT_TRUE(made.ok());
    secrets_.push_back(made->secret);
    // The secret part alone, after "sg_<id>_" (it may hold '_' itself; the id does not).
    secrets_.push_back(made->secret.substr(made->secret.find('_', 3) + 1));
    return *made;
  }

  std::string WriteTokens(const std::vector<common::NewCredential>& tokens) {
    std::string text = "# llm-service tokens\n";
    for (const auto& token : tokens) text += token.line + "\n";
    EXPECT_TRUE(WriteTextFile(tokens_file_, text));
    return tokens_file_;
  }

  // A file holding one token the way an operator would write it.
  std::string TokenFile(const common::NewCredential& token) {
    std::string path = pki_->dir() + "/gateway-" + token.id + ".token";
    EXPECT_TRUE(WriteTextFile(path, "  " + token.secret + "\n"));
    return path;
  }

  ChildProcess* Spawn(std::vector<std::string> argv) {
    // Tests never reach a real model, whatever the developer's environment holds.
    processes_.push_back(
        std::make_unique<ChildProcess>(argv, std::vector<std::string>{"ANTHROPIC_API_KEY="}));
    return processes_.back().get();
  }

  // llm-service with the mock on a free port; returns the port (0 when it did not start).
  int StartLlm(std::vector<std::string> args) {
    std::vector<std::string> argv = {LlmServiceBinary(), "--port=0", "--metrics-port=0",
                                     "--mock-chunk-delay-ms=0"};
    argv.insert(argv.end(), args.begin(), args.end());
    llm_ = Spawn(argv);
    return WaitForListeningPort(*llm_, 10s);
  }

  // A gateway in front of the llm-service on `llm_port`; returns its port.
  int StartGateway(int llm_port, std::vector<std::string> args) {
    std::vector<std::string> argv = {GatewayBinary(), "--port=0",
                                     "--llm-service=127.0.0.1:" + std::to_string(llm_port),
                                     "--llm-connect-timeout=1s"};
    argv.insert(argv.end(), args.begin(), args.end());
    return WaitForListeningPort(*Spawn(argv), 10s);
  }

  // One message through a gateway's WebSocket.
  Reply AskGateway(int gateway_port, const std::string& text) {
    WsTestClient client;
    if (Open(client, gateway_port).empty()) {
      ADD_FAILURE() << "no session on gateway port " << gateway_port;
      return {};
    }
    EXPECT_TRUE(client.SendJson(UserMessage(text)));
    return ReadReply(client);
  }

  std::vector<std::string> ServerTls() {
    return {"--tls-cert=" + pki_->server_pem(), "--tls-key=" + pki_->server_key()};
  }

  // Waits for a line matching `pattern` printed after line `from`.
  bool WaitForLlmLine(const std::string& pattern, size_t from) {
    bool found = llm_->WaitForLine(std::regex(pattern), 10s, from).has_value();
    EXPECT_TRUE(found) << "no line matching " << pattern << "\n" << llm_->OutputForDiagnostics();
    return found;
  }

  size_t CountLlmLines(const std::string& pattern) {
    std::regex re(pattern);
    size_t count = 0;
    for (const auto& line : llm_->Lines()) count += std::regex_search(line, re) ? 1 : 0;
    return count;
  }

  std::unique_ptr<TestPki> pki_;
  std::string tokens_file_;
  common::NewCredential tool_a_;
  common::NewCredential tool_b_;
  std::vector<std::string> secrets_;
  std::vector<std::unique_ptr<ChildProcess>> processes_;
  ChildProcess* llm_ = nullptr;
};

// The bearer-token tests, under a name of their own.
class TokensE2e : public LlmServiceSecurityE2e {};

}  // namespace streamgate::testing
