#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace streamgate::bench {

// The client -> server frames ws-bench sends, written by hand (a handful of fields, one
// allocation each) for the same reason frames are read by ScanServerFrame.

// {"type":"user_message","content":TEXT,"sessionId":ID}
std::string UserMessageFrame(std::string_view text, std::string_view session_id);

// {"type":"resume","sessionId":ID,"resumeToken":TOKEN,"lastSeq":N}
std::string ResumeFrame(std::string_view session_id, std::string_view resume_token,
                        int64_t last_seq);

// Appends `text` as a JSON string, quotes included. Our own text is ASCII; the session id and
// the token came from the server, so quotes, backslashes and controls are escaped.
void AppendJsonString(std::string* out, std::string_view text);

}  // namespace streamgate::bench
