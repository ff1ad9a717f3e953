#include "tools/ws-bench/ws_worker.h"

#include <boost/asio/post.hpp>

#include "tools/ws-bench/resume_session.h"
#include "tools/ws-bench/ws_connection.h"

namespace streamgate::bench {

namespace net = boost::asio;

WsWorker::WsWorker(const BenchConfig& config, const Target& target, const ReferenceReply* reference,
                   int worker_index, RunProgress* progress)
    : config_(config),
      target_(target),
      reference_(reference),
      progress_(progress),
      io_(1),
      ramp_timer_(io_),
      next_index_(worker_index) {}

WsWorker::~WsWorker() {
  ForceStop();
  Join();
}

void WsWorker::Start(Clock::time_point start) {
  start_ = start;
  connections_.reserve(static_cast<size_t>(config_.connections / config_.threads + 1));
  net::post(io_, [this] { Ramp(); });
  thread_ = std::thread([this] {
    io_.run();
    stopped_.store(true, std::memory_order_release);
  });
}

void WsWorker::Ramp() {
  if (stopping_) return;
  Clock::time_point now = Clock::now();
  // Connection i is due at start + i / rate, whichever worker opens it, so the threads
  // together keep the configured rate.
  auto due = [this](int index) {
    if (config_.ramp_per_sec <= 0) return start_;
    return start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                        static_cast<double>(index) / config_.ramp_per_sec));
  };
  while (next_index_ < config_.connections && due(next_index_) <= now) {
    std::shared_ptr<WsClient> connection = MakeClient(next_index_);
    connection->Start();
    connections_.push_back(connection);
    ++attempted_;
    next_index_ += config_.threads;
  }
  if (next_index_ >= config_.connections) return;
  ramp_timer_.expires_at(due(next_index_));
  ramp_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) Ramp();
  });
}

std::shared_ptr<WsClient> WsWorker::MakeClient(int index) {
  if (config_.resume_mode()) {
    return std::make_shared<ResumeSession>(io_, config_, target_, *reference_, index, &stats_,
                                           progress_);
  }
  return std::make_shared<WsConnection>(io_, config_, target_, index, &stats_, progress_);
}

void WsWorker::ReleaseMessages(Clock::time_point go) {
  net::post(io_, [this, go] {
    for (auto& weak : connections_) {
      if (auto connection = weak.lock()) connection->BeginMessages(go);
    }
  });
}

void WsWorker::CloseAll(bool graceful) {
  net::post(io_, [this, graceful] { DoCloseAll(graceful); });
}

void WsWorker::DoCloseAll(bool graceful) {
  stopping_ = true;
  ramp_timer_.cancel();
  for (auto& weak : connections_) {
    if (auto connection = weak.lock()) connection->Close(graceful);
  }
}

void WsWorker::Join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace streamgate::bench
