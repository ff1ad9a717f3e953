#include "tests/fakes/scenario.h"

#include <array>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace streamgate::fake_claude {
namespace {

constexpr std::string_view kOpen = "[fake:";
// A directive longer than this is not a directive but a typo swallowing the text.
constexpr size_t kMaxDirectiveBytes = 100;
constexpr int kMaxTimes = 1000;
constexpr int kMaxDeltas = 100000;
constexpr int kMaxDelayMs = 60000;
constexpr int kMaxExtraWords = 100000;

struct OutcomeEntry {
  std::string_view name;
  Outcome outcome;
};
constexpr std::array<OutcomeEntry, 13> kOutcomes = {{
    {"rate_limit", Outcome::kRateLimit},
    {"rate_limit_always", Outcome::kRateLimitAlways},
    {"overloaded", Outcome::kOverloaded},
    {"overloaded_always", Outcome::kOverloadedAlways},
    {"server_error", Outcome::kServerError},
    {"unauthorized", Outcome::kUnauthorized},
    {"bad_request", Outcome::kBadRequest},
    {"should_retry_false", Outcome::kShouldRetryFalse},
    {"retry_after_date", Outcome::kRetryAfterDate},
    {"midstream_error", Outcome::kMidstreamError},
    {"drop", Outcome::kDrop},
    {"clean_end_without_stop", Outcome::kCleanEndWithoutStop},
    {"stall", Outcome::kStall},
}};

absl::string_view Absl(std::string_view text) { return {text.data(), text.size()}; }

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }
bool IsArgChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

absl::Status BadArgument(std::string_view name, std::string_view arg, std::string_view want) {
  return absl::InvalidArgumentError(absl::StrCat(
      "fake directive '", Absl(name), "': bad argument '", Absl(arg), "' (want ", Absl(want), ")"));
}

// An optional integer argument within [min, max]; `*out` keeps its default when `arg` is empty.
absl::Status IntArg(std::string_view name, std::string_view arg, int min, int max, int* out) {
  if (arg.empty()) return absl::OkStatus();
  int value = 0;
  if (!absl::SimpleAtoi(Absl(arg), &value) || value < min || value > max) {
    return BadArgument(name, arg, absl::StrCat("an integer in [", min, ", ", max, "]"));
  }
  *out = value;
  return absl::OkStatus();
}

absl::Status NoArgs(std::string_view name, std::string_view arg1) {
  if (arg1.empty()) return absl::OkStatus();
  return BadArgument(name, arg1, "no argument");
}

// "1" / "0.5" → retry-after seconds; "250ms" → retry-after-ms; "none" → no header.
absl::Status ParseRetryHint(std::string_view name, std::string_view arg, RetryHint* hint) {
  if (arg.empty()) return absl::OkStatus();
  if (arg == "none") {
    *hint = {RetryHint::Kind::kNone, ""};
    return absl::OkStatus();
  }
  bool millis = arg.size() > 2 && arg.substr(arg.size() - 2) == "ms";
  std::string_view number = millis ? arg.substr(0, arg.size() - 2) : arg;
  double value = 0;
  if (!absl::SimpleAtod(Absl(number), &value) || value < 0 || value > 3600 * 1000.0) {
    return BadArgument(name, arg, "seconds like 1 or 0.5, milliseconds like 250ms, or none");
  }
  *hint = {millis ? RetryHint::Kind::kMilliseconds : RetryHint::Kind::kSeconds,
           std::string(number)};
  return absl::OkStatus();
}

}  // namespace

std::string_view Scenario::OutcomeName(Outcome outcome) {
  for (const auto& entry : kOutcomes) {
    if (entry.outcome == outcome) return entry.name;
  }
  return "normal";
}

