#pragma once

#include <grpcpp/grpcpp.h>

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gateway/llm_client.h"
#include "streamgate/llm/v1/llm_service.pb.h"

namespace streamgate::gateway {

// Receives one call's events, always on the executor given to LlmStreamCall::Start (the
// session's loop), in stream order.
class LlmCallObserver {
 public:
  virtual ~LlmCallObserver() = default;
  virtual void OnCallMessage(uint64_t call_id, llm::v1::StreamChatResponse message) = 0;
  // The last event of a call.
  virtual void OnCallDone(uint64_t call_id, const grpc::Status& status) = 0;
};

// The gRPC stream for one user message: StreamChat, a server-streaming call, driven by a
// callback reactor that sends the one request (already encoded, half-closing with it) and
// reads one reply message at a time, posting each to the observer's loop. On the wire
// this is the same call the generated stub makes; the generic reactor only lets the request
// be bytes. Never touches the observer's state itself. Keeps itself alive from Start until
// OnDone.
//
// Flow control: the observer calls Pause() when its outbound queue is full; the next read
// is then deferred until Resume(), so unread replies wait in HTTP/2 flow control rather
// than in gateway memory. A deferred read starts outside a reaction, hence the hold taken
// before StartCall and released once no read can follow.
class LlmStreamCall : public grpc::ClientBidiReactor<grpc::ByteBuffer, llm::v1::StreamChatResponse>,
                      public std::enable_shared_from_this<LlmStreamCall> {
 public:
  // `request` is an encoded llm.v1.StreamChatRequest. The call carries `stub`'s
  // authorization metadata (the bearer token llm-service checks), when it has one, and
  // `traceparent` (W3C) when not empty.
  static std::shared_ptr<LlmStreamCall> Start(LlmClient::ReplyStub* stub, std::string request,
                                              absl::Duration timeout,
                                              const std::string& traceparent, uint64_t call_id,
                                              boost::asio::any_io_executor executor,
                                              std::weak_ptr<LlmCallObserver> observer);

  // Any thread. Ends the call with CANCELLED (llm-service sees the cancellation).
  void Cancel();
  // Any thread. Ends the call as Cancel does, for a reason of the gateway's own (llm-service
  // not reachable in time): the observer gets `cause` rather than CANCELLED, unless the call
  // had already ended or been cancelled.
  void Abandon(grpc::Status cause);
  // Any thread; normally the observer's loop.
  void Pause();
  void Resume();

  void OnWriteDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

  // Public for make_shared; use Start.
  LlmStreamCall(uint64_t call_id, boost::asio::any_io_executor executor,
                std::weak_ptr<LlmCallObserver> observer);

 private:
  // Caller holds mu_; returns true when the caller must call RemoveHold.
  bool ReleaseHoldLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void CancelWith(std::optional<grpc::Status> cause);

  const uint64_t call_id_;
  const boost::asio::any_io_executor executor_;
  const std::weak_ptr<LlmCallObserver> observer_;
  grpc::ClientContext context_;
  grpc::ByteBuffer request_;              // until the write is done
  llm::v1::StreamChatResponse response_;  // target of the one read in flight
  std::shared_ptr<LlmStreamCall> self_;   // set in Start, dropped at the end of OnDone

  absl::Mutex mu_;
  bool paused_ ABSL_GUARDED_BY(mu_) = false;
  bool read_deferred_ ABSL_GUARDED_BY(mu_) = false;  // a read is due but waits for Resume
  bool hold_ ABSL_GUARDED_BY(mu_) = true;            // the hold taken before StartCall
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> abandoned_ ABSL_GUARDED_BY(mu_);  // what OnDone reports instead
};

}  // namespace streamgate::gateway
