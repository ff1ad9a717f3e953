#pragma once

#include <string>
#include <string_view>

namespace streamgate::gateway {

// Appends `text` to `out` as a JSON string literal (with the quotes). Escapes what JSON
// requires plus U+2028/U+2029, passes other valid UTF-8 through, and replaces each invalid
// byte with U+FFFD so that a bad byte from upstream can never produce an invalid frame.
void AppendJsonString(std::string* out, std::string_view text);

}  // namespace streamgate::gateway
