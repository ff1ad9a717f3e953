#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <optional>
#include <string>

#include "tools/streamgate-cli/line_source.h"

namespace streamgate::cli {

// Reads standard input one line at a time without blocking the io thread: it waits for
// readability through the io_context, then reads what is there. Works for a terminal, a
// pipe, /dev/null and a regular file. Owned by ChatConsole; io thread only.
//
// Asio makes a descriptor non-blocking before waiting on it, and O_NONBLOCK belongs to the
// open file description, which a terminal shares with the shell: it would still be set after
// we exit. So the reader waits on a fresh description of the same file (/proc/self/fd/0),
// and only falls back to a duplicate of fd 0 (restoring its flags when done) when that
// cannot be opened. A regular file never blocks and is read directly.
class StdinLineReader : public LineSource {
 public:
  explicit StdinLineReader(boost::asio::io_context& io);
  ~StdinLineReader() override;
  StdinLineReader(const StdinLineReader&) = delete;
  StdinLineReader& operator=(const StdinLineReader&) = delete;

  // Calls `done` with the next line (without its "\n" or "\r\n"), or nullopt at end of input
  // or on a read error. One request at a time.
  void ReadLine(std::function<void(std::optional<std::string>)> done);
  // Drops a pending request; its callback is not called.
  void Cancel() override;
  // LineSource: the prompt goes to stderr, each line is a kLine piece.
  void Read(const std::string& prompt, std::function<void(InputPiece)> done) override;

 private:
  void WaitReadable();
  void OnReadable(boost::system::error_code ec);
  // Reads once without blocking (the descriptor is readable or never blocks).
  void ReadAvailable();
  // Completes the request when a whole line (or the end) is buffered; true when it did.
  bool Deliver();

  boost::asio::io_context& io_;
  boost::asio::posix::stream_descriptor descriptor_;
  int fd_ = -1;                       // what we read: a reopened or duplicated stdin, or 0
  std::optional<int> restore_flags_;  // fd 0's flags, when fd_ shares its description
  bool direct_ = false;               // reads never block: no waiting through the reactor
  std::string buffered_;
  bool eof_ = false;
  std::function<void(std::optional<std::string>)> pending_;
  bool waiting_ = false;  // an async_wait or a posted read is outstanding
};

}  // namespace streamgate::cli
