#include "tests/support/streamgate_pair.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>

#include "gtest/gtest.h"

namespace streamgate::testing {

std::string BinaryPath(const std::string& name) {
  return std::string(STREAMGATE_BIN_DIR) + "/" + name;
}
std::string GatewayBinary() { return BinaryPath("gateway"); }
std::string LlmServiceBinary() { return BinaryPath("llm-service"); }

int UnusedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

StreamgatePair::StreamgatePair(Options options) : options_(std::move(options)) {
  StartLlm(0);
  if (llm_port_ == 0) return;
  std::vector<std::string> argv = {GatewayBinary(), "--port=0",
                                   "--llm-service=127.0.0.1:" + std::to_string(llm_port_)};
  argv.insert(argv.end(), options_.gateway_args.begin(), options_.gateway_args.end());
  // Never the developer's own state directory: a test that wants a file names one.
  bool names_store = false;
  for (const auto& arg : options_.gateway_args)
    names_store |= arg.rfind("--store", 0) == 0 && arg.rfind("--store-", 0) != 0;
  if (!names_store) argv.push_back("--store=memory");
  gateway_ = std::make_unique<ChildProcess>(argv);
  gateway_port_ = WaitForListeningPort(*gateway_, 10s);
}

void StreamgatePair::StartLlm(int port) {
  std::vector<std::string> argv = {LlmServiceBinary(), "--port=" + std::to_string(port),
                                   "--metrics-port=0"};
  argv.insert(argv.end(), options_.llm_args.begin(), options_.llm_args.end());
  // Tests never reach a real model, whatever the developer's environment holds.
  llm_ = std::make_unique<ChildProcess>(argv, std::vector<std::string>{"ANTHROPIC_API_KEY="});
  llm_port_ = WaitForListeningPort(*llm_, 10s);
  auto metrics = llm_->WaitForLine(std::regex(R"(listening .*metrics_port=(\d+))"), 1s);
  llm_metrics_port_ = metrics ? std::stoi(*metrics) : 0;
}

void StreamgatePair::KillLlm() {
  llm_->Signal(SIGKILL);
  ASSERT_TRUE(llm_->WaitForExit(10s).has_value());
}

void StreamgatePair::RestartLlm() {
  int port = llm_port_;
  llm_.reset();
  StartLlm(port);
}

}  // namespace streamgate::testing
