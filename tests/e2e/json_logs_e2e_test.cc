// --log-format json on both binaries: after a run with replies, bad frames, a refused
// upgrade and a drain, every line either process wrote is one JSON object with ts, level,
// component and event, and the fields are members.
#include <signal.h>

#include <regex>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/e2e/e2e_helpers.h"
#include "tests/support/child_process.h"
#include "tests/support/streamgate_pair.h"
#include "tests/support/ws_test_client.h"

namespace streamgate::testing {
namespace {

int JsonListeningPort(ChildProcess& process) {
  // "port" with its opening quote: metrics_port comes before it on llm-service's line.
  auto port = process.WaitForLine(std::regex(R"re("event":"listening".*"port":(\d+))re"), 10s);
  return port ? std::stoi(*port) : 0;
}

std::vector<Json> ParseAll(const ChildProcess& process, const std::string& name) {
  std::vector<Json> parsed;
  for (const std::string& line : process.Lines()) {
    Json json = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(json.is_object()) << name << " wrote a line that is not a JSON object: " << line;
    if (!json.is_object()) continue;
    for (const char* member : {"ts", "level", "component", "event"}) {
      EXPECT_TRUE(json.contains(member)) << name << ": no " << member << " in " << line;
    }
    parsed.push_back(std::move(json));
  }
  return parsed;
}

TEST(JsonLogsE2e, EveryLineOfBothServicesIsOneJsonObject) {
  ChildProcess llm({LlmServiceBinary(), "--port=0", "--metrics-port=0", "--provider=mock",
                    "--mock-chunk-delay-ms=1", "--log-format=json", "--log-level=debug"},
                   {"ANTHROPIC_API_KEY="});
  int llm_port = JsonListeningPort(llm);
  ASSERT_GT(llm_port, 0) << llm.OutputForDiagnostics();
  ChildProcess gateway({GatewayBinary(), "--port=0", "--store=memory", "--log-format=json",
                        "--log-level=debug",
                        "--llm-service=127.0.0.1:" + std::to_string(llm_port)});
  int port = JsonListeningPort(gateway);
  ASSERT_GT(port, 0) << gateway.OutputForDiagnostics();

  WsTestClient client;
  ASSERT_NE(Open(client, port), "");
  ASSERT_TRUE(client.SendJson(UserMessage("hello\nwith a newline")));
  ASSERT_TRUE(ReadReply(client).end.has_value());
  ASSERT_TRUE(client.SendText("{not json\n\"level\":\"error\"}"));
  ASSERT_TRUE(client.ReadUntilType("error").has_value());
  WsTestClient foreign;
  WsTestClient::ConnectOptions options;
  options.headers = {{"Origin", "https://elsewhere.example\r\nX: y"}};
  EXPECT_FALSE(foreign.Connect(port, options));
  client.Close();
  gateway.Signal(SIGTERM);
  ASSERT_TRUE(gateway.WaitForExit(20s).has_value());
  llm.Signal(SIGTERM);
  ASSERT_TRUE(llm.WaitForExit(20s).has_value());

  std::vector<Json> gateway_lines = ParseAll(gateway, "gateway");
  std::vector<Json> llm_lines = ParseAll(llm, "llm-service");
  ASSERT_FALSE(gateway_lines.empty());
  ASSERT_FALSE(llm_lines.empty());
  bool reply_end = false;
  for (const Json& line : gateway_lines) {
    if (line["event"] == "reply end") {
      reply_end = true;
      EXPECT_EQ(line["status"], "OK");
      EXPECT_TRUE(line["session"].is_string());
    }
    EXPECT_NE(line["level"], "error") << line.dump();  // nothing forged one
  }
  EXPECT_TRUE(reply_end);
  bool call_end = false;
  for (const Json& line : llm_lines) {
    if (line["event"] == "call end") {
      call_end = true;
      EXPECT_TRUE(line["writes"].is_number()) << line.dump();
    }
  }
  EXPECT_TRUE(call_end);
}

}  // namespace
}  // namespace streamgate::testing
