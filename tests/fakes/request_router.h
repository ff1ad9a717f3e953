#pragma once

#include "tests/fakes/incoming_request.h"
#include "tests/fakes/messages_endpoint.h"
#include "tests/fakes/reply_script.h"
#include "tests/fakes/traffic_recorder.h"

namespace streamgate::fake_claude {

// Maps a request to its reply: POST /v1/messages goes to MessagesEndpoint, /__fake/* are the
// control endpoints (not recorded), anything else is a recorded 404 in the API's error
// format.
//
// Control endpoints (JSON shapes in README.md):
//   GET  /__fake/requests[?since=<id>]  recorded requests with id > since, oldest first
//   GET  /__fake/connections            connection records, oldest first
//   GET  /__fake/stats                  counters (open connections, open responses, totals)
//   POST /__fake/reset                  forgets requests, closed connections, attempt counts
//
// Owned by FakeServer; called only on the io thread; not thread-safe.
class RequestRouter {
 public:
  RequestRouter(MessagesEndpointOptions options, TrafficRecorder* recorder);

  RoutedReply Route(const IncomingRequest& request);
  // A request whose declared body is over the limit: recorded, answered 413 with the API's
  // request_too_large error, and the connection closes after it.
  RoutedReply TooLarge(const IncomingRequest& request);

 private:
  RoutedReply Control(const IncomingRequest& request);

  TrafficRecorder* const recorder_;
  MessagesEndpoint messages_;
};

}  // namespace streamgate::fake_claude
