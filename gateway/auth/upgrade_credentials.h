#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>
#include <string_view>

namespace streamgate::gateway {

// The subprotocol every client of /ws may offer; the server echoes exactly this one.
inline constexpr std::string_view kSubprotocol = "streamgate.v1";
// Browsers cannot set headers on a WebSocket, so a page may offer its bearer credential as
// a second subprotocol, "streamgate.bearer.<token>", next to kSubprotocol. It is never
// echoed back.
inline constexpr std::string_view kBearerSubprotocolPrefix = "streamgate.bearer.";

// The credential a request carries, found in one of three places:
//   Authorization: Bearer <token>          programs
//   Sec-WebSocket-Protocol entry           browsers holding a token (kBearerSubprotocolPrefix)
//   /ws?ticket=<ticket>                    browsers holding a single-use ticket; the only
//                                          credential ever accepted in a URL
// More than one, or a malformed one, is `malformed` (refused like a wrong credential).
// A pure function of the request; the value is a secret and is never logged.
struct UpgradeCredentials {
  enum class Source { kNone, kAuthorization, kSubprotocol, kTicket };
  Source source = Source::kNone;
  std::string value;
  bool malformed = false;
  // The client offered kSubprotocol, so the handshake response must select it.
  bool offers_subprotocol = false;
};

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

UpgradeCredentials ExtractUpgradeCredentials(const HttpRequest& request);
// Only the Authorization header (POST /v1/tickets takes nothing else).
UpgradeCredentials ExtractBearer(const HttpRequest& request);

std::string_view SourceName(UpgradeCredentials::Source source);

}  // namespace streamgate::gateway
