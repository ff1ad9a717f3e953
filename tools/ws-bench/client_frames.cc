#include "tools/ws-bench/client_frames.h"

#include "absl/strings/str_cat.h"

namespace streamgate::bench {

void AppendJsonString(std::string* out, std::string_view text) {
  out->push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

std::string UserMessageFrame(std::string_view text, std::string_view session_id) {
  std::string out;
  out.reserve(64 + text.size() + session_id.size());
  out.append(R"({"type":"user_message","content":)");
  AppendJsonString(&out, text);
  out.append(R"(,"sessionId":)");
  AppendJsonString(&out, session_id);
  out.push_back('}');
  return out;
}

std::string ResumeFrame(std::string_view session_id, std::string_view resume_token,
                        int64_t last_seq) {
  std::string out;
  out.reserve(96 + session_id.size() + resume_token.size());
  out.append(R"({"type":"resume","sessionId":)");
  AppendJsonString(&out, session_id);
  out.append(R"(,"resumeToken":)");
  AppendJsonString(&out, resume_token);
  absl::StrAppend(&out, R"(,"lastSeq":)", last_seq, "}");
  return out;
}

}  // namespace streamgate::bench
