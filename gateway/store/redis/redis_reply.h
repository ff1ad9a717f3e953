#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace streamgate::gateway {

// One reply from Redis, copied out of hiredis's (which it frees after the callback). A plain
// value; strings are binary-safe.
struct RedisReply {
  enum class Type { kString, kStatus, kInteger, kNil, kArray, kError };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;  // a string's bytes, a status ("OK") or an error's text
  std::vector<RedisReply> elements;

  bool is_error() const { return type == Type::kError; }
};

}  // namespace streamgate::gateway
