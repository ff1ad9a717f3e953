#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace streamgate::fake_claude {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One thing the connection does while answering: write bytes, or end the connection in a
// scripted way. `delay` is waited (on a timer, never blocking) before the step.
struct ReplyStep {
  enum class Kind {
    kWrite,  // write `bytes` (HTTP framing already included)
    kClose,  // close the TCP connection (FIN) without finishing the response
    kReset,  // close the TCP connection with RST (SO_LINGER 0)
    kHold,   // write nothing more and keep the connection open until the peer goes
  };
  Kind kind = Kind::kWrite;
  std::string bytes;
  std::chrono::milliseconds delay{0};
  // SSE events completed by `bytes` (counted in the request's record).
  int events = 0;
};

// The exact bytes and actions of one HTTP response, computed before the first byte is
// written, so every scenario is a pure function of the request (and unit-testable without
// sockets). Built by MessagesEndpoint/RequestRouter; executed step by step by
// FakeConnection on the io thread. A value type; not shared between threads.
class ReplyScript {
 public:
  // A whole response with a Content-Length body.
  static ReplyScript Complete(int status, HeaderList headers, std::string body, bool keep_alive);
  // A response with a chunked body: the head is the first step; add chunks, then one of
  // EndBody / CloseConnection / HoldOpen.
  static ReplyScript Chunked(int status, HeaderList headers, bool keep_alive);

  // One chunk carrying `data` (an SSE event), written after `delay`.
  void AddChunk(std::string_view data, std::chrono::milliseconds delay, int events = 1);
  // The last chunk ("0\r\n\r\n"): the body ends cleanly and the connection may be reused.
  void EndBody();
  // Ends the connection without ending the body.
  void CloseConnection(bool reset, std::chrono::milliseconds delay = {});
  // Goes silent with the connection open.
  void HoldOpen(std::chrono::milliseconds delay = {});

  // Write every byte of the response in its own TCP write (TCP_NODELAY is always on).
  void set_tiny_writes(bool tiny) { tiny_writes_ = tiny; }

  int status() const { return status_; }
  bool chunked() const { return chunked_; }
  bool keep_alive() const { return keep_alive_; }
  bool tiny_writes() const { return tiny_writes_; }
  const std::vector<ReplyStep>& steps() const { return steps_; }

  // "HTTP/1.1 429 Too Many Requests" (reason phrases as the real API sends them; 529 is
  // "Overloaded" there too).
  static std::string StatusLine(int status);
  // RFC 9110 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  static std::string HttpDate(absl::Time time);

 private:
  ReplyScript(int status, bool chunked, bool keep_alive)
      : status_(status), chunked_(chunked), keep_alive_(keep_alive) {}
  static std::string Head(int status, const HeaderList& headers, bool keep_alive);

  int status_;
  bool chunked_;
  bool keep_alive_;
  bool tiny_writes_ = false;
  std::vector<ReplyStep> steps_;
};

}  // namespace streamgate::fake_claude
