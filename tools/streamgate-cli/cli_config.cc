#include "tools/streamgate-cli/cli_config.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tools/streamgate-cli/ws_protocol.h"

namespace streamgate::cli {
namespace {

absl::Status Invalid(const std::string& message) { return absl::InvalidArgumentError(message); }

}  // namespace

absl::Status Validate(const CliConfig& config) {
  if (!config.health_url.empty() && !config.grpc_health_target.empty()) {
    return Invalid("--health and --grpc-health are two probes; give one");
  }
  if (config.probe_mode() && !config.question.empty()) {
    return Invalid("a health probe takes no question");
  }
  if (config.connect_timeout <= absl::ZeroDuration()) {
    return Invalid("--connect-timeout must be positive");
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return Invalid("--tls-cert and --tls-key go together");
  }
  if (config.reconnect_timeout < absl::ZeroDuration()) {
    return Invalid("--reconnect-timeout must not be negative");
  }
  if (auto valid = ValidateConversationId(config.conversation); !valid.ok()) {
    return Invalid(absl::StrCat("--conversation: ", valid.message()));
  }
  if (config.conversation != kDefaultConversation && (config.grpc_mode() || config.probe_mode())) {
    return Invalid("--conversation picks a gateway thread; --grpc and the probes have none");
  }
  if (!config.health_url.empty()) return ParseUrl(config.health_url, "http").status();
  if (config.grpc_mode()) {
    if (config.grpc_target.find(':') == std::string::npos) {
      return Invalid(absl::StrCat("--grpc wants host:port, got '", config.grpc_target, "'"));
    }
    return absl::OkStatus();
  }
  if (config.probe_mode()) return absl::OkStatus();
  return ParseUrl(config.url, "ws").status();
}

SplitArgs SplitArguments(int argc, const char* const* argv,
                         const std::vector<std::string>& bool_flags) {
  SplitArgs split;
  if (argc > 0) split.flag_args.push_back(argv[0]);
  bool flags_done = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (flags_done || arg.size() < 2 || arg[0] != '-') {
      split.words.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      flags_done = true;
      continue;
    }
    split.flag_args.push_back(argv[i]);
    if (!arg.starts_with("--") || arg.find('=') != std::string_view::npos) continue;
    std::string name(arg.substr(2));
    bool takes_value = std::find(bool_flags.begin(), bool_flags.end(), name) == bool_flags.end();
    if (takes_value && i + 1 < argc) split.flag_args.push_back(argv[++i]);
  }
  return split;
}

std::string Endpoint::HostHeader() const {
  std::string host_part = host.find(':') != std::string::npos ? absl::StrCat("[", host, "]") : host;
  return absl::StrCat(host_part, ":", port);
}

absl::StatusOr<Endpoint> ParseUrl(std::string_view url, std::string_view scheme) {
  const std::string prefix = std::string(scheme) + "://";
  const std::string tls_prefix = std::string(scheme) + "s://";
  std::string quoted = "'";  // (not "'" + std::string: GCC 12 warns falsely, PR105329)
  quoted.append(url).append("'");
  Endpoint endpoint;
  std::string_view rest;
  if (url.starts_with(tls_prefix)) {
    endpoint.tls = true;
    rest = url.substr(tls_prefix.size());
  } else if (url.starts_with(prefix)) {
    rest = url.substr(prefix.size());
  } else {
    return Invalid("expected a " + prefix + " or " + tls_prefix + " URL, got " + quoted);
  }
  size_t slash = rest.find('/');
  if (slash != std::string_view::npos) endpoint.path = std::string(rest.substr(slash));
  std::string_view authority = rest.substr(0, slash);
  std::string_view port_text;
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Invalid("bad host in " + quoted);
    endpoint.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Invalid("bad host in " + quoted);
      port_text = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    endpoint.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (endpoint.host.empty()) return Invalid("no host in " + quoted);
  if (port_text.empty()) {
    endpoint.port = endpoint.tls ? 443 : 80;
    return endpoint;
  }
  int port = 0;
  if (!absl::SimpleAtoi(absl::string_view(port_text.data(), port_text.size()), &port) || port < 1 ||
      port > 65535) {
    return Invalid("bad port in " + quoted);
  }
  endpoint.port = static_cast<uint16_t>(port);
  return endpoint;
}

}  // namespace streamgate::cli
