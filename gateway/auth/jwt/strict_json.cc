#include "gateway/auth/jwt/strict_json.h"

#include <set>
#include <string>
#include <vector>

namespace streamgate::gateway::jwt {
namespace {

// A JOSE header, a claim set or a JWKS needs a handful of levels; a token of 8 KiB of '['
// should cost nothing.
constexpr int kMaxDepth = 16;

}  // namespace

std::optional<nlohmann::json> ParseStrictJsonObject(std::string_view text) {
  using Json = nlohmann::json;
  bool refused = false;
  // The member names seen so far in each object that is open; the innermost last.
  std::vector<std::set<std::string>> open_objects;
  Json::parser_callback_t callback = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (refused) return false;
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (depth >= kMaxDepth) {
          refused = true;
          return false;
        }
        if (event == Json::parse_event_t::object_start) open_objects.emplace_back();
        return true;
      case Json::parse_event_t::object_end:
        if (!open_objects.empty()) open_objects.pop_back();
        return true;
      case Json::parse_event_t::key:
        if (open_objects.empty() || !parsed.is_string() ||
            !open_objects.back().insert(parsed.get_ref<const std::string&>()).second) {
          refused = true;
          return false;
        }
        return true;
      case Json::parse_event_t::array_end:
      case Json::parse_event_t::value:
        return true;
    }
    return true;
  };
  Json value = Json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/false,
                           /*ignore_comments=*/false);
  if (refused || value.is_discarded() || !value.is_object()) return std::nullopt;
  return value;
}

}  // namespace streamgate::gateway::jwt
