#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace streamgate::common {

// Looks up an environment variable; injectable so tests need not touch the real one.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnv();

// Command-line flags, each with an environment twin, written into caller-owned variables
// whose initial values are the defaults. Precedence: default < environment < command line.
// Flags are `--name=value` or `--name value` (bools also bare `--name`); the environment
// twin of `--mock-chunk-delay-ms` with prefix "LLM_SERVICE" is LLM_SERVICE_MOCK_CHUNK_DELAY_MS.
// Durations are written like `10s`, `500ms`, `1m30s`.
//
// Used only by main(): library code receives plain config structs.
class OptionSet {
 public:
  OptionSet(std::string program, std::string env_prefix);

  void AddString(std::string name, std::string help, std::string* value);
  void AddBool(std::string name, std::string help, bool* value);
  void AddDuration(std::string name, std::string help, absl::Duration* value);
  template <std::integral T>
  void AddInt(std::string name, std::string help, T* value, int64_t min, int64_t max) {
    AddInt64(std::move(name), std::move(help), std::to_string(*value), min, max,
             [value](int64_t v) { *value = static_cast<T>(v); });
  }
  // Gives the last added option an environment twin other than the prefixed default,
  // for names with an established meaning (ANTHROPIC_BASE_URL).
  void SetEnvName(std::string env_name);
  // Gives the last added option the default shown by Usage(), for defaults that depend on
  // other settings ("4 with auth, off without").
  void SetDefaultText(std::string text);

  // Applies the environment, then argv. Returns InvalidArgument naming the flag or the
  // variable on any bad value, unknown flag or stray argument. Sets *help_requested when
  // --help was given (the caller prints Usage()).
  absl::Status Parse(int argc, const char* const* argv, const EnvLookup& env, bool* help_requested);
  std::string Usage() const;

 private:
  struct Option {
    std::string name;
    std::string env_name;
    std::string help;
    std::string default_text;
    bool is_bool = false;
    std::function<absl::Status(absl::string_view)> set;
  };

  void AddInt64(std::string name, std::string help, std::string default_text, int64_t min,
                int64_t max, std::function<void(int64_t)> store);
  void Add(Option option);
  Option* Find(absl::string_view name);

  std::string program_;
  std::string env_prefix_;
  std::vector<Option> options_;
};

}  // namespace streamgate::common
