// The llm-service binary itself: a second instance on a port the first holds exits at once
// with the gateway's words and exit code, instead of sharing the port (SO_REUSEPORT).
#include <sys/wait.h>

#include <regex>

#include "gtest/gtest.h"
#include "tests/llm-service/llm_test_client.h"
#include "tests/support/child_process.h"
#include "tests/support/streamgate_pair.h"

namespace streamgate::testing {
namespace {

TEST(LlmServiceProcess, ASecondServiceOnAHeldPortExitsWithTheGatewaysError) {
  ChildProcess first({LlmServiceBinary(), "--port=0", "--metrics-port=0", "--provider=mock"});
  int port = WaitForListeningPort(first, 10s);
  ASSERT_GT(port, 0);

  ChildProcess second({LlmServiceBinary(), "--port=" + std::to_string(port), "--metrics-port=0",
                       "--provider=mock"});
  EXPECT_TRUE(second
                  .WaitForLine(std::regex("^llm-service: cannot bind 127\\.0\\.0\\.1:" +
                                          std::to_string(port) + ": Address already in use$"),
                               10s)
                  .has_value())
      << second.OutputForDiagnostics();
  std::optional<int> exit_status = second.WaitForExit(10s);
  ASSERT_TRUE(exit_status.has_value()) << second.OutputForDiagnostics();
  ASSERT_TRUE(WIFEXITED(*exit_status));
  EXPECT_EQ(WEXITSTATUS(*exit_status), 2);  // the gateway's code for a start that failed
  bool said_listening = false;
  for (const std::string& line : second.Lines()) {
    said_listening |= line.find("listening") != std::string::npos;
  }
  EXPECT_FALSE(said_listening) << second.OutputForDiagnostics();

  // The first still serves, alone.
  EXPECT_TRUE(ChatOnce(TestChannel(port), OneMessage("hello")).status.ok());
}

TEST(LlmServiceProcess, AHeldMetricsPortIsRefusedToo) {
  ChildProcess first({LlmServiceBinary(), "--port=0", "--metrics-port=0", "--provider=mock"});
  ASSERT_GT(WaitForListeningPort(first, 10s), 0);
  auto metrics_port = first.WaitForLine(std::regex(R"(listening .*metrics_port=(\d+))"), 1s);
  ASSERT_TRUE(metrics_port.has_value()) << first.OutputForDiagnostics();

  ChildProcess second(
      {LlmServiceBinary(), "--port=0", "--metrics-port=" + *metrics_port, "--provider=mock"});
  EXPECT_TRUE(
      second
          .WaitForLine(std::regex("^llm-service: metrics: cannot listen on 127\\.0\\.0\\.1:" +
                                  *metrics_port + ": Address already in use$"),
                       10s)
          .has_value())
      << second.OutputForDiagnostics();
  std::optional<int> exit_status = second.WaitForExit(10s);
  ASSERT_TRUE(exit_status.has_value());
  ASSERT_TRUE(WIFEXITED(*exit_status));
  EXPECT_EQ(WEXITSTATUS(*exit_status), 2);
}

}  // namespace
}  // namespace streamgate::testing
