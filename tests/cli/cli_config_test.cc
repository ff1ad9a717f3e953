#include "tools/streamgate-cli/cli_config.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace streamgate::cli {
namespace {

std::vector<std::string> Strings(const std::vector<const char*>& items) {
  return {items.begin(), items.end()};
}

TEST(CliConfig, SplitsFlagsFromTheWordsOfTheQuestion) {
  const char* argv[] = {"cli", "--url", "ws://h/ws", "what", "--json", "is", "--grpc=x:1", "up"};
  SplitArgs split = SplitArguments(8, argv, {"json", "help"});
  EXPECT_EQ(Strings(split.flag_args),
            (std::vector<std::string>{"cli", "--url", "ws://h/ws", "--json", "--grpc=x:1"}));
  EXPECT_EQ(split.words, (std::vector<std::string>{"what", "is", "up"}));
}

TEST(CliConfig, DoubleDashEndsTheFlags) {
  const char* argv[] = {"cli", "--json", "--", "--not-a-flag", "-x"};
  SplitArgs split = SplitArguments(5, argv, {"json"});
  EXPECT_EQ(Strings(split.flag_args), (std::vector<std::string>{"cli", "--json"}));
  EXPECT_EQ(split.words, (std::vector<std::string>{"--not-a-flag", "-x"}));
}

TEST(CliConfig, ParsesWebSocketAndHttpUrls) {
  auto plain = ParseUrl("ws://localhost:3000/ws", "ws");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->host, "localhost");
  EXPECT_EQ(plain->port, 3000);
  EXPECT_EQ(plain->path, "/ws");
  EXPECT_EQ(plain->HostHeader(), "localhost:3000");

  auto defaults = ParseUrl("http://gateway", "http");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->port, 80);
  EXPECT_EQ(defaults->path, "/");

  auto v6 = ParseUrl("ws://[::1]:8080/ws?x=1", "ws");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->path, "/ws?x=1");
  EXPECT_EQ(v6->HostHeader(), "[::1]:8080");
  EXPECT_FALSE(plain->tls);
}

TEST(CliConfig, ParsesTlsUrlsWithTheirDefaultPort) {
  auto secure = ParseUrl("wss://chat.example/ws", "ws");
  ASSERT_TRUE(secure.ok());
  EXPECT_TRUE(secure->tls);
  EXPECT_EQ(secure->port, 443);
  auto health = ParseUrl("https://127.0.0.1:3443/healthz", "http");
  ASSERT_TRUE(health.ok());
  EXPECT_TRUE(health->tls);
  EXPECT_EQ(health->port, 3443);
}

TEST(CliConfig, RejectsUrlsItCannotUse) {
  for (const char* url : {"https://host/ws", "http://host/ws", "ws://", "ws://:80/", "ws://h:0/",
                          "ws://h:99999/", "ws://h:x/", "ws://[::1/"}) {
    EXPECT_FALSE(ParseUrl(url, "ws").ok()) << url;
  }
}

TEST(CliConfig, ValidatesTheCombinationOfModes) {
  CliConfig config;
  EXPECT_TRUE(Validate(config).ok());
  config.grpc_target = "llm-service";
  EXPECT_FALSE(Validate(config).ok());  // no port
  config.grpc_target = "llm-service:50051";
  EXPECT_TRUE(Validate(config).ok());

  CliConfig probe;
  probe.health_url = "http://127.0.0.1:3000/healthz";
  EXPECT_TRUE(Validate(probe).ok());
  probe.question = "hi";
  EXPECT_FALSE(Validate(probe).ok());
  probe.question.clear();
  probe.grpc_health_target = "127.0.0.1:50051";
  EXPECT_FALSE(Validate(probe).ok());  // one probe at a time

  CliConfig half_mtls;
  half_mtls.tls_cert = "client.pem";
  EXPECT_FALSE(Validate(half_mtls).ok());
}

TEST(CliConfig, ValidatesTheConversationAndTheReconnectTimeout) {
  CliConfig config;
  config.conversation = "work_2-b";
  EXPECT_TRUE(Validate(config).ok());
  config.conversation = "not ok!";
  absl::Status bad = Validate(config);
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(bad.message(), "--conversation: a conversation id is 1-64"))
      << bad.message();
  config.conversation = "";
  EXPECT_FALSE(Validate(config).ok());
  config.conversation = "ok";
  config.grpc_target = "llm-service:50051";
  EXPECT_FALSE(Validate(config).ok());  // llm-service has no threads
  config.conversation = "default";
  EXPECT_TRUE(Validate(config).ok());

  CliConfig reconnect;
  reconnect.reconnect_timeout = absl::ZeroDuration();
  EXPECT_TRUE(Validate(reconnect).ok());  // zero: no resuming
  reconnect.reconnect_timeout = -absl::Seconds(1);
  EXPECT_FALSE(Validate(reconnect).ok());
}

}  // namespace
}  // namespace streamgate::cli
