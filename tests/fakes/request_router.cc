#include "tests/fakes/request_router.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace streamgate::fake_claude {
namespace {

constexpr std::string_view kControlPrefix = "/__fake/";

ReplyScript Json(int status, std::string body, bool keep_alive) {
  return ReplyScript::Complete(status, {{"content-type", "application/json"}}, std::move(body),
                               keep_alive);
}

// The `since` parameter of a query string ("since=12&x=y"); 0 when absent or malformed.
uint64_t SinceParameter(std::string_view query) {
  for (absl::string_view pair :
       absl::StrSplit(absl::string_view(query.data(), query.size()), '&')) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(pair, '=');
    uint64_t since = 0;
    if (kv.first == "since" && absl::SimpleAtoi(kv.second, &since)) return since;
  }
  return 0;
}

}  // namespace

RequestRouter::RequestRouter(MessagesEndpointOptions options, TrafficRecorder* recorder)
    : recorder_(recorder), messages_(std::move(options), recorder) {}

RoutedReply RequestRouter::Route(const IncomingRequest& request) {
  const std::string_view path = request.path();
  if (path.substr(0, kControlPrefix.size()) == kControlPrefix) return Control(request);
  if (path == "/v1/messages" && request.method == "POST") return messages_.Handle(request);

  const uint64_t id = recorder_->NextRequestId();
  const bool known_path = path == "/v1/messages";
  const int status = known_path ? 405 : 404;
  ReplyScript script = MessagesEndpoint::ErrorReply(
      status, known_path ? "invalid_request_error" : "not_found_error",
      known_path ? "Method not allowed" : "Not found", id, request.keep_alive);
  recorder_->AddRequest(id, request, status, "none", std::nullopt);
  return {std::move(script), id};
}

RoutedReply RequestRouter::TooLarge(const IncomingRequest& request) {
  const uint64_t id = recorder_->NextRequestId();
  ReplyScript script = MessagesEndpoint::ErrorReply(
      413, "request_too_large", "Request exceeds the maximum allowed number of bytes.", id,
      /*keep_alive=*/false);
  recorder_->AddRequest(id, request, 413, "none", std::nullopt);
  return {std::move(script), id};
}

RoutedReply RequestRouter::Control(const IncomingRequest& request) {
  const std::string_view what = request.path().substr(kControlPrefix.size());
  const bool get = request.method == "GET";
  if (get && what == "requests") {
    return {
        Json(200, recorder_->RequestsJson(SinceParameter(request.query())), request.keep_alive)};
  }
  if (get && what == "connections") {
    return {Json(200, recorder_->ConnectionsJson(), request.keep_alive)};
  }
  if (get && what == "stats") return {Json(200, recorder_->StatsJson(), request.keep_alive)};
  if (request.method == "POST" && what == "reset") {
    recorder_->Reset();
    messages_.Reset();
    return {Json(200, R"({"reset":true})", request.keep_alive)};
  }
  return {Json(404, R"({"error":"unknown control endpoint"})", request.keep_alive)};
}

}  // namespace streamgate::fake_claude
