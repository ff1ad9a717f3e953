#include "tools/streamgate-cli/message_assembler.h"

namespace streamgate::cli {
namespace {

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

std::optional<MessageAssembler::Message> MessageAssembler::AddLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (in_block_) {
    if (Trimmed(line) == "/end") {
      in_block_ = false;
      return Take();
    }
    AppendLine(line);
    return std::nullopt;
  }
  if (!started_ && Trimmed(line) == "/multi") {
    in_block_ = true;
    composite_ = true;
    return std::nullopt;
  }
  if (!line.empty() && line.back() == '\\') {
    line.remove_suffix(1);
    AppendLine(line);
    composite_ = true;
    return std::nullopt;
  }
  if (started_) composite_ = true;
  AppendLine(line);
  return Take();
}

void MessageAssembler::AddPaste(std::string_view typed_before, std::string_view pasted) {
  AppendLine(typed_before);
  text_.append(pasted);
  // Text typed next continues the paste's last line (or starts the line after its newline).
  need_newline_ = false;
  composite_ = true;
}

std::optional<MessageAssembler::Message> MessageAssembler::Finish() {
  in_block_ = false;
  if (!started_) return std::nullopt;
  return Take();
}

void MessageAssembler::AppendLine(std::string_view line) {
  if (need_newline_) text_.push_back('\n');
  text_.append(line);
  started_ = true;
  need_newline_ = true;
}

std::optional<MessageAssembler::Message> MessageAssembler::Take() {
  Message message{.text = std::move(text_), .single_line = !composite_};
  while (!message.text.empty() && message.text.back() == '\n') message.text.pop_back();
  text_.clear();
  started_ = need_newline_ = composite_ = false;
  return message;
}

}  // namespace streamgate::cli
