#include "llm-service/server_credentials.h"

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>

#include <string>
#include <utility>
#include <vector>

#include "common/fatal.h"

namespace streamgate::llm {
namespace {

absl::string_view View(const grpc_slice& slice) {
  return absl::string_view(reinterpret_cast<const char*>(GRPC_SLICE_START_PTR(slice)),
                           GRPC_SLICE_LENGTH(slice));
}

// grpc_auth_metadata_processor.process: runs in the server auth filter on a gRPC thread,
// once per call, with the call's initial metadata (":path" included). Answers at once.
void ProcessAuthMetadata(void* state, grpc_auth_context* /*context*/, const grpc_metadata* md,
                         size_t num_md, grpc_process_auth_metadata_done_cb done, void* user_data) {
  auto* authenticator = static_cast<std::shared_ptr<CallAuthenticator>*>(state)->get();
  absl::string_view method;
  std::vector<absl::string_view> authorization;
  std::vector<grpc_metadata> consumed;
  for (size_t i = 0; i < num_md; ++i) {
    absl::string_view key = View(md[i].key);
    if (key == ":path") {
      method = View(md[i].value);
    } else if (key == "authorization") {
      authorization.push_back(View(md[i].value));
      consumed.push_back(md[i]);
    }
  }
  absl::Status status = authenticator->Check(method, authorization);
  if (status.ok()) {
    // Consumed: the token goes no further than this check (not to handlers, not to logs).
    done(user_data, consumed.data(), consumed.size(), nullptr, 0, GRPC_STATUS_OK, nullptr);
    return;
  }
  std::string message(status.message());
  done(user_data, nullptr, 0, nullptr, 0, static_cast<grpc_status_code>(status.code()),
       message.c_str());
}

void DestroyAuthState(void* state) {
  delete static_cast<std::shared_ptr<CallAuthenticator>*>(state);
}

grpc_ssl_certificate_config_reload_status FetchCertificates(
    void* user_data, grpc_ssl_server_certificate_config** config) {
  return static_cast<ServerCertificates*>(user_data)->Fetch(config);
}

// A grpc::ServerCredentials around core credentials it owns one reference to. Keeps the
// certificates the fetcher reads alive for as long as it lives (see the header). Used by the
// ServerBuilder on main's thread only.
class CoreServerCredentials final : public grpc::ServerCredentials {
 public:
  CoreServerCredentials(grpc_server_credentials* core,
                        std::shared_ptr<ServerCertificates> certificates)
      : core_(core), certificates_(std::move(certificates)) {}
  ~CoreServerCredentials() override { grpc_server_credentials_release(core_); }

  void SetAuthMetadataProcessor(
      const std::shared_ptr<grpc::AuthMetadataProcessor>& /*processor*/) override {
    common::Fatal("CoreServerCredentials", "the auth processor is set at construction");
  }

 private:
  int AddPortToServer(const std::string& addr, grpc_server* server) override {
    return grpc_server_add_http2_port(server, addr.c_str(), core_);
  }

  grpc_server_credentials* const core_;
  const std::shared_ptr<ServerCertificates> certificates_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    std::shared_ptr<ServerCertificates> certificates,
    std::shared_ptr<CallAuthenticator> authenticator) {
  if (certificates == nullptr && authenticator == nullptr) {
    return grpc::InsecureServerCredentials();
  }
  grpc_server_credentials* core = nullptr;
  if (certificates != nullptr) {
    grpc_ssl_server_credentials_options* options =
        grpc_ssl_server_credentials_create_options_using_config_fetcher(
            certificates->requires_client_certificate()
                ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
            FetchCertificates, certificates.get());
    // Takes ownership of the options.
    core = grpc_ssl_server_credentials_create_with_options(options);
  } else {
    core = grpc_insecure_server_credentials_create();
  }
  if (core == nullptr) return absl::InternalError("gRPC refused the server credentials");
  if (authenticator != nullptr) {
    grpc_auth_metadata_processor processor{
        ProcessAuthMetadata, DestroyAuthState,
        new std::shared_ptr<CallAuthenticator>(std::move(authenticator))};
    grpc_server_credentials_set_auth_metadata_processor(core, processor);
  }
  return std::shared_ptr<grpc::ServerCredentials>(
      std::make_shared<CoreServerCredentials>(core, std::move(certificates)));
}

}  // namespace streamgate::llm
