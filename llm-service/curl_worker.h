#pragma once

#include <curl/curl.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace streamgate::llm {

// One thread and one CURLM: the event loop that drives many HTTP transfers at once
// (curl_multi_perform + curl_multi_poll), so replies cost sockets and buffers, not threads.
// Keeping one multi handle per thread also keeps its connection cache (keep-alive, HTTP/2
// multiplexing) and DNS cache for every transfer that thread runs.
//
// Other threads talk to it only through Start/Cancel/Resume, which queue a command in a
// locked inbox and wake the loop with curl_multi_wakeup. Everything else — every call on
// an easy handle (add, remove, pause), every Transfer callback, every timer — happens on
// the worker thread. Owned by CurlWorkerPool; outlives every transfer it runs.
class CurlWorker {
 public:
  using Clock = std::chrono::steady_clock;

  // Work driven by a worker: a sequence of easy handles (attempts) and timers, e.g. a
  // ClaudeTransfer. Shared between the worker (which holds it from Start until done()) and
  // whoever may still want to Cancel or Resume it (weakly). Every virtual method runs on the
  // worker thread. A transfer owns its easy handles; one is in the multi only between
  // AddHandle and its removal (by the worker when curl reports it done, or by RemoveHandle).
  class Transfer {
   public:
    virtual ~Transfer() = default;
    virtual void OnStart(CurlWorker& worker) = 0;
    virtual void OnCancel(CurlWorker& worker) = 0;
    virtual void OnResume(CurlWorker& worker) = 0;
    // The time set with SetTimer has come.
    virtual void OnTimer(CurlWorker& worker) = 0;
    // `easy` finished with `result` and has already been removed from the multi handle.
    virtual void OnHandleDone(CurlWorker& worker, CURL* easy, CURLcode result) = 0;
    // The worker is stopping: remove any handle and end the work now.
    virtual void OnShutdown(CurlWorker& worker) = 0;
    // True once the work is over and no handle of it is in the multi; the worker then drops
    // its reference.
    virtual bool done() const = 0;

   private:
    friend class CurlWorker;
    // Bits of the commands queued in the inbox for this transfer: a Cancel or a Resume is
    // queued at most once, which is what bounds the inbox.
    std::atomic<uint8_t> queued_commands_{0};
    std::optional<Clock::time_point> timer_at_;  // worker thread only
  };

  // Starts the thread. Aborts if curl cannot create a multi handle (out of memory).
  CurlWorker();
  // Stops (see Stop) and joins.
  ~CurlWorker();
  CurlWorker(const CurlWorker&) = delete;
  CurlWorker& operator=(const CurlWorker&) = delete;

  // --- any thread ---
  // Queues `transfer` to start on this worker. False when the worker is stopping or already
  // holds kMaxQueuedStarts starts not yet picked up; the caller then fails the call.
  bool Start(std::shared_ptr<Transfer> transfer);
  // Queue a command for a transfer started here. Dropped when the same command is already
  // queued (one run serves both), or when the worker has stopped.
  void Cancel(const std::shared_ptr<Transfer>& transfer);
  void Resume(const std::shared_ptr<Transfer>& transfer);
  // Ends the loop: every transfer still running gets OnShutdown. Idempotent; joins.
  void Stop();
  // Transfers started and not yet done (including queued starts), for load balancing.
  int load() const { return load_.load(std::memory_order_relaxed); }

  // --- worker thread only (from Transfer callbacks) ---
  // Adds `easy` to the multi with CURLOPT_PRIVATE pointing at `transfer`. False (handle not
  // added) when curl refuses it.
  bool AddHandle(Transfer* transfer, CURL* easy);
  // Removes a handle before curl finished it. For an HTTP/1 connection curl then closes the
  // connection (it cannot be reused mid-response); on HTTP/2 it resets the stream. Either way
  // the upstream sees the request abandoned.
  void RemoveHandle(CURL* easy);
  // One timer per transfer; setting it again replaces the previous time.
  void SetTimer(Transfer* transfer, Clock::time_point when);
  void ClearTimer(Transfer* transfer);
  bool OnWorkerThread() const { return std::this_thread::get_id() == worker_id_; }

  // Bound on starts waiting in the inbox; beyond it Start refuses rather than queue without
  // limit (the loop picks the inbox up every iteration, so this is only reached when the
  // worker is badly behind).
  static constexpr size_t kMaxQueuedStarts = 4096;

 private:
  enum CommandBit : uint8_t { kCancelBit = 1, kResumeBit = 2 };
  struct Command {
    enum Kind { kStart, kCancel, kResume } kind;
    std::shared_ptr<Transfer> transfer;
  };

  void Run();
  // Queues a command and wakes the loop. Returns false when stopped or, for kStart, full.
  bool Post(Command command);
  void DrainInbox();
  void DrainCompletions();
  void RunDueTimers();
  // Milliseconds until the next transfer timer is due, capped at `cap`.
  int MillisUntilNextTimer(int cap) const;
  // Drops the worker's reference once the transfer reports done.
  void ReleaseIfDone(Transfer* transfer);
  void ShutdownAll();

  CURLM* const multi_;
  std::atomic<int> load_{0};
  // Mirrors stopping_ for the loop, which checks it every iteration without taking mu_.
  std::atomic<bool> stop_requested_{false};

  absl::Mutex mu_;
  std::vector<Command> inbox_ ABSL_GUARDED_BY(mu_);
  size_t queued_starts_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  // Worker thread only. The owning references of running transfers; an easy handle's
  // CURLOPT_PRIVATE points at one of these, so it stays valid until the handle is removed.
  std::unordered_map<Transfer*, std::shared_ptr<Transfer>> transfers_;
  std::set<std::pair<Clock::time_point, Transfer*>> timers_;
  std::thread::id worker_id_;  // written once by the thread before anything else runs

  std::thread thread_;  // last: starts after everything above is initialised
};

}  // namespace streamgate::llm
