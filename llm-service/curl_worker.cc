#include "llm-service/curl_worker.h"

#include <pthread.h>

#include <algorithm>

#include "common/fatal.h"

namespace streamgate::llm {
namespace {

// The loop wakes at least this often even with nothing to do, so a lost wakeup (which
// curl_multi_wakeup does not allow, but a bug could) costs latency, never a hang.
constexpr int kMaxPollMillis = 1000;

}  // namespace

CurlWorker::CurlWorker() : multi_(curl_multi_init()) {
  if (multi_ == nullptr) common::Fatal("curl worker", "curl_multi_init failed");
  // Several transfers to the same host share one HTTP/2 connection when the server offers
  // it (the default since curl 7.62, stated here because the design depends on it).
  curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  thread_ = std::thread([this] { Run(); });
}

CurlWorker::~CurlWorker() {
  Stop();
  curl_multi_cleanup(multi_);
}

bool CurlWorker::Start(std::shared_ptr<Transfer> transfer) {
  load_.fetch_add(1, std::memory_order_relaxed);
  if (Post(Command{Command::kStart, std::move(transfer)})) return true;
  load_.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

void CurlWorker::Cancel(const std::shared_ptr<Transfer>& transfer) {
  if (transfer->queued_commands_.fetch_or(kCancelBit) & kCancelBit) return;
  if (!Post(Command{Command::kCancel, transfer})) transfer->queued_commands_.fetch_and(~kCancelBit);
}

void CurlWorker::Resume(const std::shared_ptr<Transfer>& transfer) {
  if (transfer->queued_commands_.fetch_or(kResumeBit) & kResumeBit) return;
  if (!Post(Command{Command::kResume, transfer})) transfer->queued_commands_.fetch_and(~kResumeBit);
}

bool CurlWorker::Post(Command command) {
  bool wake = false;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return false;
    if (command.kind == Command::kStart) {
      if (queued_starts_ >= kMaxQueuedStarts) return false;
      ++queued_starts_;
    }
    // Only the first command after a drain needs to wake the loop; the rest ride along.
    wake = inbox_.empty();
    inbox_.push_back(std::move(command));
  }
  if (wake) curl_multi_wakeup(multi_);
  return true;
}

void CurlWorker::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  stop_requested_.store(true, std::memory_order_release);
  curl_multi_wakeup(multi_);
  if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id()) thread_.join();
}

void CurlWorker::Run() {
  worker_id_ = std::this_thread::get_id();
  // Visible in /proc/PID/task/*/comm, top -H and profiles.
  pthread_setname_np(pthread_self(), "curl-worker");
  while (!stop_requested_.load(std::memory_order_acquire)) {
    DrainInbox();
    int running = 0;
    curl_multi_perform(multi_, &running);
    DrainCompletions();
    RunDueTimers();
    // curl_multi_poll shortens the wait to curl's own next timeout by itself; we add ours.
    curl_multi_poll(multi_, nullptr, 0, MillisUntilNextTimer(kMaxPollMillis), nullptr);
  }
  ShutdownAll();
}

void CurlWorker::DrainInbox() {
  std::vector<Command> commands;
  {
    absl::MutexLock lock(&mu_);
    commands.swap(inbox_);
    queued_starts_ = 0;
  }
  for (Command& command : commands) {
    Transfer* transfer = command.transfer.get();
    switch (command.kind) {
      case Command::kStart:
        transfers_.emplace(transfer, command.transfer);
        transfer->OnStart(*this);
        break;
      case Command::kCancel:
        // Cleared before running, so a Cancel posted while this one runs is queued again.
        transfer->queued_commands_.fetch_and(~kCancelBit);
        // A command may outlive the run it was meant for: only transfers still held here
        // are told.
        if (transfers_.contains(transfer)) transfer->OnCancel(*this);
        break;
      case Command::kResume:
        transfer->queued_commands_.fetch_and(~kResumeBit);
        if (transfers_.contains(transfer)) transfer->OnResume(*this);
        break;
    }
    ReleaseIfDone(transfer);
  }
}

void CurlWorker::DrainCompletions() {
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    CURL* easy = message->easy_handle;
    const CURLcode result = message->data.result;  // `message` dies with the removal
    char* private_data = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &private_data);
    auto* transfer = reinterpret_cast<Transfer*>(private_data);
    curl_multi_remove_handle(multi_, easy);
    if (transfer == nullptr || !transfers_.contains(transfer)) {
      common::Fatal("curl worker", "a finished easy handle belongs to no running transfer");
    }
    transfer->OnHandleDone(*this, easy, result);
    ReleaseIfDone(transfer);
  }
}

void CurlWorker::RunDueTimers() {
  const auto now = Clock::now();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    Transfer* transfer = timers_.begin()->second;
    timers_.erase(timers_.begin());
    transfer->timer_at_.reset();
    transfer->OnTimer(*this);
    ReleaseIfDone(transfer);
  }
}

int CurlWorker::MillisUntilNextTimer(int cap) const {
  if (timers_.empty()) return cap;
  const auto wait = timers_.begin()->first - Clock::now();
  if (wait <= Clock::duration::zero()) return 0;
  // Rounded up, so the loop does not wake a little early and spin until the time comes.
  const auto millis = std::chrono::ceil<std::chrono::milliseconds>(wait).count();
  return static_cast<int>(std::min<int64_t>(millis, cap));
}

bool CurlWorker::AddHandle(Transfer* transfer, CURL* easy) {
  curl_easy_setopt(easy, CURLOPT_PRIVATE, static_cast<void*>(transfer));
  return curl_multi_add_handle(multi_, easy) == CURLM_OK;
}

void CurlWorker::RemoveHandle(CURL* easy) { curl_multi_remove_handle(multi_, easy); }

void CurlWorker::SetTimer(Transfer* transfer, Clock::time_point when) {
  ClearTimer(transfer);
  timers_.emplace(when, transfer);
  transfer->timer_at_ = when;
}

void CurlWorker::ClearTimer(Transfer* transfer) {
  if (!transfer->timer_at_.has_value()) return;
  timers_.erase({*transfer->timer_at_, transfer});
  transfer->timer_at_.reset();
}

void CurlWorker::ReleaseIfDone(Transfer* transfer) {
  if (!transfer->done()) return;
  auto it = transfers_.find(transfer);
  if (it == transfers_.end()) return;
  ClearTimer(transfer);
  // The last owning reference may be this one: keep it alive past the erase.
  std::shared_ptr<Transfer> keep = std::move(it->second);
  transfers_.erase(it);
  load_.fetch_sub(1, std::memory_order_relaxed);
}

void CurlWorker::ShutdownAll() {
  std::vector<Command> unstarted;
  {
    absl::MutexLock lock(&mu_);
    unstarted.swap(inbox_);
  }
  // Queued starts run only to be shut down, so each ends its call with a status.
  for (Command& command : unstarted) {
    if (command.kind == Command::kStart)
      transfers_.emplace(command.transfer.get(), command.transfer);
  }
  // Copy first: OnShutdown must not see the map change under it.
  std::vector<std::shared_ptr<Transfer>> running;
  for (auto& [raw, transfer] : transfers_) running.push_back(transfer);
  for (auto& transfer : running) {
    transfer->OnShutdown(*this);
    ReleaseIfDone(transfer.get());
  }
  timers_.clear();
}

}  // namespace streamgate::llm
