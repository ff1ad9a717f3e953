#pragma once

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace streamgate::common {

// How text is written into a log line: the project's one escaper, applied by Logger's calls
// (common/log.h) to every argument of every log line, so a value from a client, a file or an
// upstream can neither end the line nor forge a field.
//
// A value after "key=" is written bare when it is valid UTF-8 with no space, control
// character, '=', '"' or '\'; otherwise it is quoted ("" when empty) and escaped: \" and \\,
// \n \r \t, \xNN for other C0 controls, DEL and every byte of invalid UTF-8 (the byte is
// kept, as Go's strconv.Quote and logfmt readers expect), \u00NN for C1 controls and
// \u2028 / \u2029 (line breaks to some viewers). Other UTF-8 text stays as it is.

// The length (1-4) of the well-formed UTF-8 sequence (RFC 3629) that starts `text`, or 0
// when its first byte starts none (or `text` is empty).
size_t Utf8SequenceLength(absl::string_view text);

// True when `text` can follow "key=" as it is.
bool IsBareLogValue(absl::string_view text);

// Appends `text` as the value after "key=": bare, or quoted and escaped.
void AppendLogValue(absl::string_view text, std::string* out);
std::string LogValue(absl::string_view text);

// Appends `text` escaped for a place between quotes the caller writes itself
// (`detail="{}"`): the same escapes, no quotes added.
void AppendQuotedLogText(absl::string_view text, std::string* out);

// True when `text` is 1 to `max_bytes` bytes of printable ASCII without spaces (0x21-0x7e):
// the ids llm-service accepts, which then show in the log as they are.
bool IsPrintableToken(absl::string_view text, size_t max_bytes);

}  // namespace streamgate::common
