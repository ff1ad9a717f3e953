#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace streamgate::gateway {

// Where `--store redis://host:port[/db]` points. A plain value.
struct RedisAddress {
  std::string host;  // an IPv4/IPv6 literal or a name (resolved when connecting)
  int port = 6379;
  int db = 0;
};

// Parses redis://host[:port][/db]: host a name or address ([...] for IPv6), port 1-65535
// (default 6379), db 0-15 (Redis's default number of databases). Credentials in the URL
// (redis://user:pass@...) are refused rather than half supported, and the error never
// repeats the URL (it may hold one).
absl::StatusOr<RedisAddress> ParseRedisUrl(std::string_view url);

}  // namespace streamgate::gateway
