#include "tools/streamgate-cli/terminal_line_editor.h"

#include <fcntl.h>
#include <histedit.h>
#include <langinfo.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <clocale>
#include <cstring>

namespace streamgate::cli {
namespace {

constexpr char kPasteOn[] = "\x1B[?2004h";
constexpr char kPasteOff[] = "\x1B[?2004l";
constexpr int kHistorySize = 500;

// libedit shows and measures characters through the C library's locale: a UTF-8 one lets
// it edit non-ASCII text. The person's own locale if it is UTF-8, else C.UTF-8 if present.
void UseUtf8Locale() {
  if (std::setlocale(LC_CTYPE, "") != nullptr && std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0) {
    return;
  }
  std::setlocale(LC_CTYPE, "C.UTF-8");
}

void AppendUtf8(char32_t c, std::string* out) {
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = 0xFFFD;
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// Decodes the UTF-8 character at the front of `bytes`: its length (0: incomplete, more
// bytes may come) and the character (U+FFFD for a byte that starts none).
size_t DecodeFront(std::string_view bytes, char32_t* c) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  unsigned char lead = b(0);
  size_t length = lead < 0x80                    ? 1
                  : lead >= 0xF0 && lead <= 0xF4 ? 4
                  : lead >= 0xE0                 ? 3
                  : lead >= 0xC2 && lead <= 0xDF ? 2
                                                 : 0;
  if (length == 0) {
    *c = 0xFFFD;
    return 1;
  }
  *c = length == 1 ? lead : lead & (0xFF >> (length + 1));
  for (size_t i = 1; i < length; ++i) {
    if (i >= bytes.size()) return 0;
    if ((b(i) & 0xC0) != 0x80) {
      *c = 0xFFFD;
      return i;
    }
    *c = (*c << 6) | (b(i) & 0x3F);
  }
  return length;
}

}  // namespace

std::unique_ptr<TerminalLineEditor> TerminalLineEditor::Open(boost::asio::io_context& io) {
  if (isatty(STDIN_FILENO) != 1) return nullptr;
  // A description of our own (blocking; GetChar polls before reading), so fd 0's flags
  // stay the shell's.
  int tty = open("/proc/self/fd/0", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (tty < 0) return nullptr;
  int wake[2];
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    close(tty);
    return nullptr;
  }
  std::unique_ptr<TerminalLineEditor> editor(new TerminalLineEditor(io, tty, wake[0], wake[1]));
  if (!editor->Init()) return nullptr;
  editor->thread_ = std::thread([raw = editor.get()] { raw->Run(); });
  return editor;
}

TerminalLineEditor::TerminalLineEditor(boost::asio::io_context& io, int tty_fd, int wake_read,
                                       int wake_write)
    : io_(io), tty_fd_(tty_fd), wake_read_(wake_read), wake_write_(wake_write) {}

bool TerminalLineEditor::Init() {
  UseUtf8Locale();
  int in_fd = dup(tty_fd_), out_fd = dup(tty_fd_);
  in_ = in_fd >= 0 ? fdopen(in_fd, "r") : nullptr;
  out_ = out_fd >= 0 ? fdopen(out_fd, "w") : nullptr;
  if (in_ == nullptr || out_ == nullptr) return false;
  el_ = el_init("streamgate-cli", in_, out_, out_);
  if (el_ == nullptr) return false;
  history_ = history_winit();
  if (history_ == nullptr) return false;
  HistEventW event;
  history_w(history_, &event, H_SETSIZE, kHistorySize);
  history_w(history_, &event, H_SETUNIQUE, 1);
  el_set(el_, EL_EDITOR, "emacs");
  el_set(el_, EL_SIGNAL, 0);  // signals are the io thread's (asio::signal_set)
  el_set(el_, EL_CLIENTDATA, this);
  el_set(el_, EL_PROMPT, &TerminalLineEditor::Prompt);
  el_set(el_, EL_GETCFN, &TerminalLineEditor::GetChar);
  el_wset(el_, EL_HIST, history_w, history_);
  el_source(el_, nullptr);  // ~/.editrc, as every libedit program
  return true;
}

TerminalLineEditor::~TerminalLineEditor() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wanted_.notify_all();
  if (write(wake_write_, "x", 1) < 0) {
    // The pipe is full of earlier wake-ups: the editor is woken anyway.
  }
  if (thread_.joinable()) thread_.join();
  if (el_ != nullptr) el_end(el_);  // restores the terminal's modes
  if (history_ != nullptr) history_wend(history_);
  if (in_ != nullptr) fclose(in_);
  if (out_ != nullptr) fclose(out_);
  close(wake_read_);
  close(wake_write_);
  close(tty_fd_);
}

void TerminalLineEditor::Read(const std::string& prompt, std::function<void(InputPiece)> done) {
  done_ = std::move(done);
  {
    std::lock_guard lock(mu_);
    request_ = true;
    request_gen_ = ++generation_;
    request_prompt_ = prompt;
  }
  wanted_.notify_all();
}

