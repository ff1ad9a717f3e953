#pragma once

#include <grpcpp/grpcpp.h>

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gateway/reply_backend.h"
#include "streamgate/llm/v1/llm_service.grpc.pb.h"

namespace streamgate::gateway {

// One Chat stream to llm-service carrying many replies (MuxReplyBackend's). Client frames
// (starts, credit, cancels) gather while one is being written and go out together; each
// server frame's events are handed to their sessions with one post per session loop, not
// one per delta. When the stream breaks, every reply on it ends upstream_unavailable.
//
// The frame gathering behind a write is bounded: credit for one reply merges into one
// entry, a reply is cancelled at most once, and starts are refused while
// kMaxPendingRequestBytes of requests wait (llm-service is not reading the stream): the
// refused reply ends upstream_unavailable at once, the replies on the stream go on.
//
// Keeps itself alive from Start until OnDone (the backend and the replies hold it weakly).
// gRPC reactions, the sessions' loops (StartReply, Grant, Cancel) and the backend call it
// concurrently; mu_ guards its state, and no gRPC call or post is made under it.
class MuxStream final
    : public grpc::ClientBidiReactor<llm::v1::ChatClientFrame, llm::v1::ChatServerFrame>,
      public std::enable_shared_from_this<MuxStream> {
 public:
  // How a reply on the stream hears of its events: on its session's loop.
  class Sink {
   public:
    virtual ~Sink() = default;
    // `event` is the sink's to take from (its delta's text moves on).
    virtual void OnEvent(llm::v1::ReplyEvent& event) = 0;
    // The stream broke before the reply ended.
    virtual void OnStreamLost(const grpc::Status& status) = 0;
  };

  static constexpr size_t kMaxPendingRequestBytes = 8 << 20;

  static std::shared_ptr<MuxStream> Start(llm::v1::LlmService::Stub* stub,
                                          const std::string& authorization);

  // False once the stream ended, is ending or was retired: the backend opens another.
  bool usable() const;
  absl::Time started() const { return started_; }
  // Bytes of requests gathered behind the write in flight (never above the bound).
  size_t pending_request_bytes() const;
  // Takes no new replies; half-closes (and so ends) once its running ones ended.
  void Retire();
  enum class Taken {
    kYes,
    kNotTaking,    // retired, draining or half-closed since the backend chose it: try another
    kBacklogFull,  // kMaxPendingRequestBytes wait to be written: the reply fails
  };
  // Any thread. Starts `start` as reply `start.reply_id`; its events go to `sink` (held
  // weakly) on `executor`. Unless kYes, nothing was sent and `sink` hears nothing.
  Taken StartReply(const ReplyStart& start, uint64_t credit_bytes,
                   boost::asio::any_io_executor executor, std::weak_ptr<Sink> sink);
  void Grant(uint64_t reply_id, uint64_t bytes);
  void Cancel(uint64_t reply_id);
  // The backend is going: cancel the stream. done() is notified once OnDone ran.
  void Shutdown();
  std::shared_ptr<absl::Notification> done() const { return done_signal_; }

  void OnWriteDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  struct Route {
    boost::asio::any_io_executor executor;
    std::weak_ptr<Sink> sink;
    bool cancel_queued = false;
  };

  void Flush();
  // Draining or retired: once no reply is left on the stream, half-close it (it then ends).
  void MaybeHalfClose();

  const absl::Time started_ = absl::Now();
  grpc::ClientContext context_;
  llm::v1::ChatServerFrame in_;       // target of the one read in flight
  llm::v1::ChatClientFrame writing_;  // the one write in flight
  std::shared_ptr<MuxStream> self_;   // from Start until OnDone
  const std::shared_ptr<absl::Notification> done_signal_ = std::make_shared<absl::Notification>();

  mutable absl::Mutex mu_;
  std::unordered_map<uint64_t, Route> routes_ ABSL_GUARDED_BY(mu_);  // replies not ended
  llm::v1::ChatClientFrame pending_ ABSL_GUARDED_BY(mu_);
  size_t pending_request_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // reply id -> its entry in pending_.credit()
  std::unordered_map<uint64_t, int> pending_credit_ ABSL_GUARDED_BY(mu_);
  bool write_in_flight_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;    // read or write failed: no more writes
  bool draining_ ABSL_GUARDED_BY(mu_) = false;  // llm-service said so: no new replies
  bool retired_ ABSL_GUARDED_BY(mu_) = false;   // past --llm-stream-max-age: no new replies
  bool done_ ABSL_GUARDED_BY(mu_) = false;      // OnDone ran
  bool half_closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace streamgate::gateway
