#include "tools/streamgate-cli/chat_console.h"

#include <signal.h>

#include <cstdio>
#include <optional>
#include <string_view>

#include "tools/streamgate-cli/cli_config.h"
#include "tools/streamgate-cli/stdin_line_reader.h"
#include "tools/streamgate-cli/terminal_line_editor.h"
#include "tools/streamgate-cli/ws_protocol.h"

namespace streamgate::cli {
namespace {

bool IsBlank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n\f\v") == std::string::npos;
}

// Notes quote the server (error texts) and the person's input: filtered like a reply.
void Note(const std::string& text) {
  std::fprintf(stderr, "streamgate-cli: %s\n", SanitizeForTerminal(text).c_str());
}

constexpr char kPrompt[] = "> ";
constexpr char kContinuationPrompt[] = "... ";

// "/conversation" or "/conversation ID": the argument (possibly empty), or nullopt when
// `line` is a message.
std::optional<std::string> ConversationCommand(const std::string& line) {
  constexpr std::string_view kCommand = "/conversation";
  std::string_view rest(line);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t' || rest.back() == '\r')) {
    rest.remove_suffix(1);
  }
  if (!rest.starts_with(kCommand)) return std::nullopt;
  rest.remove_prefix(kCommand.size());
  if (!rest.empty() && rest.front() != ' ' && rest.front() != '\t') return std::nullopt;
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  return std::string(rest);
}

}  // namespace

ChatConsole::ChatConsole(boost::asio::io_context& io, Options options)
    : io_(io), options_(std::move(options)), signals_(io, SIGINT, SIGTERM) {
  if (!options_.question.empty()) return;
  if (options_.prompt) reader_ = TerminalLineEditor::Open(io);
  if (reader_ == nullptr) reader_ = std::make_unique<StdinLineReader>(io);
}

void ChatConsole::Start(ChatBackend* backend) {
  backend_ = backend;
  WaitForSignal();
  backend_->Start();
}

void ChatConsole::WaitForSignal() {
  signals_.async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;
    OnSignal(signo);
    WaitForSignal();
  });
}

void ChatConsole::OnSignal(int signo) {
  if (signo == SIGTERM) return Finish(kExitTerminated, /*graceful=*/false);
  switch (state_) {
    case State::kReplying:
      // The first Ctrl-C stops the reply; the conversation goes on.
      state_ = State::kCancelling;
      backend_->Cancel();
      return;
    case State::kFinishing:
      // A graceful close is taking long: stop waiting for it.
      exit_code_ = kExitInterrupted;
      backend_->Shutdown(/*graceful=*/false, nullptr);
      return;
    case State::kConnecting:
    case State::kIdle:
    case State::kCancelling:
      EndLine();
      if (options_.prompt) std::fputc('\n', stderr);
      return Finish(kExitInterrupted, /*graceful=*/false);
  }
}

void ChatConsole::OnReady(const std::string& description) {
  if (state_ != State::kConnecting) return;
  if (!options_.question.empty()) return Ask(options_.question);
  if (options_.prompt) {
    Note("connected to " + description +
         ". Enter sends (a line ending in \\ continues; /multi ... /end for a block; a paste "
         "is one message); Ctrl-C stops a reply; Ctrl-D or Ctrl-C at the prompt exits.");
  }
  ReadNextLine();
}

void ChatConsole::ReadNextLine() {
  state_ = State::kIdle;
  if (input_ended_) return Finish(reply_failed_ ? kExitReplyFailed : kExitOk, /*graceful=*/true);
  std::string prompt;
  if (options_.prompt) prompt = assembler_.continuing() ? kContinuationPrompt : kPrompt;
  reader_->Read(prompt, [this](InputPiece piece) { OnInput(std::move(piece)); });
}

