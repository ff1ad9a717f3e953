#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace streamgate::common {

// Base64url (RFC 4648 section 5) without padding, as JWTs and our tokens use it.
std::string Base64UrlEncode(std::string_view bytes);

// Strict decoding: only the base64url alphabet, no padding, no whitespace, and the unused
// low bits of the last character must be zero, so every byte string has exactly one
// accepted encoding (a token cannot be altered without changing what it decodes to).
// Nullopt for anything else.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace streamgate::common
