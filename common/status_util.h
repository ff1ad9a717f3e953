#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

// Returns from the enclosing function when `expr` yields a non-OK absl::Status.
#define SG_RETURN_IF_ERROR(expr)                  \
  do {                                            \
    ::absl::Status sg_status_ = (expr);           \
    if (!sg_status_.ok()) return sg_status_;      \
  } while (false)

namespace streamgate::common {

// absl and gRPC share the canonical code numbers, so both directions keep the code and
// the message unchanged. This is the only place the two types meet.
grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace streamgate::common
