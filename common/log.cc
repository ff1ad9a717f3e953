#include "common/log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/log_json.h"
#include "common/log_value.h"

namespace streamgate::common {
namespace {

constexpr char kPattern[] = "%Y-%m-%dT%H:%M:%S.%eZ %l %n %v";
// --log-format json: the whole line is made by LogLineToJson.
constexpr char kJsonPattern[] = "%v";

// Set once by InitLogging, before any thread logs.
std::atomic<bool> json_lines{false};

const char* Pattern() {
  return json_lines.load(std::memory_order_relaxed) ? kJsonPattern : kPattern;
}

// The line spdlog is given: as formatted, or (json) the whole JSON object.
std::string Rendered(spdlog::level::level_enum level, std::string_view component,
                     std::string line) {
  if (!json_lines.load(std::memory_order_relaxed)) return line;
  auto name = spdlog::level::to_string_view(level);
  return LogLineToJson(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                       std::string_view(name.data(), name.size()), component, line);
}

// One sink for every component, so lines from different threads and components never
// interleave.
std::shared_ptr<spdlog::sinks::stderr_sink_mt> SharedSink() {
  static auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  return sink;
}

// Every component's logger, made on first use. Never destroyed: threads may still log
// while static destructors run at exit.
struct Registry {
  absl::Mutex mu;
  std::map<std::string, std::shared_ptr<ComponentLogger>, std::less<>> loggers ABSL_GUARDED_BY(mu);
};

Registry& Loggers() {
  static auto* registry = new Registry;
  return *registry;
}

// The end of the replacement field that starts at `open` ('{'), nested fields (a dynamic
// width or precision) included: the index of its '}', or npos.
size_t FieldEnd(std::string_view format, size_t open) {
  int depth = 0;
  for (size_t i = open; i < format.size(); ++i) {
    if (format[i] == '{') ++depth;
    if (format[i] == '}' && --depth == 0) return i;
  }
  return std::string_view::npos;
}

// One replacement field ("{}", "{:.1f}", "{:{}}", "{2}") rewritten with explicit argument
// ids, so it can be formatted alone against the call's arguments.
std::string NumberedField(std::string_view field, int* next_arg) {
  size_t colon = field.find(':');
  std::string_view id = field.substr(0, colon);
  std::string out = "{";
  if (id.empty()) {
    absl::StrAppend(&out, (*next_arg)++);
  } else {
    out.append(id);
  }
  if (colon == std::string_view::npos) return out + "}";
  std::string_view spec = field.substr(colon);
  for (size_t i = 0; i < spec.size(); ++i) {
    out.push_back(spec[i]);
    if (spec[i] == '{' && i + 1 < spec.size() && spec[i + 1] == '}') {
      absl::StrAppend(&out, (*next_arg)++);
    }
  }
  return out + "}";
}

}  // namespace

std::string FormatLogLine(fmt::string_view format_view, fmt::format_args args) {
  std::string_view format(format_view.data(), format_view.size());
  std::string out;
  out.reserve(format.size() + 32);
  bool quoted = false;  // between quotes the format string itself writes
  int next_arg = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    char c = format[i];
    if ((c == '{' || c == '}') && i + 1 < format.size() && format[i + 1] == c) {
      out.push_back(c);
      ++i;
      continue;
    }
    size_t end = c == '{' ? FieldEnd(format, i) : std::string_view::npos;
    if (end == std::string_view::npos) {
      if (c == '"') quoted = !quoted;
      out.push_back(c);
      continue;
    }
    std::string field = NumberedField(format.substr(i + 1, end - i - 1), &next_arg);
    std::string value = fmt::vformat(field, args);
    if (quoted) {
      AppendQuotedLogText(value, &out);
    } else {
      AppendLogValue(value, &out);
    }
    i = end;
  }
  return out;
}

void ComponentLogger::Write(spdlog::level::level_enum level, fmt::string_view format,
                            fmt::format_args args) {
  std::string line = Rendered(level, name(), FormatLogLine(format, args));
  spdlog::logger::log(level, spdlog::string_view_t(line.data(), line.size()));
}

absl::Status InitLogging(std::string_view level, std::string_view format) {
  if (format != "text" && format != "json") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown log format '", std::string(format), "' (text or json)"));
  }
  json_lines.store(format == "json", std::memory_order_relaxed);
  auto parsed = spdlog::level::from_str(std::string(level));
  // from_str maps unknown names to "off"; only accept "off" when it was asked for.
  if (parsed == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(absl::StrCat("unknown log level '", std::string(level),
                                                   "' (trace, debug, info, warn, error, off)"));
  }
  spdlog::set_pattern(Pattern(), spdlog::pattern_time_type::utc);
  spdlog::set_level(parsed);
  Registry& registry = Loggers();
  absl::MutexLock lock(&registry.mu);
  for (auto& [name, logger] : registry.loggers) {
    logger->set_level(parsed);
    logger->set_pattern(Pattern(), spdlog::pattern_time_type::utc);
  }
  return absl::OkStatus();
}

std::shared_ptr<ComponentLogger> Logger(const std::string& component) {
  Registry& registry = Loggers();
  absl::MutexLock lock(&registry.mu);
  auto [it, inserted] = registry.loggers.try_emplace(component);
  if (inserted) {
    auto logger = std::make_shared<ComponentLogger>(component, SharedSink());
    logger->set_pattern(Pattern(), spdlog::pattern_time_type::utc);
    logger->set_level(spdlog::get_level());
    logger->flush_on(spdlog::level::trace);
    it->second = std::move(logger);
  }
  return it->second;
}

void Announce(const std::string& component, const std::string& message) {
  // Not in the registry, so InitLogging's level never applies to it.
  spdlog::logger announcer(component, SharedSink());
  announcer.set_pattern(Pattern(), spdlog::pattern_time_type::utc);
  announcer.set_level(spdlog::level::info);
  announcer.info(Rendered(spdlog::level::info, component, message));
  announcer.flush();
}

}  // namespace streamgate::common
