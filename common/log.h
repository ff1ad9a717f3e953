#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

// Debian's Abseil has its own string_view type (not std::string_view); let log lines take
// Status messages directly.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  template <typename FormatContext>
  auto format(absl::string_view text, FormatContext& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(text.data(), text.size()),
                                                    ctx);
  }
};

namespace streamgate::common {

// Configures process-wide logging: one line per event on stderr,
// "<UTC time> <level> <component> <message>", where messages are "event key=value ...".
// `level` is one of trace, debug, info, warn, error, off. Call once from main before any
// thread starts.
absl::Status InitLogging(std::string_view level);

// The logger for one component ("gateway", "session", "llm", ...). Safe from any thread;
// loggers share the sink configured by InitLogging (stderr at info before it is called).
std::shared_ptr<spdlog::logger> Logger(const std::string& component);

// Logs one info line whatever the configured level: the start-up line
// "listening address=... port=N" is a contract with tests and tools, not chatter.
void Announce(const std::string& component, const std::string& message);

}  // namespace streamgate::common
