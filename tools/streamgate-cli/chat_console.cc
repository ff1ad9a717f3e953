#include "tools/streamgate-cli/chat_console.h"

#include <signal.h>

#include <cstdio>
#include <optional>
#include <string_view>

#include "tools/streamgate-cli/cli_config.h"
#include "tools/streamgate-cli/ws_protocol.h"

namespace streamgate::cli {
namespace {

bool IsBlank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n\f\v") == std::string::npos;
}

void Note(const std::string& text) { std::fprintf(stderr, "streamgate-cli: %s\n", text.c_str()); }

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
  if (options_.question.empty()) reader_ = std::make_unique<StdinLineReader>(io);
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
         ". Enter sends; Ctrl-C stops a reply; Ctrl-D or Ctrl-C at the prompt exits.");
  }
  ReadNextLine();
}

void ChatConsole::ReadNextLine() {
  state_ = State::kIdle;
  if (options_.prompt) {
    std::fputs("> ", stderr);
    std::fflush(stderr);
  }
  reader_->ReadLine([this](std::optional<std::string> line) { OnLine(std::move(line)); });
}

void ChatConsole::OnLine(std::optional<std::string> line) {
  if (state_ != State::kIdle) return;
  if (!line.has_value()) {
    if (options_.prompt) std::fputc('\n', stderr);
    return Finish(reply_failed_ ? kExitReplyFailed : kExitOk, /*graceful=*/true);
  }
  if (IsBlank(*line)) return ReadNextLine();  // the gateway would refuse it anyway
  if (auto conversation = ConversationCommand(*line)) return SwitchConversation(*conversation);
  Ask(*line);
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
  backend_->Ask(SanitizeUtf8(text));
}

void ChatConsole::OnRawEvent(std::string_view json_line) {
  if (!options_.json) return;
  std::fwrite(json_line.data(), 1, json_line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void ChatConsole::OnReplyText(std::string_view text) {
  if (options_.json || text.empty()) return;
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
    std::fputs("> ", stderr);
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
