// CurlWorker on its own: many transfers on one thread, timers in the loop, cancellation that
// closes the connection, pause/resume — against a tiny HTTP responder in this file.
#include "llm-service/curl_worker.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace streamgate::llm {
namespace {

using namespace std::chrono_literals;

// Accepts connections on 127.0.0.1 and answers each request with `respond(fd)` on its own
// thread (a test tool, so a thread per connection is fine). Records when a peer closes.
class TinyHttpServer {
 public:
  using Responder = std::function<void(int fd)>;

  explicit TinyHttpServer(Responder respond) : respond_(std::move(respond)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    listen(listen_fd_, 128);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~TinyHttpServer() {
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    acceptor_.join();
    for (auto& thread : connections_) thread.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

  bool WaitForPeerClose(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [this] { return peer_closes_ > 0; });
  }

  // Blocks the responder until the peer closes, noting it; used by responders that hold.
  void WaitUntilPeerCloses(int fd) {
    char byte;
    while (recv(fd, &byte, 1, 0) > 0) {
    }
    std::lock_guard lock(mu_);
    ++peer_closes_;
    changed_.notify_all();
  }

 private:
  void AcceptLoop() {
    while (true) {
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      connections_.emplace_back([this, fd] {
        ReadRequest(fd);
        respond_(fd);
        close(fd);
      });
    }
  }

  static void ReadRequest(int fd) {
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) return;
      request.append(buffer, static_cast<size_t>(n));
    }
  }

  Responder respond_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // acceptor thread only until the join
  std::mutex mu_;
  std::condition_variable changed_;
  int peer_closes_ = 0;
};

void SendAll(int fd, const std::string& text) { send(fd, text.data(), text.size(), MSG_NOSIGNAL); }

std::string Response(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A GET driven by the worker, recording what happened; `pause_first` makes the body
// callback pause once (the way ClaudeAttempt does) until Resume.
class TestTransfer : public CurlWorker::Transfer {
 public:
  TestTransfer(std::string url, bool pause_first = false, std::chrono::milliseconds timer = 0ms)
      : url_(std::move(url)), pause_first_(pause_first), timer_(timer) {}
  ~TestTransfer() override {
    if (easy_ != nullptr) curl_easy_cleanup(easy_);
  }

  void OnStart(CurlWorker& worker) override {
    Note([&] { threads_.push_back(std::this_thread::get_id()); });
    if (timer_ > 0ms) {
      worker.SetTimer(this, CurlWorker::Clock::now() + timer_);
      return;
    }
    Begin(worker);
  }
  void OnTimer(CurlWorker& worker) override {
    Note([&] { timer_fired_at_ = CurlWorker::Clock::now(); });
    Begin(worker);
  }
  void OnCancel(CurlWorker& worker) override {
    worker.RemoveHandle(easy_);
    Note([&] { cancelled_ = true, done_ = true; });
  }
  void OnResume(CurlWorker& worker) override { curl_easy_pause(easy_, CURLPAUSE_CONT); }
  void OnHandleDone(CurlWorker& worker, CURL* easy, CURLcode result) override {
    Note([&] {
      result_ = result;
      threads_.push_back(std::this_thread::get_id());
      done_ = true;
    });
  }
  void OnShutdown(CurlWorker& worker) override {
    if (easy_ != nullptr) worker.RemoveHandle(easy_);
    Note([&] { done_ = true; });
  }
  bool done() const override {
    std::lock_guard lock(mu_);
    return done_;
  }

  bool WaitDone(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [this] { return done_; });
  }
  bool WaitForBody(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [this] { return !body_.empty(); });
  }
  bool WaitPaused(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [this] { return paused_; });
  }
  std::string body() const {
    std::lock_guard lock(mu_);
    return body_;
  }
  CURLcode result() const { return result_; }
  bool cancelled() const { return cancelled_; }
  std::vector<std::thread::id> threads() const { return threads_; }
  CurlWorker::Clock::time_point timer_fired_at() const { return timer_fired_at_; }

 private:
  void Begin(CurlWorker& worker) {
    easy_ = curl_easy_init();
    curl_easy_setopt(easy_, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &TestTransfer::Write);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, this);
    ASSERT_TRUE(worker.AddHandle(this, easy_));
  }
  static size_t Write(char* data, size_t size, size_t count, void* self_ptr) {
    auto* self = static_cast<TestTransfer*>(self_ptr);
    if (self->pause_first_) {
      self->pause_first_ = false;
      self->Note([&] { self->paused_ = true; });
      return CURL_WRITEFUNC_PAUSE;  // nothing consumed; curl hands it over again
    }
    self->Note([&] { self->body_.append(data, size * count); });
    return size * count;
  }
  template <typename F>
  void Note(F change) {
    std::lock_guard lock(mu_);
    change();
    changed_.notify_all();
  }

  const std::string url_;
  bool pause_first_;
  const std::chrono::milliseconds timer_;
  CURL* easy_ = nullptr;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::string body_;
  bool paused_ = false;
  bool done_ = false;
  bool cancelled_ = false;
  CURLcode result_ = CURLE_OK;
  std::vector<std::thread::id> threads_;
  CurlWorker::Clock::time_point timer_fired_at_;
};

