#include "llm-service/llm_server.h"

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <unistd.h>

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "llm-service/bind_probe.h"
#include "llm-service/server_credentials.h"

namespace streamgate::llm {
namespace {

// Where callers reach this replica: --advertise-address, else the bound address and port
// (the host's name when bound to every address: a wildcard reaches nothing).
std::string AdvertisedAddress(const LlmServiceConfig& config, int port) {
  if (!config.advertise_address.empty()) return config.advertise_address;
  std::string host = config.bind;
  if (host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]") {
    char name[256] = {};
    host = ::gethostname(name, sizeof(name) - 1) == 0 && name[0] != '\0' ? name : "localhost";
  }
  const bool ipv6 = host.find(':') != std::string::npos && host.front() != '[';
  return ipv6 ? absl::StrCat("[", host, "]:", port) : absl::StrCat(host, ":", port);
}

// Leaves gRPC's reflection plugin out of one server: linking grpc++_reflection registers it
// for every ServerBuilder at static initialisation, and a builder option is the one way to
// drop it again. Owned by the one ServerBuilder it is given to (main's thread).
class WithoutReflection final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments* /*args*/) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    std::erase_if(*plugins, [](const std::unique_ptr<grpc::ServerBuilderPlugin>& plugin) {
      return plugin->name() == "proto_server_reflection";
    });
  }
};

// What GetServiceInfo answers: the provider and the model a request without one gets.
v1::ServiceInfo DescribeService(const LlmServiceConfig& config, const Provider& provider) {
  v1::ServiceInfo info;
  info.set_provider(std::string(provider.name()));
  info.set_default_model(provider.name() == "claude" ? config.anthropic_model
                                                     : std::string(provider.name()));
  info.set_max_request_bytes(static_cast<uint64_t>(config.max_request_bytes));
  return info;
}

}  // namespace

LlmServer::LlmServer(const LlmServiceConfig& config, Provider* provider, LlmMetrics* metrics)
    : auth_tokens_file_(config.auth_tokens_file),
      engine_(provider, static_cast<size_t>(config.max_queued_bytes_per_call),
              config.max_concurrent_calls, metrics),
      service_(&engine_),
      chat_service_(&engine_),
      info_service_(DescribeService(config, *provider)) {}

LlmServer::~LlmServer() {
  if (server_ != nullptr) Shutdown(absl::ZeroDuration());
}

absl::StatusOr<std::unique_ptr<LlmServer>> LlmServer::Start(const LlmServiceConfig& config,
                                                            Provider* provider,
                                                            LlmMetrics* metrics) {
  std::unique_ptr<LlmServer> server(new LlmServer(config, provider, metrics));
  if (!config.auth_tokens_file.empty()) {
    auto tokens = common::CredentialSet::Load(config.auth_tokens_file);
    if (!tokens.ok()) {
      return absl::Status(tokens.status().code(),
                          absl::StrCat("--auth-tokens-file: ", tokens.status().message()));
    }
    if ((*tokens)->size() == 0) {
      common::Logger("llm-service")
          ->warn("--auth-tokens-file {} has no entries: every call but health checks is refused",
                 config.auth_tokens_file);
    }
    server->authenticator_ = std::make_shared<CallAuthenticator>(*std::move(tokens));
  }
  if (!config.tls_cert.empty()) {
    auto certificates = ServerCertificates::Load(
        {.cert = config.tls_cert, .key = config.tls_key, .client_ca = config.tls_client_ca});
    if (!certificates.ok()) return certificates.status();
    server->certificates_ = *std::move(certificates);
  }
  auto credentials = MakeServerCredentials(server->certificates_, server->authenticator_);
  if (!credentials.ok()) return credentials.status();
  server->credentials_ = *std::move(credentials);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat(config.bind, ":", config.port), server->credentials_,
                           &server->port_);
  // gRPC sets SO_REUSEPORT by default: a second llm-service on a held port would start, say
  // "listening" and silently take part of the traffic. Refuse, as the gateway does.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Enforced by gRPC once the whole message is in (see docs/grpc-security.md): a bound on
  // what one call may hold, not on what reaches the socket.
  builder.SetMaxReceiveMessageSize(static_cast<int>(config.max_request_bytes));
  builder.RegisterService(&server->service_);
  builder.RegisterService(&server->chat_service_);
  builder.RegisterService(&server->info_service_);
  builder.RegisterCallbackGenericService(&server->unregistered_methods_);
  if (!config.reflection) builder.SetOption(std::make_unique<WithoutReflection>());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    server->server_.reset();
    // The gateway's words when the port is the cause; gRPC's log line above says more.
    std::string why = ProbeBindError(config.bind, config.port);
    if (!why.empty()) {
      return absl::UnavailableError(
          absl::StrCat("cannot bind ", config.bind, ":", config.port, ": ", why));
    }
    return absl::UnavailableError(absl::StrCat("cannot listen on ", config.bind, ":", config.port));
  }
  server->engine_.set_replica(AdvertisedAddress(config, server->port_));
  // Probes may ask for the server ("") or name the service; both follow the same state, and
  // Shutdown's SetServingStatus(false) turns every registered name NOT_SERVING.
  grpc::HealthCheckServiceInterface* health = server->server_->GetHealthCheckService();
  health->SetServingStatus(true);
  health->SetServingStatus(v1::LlmService::service_full_name(), true);
  return server;
}

std::string LlmServer::Describe() const {
  std::string tls = certificates_ == nullptr                       ? "off"
                    : certificates_->requires_client_certificate() ? "mtls"
                                                                   : "on";
  std::string auth =
      authenticator_ == nullptr ? "none" : absl::StrCat("tokens entries=", authenticator_->size());
  return absl::StrCat("tls=", tls, " auth=", auth);
}

void LlmServer::Reload() {
  auto log = common::Logger("llm-service");
  if (authenticator_ != nullptr) {
    auto tokens = common::CredentialSet::Load(auth_tokens_file_);
    if (tokens.ok()) {
      size_t entries = (*tokens)->size();
      authenticator_->Replace(*std::move(tokens));
      log->info("credentials reloaded entries={}", entries);
    } else {
      log->error("credentials reload failed, keeping entries={} error=\"{}\"",
                 authenticator_->size(), tokens.status().message());
    }
  }
  if (certificates_ != nullptr) {
    if (absl::Status reloaded = certificates_->Reload(); reloaded.ok()) {
      log->info("certificates reloaded");
    } else {
      log->error("certificates reload failed, keeping the loaded ones error=\"{}\"",
                 reloaded.message());
    }
  }
  if (authenticator_ == nullptr && certificates_ == nullptr) {
    log->info("reload: no token file or certificates to reload");
  }
}

void LlmServer::Shutdown(absl::Duration drain_timeout) {
  if (server_ == nullptr) return;
  // Health watchers see NOT_SERVING; Shutdown refuses new calls, lets running ones finish
  // until the deadline and cancels the rest.
  server_->GetHealthCheckService()->SetServingStatus(false);
  // Chat streams are long-lived: they are told, take no new replies and end once theirs have.
  chat_service_.Drain();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + drain_timeout));
  server_->Wait();
  server_.reset();
}

}  // namespace streamgate::llm
