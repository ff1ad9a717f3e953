#include "gateway/heartbeat.h"

#include <algorithm>

#include "gateway/connection_registry.h"
#include "gateway/ws_connection.h"

namespace streamgate::gateway {

Heartbeat::Heartbeat(boost::asio::io_context& io, const ConnectionRegistry& registry,
                     absl::Duration interval)
    : timer_(io),
      registry_(registry),
      tick_(std::max<std::chrono::nanoseconds>(
          absl::ToChronoNanoseconds(interval / static_cast<int64_t>(kSlices)),
          std::chrono::milliseconds(1))) {}

void Heartbeat::Start() {
  next_tick_ = std::chrono::steady_clock::now();
  Arm();
}

void Heartbeat::Arm() {
  // Ticks follow a fixed schedule, so a slow tick does not stretch the interval; after a
  // stall (a suspended process) the schedule restarts instead of firing the missed ticks.
  next_tick_ = std::max(next_tick_ + tick_, std::chrono::steady_clock::now());
  timer_.expires_at(next_tick_);
  timer_.async_wait([this](boost::system::error_code ec) { OnTick(ec); });
}

void Heartbeat::OnTick(boost::system::error_code ec) {
  if (ec) return;
  registry_.ForEachInSlice(slice_, kSlices, [](const std::shared_ptr<WsConnection>& connection) {
    connection->Heartbeat();
  });
  slice_ = (slice_ + 1) % kSlices;
  Arm();
}

}  // namespace streamgate::gateway