TEST(CurlWorker, RunsManyTransfersOnItsOneThreadAndReleasesThem) {
  TinyHttpServer server([](int fd) { SendAll(fd, Response("hello")); });
  CurlWorker worker;
  std::vector<std::shared_ptr<TestTransfer>> transfers;
  for (int i = 0; i < 40; ++i) {
    transfers.push_back(std::make_shared<TestTransfer>(server.url()));
    ASSERT_TRUE(worker.Start(transfers.back()));
  }
  std::thread::id worker_thread;
  for (auto& transfer : transfers) {
    ASSERT_TRUE(transfer->WaitDone(5s));
    EXPECT_EQ(transfer->result(), CURLE_OK);
    EXPECT_EQ(transfer->body(), "hello");
    for (auto id : transfer->threads()) {
      if (worker_thread == std::thread::id()) worker_thread = id;
      EXPECT_EQ(id, worker_thread);
    }
  }
  EXPECT_NE(worker_thread, std::this_thread::get_id());
  // The worker dropped its references (right after the last OnHandleDone): ours are the
  // last ones. Polled with a deadline, as nothing signals the release itself.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (worker.load() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(worker.load(), 0);
  for (auto& transfer : transfers) EXPECT_EQ(transfer.use_count(), 1);
}

TEST(CurlWorker, TimerFiresInTheLoopAtItsTime) {
  TinyHttpServer server([](int fd) { SendAll(fd, Response("later")); });
  CurlWorker worker;
  auto start = CurlWorker::Clock::now();
  auto transfer = std::make_shared<TestTransfer>(server.url(), false, 150ms);
  ASSERT_TRUE(worker.Start(transfer));
  ASSERT_TRUE(transfer->WaitDone(5s));
  EXPECT_GE(transfer->timer_fired_at() - start, 150ms);
  EXPECT_LT(transfer->timer_fired_at() - start, 1s);
  EXPECT_EQ(transfer->body(), "later");
}

TEST(CurlWorker, CancelRemovesTheHandleAndClosesTheConnection) {
  TinyHttpServer* server_ptr = nullptr;
  TinyHttpServer server([&server_ptr](int fd) {
    // Headers and part of a body, then hold: only the client can end this response.
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial");
    server_ptr->WaitUntilPeerCloses(fd);
  });
  server_ptr = &server;
  CurlWorker worker;
  auto transfer = std::make_shared<TestTransfer>(server.url());
  ASSERT_TRUE(worker.Start(transfer));
  ASSERT_TRUE(transfer->WaitForBody(5s));
  ASSERT_EQ(transfer->body(), "partial");
  worker.Cancel(transfer);
  ASSERT_TRUE(transfer->WaitDone(5s));
  EXPECT_TRUE(transfer->cancelled());
  EXPECT_TRUE(server.WaitForPeerClose(5s));
}

TEST(CurlWorker, PausedBodyIsDeliveredWholeAfterResume) {
  TinyHttpServer server([](int fd) { SendAll(fd, Response("kept while paused")); });
  CurlWorker worker;
  auto transfer = std::make_shared<TestTransfer>(server.url(), /*pause_first=*/true);
  ASSERT_TRUE(worker.Start(transfer));
  ASSERT_TRUE(transfer->WaitPaused(5s));
  EXPECT_FALSE(transfer->WaitDone(100ms));  // paused: nothing more happens on its own
  worker.Resume(transfer);
  ASSERT_TRUE(transfer->WaitDone(5s));
  EXPECT_EQ(transfer->body(), "kept while paused");
}

TEST(CurlWorker, StopEndsRunningTransfersAndRefusesNewOnes) {
  TinyHttpServer* server_ptr = nullptr;
  TinyHttpServer server([&server_ptr](int fd) {
    SendAll(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
    server_ptr->WaitUntilPeerCloses(fd);
  });
  server_ptr = &server;
  CurlWorker worker;
  auto transfer = std::make_shared<TestTransfer>(server.url());
  ASSERT_TRUE(worker.Start(transfer));
  worker.Stop();
  EXPECT_TRUE(transfer->WaitDone(5s));
  EXPECT_FALSE(worker.Start(std::make_shared<TestTransfer>(server.url())));
}

}  // namespace
}  // namespace streamgate::llm
