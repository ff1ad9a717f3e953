#include "common/options.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"

namespace streamgate::common {
namespace {

absl::Status ParseBool(absl::string_view text, bool* out) {
  std::string lower = absl::AsciiStrToLower(text);
  if (lower == "true" || lower == "1" || lower == "yes") {
    *out = true;
  } else if (lower == "false" || lower == "0" || lower == "no") {
    *out = false;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("expected true or false, got '", text, "'"));
  }
  return absl::OkStatus();
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

extern "C" char** environ;

std::vector<std::string> ProcessEnvNames() {
  std::vector<std::string> names;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    absl::string_view text = *entry;
    names.emplace_back(text.substr(0, text.find('=')));
  }
  return names;
}

OptionSet::OptionSet(std::string program, std::string env_prefix)
    : program_(std::move(program)), env_prefix_(std::move(env_prefix)) {}

void OptionSet::Add(Option option) {
  option.env_name = absl::StrCat(
      env_prefix_, "_", absl::AsciiStrToUpper(absl::StrReplaceAll(option.name, {{"-", "_"}})));
  options_.push_back(std::move(option));
}

void OptionSet::AddEnvAlias(std::string env_name) {
  options_.back().env_alias = std::move(env_name);
}

void OptionSet::DeclareEnv(std::string env_name) { declared_env_.push_back(std::move(env_name)); }

void OptionSet::SetDefaultText(std::string text) { options_.back().default_text = std::move(text); }

void OptionSet::AddString(std::string name, std::string help, std::string* value) {
  Add({.name = std::move(name),
       .help = std::move(help),
       .default_text = *value,
       .set = [value](absl::string_view text) {
         *value = std::string(text);
         return absl::OkStatus();
       }});
}

void OptionSet::AddBool(std::string name, std::string help, bool* value) {
  Add({.name = std::move(name),
       .help = std::move(help),
       .default_text = *value ? "true" : "false",
       .is_bool = true,
       .set = [value](absl::string_view text) { return ParseBool(text, value); }});
}

void OptionSet::AddDuration(std::string name, std::string help, absl::Duration* value) {
  Add({.name = std::move(name),
       .help = std::move(help),
       .default_text = absl::FormatDuration(*value),
       .set = [value](absl::string_view text) {
         absl::Duration parsed;
         if (!absl::ParseDuration(text, &parsed) || parsed < absl::ZeroDuration()) {
           return absl::InvalidArgumentError(
               absl::StrCat("expected a duration such as 10s or 500ms, got '", text, "'"));
         }
         *value = parsed;
         return absl::OkStatus();
       }});
}

void OptionSet::AddInt64(std::string name, std::string help, std::string default_text, int64_t min,
                         int64_t max, std::function<void(int64_t)> store) {
  Add({.name = std::move(name),
       .help = std::move(help),
       .default_text = std::move(default_text),
       .set = [min, max, store = std::move(store)](absl::string_view text) {
         int64_t parsed = 0;
         if (!absl::SimpleAtoi(text, &parsed) || parsed < min || parsed > max) {
           return absl::InvalidArgumentError(
               absl::StrCat("expected an integer in [", min, ", ", max, "], got '", text, "'"));
         }
         store(parsed);
         return absl::OkStatus();
       }});
}

OptionSet::Option* OptionSet::Find(absl::string_view name) {
  for (auto& option : options_) {
    if (option.name == name) return &option;
  }
  return nullptr;
}

absl::Status OptionSet::Parse(int argc, const char* const* argv, const EnvLookup& env,
                              bool* help_requested) {
  *help_requested = false;
  version_requested_ = false;
  for (auto& option : options_) {
    const std::string* source = &option.env_name;
    std::optional<std::string> value = env(option.env_name);
    if (!value.has_value() && !option.env_alias.empty()) {
      source = &option.env_alias;
      value = env(option.env_alias);
    }
    if (!value.has_value()) continue;
    if (absl::Status status = option.set(*value); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(*source, ": ", status.message()));
    }
  }
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      *help_requested = true;
      return absl::OkStatus();
    }
    if (arg == "--version") {
      version_requested_ = true;
      return absl::OkStatus();
    }
    if (arg.substr(0, 2) != "--" || arg.size() == 2) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument '", arg, "'"));
    }
    arg.remove_prefix(2);
    absl::string_view name = arg;
    std::optional<absl::string_view> value;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    Option* option = Find(name);
    if (option == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name));
    }
    if (!value.has_value()) {
      if (option->is_bool) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
      }
    }
    if (absl::Status status = option->set(*value); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, ": ", status.message()));
    }
  }
  return absl::OkStatus();
}

std::string OptionSet::Usage() const {
  std::string out = absl::StrCat("usage: ", program_, " [flags]\n\n");
  for (const auto& option : options_) {
    std::string alias = option.env_alias.empty() ? "" : absl::StrCat(" or ", option.env_alias);
    absl::StrAppend(&out, "  --", option.name, " (env ", option.env_name, alias, ", default '",
                    option.default_text, "')\n      ", option.help, "\n");
  }
  absl::StrAppend(&out, "  --help\n      print this and exit\n",
                  "  --version\n      print the version and exit\n");
  return out;
}

std::vector<std::string> OptionSet::UnknownEnvironment(
    const std::vector<std::string>& names) const {
  std::string prefix = absl::StrCat(env_prefix_, "_");
  std::vector<std::string> unknown;
  for (const std::string& name : names) {
    if (!absl::StartsWith(name, prefix)) continue;
    bool known = std::find(declared_env_.begin(), declared_env_.end(), name) != declared_env_.end();
    for (const auto& option : options_) known = known || option.env_name == name || option.env_alias == name;
    if (!known) unknown.push_back(name);
  }
  std::sort(unknown.begin(), unknown.end());
  return unknown;
}

}  // namespace streamgate::common
