#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace streamgate::gateway {

// What the gateway tells its clients about the service behind it (connection_established's
// and `status` frames' "service"): whether a message would reach llm-service now, and who
// answers there. Plain values, copied freely.
enum class ServiceState {
  kReady,        // llm-service is connected
  kUnavailable,  // llm-service cannot be reached: a message would fail
  kDraining,     // this gateway is shutting down: reconnect (and resume) elsewhere
};

constexpr std::string_view ServiceStateName(ServiceState state) {
  switch (state) {
    case ServiceState::kReady:
      return "ready";
    case ServiceState::kUnavailable:
      return "unavailable";
    case ServiceState::kDraining:
      return "draining";
  }
  return "unavailable";
}

struct ServiceStatus {
  ServiceState state = ServiceState::kUnavailable;
  // llm-service's GetServiceInfo: "mock" or "claude" and its default model; empty until
  // llm-service has answered once.
  std::string provider;
  std::string model;
  // LlmReachability's count of published changes: a session that was told version N in
  // its connection_established skips a change it was already told. Not part of equality.
  uint64_t version = 0;

  bool operator==(const ServiceStatus& other) const {
    return state == other.state && provider == other.provider && model == other.model;
  }
};

}  // namespace streamgate::gateway
