#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace streamgate::gateway::jwt {

// Parses `text` as one JSON object for the JWT verifier and the JWKS reader, more strictly
// than nlohmann does by default: a member name repeated in any object and nesting deeper
// than a few levels are refused, because two parsers that resolve `{"sub":"a","sub":"b"}`
// differently would disagree about who a token names (RFC 7515 section 5.2 allows refusing).
// Never throws; nullopt for anything that is not such an object. Stateless and thread-safe.
std::optional<nlohmann::json> ParseStrictJsonObject(std::string_view text);

}  // namespace streamgate::gateway::jwt
