#pragma once

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

  bool operator==(const ServiceStatus&) const = default;
};

}  // namespace streamgate::gateway
