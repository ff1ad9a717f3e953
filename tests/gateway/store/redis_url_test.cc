// redis://host[:port][/db], byte by byte: what is taken, what is refused, and that no
// refusal repeats the URL (it may hold a password).
#include "gateway/store/redis/redis_url.h"

#include <gtest/gtest.h>

namespace streamgate::gateway {
namespace {

TEST(RedisUrl, TakesHostPortAndDatabase) {
  auto plain = ParseRedisUrl("redis://127.0.0.1");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->db, 0);
  auto full = ParseRedisUrl("redis://redis.internal:6380/15");
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->host, "redis.internal");
  EXPECT_EQ(full->port, 6380);
  EXPECT_EQ(full->db, 15);
  auto v6 = ParseRedisUrl("redis://[::1]:7000/2");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7000);
  EXPECT_EQ(v6->db, 2);
  auto v6_default = ParseRedisUrl("redis://[fe80::1]");
  ASSERT_TRUE(v6_default.ok());
  EXPECT_EQ(v6_default->port, 6379);
}

TEST(RedisUrl, RefusesWhatItDoesNotUnderstandWithoutEchoingIt) {
  for (const char* bad : {"",
                          "redis:/x",
                          "rediss://h:1",
                          "http://h:1",
                          "redis://",
                          "redis://:6379",
                          "redis://h:",
                          "redis://h:0",
                          "redis://h:65536",
                          "redis://h:-1",
                          "redis://h:12a",
                          "redis://h:1/16",
                          "redis://h:1/",
                          "redis://h:1/x",
                          "redis://h:1/-1",
                          "redis://h h:1",
                          "redis://[::1",
                          "redis://[::1]x",
                          "redis://[::1]:",
                          "redis://[zz]:1",
                          "redis://[]:1",
                          "redis://h:1/0/1",
                          "redis://h:99999999999"}) {
    auto parsed = ParseRedisUrl(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  auto with_password = ParseRedisUrl("redis://user:hunter2@h:1");
  ASSERT_FALSE(with_password.ok());
  EXPECT_EQ(with_password.status().message().find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace streamgate::gateway