void ChatConsole::OnInput(InputPiece piece) {
  if (state_ != State::kIdle) return;
  switch (piece.kind) {
    case InputPiece::Kind::kEnd: {
      if (options_.prompt) std::fputc('\n', stderr);
      input_ended_ = true;
      // What was still being written (a "\" line, an open /multi block) is sent.
      if (auto message = assembler_.Finish()) return OnMessage(*message);
      return ReadNextLine();
    }
    case InputPiece::Kind::kLine:
      if (auto message = assembler_.AddLine(piece.typed)) return OnMessage(*message);
      return ReadNextLine();
    case InputPiece::Kind::kPaste: {
      assembler_.AddPaste(piece.typed, piece.pasted);
      // The editor showed the line up to the paste; show the pasted text (inert) too.
      std::string shown = SanitizeForTerminal(piece.pasted);
      if (!shown.empty() && shown.back() != '\n') shown.push_back('\n');
      std::fputs(shown.c_str(), stderr);
      return ReadNextLine();
    }
  }
}

void ChatConsole::OnMessage(const MessageAssembler::Message& message) {
  if (IsBlank(message.text)) return ReadNextLine();  // the gateway would refuse it anyway
  if (message.single_line) {
    if (auto conversation = ConversationCommand(message.text)) {
      return SwitchConversation(*conversation);
    }
  }
  Ask(message.text);
}

void ChatConsole::SwitchConversation(const std::string& id) {
  if (!id.empty()) {
    if (auto switched = backend_->SelectConversation(id); !switched.ok()) {
      Note(std::string(switched.message()));
      return ReadNextLine();
    }
  }
  Note("conversation " + backend_->conversation());
  ReadNextLine();
}

void ChatConsole::Ask(const std::string& text) {
  state_ = State::kReplying;
  line_open_ = false;
  reply_filter_ = TerminalTextFilter();
  backend_->Ask(SanitizeUtf8(text));
}

void ChatConsole::OnRawEvent(std::string_view json_line) {
  if (!options_.json) return;
  // Valid JSON escapes C0 controls but may carry C1 ones raw; neither reaches the terminal.
  std::string line = SanitizeForTerminal(json_line);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void ChatConsole::OnReplyText(std::string_view text) {
  if (options_.json) return;
  PrintReply(reply_filter_.Filter(text));
}

void ChatConsole::PrintReply(const std::string& text) {
  if (text.empty()) return;
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
  line_open_ = text.back() != '\n';
}

void ChatConsole::EndLine() {
  if (!line_open_) return;
  std::fputc('\n', stdout);
  std::fflush(stdout);
  line_open_ = false;
}

void ChatConsole::OnReplyEnd(const ReplyEnd& end) {
  if (!options_.json) PrintReply(reply_filter_.Finish());
  EndLine();
  int code = kExitOk;
  switch (end.outcome) {
    case ReplyEnd::Outcome::kCompleted:
      break;
    case ReplyEnd::Outcome::kCancelled:
      std::fputs("[stopped]\n", stderr);
      code = kExitInterrupted;
      break;
    case ReplyEnd::Outcome::kFailed:
      Note(end.error);
      reply_failed_ = true;
      code = kExitReplyFailed;
      break;
  }
  if (state_ != State::kReplying && state_ != State::kCancelling) return;
  if (!options_.question.empty()) return Finish(code, /*graceful=*/true);
  ReadNextLine();
}

void ChatConsole::OnNotice(const std::string& text) {
  // At the prompt (a reconnect while idle): the note on its own line, then the prompt again.
  bool at_prompt = options_.prompt && state_ == State::kIdle;
  if (at_prompt) std::fputc('\n', stderr);
  Note(text);
  if (at_prompt) {
    std::fputs(assembler_.continuing() ? kContinuationPrompt : kPrompt, stderr);
    std::fflush(stderr);
  }
}

void ChatConsole::OnConnectionLost(const std::string& reason) {
  if (state_ == State::kFinishing) return;
  EndLine();
  Note(reason);
  Finish(kExitConnection, /*graceful=*/false);
}

void ChatConsole::Finish(int code, bool graceful) {
  if (state_ == State::kFinishing) return;
  state_ = State::kFinishing;
  exit_code_ = code;
  if (reader_ != nullptr) reader_->Cancel();
  backend_->Shutdown(graceful, [this] { io_.stop(); });
}

}  // namespace streamgate::cli
