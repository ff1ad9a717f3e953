#include "tests/e2e/e2e_helpers.h"

#include "tests/support/prometheus_text.h"

namespace streamgate::testing {

double GatewayMetric(int port, const std::string& series) {
  return SampleValue(HttpGet(port, "/metrics").body, series).value_or(-1);
}

StreamgatePair::Options PairArgs(std::vector<std::string> llm_args,
                                 std::vector<std::string> gateway_args) {
  StreamgatePair::Options options;
  options.llm_args = std::move(llm_args);
  options.gateway_args = std::move(gateway_args);
  return options;
}

Json UserMessage(const std::string& content, const std::string& session_id) {
  Json message = {{"type", "user_message"}, {"content", content}};
  if (!session_id.empty()) message["sessionId"] = session_id;
  return message;
}

std::string Open(WsTestClient& client, int port) {
  if (!client.Connect(port)) return "";
  auto hello = client.ReadJson();
  if (!hello.has_value() || (*hello)["type"] != "connection_established") return "";
  return (*hello)["sessionId"].get<std::string>();
}

Reply ReadReply(WsTestClient& client, std::chrono::milliseconds timeout) {
  Reply reply;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    auto frame = client.ReadJson(left);
    if (!frame.has_value()) break;
    reply.frames.push_back(*frame);
    const auto& type = (*frame)["type"];
    if (type == "stream_start") {
      reply.start = *frame;
    } else if (type == "stream_chunk") {
      reply.text += (*frame)["content"].get<std::string>();
      ++reply.chunks;
    } else if (type == "stream_end") {
      reply.end = *frame;
      break;
    } else if (type == "error") {
      reply.error = *frame;
      break;
    }
  }
  return reply;
}

}  // namespace streamgate::testing
