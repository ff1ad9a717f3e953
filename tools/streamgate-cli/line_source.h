#pragma once

#include <functional>
#include <string>

namespace streamgate::cli {

// One step of interactive input, before MessageAssembler makes messages of it.
struct InputPiece {
  enum class Kind {
    kLine,   // `typed`: a line ended with Enter (without its newline)
    kPaste,  // `typed` (the line before the paste) and `pasted`: a bracketed paste
    kEnd,    // end of input (Ctrl-D on an empty line, a closed pipe) or a read error
  };
  Kind kind = Kind::kEnd;
  std::string typed;
  std::string pasted;
};

// Where interactive input comes from: StdinLineReader (pipes, files, a terminal libedit
// cannot drive) or TerminalLineEditor (a terminal, with line editing and history). Owned by
// ChatConsole; called on the io thread, and `done` runs there.
class LineSource {
 public:
  virtual ~LineSource() = default;
  // Shows `prompt` (empty: none) and calls `done` with the next piece. One request at a time.
  virtual void Read(const std::string& prompt, std::function<void(InputPiece)> done) = 0;
  // Drops a pending request; its callback is not called.
  virtual void Cancel() = 0;
};

}  // namespace streamgate::cli
