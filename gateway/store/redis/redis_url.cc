#include "gateway/store/redis/redis_url.h"

namespace streamgate::gateway {
namespace {

bool ParseBounded(std::string_view digits, int low, int high, int* out) {
  if (digits.empty() || digits.size() > 5) return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');  // at most 5 digits: no overflow
  if (value < low || value > high) return false;
  *out = value;
  return true;
}

bool ValidHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<RedisAddress> ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return absl::InvalidArgumentError("a Redis store is redis://host[:port][/db]");
  }
  std::string_view rest = url.substr(kScheme.size());
  if (rest.find('@') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        "credentials in the Redis URL are not supported; use a Redis on a private network");
  }
  RedisAddress address;
  std::string_view authority = rest;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    authority = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!ParseBounded(db, 0, 15, &address.db)) {
      return absl::InvalidArgumentError("the Redis database must be a number from 0 to 15");
    }
  }
  std::string_view host = authority;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError("an IPv6 Redis host needs its closing ]");
    }
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return absl::InvalidArgumentError("bad Redis host:port");
      port = after.substr(1);
      if (port.empty()) return absl::InvalidArgumentError("the Redis port is empty");
    }
    for (char c : host) {
      bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                c == ':' || c == '.';
      if (!ok || host.empty()) return absl::InvalidArgumentError("bad IPv6 Redis host");
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    if (port.empty()) return absl::InvalidArgumentError("the Redis port is empty");
    if (!ValidHostName(host)) return absl::InvalidArgumentError("bad Redis host");
  } else if (!ValidHostName(host)) {
    return absl::InvalidArgumentError("bad Redis host");
  }
  if (host.empty()) return absl::InvalidArgumentError("the Redis URL has no host");
  if (!port.empty() && !ParseBounded(port, 1, 65535, &address.port)) {
    return absl::InvalidArgumentError("the Redis port must be a number from 1 to 65535");
  }
  address.host = std::string(host);
  return address;
}

}  // namespace streamgate::gateway
