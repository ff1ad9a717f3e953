#pragma once

#include <grpcpp/security/server_credentials.h>

#include <memory>

#include "absl/status/statusor.h"
#include "llm-service/call_authenticator.h"
#include "llm-service/server_certificates.h"

namespace streamgate::llm {

// The credentials of llm-service's listening port: plaintext or TLS (`certificates`, null
// for plaintext), with or without the bearer-token check (`authenticator`, null for none).
//
// The token check runs as a core auth metadata processor, which gRPC's server auth filter
// calls with a call's initial metadata before the request message is read or its flow-control
// window opened: a refused call costs its headers, not its body. On TLS that is the same
// processor gRPC's SslServerCredentials would take; on plaintext grpc::InsecureServerCredentials
// refuses a processor (it asserts), so the port is added with core insecure credentials that
// carry it, which the server auth filter serves just the same.
//
// The result must outlive the grpc::Server it was added to: gRPC's TLS handshakes call back
// into `certificates` through it. Neither given: grpc::InsecureServerCredentials().
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    std::shared_ptr<ServerCertificates> certificates,
    std::shared_ptr<CallAuthenticator> authenticator);

}  // namespace streamgate::llm
