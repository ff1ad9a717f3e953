#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <memory>
#include <optional>
#include <string>

#include "tools/streamgate-cli/chat_backend.h"
#include "tools/streamgate-cli/line_source.h"
#include "tools/streamgate-cli/message_assembler.h"
#include "tools/streamgate-cli/terminal_text_filter.h"

namespace streamgate::cli {

// The person's side of a conversation: asks the one question (one-shot) or the messages
// MessageAssembler makes of standard input (interactive: a line, a "\"-continued run of
// lines, a /multi block or a paste; the line "/conversation ID" switches threads instead),
// read through libedit on a terminal, prints replies to stdout (made harmless for a terminal
// by TerminalTextFilter) and notes to stderr, turns
// Ctrl-C into `cancel` (during a reply) or an exit (otherwise), and decides the exit code.
// Signals arrive through an asio::signal_set, so nothing runs in a signal handler but Asio's
// own self-pipe write. Owned by main; everything runs on the io thread.
class ChatConsole : public ChatListener {
 public:
  struct Options {
    std::string question;  // empty: interactive
    bool json = false;     // print the raw events instead of the reply text
    bool prompt = false;   // stdin is a terminal: show a banner and a "> " prompt
  };

  ChatConsole(boost::asio::io_context& io, Options options);

  // Starts the conversation on `backend` (which must outlive io_context::run()); the
  // io_context is stopped once the console has finished.
  void Start(ChatBackend* backend);
  int exit_code() const { return exit_code_; }

  void OnReady(const std::string& description) override;
  void OnRawEvent(std::string_view json_line) override;
  void OnReplyText(std::string_view text) override;
  void OnReplyEnd(const ReplyEnd& end) override;
  void OnNotice(const std::string& text) override;
  void OnConnectionLost(const std::string& reason) override;

 private:
  enum class State {
    kConnecting,  // waiting for OnReady
    kIdle,        // interactive: waiting for the next line
    kReplying,    // a reply is streaming
    kCancelling,  // Ctrl-C sent `cancel`; waiting for the reply to end
    kFinishing,   // shutting the backend down; the exit code is decided
  };

  void WaitForSignal();
  void OnSignal(int signo);
  void ReadNextLine();
  void OnInput(InputPiece piece);
  // A whole message from the assembler: asked, or a command, or skipped when blank.
  void OnMessage(const MessageAssembler::Message& message);
  void Ask(const std::string& text);
  // The line "/conversation ID": later messages go to thread ID ("/conversation" alone
  // names the current one).
  void SwitchConversation(const std::string& id);
  // Prints filtered reply text to stdout.
  void PrintReply(const std::string& text);
  // Ends the reply text's line on stdout, if one is open.
  void EndLine();
  void Finish(int code, bool graceful);

  boost::asio::io_context& io_;
  const Options options_;
  boost::asio::signal_set signals_;
  std::unique_ptr<LineSource> reader_;  // interactive mode only
  MessageAssembler assembler_;
  bool input_ended_ = false;         // the reader reported the end of input
  TerminalTextFilter reply_filter_;  // the reply being printed
  ChatBackend* backend_ = nullptr;
  State state_ = State::kConnecting;
  bool line_open_ = false;     // reply text printed since the last newline
  bool reply_failed_ = false;  // some reply of this run failed (interactive exit code)
  int exit_code_ = 0;
};

}  // namespace streamgate::cli
