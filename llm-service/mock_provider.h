#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>

#include "absl/time/time.h"
#include "llm-service/provider.h"

namespace streamgate::llm {

struct MockProviderOptions {
  // Wait before each delta (0: as fast as the stream drains).
  absl::Duration chunk_delay = absl::Milliseconds(30);
  // Filler words appended to the echo, for long replies.
  int extra_words = 0;
};

// The built-in provider used when no API key is configured: replies "Echo: <last user
// message>" word by word. Every reply is driven by timers on one shared Asio thread, so a
// thousand streams cost a thousand timers, not a thousand threads. Thread-safe.
class MockProvider : public Provider {
 public:
  explicit MockProvider(MockProviderOptions options);
  ~MockProvider() override;

  // The mock's replies are short and local; it leaves the deadline to gRPC, which cancels
  // the call (and so the reply) when it passes.
  void Start(const v1::StreamChatRequest& request, std::shared_ptr<ChunkChannel> channel,
             absl::Time deadline) override;
  void Shutdown() override;
  std::string_view name() const override { return "mock"; }

 private:
  const MockProviderOptions options_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace streamgate::llm
