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
// Every flag has that twin, without exception; a few also read an established name
// (ANTHROPIC_MODEL), which the prefixed twin overrides. Durations are written like `10s`,
// `500ms`, `1m30s`. `--help` and `--version` are always understood.
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
  // Gives the last added option a second environment name with an established meaning
  // (ANTHROPIC_BASE_URL), read when its prefixed twin is not set.
  void AddEnvAlias(std::string env_name);
  // A prefixed variable that main() reads itself (a secret such as STREAMGATE_TOKEN), so that
  // UnknownEnvironment() does not report it.
  void DeclareEnv(std::string env_name);
  // Gives the last added option the default shown by Usage(), for defaults that depend on
  // other settings ("4 with auth, off without").
  void SetDefaultText(std::string text);

  // Applies the environment, then argv. Returns InvalidArgument naming the flag or the
  // variable on any bad value, unknown flag or stray argument. Sets *help_requested when
  // --help was given (the caller prints Usage()).
  absl::Status Parse(int argc, const char* const* argv, const EnvLookup& env, bool* help_requested);
  // True after Parse() saw --version (the caller prints VersionText()).
  bool version_requested() const { return version_requested_; }
  std::string Usage() const;

  // Of `names` (the process's environment variable names), those that carry this set's prefix
  // but are no option's twin or alias and were not declared: most likely a misspelt flag, which
  // would otherwise be ignored without a word. Sorted.
  std::vector<std::string> UnknownEnvironment(const std::vector<std::string>& names) const;

 private:
  struct Option {
    std::string name;
    std::string env_name;
    std::string env_alias;
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
  std::vector<std::string> declared_env_;
  bool version_requested_ = false;
};

// The names of the variables in this process's environment.
std::vector<std::string> ProcessEnvNames();

}  // namespace streamgate::common
