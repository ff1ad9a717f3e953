#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace streamgate::cli {

// What the positional words and standard input make of a run (the README's precedence):
//  - no words: interactive, stdin read line by line (a terminal through libedit);
//  - the single word "-": the whole of stdin (up to end of input, Ctrl-D on a terminal) is
//    the one message;
//  - words, stdin a terminal: the words (joined by spaces) are the message;
//  - words, stdin a pipe or a file: the piped text, a blank line, then the words, as
//    `cat file | llm "question"` does; the question alone when nothing was piped.
struct MessagePlan {
  bool interactive = false;
  bool read_stdin = false;  // read all of stdin before connecting
  std::string question;     // the words joined by spaces ("" for "-")
  bool dash = false;        // "-": stdin is the message and must not be empty
};

// The largest message read from stdin: the gateway's default --max-message-bytes (a bigger
// frame would be refused by it).
inline constexpr size_t kMaxStdinMessageBytes = 256 * 1024;

// InvalidArgument for "-" among other words.
absl::StatusOr<MessagePlan> PlanMessage(const std::vector<std::string>& words,
                                        bool stdin_is_terminal);
// The one message from the plan and what stdin held (InvalidArgument for "-" with nothing
// to send). The piped text's trailing newlines are dropped before the blank line.
absl::StatusOr<std::string> ComposeMessage(const MessagePlan& plan, std::string_view piped);
// All of standard input, blocking (before the io thread runs); InvalidArgument when it is
// larger than `limit` or cannot be read.
absl::StatusOr<std::string> ReadAllStdin(size_t limit);

}  // namespace streamgate::cli
