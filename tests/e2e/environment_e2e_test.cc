// What the binaries say at start about their environment: a misspelt GATEWAY_* or
// LLM_SERVICE_* variable gets a warning naming it (never its value), and every flag's
// prefixed twin works, the two Anthropic aliases included.
#include <regex>
#include <string>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"
#include "tests/llm-service/llm_test_client.h"

namespace streamgate::testing {
namespace {

using namespace std::chrono_literals;

bool AnyLineHas(const ChildProcess& process, const std::string& text) {
  for (const std::string& line : process.Lines()) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(EnvironmentE2e, GatewayWarnsAboutAVariableNoFlagOwnsWithoutItsValue) {
  ChildProcess gateway(
      {GatewayBinary(), "--port=0", "--store=memory"},
      {"GATEWAY_MAX_CONECTIONS=secret-looking-value-7f3a",
       "GATEWAY_HEALTHCHECK_URL=http://127.0.0.1:1/healthz", "GATEWAY_IDLE_TIMEOUT=90s"});
  ASSERT_GT(WaitForListeningPort(gateway, 10s), 0);
  // The warnings are written before the listening line, so they are all there now.
  EXPECT_TRUE(AnyLineHas(gateway,
                         "warning gateway unknown environment variable ignored "
                         "name=GATEWAY_MAX_CONECTIONS"))
      << gateway.OutputForDiagnostics();
  EXPECT_FALSE(AnyLineHas(gateway, "secret-looking-value-7f3a")) << gateway.OutputForDiagnostics();
  // Read by the container's health check, and a real twin: neither is unknown.
  EXPECT_FALSE(AnyLineHas(gateway, "name=GATEWAY_HEALTHCHECK_URL"));
  EXPECT_FALSE(AnyLineHas(gateway, "name=GATEWAY_IDLE_TIMEOUT"));
}

TEST(EnvironmentE2e, LlmServiceWarnsAboutAVariableNoFlagOwns) {
  ChildProcess llm({BinaryPath("llm-service"), "--port=0", "--metrics-port=0"},
                   {"LLM_SERVICE_MOCK_DELAY_MS=5"});
  ASSERT_GT(WaitForListeningPort(llm, 10s), 0);
  EXPECT_TRUE(AnyLineHas(llm,
                         "warning llm-service unknown environment variable ignored "
                         "name=LLM_SERVICE_MOCK_DELAY_MS"))
      << llm.OutputForDiagnostics();
}

// The replica's address: the bound one by default, its twin's value when set; the listening
// line says which, and every reply's Started carries it.
TEST(EnvironmentE2e, LlmServiceAdvertisesItsAddressOrTheOneItIsGiven) {
  ChildProcess plain({BinaryPath("llm-service"), "--port=0", "--metrics-port=0"});
  const int port = WaitForListeningPort(plain, 10s);
  ASSERT_GT(port, 0);
  EXPECT_TRUE(AnyLineHas(plain, "replica=127.0.0.1:" + std::to_string(port)))
      << plain.OutputForDiagnostics();
  EXPECT_EQ(ChatOnce(TestChannel(port), OneMessage("where")).replica,
            "127.0.0.1:" + std::to_string(port));

  ChildProcess named({BinaryPath("llm-service"), "--port=0", "--metrics-port=0"},
                     {"LLM_SERVICE_ADVERTISE_ADDRESS=llm-1.internal:7443"});
  const int named_port = WaitForListeningPort(named, 10s);
  ASSERT_GT(named_port, 0);
  EXPECT_TRUE(AnyLineHas(named, "replica=llm-1.internal:7443")) << named.OutputForDiagnostics();
  EXPECT_FALSE(AnyLineHas(named, "unknown environment variable"));
  EXPECT_EQ(ChatOnce(TestChannel(named_port), OneMessage("where")).replica, "llm-1.internal:7443");
}

// The model llm-service announces for the Claude provider (no call is made: a start is enough).
std::string AnnouncedClaudeModel(std::vector<std::string> env) {
  env.push_back("ANTHROPIC_API_KEY=sk-ant-test-not-a-key");
  env.push_back("LLM_SERVICE_PROVIDER=claude");
  ChildProcess llm({BinaryPath("llm-service"), "--port=0", "--metrics-port=0"}, env);
  auto model = llm.WaitForLine(std::regex(R"( claude base_url=\S+ model=(\S+))"), 10s);
  EXPECT_TRUE(model.has_value()) << llm.OutputForDiagnostics();
  return model.value_or("");
}

TEST(EnvironmentE2e, PrefixedModelTwinWinsOverTheAnthropicNameWhichStillWorksAlone) {
  EXPECT_EQ(AnnouncedClaudeModel({"LLM_SERVICE_ANTHROPIC_MODEL=claude-from-twin",
                                  "ANTHROPIC_MODEL=claude-from-alias"}),
            "claude-from-twin");
  EXPECT_EQ(AnnouncedClaudeModel({"ANTHROPIC_MODEL=claude-from-alias"}), "claude-from-alias");
}

}  // namespace
}  // namespace streamgate::testing
