#include "tests/fakes/messages_endpoint.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/fakes/message_stream.h"
#include "tests/fakes/messages_request.h"

namespace streamgate::fake_claude {
namespace {

std::string Str(absl::string_view text) { return std::string(text); }

// The text of the normal reply: "Claude echo: <content>", plus " w1 w2 ... wN" for long:N.
std::string ReplyText(const std::string& content, int extra_words) {
  std::string text = absl::StrCat("Claude echo: ", content);
  for (int i = 1; i <= extra_words; ++i) absl::StrAppend(&text, " w", i);
  return text;
}

}  // namespace

MessagesEndpoint::MessagesEndpoint(MessagesEndpointOptions options, TrafficRecorder* recorder)
    : options_(std::move(options)), recorder_(recorder) {}

ReplyScript MessagesEndpoint::ErrorReply(int status, std::string_view type,
                                         std::string_view message, uint64_t request_id,
                                         bool keep_alive, HeaderList extra) {
  nlohmann::ordered_json body = {
      {"type", "error"},
      {"error", {{"type", std::string(type)}, {"message", std::string(message)}}}};
  HeaderList headers = {{"content-type", "application/json"},
                        {"request-id", TrafficRecorder::RequestIdHeader(request_id)}};
  for (auto& header : extra) headers.push_back(std::move(header));
  return ReplyScript::Complete(status, std::move(headers), body.dump(), keep_alive);
}

RoutedReply MessagesEndpoint::Handle(const IncomingRequest& request) {
  const uint64_t id = recorder_->NextRequestId();
  auto reject = [&](int status, std::string_view type, std::string_view message,
                    std::string scenario = "none") {
    ReplyScript script = ErrorReply(status, type, message, id, request.keep_alive);
    recorder_->AddRequest(id, request, status, scenario, std::nullopt);
    return RoutedReply{std::move(script), id};
  };

  const std::string* key = request.Header("x-api-key");
  if (key == nullptr || *key != options_.api_key) {
    return reject(401, "authentication_error", "invalid x-api-key");
  }
  if (request.Header("anthropic-version") == nullptr) {
    return reject(400, "invalid_request_error", "anthropic-version: header is required");
  }
  absl::StatusOr<MessagesRequest> parsed = MessagesRequest::Parse(request.body);
  if (!parsed.ok()) return reject(400, "invalid_request_error", Str(parsed.status().message()));
  absl::StatusOr<Scenario> scenario = Scenario::FromContent(parsed->last_user_text());
  if (!scenario.ok()) {
    return reject(400, "invalid_request_error", Str(scenario.status().message()), "invalid");
  }

  const int64_t stage = attempts_.Next(parsed->conversation_key());
  ReplyScript script = ReplyFor(*scenario, stage, request, id, *parsed);
  recorder_->AddRequest(id, request, script.status(), scenario->label(), stage);
  return RoutedReply{std::move(script), id};
}

ReplyScript MessagesEndpoint::ReplyFor(const Scenario& scenario, int64_t stage,
                                       const IncomingRequest& request, uint64_t id,
                                       const MessagesRequest& parsed) const {
  const bool keep_alive = request.keep_alive;
  const bool failing_stage = stage < scenario.times();
  switch (scenario.outcome()) {
    case Outcome::kRateLimit:
    case Outcome::kRateLimitAlways: {
      if (scenario.outcome() == Outcome::kRateLimit && !failing_stage) break;
      HeaderList extra;
      const RetryHint& hint = scenario.retry_hint();
      if (hint.kind == RetryHint::Kind::kSeconds) extra.emplace_back("retry-after", hint.value);
      if (hint.kind == RetryHint::Kind::kMilliseconds) {
        extra.emplace_back("retry-after-ms", hint.value);
      }
      return ErrorReply(429, "rate_limit_error",
                        "This request would exceed your organization's rate limit (fake)", id,
                        keep_alive, std::move(extra));
    }
    case Outcome::kRetryAfterDate: {
      if (!failing_stage) break;
      absl::Time when = absl::Now() + absl::Seconds(scenario.retry_after_date_seconds());
      return ErrorReply(429, "rate_limit_error",
                        "This request would exceed your organization's rate limit (fake)", id,
                        keep_alive, {{"retry-after", ReplyScript::HttpDate(when)}});
    }
    case Outcome::kOverloaded:
    case Outcome::kOverloadedAlways:
      if (scenario.outcome() == Outcome::kOverloaded && !failing_stage) break;
      return ErrorReply(529, "overloaded_error", "Overloaded", id, keep_alive);
    case Outcome::kServerError:
      if (!failing_stage) break;
      return ErrorReply(500, "api_error", "Internal server error", id, keep_alive);
    case Outcome::kUnauthorized:
      return ErrorReply(401, "authentication_error", "invalid x-api-key", id, keep_alive);
    case Outcome::kBadRequest:
      return ErrorReply(400, "invalid_request_error", "fake bad_request scenario", id, keep_alive);
    case Outcome::kShouldRetryFalse:
      return ErrorReply(503, "api_error", "Service unavailable (fake, do not retry)", id,
                        keep_alive, {{"x-should-retry", "false"}});
    default:
      break;
  }
  return StreamReply(scenario, request, id, parsed);
}

ReplyScript MessagesEndpoint::StreamReply(const Scenario& scenario, const IncomingRequest& request,
                                          uint64_t id, const MessagesRequest& parsed) const {
  MessageStream stream({.message_id = absl::StrCat("msg_fake_", id),
                        .model = parsed.model(),
                        .input_tokens = parsed.message_count(),
                        .max_tokens = parsed.max_tokens(),
                        .text = ReplyText(parsed.last_user_text(), scenario.extra_words()),
                        .thinking = scenario.thinking(),
                        .tool_use = scenario.tool_use(),
                        .ping_heavy = scenario.ping_heavy()});
  ReplyScript script = ReplyScript::Chunked(200,
                                            {{"content-type", "text/event-stream; charset=utf-8"},
                                             {"cache-control", "no-cache"},
                                             {"request-id", TrafficRecorder::RequestIdHeader(id)}},
                                            request.keep_alive);
  script.set_tiny_writes(scenario.tiny_writes());
  const std::chrono::milliseconds delay = scenario.delta_delay().value_or(options_.delta_delay);
  auto add_all = [&](const std::vector<StreamEvent>& events) {
    for (const StreamEvent& event : events) {
      script.AddChunk(event.wire, event.is_delta ? delay : std::chrono::milliseconds(0));
    }
  };

  const int n = scenario.deltas_before_failure();
  switch (scenario.outcome()) {
    case Outcome::kMidstreamError:
      add_all(stream.PrefixWithTextDeltas(n));
      add_all({MessageStream::ErrorEvent("overloaded_error", "Overloaded")});
      script.EndBody();
      break;
    case Outcome::kCleanEndWithoutStop:
      add_all(stream.PrefixWithTextDeltas(n));
      script.EndBody();
      break;
    case Outcome::kDrop:
      add_all(stream.PrefixWithTextDeltas(n));
      script.CloseConnection(scenario.reset());
      break;
    case Outcome::kStall:
      add_all(stream.PrefixWithTextDeltas(n));
      script.HoldOpen();
      break;
    default:
      add_all(stream.events());
      script.EndBody();
      break;
  }
  return script;
}

}  // namespace streamgate::fake_claude
