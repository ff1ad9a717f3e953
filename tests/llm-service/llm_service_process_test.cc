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
  ChildProcess first({LlmServiceBinary(), "--port=0", "--provider=mock"});
  int port = WaitForListeningPort(first, 10s);
  ASSERT_GT(port, 0);

  ChildProcess second({LlmServiceBinary(), "--port=" + std::to_string(port), "--provider=mock"});
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

}  // namespace
}  // namespace streamgate::testing
