#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"

namespace streamgate::common {
namespace {

constexpr char kPattern[] = "%Y-%m-%dT%H:%M:%S.%eZ %l %n %v";

// One sink for every component, so lines from different threads and components never
// interleave.
std::shared_ptr<spdlog::sinks::stderr_sink_mt> SharedSink() {
  static auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  return sink;
}

}  // namespace

absl::Status InitLogging(std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  // from_str maps unknown names to "off"; only accept "off" when it was asked for.
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown log level '", std::string(level), "' (trace, debug, info, warn, error, off)"));
  }
  spdlog::set_pattern(kPattern, spdlog::pattern_time_type::utc);
  spdlog::set_level(parsed);
  return absl::OkStatus();
}

std::shared_ptr<spdlog::logger> Logger(const std::string& component) {
  if (auto existing = spdlog::get(component)) return existing;
  auto logger = std::make_shared<spdlog::logger>(component, SharedSink());
  logger->set_pattern(kPattern, spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::get_level());
  logger->flush_on(spdlog::level::trace);
  // Two threads may race to create the same component; the registry keeps the first.
  try {
    spdlog::register_logger(logger);
  } catch (const spdlog::spdlog_ex&) {
    if (auto existing = spdlog::get(component)) return existing;
  }
  return logger;
}

void Announce(const std::string& component, const std::string& message) {
  // Not registered, so InitLogging's level never applies to it.
  spdlog::logger announcer(component, SharedSink());
  announcer.set_pattern(kPattern, spdlog::pattern_time_type::utc);
  announcer.set_level(spdlog::level::info);
  announcer.info(message);
  announcer.flush();
}

}  // namespace streamgate::common
