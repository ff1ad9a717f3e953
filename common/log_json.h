#pragma once

#include <string>
#include <string_view>

namespace streamgate::common {

// --log-format json: one log line (common/log.h: an event's words, then key=value fields
// written by the project's escaper, common/log_value.h) as one JSON object on one line:
//   {"ts":"2026-12-04T20:05:00.123Z","level":"info","component":"session",
//    "event":"reply end","session":"...","status":"OK"}
// Fields become members in order: a bare value that is an integer or true/false becomes a
// JSON number or boolean, everything else a string (quoted values unescaped for \" \\ \n \r
// \t; \xNN and \uNNNN, which stand for bytes and code points never written raw, stay as
// written). A field named like a member above gets a "field." prefix. Words after the
// fields go to "text". The output is always valid JSON and one line, whatever the input.
std::string LogLineToJson(std::string_view time, std::string_view level, std::string_view component,
                          std::string_view line);

// Appends `text` as a JSON string literal (quotes included). Invalid UTF-8 bytes become
// \u00NN escapes of the byte, so the result is valid JSON in UTF-8.
void AppendJsonString(std::string_view text, std::string* out);

}  // namespace streamgate::common
