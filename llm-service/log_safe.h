#pragma once

#include <cstddef>

#include "absl/strings/string_view.h"

namespace streamgate::llm {

// True when `text` is 1 to `max_bytes` bytes of printable ASCII without spaces (0x21-0x7e):
// then it can be written as the value of a key=value log line as it is, and can neither
// forge a line (no newline), split a field (no space) nor make one huge.
inline bool IsLogSafe(absl::string_view text, size_t max_bytes) {
  if (text.empty() || text.size() > max_bytes) return false;
  for (char c : text) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace streamgate::llm
