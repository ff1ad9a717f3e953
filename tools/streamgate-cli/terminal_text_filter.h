#pragma once

#include <string>
#include <string_view>

namespace streamgate::cli {

// Makes text from the server (model output, error texts, --json frames) harmless for a
// terminal before it is printed: what could move the cursor, retitle the window, write the
// clipboard (OSC 52), ring the bell or rewrite what was shown cannot reach the terminal.
// Kept: "\n", "\t" and printable UTF-8; "\r\n" becomes "\n". Everything else becomes U+FFFD,
// one per control character or invalid byte: ESC (so a CSI or OSC sequence is shown as
// U+FFFD plus its printable rest, inert), the other C0 controls (BEL, backspace, a lone
// "\r"), DEL, the C1 controls U+0080-U+009F (8-bit CSI, OSC, ...), and bytes that are not
// UTF-8. Text arrives in chunks, and a character or a "\r\n" may be split between two: the
// undecided tail waits for the next chunk or Finish(). A pure value, owned by ChatConsole
// (one per reply); io thread.
class TerminalTextFilter {
 public:
  // The printable form of `chunk`, given what came before it.
  std::string Filter(std::string_view chunk);
  // The end of the text: what was held back (half a character, a trailing "\r").
  std::string Finish();

 private:
  void Append(unsigned char byte, std::string* out);
  // pending_ (a UTF-8 lead and some continuation bytes) is complete or cannot become valid.
  void Settle(std::string* out);

  std::string pending_;      // an incomplete UTF-8 sequence, at most 3 bytes
  bool pending_cr_ = false;  // a "\r" that is kept only if "\n" follows
};

// The whole of `text`, filtered at once (a note, an error text, one --json line).
std::string SanitizeForTerminal(std::string_view text);

}  // namespace streamgate::cli
