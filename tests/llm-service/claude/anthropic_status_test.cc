#include "llm-service/claude/anthropic_status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace streamgate::llm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ErrorBody(const std::string& type, const std::string& message) {
  return R"({"type":"error","error":{"type":")" + type + R"(","message":")" + message + R"("}})";
}

struct HttpCase {
  int http_status;
  std::string body;
  absl::StatusCode code;
  std::string message;
};

TEST(AnthropicStatus, MapsHttpResponses) {
  const std::vector<HttpCase> cases = {
      {400, ErrorBody("invalid_request_error", "messages: bad"), absl::StatusCode::kInvalidArgument,
       "upstream HTTP 400 invalid_request_error: messages: bad"},
      {401, ErrorBody("authentication_error", "invalid x-api-key"),
       absl::StatusCode::kUnauthenticated,
       "upstream HTTP 401 authentication_error: invalid x-api-key"},
      {403, ErrorBody("permission_error", "no"), absl::StatusCode::kPermissionDenied,
       "upstream HTTP 403 permission_error: no"},
      {404, ErrorBody("not_found_error", "model"), absl::StatusCode::kNotFound,
       "upstream HTTP 404 not_found_error: model"},
      {413, ErrorBody("request_too_large", "big"), absl::StatusCode::kInvalidArgument,
       "upstream HTTP 413 request_too_large: big"},
      {429, ErrorBody("rate_limit_error", "slow down"), absl::StatusCode::kResourceExhausted,
       "upstream HTTP 429 rate_limit_error: slow down"},
      {408, "", absl::StatusCode::kUnavailable, "upstream HTTP 408"},
      {500, ErrorBody("api_error", "Internal server error"), absl::StatusCode::kUnavailable,
       "upstream HTTP 500 api_error: Internal server error"},
      {502, "<html><body>Bad Gateway</body></html>", absl::StatusCode::kUnavailable,
       "upstream HTTP 502"},
      {503, "", absl::StatusCode::kUnavailable, "upstream HTTP 503"},
      {504, "upstream timeout", absl::StatusCode::kUnavailable, "upstream HTTP 504"},
      {529, ErrorBody("overloaded_error", "Overloaded"), absl::StatusCode::kUnavailable,
       "upstream HTTP 529 overloaded_error: Overloaded"},
      // The HTTP status decides over a contradicting error type.
      {429, ErrorBody("invalid_request_error", "odd"), absl::StatusCode::kResourceExhausted,
       "upstream HTTP 429 invalid_request_error: odd"},
      // Statuses outside the table: the error type decides, else UNAVAILABLE.
      {402, ErrorBody("billing_error", "pay"), absl::StatusCode::kPermissionDenied,
       "upstream HTTP 402 billing_error: pay"},
      {422, ErrorBody("invalid_request_error", "x"), absl::StatusCode::kInvalidArgument,
       "upstream HTTP 422 invalid_request_error: x"},
      {418, "", absl::StatusCode::kUnavailable, "upstream HTTP 418"},
      {302, "", absl::StatusCode::kUnavailable, "upstream HTTP 302"},
  };
  for (const HttpCase& test_case : cases) {
    absl::Status status = UpstreamHttpStatus(test_case.http_status, test_case.body);
    EXPECT_EQ(status.code(), test_case.code) << test_case.http_status << " " << test_case.body;
    EXPECT_EQ(status.message(), test_case.message);
  }
}

TEST(AnthropicStatus, MapsErrorTypes) {
  const std::vector<std::pair<std::string, absl::StatusCode>> cases = {
      {"overloaded_error", absl::StatusCode::kUnavailable},
      {"api_error", absl::StatusCode::kUnavailable},
      {"rate_limit_error", absl::StatusCode::kResourceExhausted},
      {"invalid_request_error", absl::StatusCode::kInvalidArgument},
      {"request_too_large", absl::StatusCode::kInvalidArgument},
      {"authentication_error", absl::StatusCode::kUnauthenticated},
      {"permission_error", absl::StatusCode::kPermissionDenied},
      {"billing_error", absl::StatusCode::kPermissionDenied},
      {"not_found_error", absl::StatusCode::kNotFound},
      {"timeout_error", absl::StatusCode::kDeadlineExceeded},
      {"", absl::StatusCode::kUnavailable},
      {"some_future_error", absl::StatusCode::kUnavailable},
  };
  for (const auto& [type, code] : cases) {
    EXPECT_EQ(StatusCodeForErrorType(type), code) << type;
  }
}

