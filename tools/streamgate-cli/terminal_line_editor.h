#pragma once

#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "tools/streamgate-cli/line_source.h"
#include "tools/streamgate-cli/paste_decoder.h"

struct editline;
struct historyW;

namespace streamgate::cli {

// Interactive input from a terminal through libedit: line editing, history (of this run; and
// ~/.editrc is read), and bracketed paste. libedit's el_wgets blocks, so it runs on the
// editor's own thread, one call per Read; its result is posted to the io thread. Between
// reads (while a reply streams) the terminal neither echoes nor assembles lines (keys wait
// for the next edit) but Ctrl-C is SIGINT as usual, and bracketed paste is on only while a
// line is being edited (as readline does): it
// is switched off again before the process can exit, Ctrl-C and SIGTERM included. libedit
// reads through GetChar, which waits on the terminal and on a wake pipe, so Cancel and the
// destructor can end an edit. Owned by ChatConsole; Read and Cancel run on the io thread,
// everything of libedit on the editor thread.
class TerminalLineEditor : public LineSource {
 public:
  // nullptr when standard input is not a terminal or libedit cannot drive it.
  static std::unique_ptr<TerminalLineEditor> Open(boost::asio::io_context& io);
  ~TerminalLineEditor() override;
  TerminalLineEditor(const TerminalLineEditor&) = delete;
  TerminalLineEditor& operator=(const TerminalLineEditor&) = delete;

  void Read(const std::string& prompt, std::function<void(InputPiece)> done) override;
  void Cancel() override;

 private:
  TerminalLineEditor(boost::asio::io_context& io, int tty_fd, int wake_read, int wake_write);
  bool Init();
  void Run();  // the editor thread
  InputPiece EditOneLine();
  void HoldKeysUntilNextEdit();
  void WriteTerminal(const char* text);
  // libedit callbacks (editor thread).
  static int GetChar(editline* el, wchar_t* out);
  static char* Prompt(editline* el);
  // The next character for libedit: 1 and `*out`, or 0 at end of input or when woken.
  int NextChar(wchar_t* out);

  boost::asio::io_context& io_;
  const int tty_fd_;     // standard input's terminal, opened anew (read and write)
  const int wake_read_;  // a byte here ends the edit in progress (GetChar returns 0)
  const int wake_write_;
  editline* el_ = nullptr;
  historyW* history_ = nullptr;
  FILE* in_ = nullptr;
  FILE* out_ = nullptr;

  // io thread only.
  std::function<void(InputPiece)> done_;
  uint64_t generation_ = 0;  // a Read's number; a result of an older (cancelled) one is dropped

  std::mutex mu_;
  std::condition_variable wanted_;
  bool request_ = false;        // guarded by mu_: a Read is waiting for the editor thread
  uint64_t request_gen_ = 0;    // guarded by mu_
  std::string request_prompt_;  // guarded by mu_
  uint64_t cancelled_gen_ = 0;  // guarded by mu_: Reads up to this one were cancelled
  bool stopping_ = false;       // guarded by mu_

  // Editor thread only.
  std::string prompt_;
  PasteDecoder decoder_;
  std::deque<PasteDecoder::Piece> pieces_;  // read from the terminal, not yet given to libedit
  std::optional<std::string> paste_;        // a paste that ended the current edit
  uint64_t editing_gen_ = 0;                // the Read being served
  std::thread thread_;
};

}  // namespace streamgate::cli
