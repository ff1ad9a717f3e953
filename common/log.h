#pragma once

#include <fmt/core.h>
#include <spdlog/logger.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>

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

// Formats one log line: the format string's text as it is, each replacement field as a
// logfmt value (common/log_value.h), bare or quoted and escaped, or, inside quotes the
// format string writes itself (`detail="{}"`), escaped only. Whether a field is inside
// quotes is read from the '"' in the format string's text before it. Format specs apply
// to the value before it is escaped.
std::string FormatLogLine(fmt::string_view format, fmt::format_args args);

// One component's logger ("gateway", "session", "llm", ...): spdlog's, except that its
// calls (trace ... critical, log) write every argument through FormatLogLine, so one call is
// always one line and a value from a client or an upstream cannot forge a field. Call
// sites keep spdlog's syntax and its compile-time format checks. Made and kept by Logger;
// thread-safe like spdlog's loggers (their sink is locked).
class ComponentLogger : public spdlog::logger {
 public:
  using spdlog::logger::logger;

  template <typename... Args>
  void log(spdlog::level::level_enum level, fmt::format_string<Args...> format, Args&&... args) {
    if (should_log(level)) Write(level, fmt::string_view(format), fmt::make_format_args(args...));
  }
  template <typename... Args>
  void trace(fmt::format_string<Args...> format, Args&&... args) {
    log(spdlog::level::trace, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void debug(fmt::format_string<Args...> format, Args&&... args) {
    log(spdlog::level::debug, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void info(fmt::format_string<Args...> format, Args&&... args) {
    log(spdlog::level::info, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void warn(fmt::format_string<Args...> format, Args&&... args) {
    log(spdlog::level::warn, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void error(fmt::format_string<Args...> format, Args&&... args) {
    log(spdlog::level::err, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void critical(fmt::format_string<Args...> format, Args&&... args) {
    log(spdlog::level::critical, format, std::forward<Args>(args)...);
  }

 private:
  void Write(spdlog::level::level_enum level, fmt::string_view format, fmt::format_args args);
};

// Configures process-wide logging: one line per event on stderr,
// "<UTC time> <level> <component> <message>", where messages are "event key=value ...".
// `level` is one of trace, debug, info, warn, error, off; `format` "text" (the line above)
// or "json" (one JSON object per line: common/log_json.h). Call once from main before any
// thread starts.
absl::Status InitLogging(std::string_view level, std::string_view format = "text");

// The logger for one component. Safe from any thread; loggers share the sink configured by
// InitLogging (stderr at info before it is called).
std::shared_ptr<ComponentLogger> Logger(const std::string& component);

// Logs one info line whatever the configured level: the start-up line
// "listening address=... port=N" is a contract with tests and tools, not chatter. `message`
// is written as it is (the caller builds it from its own configuration).
void Announce(const std::string& component, const std::string& message);

}  // namespace streamgate::common
