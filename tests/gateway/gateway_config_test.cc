#include "gateway/gateway_config.h"

#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

absl::Status Check(GatewayConfig config) {
  ResolveDefaults(&config);
  return Validate(config);
}

TEST(GatewayConfig, LoopbackDefaultsToNoAuthAndNoLimits) {
  GatewayConfig config;
  ResolveDefaults(&config);
  EXPECT_EQ(config.auth, "none");
  EXPECT_TRUE(Validate(config).ok());
  EXPECT_EQ(config.limit_concurrent_replies, 0);
  EXPECT_EQ(config.limit_messages_per_minute, 0);
  EXPECT_EQ(config.limit_connections, 0);
  EXPECT_EQ(config.limit_upgrades_per_second, 0);
  EXPECT_EQ(config.limit_frames_per_second, 0);
  EXPECT_EQ(config.reply_max_tokens, 0);
}

TEST(GatewayConfig, WithAuthTheLimitsHaveTheirDefaults) {
  GatewayConfig config;
  config.auth = "api-keys";
  config.api_keys_file = "keys.txt";
  config.limit_messages_per_minute = 5;  // set explicitly: kept
  ResolveDefaults(&config);
  EXPECT_EQ(config.limit_concurrent_replies, 4);
  EXPECT_EQ(config.limit_messages_per_minute, 5);
  EXPECT_EQ(config.limit_connections, 20);
  EXPECT_EQ(config.limit_upgrades_per_second, 10);
  EXPECT_EQ(config.limit_frames_per_second, 100);
  EXPECT_EQ(config.limit_tokens_per_minute, 0);
}

TEST(GatewayConfig, ATokenLimitBoundsEveryReply) {
  GatewayConfig config;
  config.limit_tokens_per_minute = 10000;
  ResolveDefaults(&config);
  EXPECT_EQ(config.reply_max_tokens, 1024);
}

TEST(GatewayConfig, APublicBindNeedsAuthOrAnExplicitOptOut) {
  GatewayConfig config;
  config.bind = "0.0.0.0";
  config.allow_plaintext = true;
  EXPECT_FALSE(Check(config).ok());
  config.auth = "none";
  EXPECT_FALSE(Check(config).ok());
  config.allow_unauthenticated = true;
  EXPECT_TRUE(Check(config).ok());
}

TEST(GatewayConfig, APublicBindNeedsTlsOrAnExplicitPlaintextOptIn) {
  GatewayConfig config;
  config.bind = "0.0.0.0";
  config.auth = "api-keys";
  config.api_keys_file = "keys.txt";
  absl::Status refused = Check(config);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("--allow-plaintext"), absl::string_view::npos);
  config.tls_cert = "cert.pem";
  config.tls_key = "key.pem";
  EXPECT_TRUE(Check(config).ok());
  config.tls_port = 3443;  // and keep --port plain: that needs the opt-in again
  EXPECT_FALSE(Check(config).ok());
  config.allow_plaintext = true;
  EXPECT_TRUE(Check(config).ok());
}

TEST(GatewayConfig, ModesNeedTheirFiles) {
  GatewayConfig config;
  config.auth = "api-keys";
  EXPECT_FALSE(Check(config).ok());
  config.auth = "jwt";
  EXPECT_FALSE(Check(config).ok());
  config.jwt_keys_file = "jwks.json";
  EXPECT_TRUE(Check(config).ok());
  config.auth = "oauth";
  EXPECT_FALSE(Check(config).ok());
}

TEST(GatewayConfig, TlsFilesGoTogetherAndTlsPortNeedsThem) {
  GatewayConfig config;
  config.tls_cert = "cert.pem";
  EXPECT_FALSE(Check(config).ok());
  GatewayConfig port_only;
  port_only.tls_port = 3443;
  EXPECT_FALSE(Check(port_only).ok());
}

TEST(GatewayConfig, LoopbackBinds) {
  EXPECT_TRUE(IsLoopbackBind("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackBind("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackBind("::1"));
  EXPECT_TRUE(IsLoopbackBind("localhost"));
  EXPECT_FALSE(IsLoopbackBind("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackBind("::"));
  EXPECT_FALSE(IsLoopbackBind("10.1.2.3"));
}

}  // namespace
}  // namespace streamgate::gateway
