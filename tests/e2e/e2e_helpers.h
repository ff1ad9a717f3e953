#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/streamgate_pair.h"
#include "tests/support/ws_test_client.h"

namespace streamgate::testing {

// Options for a pair whose llm-service gets `llm_args` (and the gateway `gateway_args`).
StreamgatePair::Options PairArgs(std::vector<std::string> llm_args,
                                 std::vector<std::string> gateway_args = {});
inline StreamgatePair::Options LlmArgs(std::vector<std::string> llm_args) {
  return PairArgs(std::move(llm_args));
}

Json UserMessage(const std::string& content, const std::string& session_id = "");

// Connects and returns the session id from connection_established ("" on failure).
std::string Open(WsTestClient& client, int port);

struct Reply {
  std::optional<Json> start;
  std::string text;
  int chunks = 0;
  std::optional<Json> end;
  std::optional<Json> error;
  std::vector<Json> frames;
};

// One series of the gateway's /metrics on `port` (-1 when absent).
double GatewayMetric(int port, const std::string& series);

// Reads one reply: stream_start, stream_chunk*, then stream_end or error.
Reply ReadReply(WsTestClient& client, std::chrono::milliseconds timeout = 10s);

}  // namespace streamgate::testing
