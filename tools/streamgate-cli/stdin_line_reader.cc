#include "tools/streamgate-cli/stdin_line_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdio>

namespace streamgate::cli {

StdinLineReader::StdinLineReader(boost::asio::io_context& io) : io_(io), descriptor_(io) {
  struct stat info {};
  if (fstat(STDIN_FILENO, &info) == 0 && S_ISREG(info.st_mode)) {
    // Reopening would restart a regular file at offset 0; plain reads never block anyway.
    fd_ = STDIN_FILENO;
    direct_ = true;
    return;
  }
  fd_ = open("/proc/self/fd/0", O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    fd_ = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
    int flags = fcntl(STDIN_FILENO, F_GETFL);
    if (flags >= 0) restore_flags_ = flags;
  }
  if (fd_ < 0) {
    fd_ = STDIN_FILENO;
    direct_ = true;
    return;
  }
  boost::system::error_code ec;
  descriptor_.assign(fd_, ec);
  if (ec) direct_ = true;
}

StdinLineReader::~StdinLineReader() {
  if (descriptor_.is_open()) {
    boost::system::error_code ignored;
    descriptor_.cancel(ignored);
    descriptor_.release();
  }
  if (restore_flags_.has_value()) fcntl(STDIN_FILENO, F_SETFL, *restore_flags_);
  if (fd_ > STDIN_FILENO) close(fd_);
}

void StdinLineReader::ReadLine(std::function<void(std::optional<std::string>)> done) {
  pending_ = std::move(done);
  // Deliver later, never from inside ReadLine: the caller may be in the middle of a step.
  if (!waiting_) WaitReadable();
}

void StdinLineReader::Read(const std::string& prompt, std::function<void(InputPiece)> done) {
  if (!prompt.empty()) {
    std::fputs(prompt.c_str(), stderr);
    std::fflush(stderr);
  }
  ReadLine([done = std::move(done)](std::optional<std::string> line) {
    if (!line.has_value()) return done(InputPiece{});
    done(InputPiece{.kind = InputPiece::Kind::kLine, .typed = std::move(*line), .pasted = {}});
  });
}

void StdinLineReader::Cancel() {
  pending_ = nullptr;
  if (descriptor_.is_open()) {
    boost::system::error_code ignored;
    descriptor_.cancel(ignored);
  }
}

void StdinLineReader::WaitReadable() {
  waiting_ = true;
  if (direct_ || eof_ || buffered_.find('\n') != std::string::npos) {
    boost::asio::post(io_, [this] { OnReadable({}); });
    return;
  }
  descriptor_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                         [this](boost::system::error_code ec) { OnReadable(ec); });
}

void StdinLineReader::OnReadable(boost::system::error_code ec) {
  waiting_ = false;
  if (ec == boost::asio::error::operation_aborted || !pending_) return;
  if (ec == boost::asio::error::operation_not_supported) {
    direct_ = true;  // e.g. /dev/null: epoll refuses it, and reads never block
  } else if (ec) {
    eof_ = true;
  }
  if (Deliver()) return;
  ReadAvailable();
  if (!Deliver()) WaitReadable();
}

void StdinLineReader::ReadAvailable() {
  if (eof_) return;
  char chunk[4096];
  ssize_t n = read(fd_, chunk, sizeof(chunk));
  if (n > 0) {
    buffered_.append(chunk, static_cast<size_t>(n));
  } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    eof_ = true;
  }
}

bool StdinLineReader::Deliver() {
  if (!pending_) return true;
  std::optional<std::string> line;
  size_t newline = buffered_.find('\n');
  if (newline != std::string::npos) {
    line = buffered_.substr(0, newline);
    buffered_.erase(0, newline + 1);
  } else if (eof_) {
    if (!buffered_.empty()) line = std::exchange(buffered_, std::string());
  } else {
    return false;
  }
  if (line.has_value() && !line->empty() && line->back() == '\r') line->pop_back();
  auto done = std::exchange(pending_, nullptr);
  done(std::move(line));
  return true;
}

}  // namespace streamgate::cli
