#include "gateway/reply_status.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

using Kind = ReplyEnd::Kind;

TEST(ReplyEndFor, OkAfterCompletedIsCompletedWithWhatCompletedSaid) {
  llm::v1::Completed completed;
  completed.set_stop_reason("max_tokens");
  completed.mutable_usage()->set_input_tokens(12);
  completed.mutable_usage()->set_output_tokens(34);
  ReplyEnd fields;
  TakeCompleted(completed, &fields);
  ReplyEnd end =
      ReplyEndFor(grpc::Status::OK, /*completed=*/true, /*cancel_requested=*/false, fields);
  EXPECT_EQ(end.kind, Kind::kCompleted);
  EXPECT_EQ(end.stop_reason, "max_tokens");
  EXPECT_EQ(end.usage.input_tokens, 12u);
  EXPECT_EQ(end.usage.output_tokens, 34u);
}

TEST(ReplyEndFor, OkWithoutCompletedIsAnInternalFailure) {
  ReplyEnd end = ReplyEndFor(grpc::Status::OK, false, false, {});
  EXPECT_EQ(end.kind, Kind::kFailed);
  EXPECT_EQ(end.error, ClientError::kInternal);
  EXPECT_EQ(end.cause_code, "OK");
  EXPECT_EQ(end.cause_detail, "stream ended without a completed event");
}

TEST(ReplyEndFor, CancelledIsACancelOnlyWhenTheSessionAskedForIt) {
  grpc::Status cancelled(grpc::StatusCode::CANCELLED, "call cancelled");
  EXPECT_EQ(ReplyEndFor(cancelled, false, /*cancel_requested=*/true, {}).kind, Kind::kCancelled);
  // Even after `completed`: the session asked, and that is what it is told.
  EXPECT_EQ(ReplyEndFor(cancelled, true, true, {}).kind, Kind::kCancelled);
  ReplyEnd unasked = ReplyEndFor(cancelled, false, false, {});
  EXPECT_EQ(unasked.kind, Kind::kFailed);
  EXPECT_EQ(unasked.error, ClientError::kUpstreamError);
  EXPECT_EQ(unasked.cause_code, "CANCELLED");
}

TEST(ReplyEndFor, FailuresMapToTheClientsErrorAndKeepTheCauseForTheLog) {
  struct Case {
    grpc::StatusCode code;
    ClientError error;
    std::string name;
  };
  for (const Case& c : std::vector<Case>{
           {grpc::StatusCode::UNAVAILABLE, ClientError::kUpstreamUnavailable, "UNAVAILABLE"},
           {grpc::StatusCode::RESOURCE_EXHAUSTED, ClientError::kRateLimited, "RESOURCE_EXHAUSTED"},
           {grpc::StatusCode::DEADLINE_EXCEEDED, ClientError::kTimeout, "DEADLINE_EXCEEDED"},
           {grpc::StatusCode::INVALID_ARGUMENT, ClientError::kUpstreamError, "INVALID_ARGUMENT"},
           {grpc::StatusCode::INTERNAL, ClientError::kUpstreamError, "INTERNAL"}}) {
    ReplyEnd end = ReplyEndFor(grpc::Status(c.code, "why " + c.name), true, true, {});
    EXPECT_EQ(end.kind, Kind::kFailed) << c.name;
    EXPECT_EQ(end.error, c.error) << c.name;
    EXPECT_EQ(end.cause_code, c.name);
    EXPECT_EQ(end.cause_detail, "why " + c.name);
  }
}

}  // namespace
}  // namespace streamgate::gateway
