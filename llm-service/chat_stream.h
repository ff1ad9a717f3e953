#pragma once

#include <grpcpp/support/server_callback.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "llm-service/chunk_channel.h"
#include "llm-service/reply_engine.h"
#include "streamgate/llm/v1/llm_service.pb.h"

namespace streamgate::llm {

class ChatService;

// The server side of one Chat stream: many replies, each begun by the reply engine into its
// own ChunkChannel, their events gathered into ChatServerFrames. One frame is in flight at a
// time; everything that becomes ready meanwhile goes into the next, so frames grow with
// load instead of multiplying. A reply's channel is told its write is done only when the
// frame holding it was written and the reply still has credit: until then the channel
// merges what its provider produces and, at its bound, pauses that provider, which is the
// per-reply flow control HTTP/2 cannot give on a shared stream.
//
// Held by ChatService (shared) from Chat until OnDone. gRPC reactions and channel
// callbacks (provider threads) call it concurrently; mu_ guards the frames and the replies,
// and no channel or gRPC call is made under it (gRPC may run OnDone inline from Finish).
//
// Draining: the next frame says so (`draining`), new replies end UNAVAILABLE, and the stream
// ends once the caller, told, half-closes and its replies have ended (or at the server's
// shutdown deadline). Ending it from this side while a read may be restarting would race.
class ChatStream final : public grpc::ServerBidiReactor<v1::ChatClientFrame, v1::ChatServerFrame> {
 public:
  ChatStream(ChatService* service, ReplyEngine* engine);

  // Starts reading; call once.
  void Begin();
  // SIGTERM: new replies end UNAVAILABLE; the stream ends once the running ones have.
  void Drain();

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  class Reply;

  void Start(const v1::StartReply& start);
  void Grant(const v1::GrantCredit& credit);
  void CancelReply(uint64_t reply_id);
  // From a reply's channel.
  void Queue(const std::shared_ptr<Reply>& reply, const v1::StreamChatResponse& message);
  void Ended(const std::shared_ptr<Reply>& reply, const absl::Status& status);
  // A frame written (ok) or failed: what its replies' channels hear.
  void AfterWrite(const std::shared_ptr<Reply>& reply, bool ok);
  // Starts the next write, or ends the stream when nothing is left to do.
  void Flush();
  // The stream is gone or broken: every reply is cancelled and nothing more is sent.
  void Abort(absl::Status why);
  void AddEnded(uint64_t reply_id, const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ChatService* const service_;
  ReplyEngine* const engine_;
  v1::ChatClientFrame in_;  // target of the one read in flight

  absl::Mutex mu_;
  std::map<uint64_t, std::shared_ptr<Reply>> replies_ ABSL_GUARDED_BY(mu_);  // running
  uint64_t replies_started_ ABSL_GUARDED_BY(mu_) = 0;
  v1::ChatServerFrame pending_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Reply>> pending_acks_ ABSL_GUARDED_BY(mu_);
  v1::ChatServerFrame in_flight_;  // the one write in flight; touched only while writing_
  std::vector<std::shared_ptr<Reply>> in_flight_acks_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool read_done_ ABSL_GUARDED_BY(mu_) = false;        // the caller half-closed
  bool restarting_read_ ABSL_GUARDED_BY(mu_) = false;  // between deciding to read and StartRead
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_unsent_ ABSL_GUARDED_BY(mu_) = false;  // no frame has said so yet
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;        // aborted: nothing more is sent
  bool finished_ ABSL_GUARDED_BY(mu_) = false;         // Finish was called
  absl::Status finish_status_ ABSL_GUARDED_BY(mu_);
};

}  // namespace streamgate::llm
