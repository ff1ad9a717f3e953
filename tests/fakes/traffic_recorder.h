#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "tests/fakes/incoming_request.h"

namespace streamgate::fake_claude {

struct RecorderLimits {
  size_t max_requests = 10000;                // records kept (oldest dropped first)
  size_t max_body_bytes = size_t{256} << 20;  // request bodies kept, summed over records
  size_t max_connections = 10000;             // closed-connection records kept
};

// How a recorded request's response ended.
enum class ResponseEnd {
  kInProgress,  // still being written (or waiting on a slow:/stall timer)
  kCompleted,   // every scripted byte was written (the body may still lack message_stop)
  kDropped,     // the fake closed the connection on purpose (drop scenario)
  kStalled,     // the fake went silent on purpose (stall); stays so until the peer leaves
  kPeerClosed,  // the client closed or reset the connection first
  kShutdown,    // the fake was stopped (SIGTERM/SIGINT) before the response ended
};

// Every request and connection the fake has seen, for the /__fake/* endpoints and for the
// one-line stderr log that tests wait on (all log lines of the fake are written here, so
// their formats live in one file; see README.md).
//
// Request ids (req_fake_<n>) and connection ids count from 1 for the life of the process and
// are never reused, not even after Reset(). Bounded by RecorderLimits.
//
// Owned by FakeServer; used only on the io thread (the fake runs one), so not thread-safe.
class TrafficRecorder {
 public:
  explicit TrafficRecorder(RecorderLimits limits = {});

  uint64_t OpenConnection(const std::string& peer);
  // `by_peer`: the client closed/reset first; `mid_stream`: a response was being written.
  void CloseConnection(uint64_t connection_id, bool by_peer, bool mid_stream);

  // Reserves the id of the next request (for the request-id header of its reply).
  uint64_t NextRequestId() { return ++last_request_id_; }
  // Records a request with the reply chosen for it and logs the `request` line.
  // `scenario` is the directive label ("none" without one); `stage` the attempt number of
  // the request's conversation, absent when the request never got that far.
  void AddRequest(uint64_t id, const IncomingRequest& request, int status,
                  const std::string& scenario, std::optional<int64_t> stage);
  // Updates how the response of request `id` ended (logs `response ended` once it has).
  void SetResponseEnd(uint64_t id, ResponseEnd end, int events_sent);

  // JSON for the control endpoints (shapes in README.md).
  std::string RequestsJson(uint64_t since_id) const;
  std::string ConnectionsJson() const;
  std::string StatsJson() const;
  // Forgets every request and every closed connection; open connections stay listed.
  void Reset();

  static std::string RequestIdHeader(uint64_t id) { return "req_fake_" + std::to_string(id); }

 private:
  struct RequestRecord {
    uint64_t connection_id = 0;
    IncomingRequest request;
    absl::Time arrival;
    int64_t t_ms = 0;
    int status = 0;
    std::string scenario;
    std::optional<int64_t> stage;
    ResponseEnd end = ResponseEnd::kInProgress;
    int events_sent = 0;
  };
  struct ConnectionRecord {
    std::string peer;
    absl::Time opened;
    int64_t opened_ms = 0;
    std::optional<absl::Time> closed;
    int64_t closed_ms = 0;
    bool by_peer = false;
    bool mid_stream = false;
    int requests = 0;
  };

  int64_t MillisSinceStart() const;
  void TrimRequests();

  const RecorderLimits limits_;
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  uint64_t last_request_id_ = 0;
  uint64_t last_connection_id_ = 0;
  std::map<uint64_t, RequestRecord> requests_;  // by id, oldest first
  size_t body_bytes_ = 0;                       // sum of requests_[*].request.body.size()
  std::map<uint64_t, ConnectionRecord> connections_;
  size_t open_connections_ = 0;
  // Requests whose response is in progress or stalled, kept apart from requests_ so that a
  // record dropped by the limits does not skew the count.
  // Maps request id → connection id (for log lines after a Reset()).
  std::map<uint64_t, uint64_t> open_responses_;
  uint64_t peer_closed_mid_stream_ = 0;  // since start; not cleared by Reset
};

}  // namespace streamgate::fake_claude
