#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/fakes/attempt_counter.h"
#include "tests/fakes/incoming_request.h"
#include "tests/fakes/reply_script.h"
#include "tests/fakes/scenario.h"
#include "tests/fakes/traffic_recorder.h"

namespace streamgate::fake_claude {

class MessagesRequest;

struct MessagesEndpointOptions {
  std::string api_key = "test-key";
  // Delay before every content_block_delta unless the request says [fake:slow:MS].
  std::chrono::milliseconds delta_delay{0};
};

// The reply to one request and the id it was recorded under (0: not recorded).
struct RoutedReply {
  ReplyScript script;
  uint64_t request_id = 0;
};

// POST /v1/messages: checks the request the way the real API does (x-api-key, then
// anthropic-version, then the body), picks the scenario from the last user message, counts
// the attempt, records the request and returns the scripted reply. The normal reply streams
// "Claude echo: <last user message>" word by word with input_tokens = number of messages.
//
// Owned by RequestRouter; called only on the io thread; not thread-safe.
class MessagesEndpoint {
 public:
  MessagesEndpoint(MessagesEndpointOptions options, TrafficRecorder* recorder);

  RoutedReply Handle(const IncomingRequest& request);
  // Forgets every conversation's attempt count (POST /__fake/reset).
  void Reset() { attempts_.Clear(); }

  // {"type":"error","error":{"type":<type>,"message":<message>}} with the real API's
  // headers (content-type, request-id) plus `extra`.
  static ReplyScript ErrorReply(int status, std::string_view type, std::string_view message,
                                uint64_t request_id, bool keep_alive, HeaderList extra = {});

 private:
  ReplyScript ReplyFor(const Scenario& scenario, int64_t stage, const IncomingRequest& request,
                       uint64_t request_id, const MessagesRequest& parsed) const;
  ReplyScript StreamReply(const Scenario& scenario, const IncomingRequest& request,
                          uint64_t request_id, const MessagesRequest& parsed) const;

  const MessagesEndpointOptions options_;
  TrafficRecorder* const recorder_;
  AttemptCounter attempts_;
};

}  // namespace streamgate::fake_claude
