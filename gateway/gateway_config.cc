#include "gateway/gateway_config.h"

namespace streamgate::gateway {

absl::Status Validate(const GatewayConfig& config) {
  if (config.bind.empty()) return absl::InvalidArgumentError("--bind must not be empty");
  if (config.llm_service.empty()) {
    return absl::InvalidArgumentError("--llm-service must name host:port");
  }
  if (config.max_outbound_bytes < config.max_message_bytes) {
    return absl::InvalidArgumentError("--max-outbound-bytes must be at least --max-message-bytes");
  }
  if (config.reply_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--reply-timeout must be positive");
  }
  if (config.handshake_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--handshake-timeout must be positive");
  }
  if (config.ping_interval <= absl::ZeroDuration() || config.idle_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--ping-interval and --idle-timeout must be positive");
  }
  if (config.connect_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--llm-connect-timeout must be positive");
  }
  return absl::OkStatus();
}

}  // namespace streamgate::gateway
