#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/llm_client.h"
#include "gateway/mux_stream.h"
#include "gateway/reply_backend.h"

namespace streamgate::gateway {

// Replies multiplexed over a few Chat streams (--llm-transport mux): each reply goes to one
// of `streams` streams, round robin, under a stream-unique id; a stream that broke or that
// llm-service is draining is replaced by a new one for the next replies, and so is one
// older than `max_age` (retired: it ends after its running replies), so that each new
// stream is balanced anew over the channel's replicas. Each reply is
// paced with byte credit: kCreditBytes at start, given back as its deltas reach the session
// unless the session paused it (its outbox over --max-outbound-bytes), so an unread client
// holds at most about kCreditBytes of its reply in flight, whatever HTTP/2 allows.
//
// Owned by GatewayServer; thread-safe. Each reply's events run on its session's loop.
class MuxReplyBackend final : public ReplyBackend {
 public:
  static constexpr uint64_t kCreditBytes = 64 * 1024;

  MuxReplyBackend(LlmClient* llm, int streams, absl::Duration max_age);
  // Cancels the streams and waits (bounded) for their end.
  ~MuxReplyBackend() override;

  std::shared_ptr<ReplyHandle> Start(ReplyStart start, boost::asio::any_io_executor executor,
                                     std::weak_ptr<ReplyObserver> observer) override;

 private:
  std::shared_ptr<MuxStream> StreamFor(uint64_t wire_id);

  LlmClient* const llm_;
  const absl::Duration max_age_;
  std::unique_ptr<llm::v1::LlmService::Stub> stub_;
  std::atomic<uint64_t> next_wire_id_{1};
  absl::Mutex mu_;
  std::vector<std::shared_ptr<MuxStream>> streams_ ABSL_GUARDED_BY(mu_);
  // Retired streams still finishing their replies: shut down with the others.
  std::vector<std::weak_ptr<MuxStream>> retired_ ABSL_GUARDED_BY(mu_);
};

}  // namespace streamgate::gateway
