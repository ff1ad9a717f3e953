#include "llm-service/service_info_service.h"

namespace streamgate::llm {

grpc::ServerUnaryReactor* ServiceInfoService::GetServiceInfo(
    grpc::CallbackServerContext* context, const v1::GetServiceInfoRequest* /*request*/,
    v1::ServiceInfo* response) {
  *response = info_;
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace streamgate::llm