TEST(AnthropicStatus, MapsHttpStatusCodes) {
  EXPECT_EQ(StatusCodeForHttpStatus(400), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForHttpStatus(401), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(StatusCodeForHttpStatus(403), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(StatusCodeForHttpStatus(404), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusCodeForHttpStatus(413), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StatusCodeForHttpStatus(429), absl::StatusCode::kResourceExhausted);
  for (int status : {408, 500, 502, 503, 504, 529, 599}) {
    EXPECT_EQ(StatusCodeForHttpStatus(status), absl::StatusCode::kUnavailable) << status;
  }
  EXPECT_EQ(StatusCodeForHttpStatus(500, "timeout_error"), absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeForHttpStatus(409, "timeout_error"), absl::StatusCode::kDeadlineExceeded);
}

TEST(AnthropicStatus, TransportFailures) {
  absl::Status connection = UpstreamTransportStatus(TransportFailure::kConnection);
  EXPECT_EQ(connection.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(connection.message(), "upstream connection failed");
  absl::Status timeout = UpstreamTransportStatus(TransportFailure::kTimeout);
  EXPECT_EQ(timeout.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(timeout.message(), "upstream request timed out");
}

TEST(AnthropicStatus, StreamErrorStatus) {
  absl::Status status = UpstreamStreamErrorStatus({"rate_limit_error", "too fast"});
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(status.message(), "upstream error rate_limit_error: too fast");
  EXPECT_EQ(UpstreamStreamErrorStatus({"api_error", ""}).message(), "upstream error api_error");
}

TEST(AnthropicStatus, LongUpstreamMessagesAreTruncated) {
  const std::string long_message(5000, 'x');
  absl::Status status = UpstreamHttpStatus(400, ErrorBody("invalid_request_error", long_message));
  const std::string prefix = "upstream HTTP 400 invalid_request_error: ";
  EXPECT_EQ(status.message(), prefix + std::string(200, 'x') + "...");
}

TEST(AnthropicStatus, ExcerptNeverSplitsAUtf8Character) {
  // 199 ASCII bytes, then a 3-byte character straddling the 200-byte cut.
  const std::string message = std::string(199, 'a') + "\xE2\x82\xAC" + "tail";
  EXPECT_EQ(UpstreamMessageExcerpt(message), std::string(199, 'a') + "...");
  const std::string exact(200, 'b');
  EXPECT_EQ(UpstreamMessageExcerpt(exact), exact);  // not shortened, no ellipsis
}

TEST(AnthropicStatus, ExcerptReplacesControlCharacters) {
  EXPECT_EQ(UpstreamMessageExcerpt("line1\nline2\r\tend\x7F"), "line1 line2  end ");
}

TEST(AnthropicStatus, HostileErrorTypeIsSanitized) {
  absl::Status status =
      UpstreamHttpStatus(400, ErrorBody("bad type\\n<script>" + std::string(200, 'z'), "m"));
  EXPECT_THAT(status.message(), Not(HasSubstr("<")));
  EXPECT_THAT(status.message(), Not(HasSubstr("\n")));
  EXPECT_LT(status.message().size(), 100u);
}

TEST(AnthropicStatus, RawNonJsonBodiesNeverAppear) {
  absl::Status status = UpstreamHttpStatus(500, "secret internal trace sk-ant-xyz");
  EXPECT_EQ(status.message(), "upstream HTTP 500");
}

}  // namespace
}  // namespace streamgate::llm
