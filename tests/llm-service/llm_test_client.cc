#include "tests/llm-service/llm_test_client.h"

#include <grpcpp/generic/generic_stub.h>

#include <fstream>
#include <future>
#include <sstream>

#include "grpc/health/v1/health.grpc.pb.h"
#include "streamgate/llm/v1/llm_service.grpc.pb.h"

namespace streamgate::testing {
namespace {

std::string Slurp(const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::chrono::system_clock::time_point After(std::chrono::milliseconds timeout) {
  return std::chrono::system_clock::now() + timeout;
}

}  // namespace

std::shared_ptr<grpc::Channel> TestChannel(int port, const std::optional<ClientTls>& tls) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (tls.has_value()) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = Slurp(tls->ca);
    options.pem_cert_chain = Slurp(tls->cert);
    options.pem_private_key = Slurp(tls->key);
    credentials = grpc::SslCredentials(options);
    if (!tls->server_name.empty()) args.SetSslTargetNameOverride(tls->server_name);
  }
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), credentials, args);
}

llm::v1::StreamChatRequest OneMessage(const std::string& content, const std::string& session_id,
                                      const std::string& request_id) {
  llm::v1::StreamChatRequest request;
  request.set_session_id(session_id);
  request.set_request_id(request_id);
  auto* message = request.add_messages();
  message->set_role(llm::v1::ROLE_USER);
  message->set_content(content);
  return request;
}

ChatOutcome ChatOnce(const std::shared_ptr<grpc::Channel>& channel,
                     const llm::v1::StreamChatRequest& request, const std::string& token,
                     std::chrono::milliseconds deadline,
                     const std::vector<std::pair<std::string, std::string>>& metadata) {
  auto stub = llm::v1::LlmService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(After(deadline));
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
  auto reader = stub->StreamChat(&context, request);
  ChatOutcome outcome;
  llm::v1::StreamChatResponse response;
  while (reader->Read(&response)) {
    outcome.started |= response.has_started();
    if (response.has_started()) outcome.replica = response.started().replica();
    if (response.has_delta()) outcome.text += response.delta().text();
    outcome.completed |= response.has_completed();
  }
  outcome.status = reader->Finish();
  return outcome;
}

grpc::Status HealthCheck(const std::shared_ptr<grpc::Channel>& channel, std::string* serving,
                         std::chrono::milliseconds deadline) {
  return HealthCheckService(channel, "", serving, deadline);
}

grpc::Status HealthCheckService(const std::shared_ptr<grpc::Channel>& channel,
                                const std::string& service, std::string* serving,
                                std::chrono::milliseconds deadline) {
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(After(deadline));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (status.ok()) {
    *serving = grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status());
  }
  return status;
}

grpc::Status ReflectionListServices(const std::shared_ptr<grpc::Channel>& channel,
                                    const std::string& token, std::string* services_bytes,
                                    std::chrono::milliseconds deadline) {
  // ServerReflectionRequest{list_services: "*"}: field 7, length-delimited.
  static const std::string kListServices("\x3a\x01*", 3);
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(After(deadline));
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  grpc::Slice slice(kListServices);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  // A unary exchange on the bidi method: the server answers the one request, sees the
  // half-close and ends the stream with OK.
  stub.UnaryCall(&context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                 grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  grpc::Status status = done.get_future().get();
  services_bytes->clear();
  if (status.ok()) {
    std::vector<grpc::Slice> slices;
    (void)response.Dump(&slices);
    for (const auto& piece : slices) {
      services_bytes->append(reinterpret_cast<const char*>(piece.begin()), piece.size());
    }
  }
  return status;
}

}  // namespace streamgate::testing
