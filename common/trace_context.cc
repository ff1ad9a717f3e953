#include "common/trace_context.h"

#include <array>
#include <cstdint>

#include "common/secure_random.h"

namespace streamgate::common {
namespace {

bool IsLowerHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool AllZero(std::string_view text) { return text.find_first_not_of('0') == std::string::npos; }

// `bytes` random bytes as hex; never all zero (the spec's invalid id), re-drawn if so.
std::string RandomHex(size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  do {
    std::array<uint8_t, 16> raw{};
    FillSecureRandom(raw.data(), bytes);
    out.clear();
    for (size_t i = 0; i < bytes; ++i) {
      out.push_back(kHex[raw[i] >> 4]);
      out.push_back(kHex[raw[i] & 0xf]);
    }
  } while (AllZero(out));
  return out;
}

}  // namespace

std::string TraceContext::Traceparent() const {
  return "00-" + trace_id + "-" + parent_id + "-" + flags;
}

std::optional<TraceContext> ParseTraceparent(std::string_view value) {
  // version(2) - trace-id(32) - parent-id(16) - flags(2) = 55 characters.
  if (value.size() < 55 || value[2] != '-' || value[35] != '-' || value[52] != '-') {
    return std::nullopt;
  }
  std::string_view version = value.substr(0, 2);
  std::string_view trace_id = value.substr(3, 32);
  std::string_view parent_id = value.substr(36, 16);
  std::string_view flags = value.substr(53, 2);
  if (!IsLowerHex(version) || version == "ff" || !IsLowerHex(trace_id) ||
      !IsLowerHex(parent_id) || !IsLowerHex(flags) || AllZero(trace_id) || AllZero(parent_id)) {
    return std::nullopt;
  }
  // Version 00 is exactly 55 characters; a later one may add fields after a '-'.
  if (version == "00" ? value.size() != 55 : value.size() > 55 && value[55] != '-') {
    return std::nullopt;
  }
  return TraceContext{std::string(trace_id), std::string(parent_id), std::string(flags)};
}

TraceContext NewTrace() { return TraceContext{RandomHex(16), RandomHex(8), "00"}; }

TraceContext ChildSpan(const TraceContext& parent) {
  return TraceContext{parent.trace_id, RandomHex(8), parent.flags};
}

}  // namespace streamgate::common
