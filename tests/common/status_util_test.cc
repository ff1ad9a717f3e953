#include "common/status_util.h"

#include "gtest/gtest.h"

namespace streamgate::common {
namespace {

TEST(StatusUtil, EveryCodeKeepsItsNumberAndMessageBothWays) {
  for (int code = 1; code <= 16; ++code) {
    absl::Status original(static_cast<absl::StatusCode>(code), "details");
    grpc::Status converted = ToGrpcStatus(original);
    EXPECT_EQ(static_cast<int>(converted.error_code()), code);
    EXPECT_EQ(converted.error_message(), "details");
    EXPECT_EQ(FromGrpcStatus(converted), original);
  }
}

TEST(StatusUtil, OkMapsToOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

absl::Status FailsWhen(bool fail, int* reached) {
  SG_RETURN_IF_ERROR(fail ? absl::InternalError("stop") : absl::OkStatus());
  ++*reached;
  return absl::OkStatus();
}

TEST(StatusUtil, ReturnIfErrorReturnsEarlyOnlyOnError) {
  int reached = 0;
  EXPECT_TRUE(FailsWhen(false, &reached).ok());
  EXPECT_EQ(reached, 1);
  EXPECT_EQ(FailsWhen(true, &reached).code(), absl::StatusCode::kInternal);
  EXPECT_EQ(reached, 1);
}

}  // namespace
}  // namespace streamgate::common
