#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace streamgate::cli {

// Turns what the person types or pastes in interactive mode into whole messages:
//  - a line ended with Enter is a message, unless it ends with "\": then the "\" is dropped
//    and the next line continues the message after a newline;
//  - the line "/multi" starts a block: every following line, blank ones and trailing "\"s
//    included, belongs to the message until the line "/end", which sends it;
//  - a bracketed paste (terminals only) goes into the message as pasted, newlines and all;
//    text typed before and after it on the same line joins it, and the next Enter sends.
// A pure value; owned by ChatConsole, io thread.
class MessageAssembler {
 public:
  struct Message {
    std::string text;  // trailing newlines removed
    // One typed line and nothing else: the console may read it as a command
    // ("/conversation ID"); pasted or continued text is always a message.
    bool single_line = false;
  };

  // A line the person ended with Enter (without its "\n"; a "\r" before it is dropped).
  std::optional<Message> AddLine(std::string_view line);
  // A bracketed paste, with what was typed on the line before it.
  void AddPaste(std::string_view typed_before, std::string_view pasted);
  // End of input: what is pending, sent as it is (an unfinished "\" line or /multi block).
  std::optional<Message> Finish();

  // A message is under way: the prompt says so ("... ").
  bool continuing() const { return started_ || in_block_; }

 private:
  // Appends a line of text: after a newline when it starts a new line of the message.
  void AppendLine(std::string_view line);
  std::optional<Message> Take();

  std::string text_;
  bool started_ = false;       // text_ holds part of a message (maybe an empty first line)
  bool need_newline_ = false;  // the next line goes after a "\n" (not after a paste)
  bool in_block_ = false;      // between "/multi" and "/end"
  bool composite_ = false;     // more than one typed line, a paste or a block
};

}  // namespace streamgate::cli
