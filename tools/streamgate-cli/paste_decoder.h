#pragma once

#include <deque>
#include <string>
#include <string_view>

namespace streamgate::cli {

// Splits what a terminal in bracketed-paste mode (ESC[?2004h) sends into keys for the line
// editor and pastes, which the terminal wraps in ESC[200~ ... ESC[201~. A marker split
// between reads waits for the rest (so does a lone ESC: in emacs mode it prefixes the next
// key anyway). A paste's "\r\n" and "\r" (terminals send Enter as "\r") become "\n". A pure
// value; owned by TerminalLineEditor, on its editor thread.
class PasteDecoder {
 public:
  struct Piece {
    bool paste = false;  // else: keys
    std::string bytes;
  };

  // Appends what `bytes` completes to `out`: keys as they come (joined to a keys piece
  // already at its back), a paste once its end marker arrived.
  void Feed(std::string_view bytes, std::deque<Piece>* out);
  bool in_paste() const { return in_paste_; }

 private:
  void Emit(std::deque<Piece>* out);

  bool in_paste_ = false;
  std::string held_;     // a prefix of the marker being looked for
  std::string current_;  // keys or paste text not emitted yet
};

}  // namespace streamgate::cli
