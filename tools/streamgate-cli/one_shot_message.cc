#include "tools/streamgate-cli/one_shot_message.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace streamgate::cli {
namespace {

bool IsBlank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos;
}

}  // namespace

absl::StatusOr<MessagePlan> PlanMessage(const std::vector<std::string>& words,
                                        bool stdin_is_terminal) {
  MessagePlan plan;
  if (words.empty()) {
    plan.interactive = true;
    return plan;
  }
  bool has_dash = false;
  for (const auto& word : words) has_dash |= word == "-";
  if (has_dash) {
    if (words.size() != 1) {
      return absl::InvalidArgumentError(
          "'-' reads the message from standard input and takes no other words (pipe the text "
          "and give the question as words instead)");
    }
    plan.read_stdin = plan.dash = true;
    return plan;
  }
  plan.question = absl::StrJoin(words, " ");
  plan.read_stdin = !stdin_is_terminal;
  return plan;
}

absl::StatusOr<std::string> ComposeMessage(const MessagePlan& plan, std::string_view piped) {
  while (!piped.empty() && (piped.back() == '\n' || piped.back() == '\r')) piped.remove_suffix(1);
  if (plan.dash) {
    if (IsBlank(piped)) return absl::InvalidArgumentError("'-': standard input had no message");
    return std::string(piped);
  }
  if (IsBlank(piped)) return plan.question;
  return std::string(piped) + "\n\n" + plan.question;
}

absl::StatusOr<std::string> ReadAllStdin(size_t limit) {
  std::string text;
  char buffer[65536];
  for (;;) {
    ssize_t n = read(STDIN_FILENO, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // A descriptor left non-blocking by whoever shares it: wait for data.
      pollfd entry{.fd = STDIN_FILENO, .events = POLLIN, .revents = 0};
      poll(&entry, 1, -1);
      continue;
    }
    if (n < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read standard input: ", std::strerror(errno)));
    }
    if (n == 0) return text;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > limit) {
      return absl::InvalidArgumentError(absl::StrCat(
          "standard input holds more than ", limit / 1024, " KiB; a message must be smaller"));
    }
  }
}

}  // namespace streamgate::cli
