#include "tests/fakes/traffic_recorder.h"

#include <nlohmann/json.hpp>

#include "common/log.h"

namespace streamgate::fake_claude {
namespace {

using ordered_json = nlohmann::ordered_json;

std::shared_ptr<common::ComponentLogger> Log() { return common::Logger("fake_claude"); }

std::string Iso(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

std::string Lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return text;
}

const char* EndName(ResponseEnd end) {
  switch (end) {
    case ResponseEnd::kInProgress:
      return "in_progress";
    case ResponseEnd::kCompleted:
      return "completed";
    case ResponseEnd::kDropped:
      return "dropped";
    case ResponseEnd::kStalled:
      return "stalled";
    case ResponseEnd::kPeerClosed:
      return "peer_closed";
    case ResponseEnd::kShutdown:
      return "shutdown";
  }
  return "unknown";
}

std::string Dump(const ordered_json& value) {
  return value.dump(-1, ' ', /*ensure_ascii=*/false, ordered_json::error_handler_t::replace);
}

}  // namespace

TrafficRecorder::TrafficRecorder(RecorderLimits limits) : limits_(limits) {}

int64_t TrafficRecorder::MillisSinceStart() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start_)
      .count();
}

uint64_t TrafficRecorder::OpenConnection(const std::string& peer) {
  const uint64_t id = ++last_connection_id_;
  ConnectionRecord& record = connections_[id];
  record.peer = peer;
  record.opened = absl::Now();
  record.opened_ms = MillisSinceStart();
  ++open_connections_;
  Log()->info("connection opened conn={} peer={}", id, peer);
  // Only closed records are dropped, so an open connection never loses its entry.
  for (auto it = connections_.begin();
       connections_.size() > limits_.max_connections + open_connections_ &&
       it != connections_.end();) {
    it = it->second.closed.has_value() ? connections_.erase(it) : std::next(it);
  }
  return id;
}

void TrafficRecorder::CloseConnection(uint64_t connection_id, bool by_peer, bool mid_stream) {
  --open_connections_;
  int requests = 0;
  if (auto it = connections_.find(connection_id); it != connections_.end()) {
    it->second.closed = absl::Now();
    it->second.closed_ms = MillisSinceStart();
    it->second.by_peer = by_peer;
    it->second.mid_stream = mid_stream;
    requests = it->second.requests;
  }
  if (by_peer && mid_stream) ++peer_closed_mid_stream_;
  Log()->info("connection closed conn={} by={} mid_stream={} requests={}", connection_id,
              by_peer ? "peer" : "server", mid_stream, requests);
}

void TrafficRecorder::AddRequest(uint64_t id, const IncomingRequest& request, int status,
                                 const std::string& scenario, std::optional<int64_t> stage) {
  if (auto it = connections_.find(request.connection_id); it != connections_.end()) {
    ++it->second.requests;
  }
  RequestRecord& record = requests_[id];
  record = {.connection_id = request.connection_id,
            .request = request,
            .arrival = absl::Now(),
            .t_ms = MillisSinceStart(),
            .status = status,
            .scenario = scenario,
            .stage = stage};
  body_bytes_ += request.body.size();
  open_responses_[id] = request.connection_id;
  Log()->info("request id={} conn={} method={} path={} status={} scenario={} stage={}",
              RequestIdHeader(id), request.connection_id, request.method, request.path(), status,
              scenario, stage.has_value() ? std::to_string(*stage) : "-");
  TrimRequests();
}

void TrafficRecorder::TrimRequests() {
  // The newest record always stays, even if its body alone passes the byte limit.
  while (requests_.size() > 1 &&
         (requests_.size() > limits_.max_requests || body_bytes_ > limits_.max_body_bytes)) {
    body_bytes_ -= requests_.begin()->second.request.body.size();
    requests_.erase(requests_.begin());
  }
}

void TrafficRecorder::SetResponseEnd(uint64_t id, ResponseEnd end, int events_sent) {
  uint64_t connection_id = 0;
  if (auto open = open_responses_.find(id); open != open_responses_.end()) {
    connection_id = open->second;
    if (end != ResponseEnd::kInProgress && end != ResponseEnd::kStalled) {
      open_responses_.erase(open);
    }
  }
  if (auto it = requests_.find(id); it != requests_.end()) {
    it->second.end = end;
    it->second.events_sent = events_sent;
  }
  if (end != ResponseEnd::kInProgress) {
    Log()->info("response ended id={} conn={} outcome={} events={}", RequestIdHeader(id),
                connection_id, EndName(end), events_sent);
  }
}

std::string TrafficRecorder::RequestsJson(uint64_t since_id) const {
  ordered_json out = ordered_json::array();
  for (auto it = requests_.upper_bound(since_id); it != requests_.end(); ++it) {
    const RequestRecord& record = it->second;
    ordered_json headers = ordered_json::object();
    for (const auto& [name, value] : record.request.headers) {
      std::string key = Lower(name);
      if (headers.contains(key)) {
        headers[key] = headers[key].get<std::string>() + ", " + value;
      } else {
        headers[key] = value;
      }
    }
    out.push_back({{"id", it->first},
                   {"request_id", RequestIdHeader(it->first)},
                   {"connection_id", record.connection_id},
                   {"method", record.request.method},
                   {"path", std::string(record.request.path())},
                   {"target", record.request.target},
                   {"headers", std::move(headers)},
                   {"body", record.request.body},
                   {"arrival", Iso(record.arrival)},
                   {"t_ms", record.t_ms},
                   {"scenario", record.scenario},
                   {"stage", record.stage.has_value() ? ordered_json(*record.stage) : nullptr},
                   {"status", record.status},
                   {"outcome", EndName(record.end)},
                   {"events_sent", record.events_sent}});
  }
  return Dump(out);
}

std::string TrafficRecorder::ConnectionsJson() const {
  ordered_json out = ordered_json::array();
  for (const auto& [id, record] : connections_) {
    const bool closed = record.closed.has_value();
    out.push_back(
        {{"id", id},
         {"peer", record.peer},
         {"opened", Iso(record.opened)},
         {"opened_ms", record.opened_ms},
         {"closed", closed ? ordered_json(Iso(*record.closed)) : nullptr},
         {"closed_ms", closed ? ordered_json(record.closed_ms) : nullptr},
         {"closed_by", closed ? ordered_json(record.by_peer ? "peer" : "server") : nullptr},
         {"mid_stream", closed && record.mid_stream},
         {"closed_by_peer_mid_stream", closed && record.by_peer && record.mid_stream},
         {"requests", record.requests}});
  }
  return Dump(out);
}

std::string TrafficRecorder::StatsJson() const {
  return Dump({{"open_connections", open_connections_},
               {"open_responses", open_responses_.size()},
               {"requests_total", last_request_id_},
               {"connections_total", last_connection_id_},
               {"peer_closed_mid_stream_total", peer_closed_mid_stream_}});
}

void TrafficRecorder::Reset() {
  requests_.clear();
  body_bytes_ = 0;
  for (auto it = connections_.begin(); it != connections_.end();) {
    it = it->second.closed.has_value() ? connections_.erase(it) : std::next(it);
  }
  Log()->info("reset");
}

}  // namespace streamgate::fake_claude