absl::StatusOr<Scenario> Scenario::FromContent(std::string_view content) {
  Scenario scenario;
  std::vector<std::string> labels;
  for (size_t start = content.find(kOpen); start != std::string_view::npos;
       start = content.find(kOpen, start)) {
    size_t begin = start + kOpen.size();
    size_t end = content.find(']', begin);
    if (end == std::string_view::npos || end - start > kMaxDirectiveBytes) {
      return absl::InvalidArgumentError("unterminated [fake: directive");
    }
    std::string_view inside = content.substr(begin, end - begin);
    std::vector<absl::string_view> split = absl::StrSplit(Absl(inside), ':');
    if (split.size() > 3) {
      return absl::InvalidArgumentError("fake directive has more than two arguments");
    }
    std::string_view parts[3];
    for (size_t i = 0; i < split.size(); ++i) {
      parts[i] = std::string_view(split[i].data(), split[i].size());
      if (parts[i].empty()) {
        return absl::InvalidArgumentError("fake directive has an empty name or argument");
      }
      for (char c : parts[i]) {
        if (i == 0 ? !IsNameChar(c) : !IsArgChar(c)) {
          return absl::InvalidArgumentError(
              "fake directive must be [fake:name] or [fake:name:arg] with arg in [A-Za-z0-9._-]");
        }
      }
    }
    if (absl::Status status = scenario.Apply(parts[0], parts[1], parts[2]); !status.ok()) {
      return status;
    }
    labels.emplace_back(inside);
    start = end + 1;
  }
  if (!labels.empty()) scenario.label_ = absl::StrJoin(labels, "+");
  return scenario;
}

absl::Status Scenario::SetOutcome(Outcome outcome, std::string_view name) {
  if (outcome_ != Outcome::kNormal) {
    return absl::InvalidArgumentError(absl::StrCat("fake directives name two outcomes: '",
                                                   Absl(OutcomeName(outcome_)), "' and '",
                                                   Absl(name), "'"));
  }
  outcome_ = outcome;
  return absl::OkStatus();
}

absl::Status Scenario::Apply(std::string_view name, std::string_view arg1, std::string_view arg2) {
  // Shape modifiers.
  if (name == "slow") {
    if (!arg2.empty()) return BadArgument(name, arg2, "one argument");
    int ms = 50;
    if (absl::Status s = IntArg(name, arg1, 0, kMaxDelayMs, &ms); !s.ok()) return s;
    delta_delay_ = std::chrono::milliseconds(ms);
    return absl::OkStatus();
  }
  if (name == "long") {
    if (!arg2.empty()) return BadArgument(name, arg2, "one argument");
    extra_words_ = 100;
    return IntArg(name, arg1, 0, kMaxExtraWords, &extra_words_);
  }
  bool* flag = name == "ping_heavy"    ? &ping_heavy_
               : name == "tiny_writes" ? &tiny_writes_
               : name == "thinking"    ? &thinking_
               : name == "tool_use"    ? &tool_use_
                                       : nullptr;
  if (flag != nullptr) {
    *flag = true;
    return NoArgs(name, arg1);
  }

  // Outcomes.
  const OutcomeEntry* entry = nullptr;
  for (const auto& candidate : kOutcomes) {
    if (candidate.name == name) entry = &candidate;
  }
  if (entry == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown fake directive '", Absl(name), "' (see tests/fakes/README.md)"));
  }
  if (absl::Status s = SetOutcome(entry->outcome, name); !s.ok()) return s;
  switch (entry->outcome) {
    case Outcome::kRateLimit:
      if (absl::Status s = ParseRetryHint(name, arg1, &retry_hint_); !s.ok()) return s;
      return IntArg(name, arg2, 1, kMaxTimes, &times_);
    case Outcome::kRateLimitAlways:
      if (!arg2.empty()) return BadArgument(name, arg2, "one argument");
      return ParseRetryHint(name, arg1, &retry_hint_);
    case Outcome::kRetryAfterDate:
      if (absl::Status s = IntArg(name, arg1, -3600, 3600, &retry_after_date_seconds_); !s.ok()) {
        return s;
      }
      return IntArg(name, arg2, 1, kMaxTimes, &times_);
    case Outcome::kOverloaded:
    case Outcome::kServerError:
      if (!arg2.empty()) return BadArgument(name, arg2, "one argument");
      return IntArg(name, arg1, 1, kMaxTimes, &times_);
    case Outcome::kMidstreamError:
    case Outcome::kCleanEndWithoutStop:
    case Outcome::kStall:
      if (!arg2.empty()) return BadArgument(name, arg2, "one argument");
      return IntArg(name, arg1, 0, kMaxDeltas, &deltas_before_failure_);
    case Outcome::kDrop:
      if (!arg2.empty() && arg2 != "rst") return BadArgument(name, arg2, "rst");
      reset_ = arg2 == "rst";
      return IntArg(name, arg1, 0, kMaxDeltas, &deltas_before_failure_);
    default:
      return NoArgs(name, arg1);
  }
}

}  // namespace streamgate::fake_claude
