#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace streamgate::common {

// SHA-256 of `data` (OpenSSL), 32 raw bytes.
std::string Sha256(std::string_view data);
// HMAC-SHA256 of `data` with `key`, 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);

// Lowercase hex of `bytes`; and back (nullopt for odd lengths or non-hex characters; both
// cases accepted).
std::string HexEncode(std::string_view bytes);
std::optional<std::string> HexDecode(std::string_view hex);

// Compares secrets (or their hashes) in time that depends only on the length: for values
// an attacker can choose, so that the comparison is no oracle.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace streamgate::common
