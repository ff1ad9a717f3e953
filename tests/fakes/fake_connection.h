#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "tests/fakes/incoming_request.h"
#include "tests/fakes/messages_endpoint.h"
#include "tests/fakes/request_router.h"
#include "tests/fakes/traffic_recorder.h"

namespace streamgate::fake_claude {

struct ConnectionDeps {
  RequestRouter* router = nullptr;
  TrafficRecorder* recorder = nullptr;
  uint64_t max_body_bytes = uint64_t{4} << 20;
  // Called once when the connection has closed, so the server forgets it.
  std::function<void(uint64_t connection_id)> on_closed;
};

// One accepted TCP connection speaking HTTP/1.1 with keep-alive: reads requests, has the
// router choose each reply (a ReplyScript) and plays the script: writes (whole, or one byte
// per write for tiny_writes), timed delays, a scripted close/reset, or holding the
// connection open.
//
// A read is kept pending while a reply is played, so a client that goes away mid-stream is
// noticed at once (EOF or reset), even during a delay or a stall; that is what makes
// `closed_by_peer_mid_stream` reliable. A request pipelined behind a reply in progress waits
// for it (at most one is buffered; reading pauses meanwhile).
//
// Kept alive by its pending operations (each binds shared_from_this()); FakeServer holds
// only a weak_ptr, for shutdown. The fake runs one io thread, and every method runs on it:
// no strand or lock is needed. At most one write and one read are in flight.
class FakeConnection : public std::enable_shared_from_this<FakeConnection> {
 public:
  FakeConnection(boost::asio::ip::tcp::socket socket, ConnectionDeps deps);

  // Records the connection and starts reading. Returns its id.
  uint64_t Start();
  // Server shutdown: closes the connection; a reply in progress ends as "shutdown".
  void Stop();

 private:
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;
  enum class CloseReason { kPeer, kScripted, kServer, kShutdown };

  void DoReadHeader();
  void OnReadHeader(boost::beast::error_code ec, size_t bytes);
  void OnContinueWritten(boost::beast::error_code ec, size_t bytes);
  void DoReadBody();
  void OnReadBody(boost::beast::error_code ec, size_t bytes);
  void OnReadFailed(boost::beast::error_code ec);
  IncomingRequest ToIncoming(const Parser::value_type& message) const;

  void Serve(const IncomingRequest& request);
  void Play(RoutedReply reply);
  void RunSteps();
  void OnDelay(boost::beast::error_code ec);
  void DoWrite();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void FinishReply();
  void Close(CloseReason reason, bool reset = false);

  boost::asio::ip::tcp::socket socket_;
  const ConnectionDeps deps_;
  boost::asio::steady_timer timer_;
  uint64_t id_ = 0;
  bool closed_ = false;

  // Reading. reading_ covers the whole header → (100 Continue) → body sequence.
  boost::beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  bool reading_ = false;
  std::string continue_bytes_;
  std::optional<IncomingRequest> queued_;  // pipelined behind the reply in progress

  // The reply being played; set from Play() until FinishReply() or Close().
  std::optional<ReplyScript> script_;
  uint64_t reply_request_id_ = 0;  // 0: a control reply, not recorded
  size_t next_step_ = 0;
  bool delay_done_ = false;  // the current step's delay has passed
  size_t write_offset_ = 0;  // bytes of the current step already written
  int events_sent_ = 0;
};

}  // namespace streamgate::fake_claude
