#include "tools/ws-bench/bench_config.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace streamgate::bench {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

absl::Status Invalid(const std::string& message) { return absl::InvalidArgumentError(message); }

bool IsLoopback(const net::ip::address& address) {
  if (address.is_v4()) return address.to_v4().is_loopback();
  auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) return net::ip::make_address_v4(net::ip::v4_mapped, v6).is_loopback();
  return v6.is_loopback();
}

// Splits "host:port" / "[v6]:port" / "host" (when `default_port` is non-zero).
absl::Status SplitHostPort(const std::string& text, uint16_t default_port, Target* target) {
  std::string port_text;
  bool has_port = false;
  if (absl::StartsWith(text, "[")) {
    size_t close = text.find(']');
    if (close == std::string::npos) return Invalid(absl::StrCat("bad address '", text, "'"));
    target->host = text.substr(1, close - 1);
    std::string rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return Invalid(absl::StrCat("bad address '", text, "'"));
      port_text = rest.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = text.rfind(':');
    target->host = text.substr(0, colon);
    if (colon != std::string::npos) {
      port_text = text.substr(colon + 1);
      has_port = true;
    }
  }
  if (target->host.empty()) return Invalid(absl::StrCat("no host in '", text, "'"));
  if (!has_port) {
    if (default_port == 0) return Invalid(absl::StrCat("no port in '", text, "'"));
    target->port = default_port;
    return absl::OkStatus();
  }
  int port = 0;
  if (!absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
    return Invalid(absl::StrCat("bad port in '", text, "'"));
  }
  target->port = static_cast<uint16_t>(port);
  return absl::OkStatus();
}

}  // namespace

absl::Status Validate(const BenchConfig& config) {
  if (config.connections < 1) return Invalid("--connections must be at least 1");
  if (config.threads < 1 || config.threads > 64) return Invalid("--threads must be in [1, 64]");
  if (config.words < 1) return Invalid("--words must be at least 1");
  if (config.timeout_seconds < 1) return Invalid("--timeout must be at least 1 second");
  if (config.message_mode() && config.idle_seconds > 0) {
    return Invalid("--messages and --idle-seconds are two different scenarios; give one");
  }
  if (config.resume_mode()) {
    if (config.message_mode() || config.idle_seconds > 0) {
      return Invalid(
          "--resume is a scenario of its own (one message per session): drop "
          "--messages and --idle-seconds");
    }
    if (config.grpc_mode()) return Invalid("--resume needs the gateway (--url), not --grpc");
  }
  if (config.cut_after_chunks < 1) return Invalid("--cut-after-chunks must be at least 1");
  if (config.reconnect_delay_ms > 0 && !config.resume_mode()) {
    return Invalid("--reconnect-delay-ms only applies with --resume");
  }
  if (config.grpc_mode() && !config.message_mode()) {
    return Invalid("--grpc drives replies: give --messages (there is no idle gRPC scenario)");
  }
  if (config.sync_start && !config.reply_mode()) {
    return Invalid("--sync-start only applies with --messages or --resume");
  }
  if (config.start_spread_ms > 0 && !config.sync_start) {
    return Invalid("--start-spread-ms only applies with --sync-start");
  }
  if (config.think_ms > 0 && !config.message_mode()) {
    return Invalid("--think-ms only applies with --messages");
  }
  for (int pid : config.server_pids) {
    if (pid <= 0) return Invalid("--server-pid must be a positive process id");
  }
  return absl::OkStatus();
}

absl::StatusOr<Target> ParseWsUrl(const std::string& url) {
  Target target;
  std::string rest;
  if (absl::StartsWith(url, "wss://")) {
    target.tls = true;
    rest = url.substr(6);
  } else if (absl::StartsWith(url, "ws://")) {
    rest = url.substr(5);
  } else {
    return Invalid(absl::StrCat("--url must start with ws:// or wss://, got '", url, "'"));
  }
  size_t slash = rest.find('/');
  target.path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (auto split = SplitHostPort(rest.substr(0, slash), target.tls ? 443 : 80, &target);
      !split.ok()) {
    return split;
  }
  return target;
}

absl::Status MakeTlsContext(Target* target, const std::string& ca_file) {
  if (!target->tls) return absl::OkStatus();
  namespace ssl = boost::asio::ssl;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  if (ca_file.empty()) {
    context->set_default_verify_paths(ec);
  } else {
    context->load_verify_file(ca_file, ec);
  }
  if (ec) return Invalid(absl::StrCat("--tls-ca: cannot load '", ca_file, "': ", ec.message()));
  context->set_verify_mode(ssl::verify_peer, ec);
  context->set_verify_callback(ssl::host_name_verification(target->host), ec);
  target->tls_context = std::move(context);
  return absl::OkStatus();
}

absl::StatusOr<Target> ParseHostPort(const std::string& text) {
  Target target;
  if (auto split = SplitHostPort(text, 0, &target); !split.ok()) return split;
  return target;
}

absl::Status ResolveTarget(Target* target, bool allow_remote) {
  net::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(target->host, std::to_string(target->port), ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot resolve '", target->host, "': ", ec.message()));
  }
  target->endpoints.clear();
  for (const auto& entry : results) {
    const tcp::endpoint& endpoint = entry.endpoint();
    if (!allow_remote && !IsLoopback(endpoint.address())) {
      return absl::PermissionDeniedError(absl::StrCat(
          "'", target->host, "' resolves to ", endpoint.address().to_string(),
          ", which is not a loopback address; pass --allow-remote to load a remote server"));
    }
    target->endpoints.push_back(endpoint);
  }
  if (target->endpoints.empty()) {
    return absl::UnavailableError(absl::StrCat("'", target->host, "' has no address"));
  }
  return absl::OkStatus();
}

std::string UserMessageText(int connection, int message, int words) {
  std::string text = absl::StrCat("bench-c", connection, "-m", message);
  for (int i = 1; i < words; ++i) absl::StrAppend(&text, " w", i);
  return text;
}

}  // namespace streamgate::bench
