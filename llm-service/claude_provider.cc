#include "llm-service/claude_provider.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/log.h"
#include "llm-service/claude_transfer.h"

namespace streamgate::llm {
namespace {

absl::StatusOr<std::string> MessagesUrl(std::string_view base_url) {
  absl::string_view base(base_url.data(), base_url.size());
  if (!absl::StartsWith(base, "https://") && !absl::StartsWith(base, "http://")) {
    return absl::InvalidArgumentError("ANTHROPIC_BASE_URL must start with https:// or http://");
  }
  while (absl::ConsumeSuffix(&base, "/")) {
  }
  return absl::StrCat(base, "/v1/messages");
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClaudeProvider>> ClaudeProvider::Create(
    ClaudeProviderOptions options) {
  auto builder = ClaudeRequestBuilder::Create(options.request);
  if (!builder.ok()) return builder.status();
  auto header_lines = builder->BuildHeaders(options.api_key);
  if (!header_lines.ok()) return header_lines.status();
  auto url = MessagesUrl(options.base_url);
  if (!url.ok()) return url.status();

  auto endpoint = std::make_shared<ClaudeEndpoint>();
  endpoint->url = *std::move(url);
  // An empty Expect: stops curl from sending "Expect: 100-continue" with larger bodies,
  // which costs a round trip (or a 1 s wait with servers that ignore it).
  header_lines->push_back("Expect:");
  for (const std::string& line : *header_lines) {
    curl_slist* extended = curl_slist_append(endpoint->headers.get(), line.c_str());
    if (extended == nullptr) return absl::ResourceExhaustedError("out of memory for headers");
    endpoint->headers.release();
    endpoint->headers.reset(extended);
  }
  endpoint->connect_timeout = options.connect_timeout;
  endpoint->stall_timeout = options.stall_timeout;
  endpoint->retry_policy = RetryPolicy(options.retry);
  endpoint->api_key = std::move(options.api_key);
  endpoint->metrics = options.metrics;
  return std::unique_ptr<ClaudeProvider>(
      new ClaudeProvider(*std::move(builder), std::move(endpoint), options.curl_threads));
}

ClaudeProvider::ClaudeProvider(ClaudeRequestBuilder builder,
                               std::shared_ptr<const ClaudeEndpoint> endpoint, int curl_threads)
    : builder_(std::move(builder)), endpoint_(std::move(endpoint)), pool_(curl_threads) {}

ClaudeProvider::~ClaudeProvider() { Shutdown(); }

void ClaudeProvider::Start(const v1::StreamChatRequest& request,
                           std::shared_ptr<ChunkChannel> channel, absl::Time deadline) {
  absl::StatusOr<std::string> body = builder_.BuildBody(request);
  if (!body.ok()) {
    common::Logger("claude")->info("upstream skipped session={} request={} reason=\"{}\"",
                                   request.session_id(), request.request_id(),
                                   body.status().message());
    channel->Finish(body.status());
    return;
  }
  ClaudeCall call{.session_id = request.session_id(),
                  .request_id = request.request_id(),
                  .trace_id = channel->trace_id(),
                  .messages_received = static_cast<uint32_t>(request.messages_size()),
                  .deadline = deadline};
  auto transfer = std::make_shared<ClaudeTransfer>(endpoint_, *std::move(body), std::move(call),
                                                   std::move(channel));
  ClaudeTransfer::Launch(transfer, pool_.Pick());
}

void ClaudeProvider::Shutdown() { pool_.Shutdown(); }

}  // namespace streamgate::llm