void TerminalLineEditor::Cancel() {
  done_ = nullptr;
  {
    std::lock_guard lock(mu_);
    request_ = false;
    cancelled_gen_ = generation_;
  }
  if (write(wake_write_, "x", 1) < 0) {
    // Full: a wake-up is pending already.
  }
}

void TerminalLineEditor::Run() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      wanted_.wait(lock, [this] { return stopping_ || request_; });
      if (stopping_) return;
      request_ = false;
      editing_gen_ = request_gen_;
      prompt_ = request_prompt_;
    }
    InputPiece piece = EditOneLine();
    boost::asio::post(io_, [this, gen = editing_gen_, piece = std::move(piece)]() mutable {
      if (gen != generation_ || !done_) return;  // cancelled meanwhile
      auto done = std::exchange(done_, nullptr);
      done(std::move(piece));
    });
  }
}

InputPiece TerminalLineEditor::EditOneLine() {
  paste_.reset();
  WriteTerminal(kPasteOn);
  int count = 0;
  const wchar_t* line = el_wgets(el_, &count);
  HoldKeysUntilNextEdit();
  WriteTerminal(kPasteOff);
  if (line == nullptr || count <= 0) return InputPiece{};
  std::string typed;
  for (int i = 0; i < count; ++i) AppendUtf8(static_cast<char32_t>(line[i]), &typed);
  if (!typed.empty() && typed.back() == '\n') typed.pop_back();
  if (paste_.has_value()) {
    return InputPiece{
        .kind = InputPiece::Kind::kPaste, .typed = std::move(typed), .pasted = std::move(*paste_)};
  }
  if (!typed.empty()) {
    std::wstring entry(line, static_cast<size_t>(count));
    if (!entry.empty() && entry.back() == L'\n') entry.pop_back();
    HistEventW event;
    history_w(history_, &event, H_ENTER, entry.c_str());
  }
  return InputPiece{.kind = InputPiece::Kind::kLine, .typed = std::move(typed), .pasted = {}};
}

void TerminalLineEditor::HoldKeysUntilNextEdit() {
  // libedit leaves the terminal in its normal (canonical) mode after a line. Keys typed
  // while a reply streams would then be echoed into it, and a Ctrl-D among them would
  // reach the next edit as a NUL, not an end. Canonical mode and echo stay off instead
  // (signals and output processing as the terminal had them, so Ctrl-C still interrupts):
  // the keys wait, unseen, for the next edit, which reads them like any others. el_end
  // restores the terminal's own modes.
  termios modes{};
  if (tcgetattr(tty_fd_, &modes) != 0) return;
  modes.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ECHONL);
  modes.c_cc[VMIN] = 1;
  modes.c_cc[VTIME] = 0;
  tcsetattr(tty_fd_, TCSANOW, &modes);
}

void TerminalLineEditor::WriteTerminal(const char* text) {
  size_t length = std::strlen(text);
  while (length > 0) {
    ssize_t n = write(tty_fd_, text, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text += n;
    length -= static_cast<size_t>(n);
  }
}

int TerminalLineEditor::GetChar(editline* el, wchar_t* out) {
  void* self = nullptr;
  el_get(el, EL_CLIENTDATA, &self);
  return static_cast<TerminalLineEditor*>(self)->NextChar(out);
}

char* TerminalLineEditor::Prompt(editline* el) {
  void* self = nullptr;
  el_get(el, EL_CLIENTDATA, &self);
  return static_cast<TerminalLineEditor*>(self)->prompt_.data();
}

int TerminalLineEditor::NextChar(wchar_t* out) {
  for (;;) {
    if (!pieces_.empty()) {
      PasteDecoder::Piece& front = pieces_.front();
      if (front.paste) {
        // The paste ends this edit: libedit gets Enter, the paste goes with the line.
        paste_ = std::move(front.bytes);
        pieces_.pop_front();
        *out = L'\n';
        return 1;
      }
      char32_t c = 0;
      size_t used = DecodeFront(front.bytes, &c);
      if (used > 0 || pieces_.size() > 1) {
        if (used == 0) {
          c = 0xFFFD;  // a character cut off by a paste
          used = front.bytes.size();
        }
        front.bytes.erase(0, used);
        if (front.bytes.empty()) pieces_.pop_front();
        *out = static_cast<wchar_t>(c);
        return 1;
      }
      // Half a character: the rest is on its way.
    }
    pollfd fds[2] = {{.fd = tty_fd_, .events = POLLIN, .revents = 0},
                     {.fd = wake_read_, .events = POLLIN, .revents = 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    if (fds[1].revents != 0) {
      char drain[64];
      while (read(wake_read_, drain, sizeof(drain)) > 0) {
      }
      std::lock_guard lock(mu_);
      if (stopping_ || editing_gen_ <= cancelled_gen_) return 0;
    }
    if (fds[0].revents == 0) continue;
    char buffer[4096];
    ssize_t n = read(tty_fd_, buffer, sizeof(buffer));
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return 0;  // hung up
    decoder_.Feed(std::string_view(buffer, static_cast<size_t>(n)), &pieces_);
  }
}

}  // namespace streamgate::cli
