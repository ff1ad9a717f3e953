#include "gateway/auth/upgrade_credentials.h"

#include <boost/beast/http/field.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace streamgate::gateway {
namespace {

namespace http = boost::beast::http;

absl::string_view Absl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}
std::string_view Std(absl::string_view text) { return std::string_view(text.data(), text.size()); }
std::string_view Std(boost::beast::string_view text) {
  return std::string_view(text.data(), text.size());
}

// Credentials are base64url-ish tokens (API keys, JWTs, tickets): anything else in them
// is a malformed request, not a credential to look up.
bool IsTokenText(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    bool ok = absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
              c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
    if (!ok) return false;
  }
  return true;
}

void Offer(UpgradeCredentials* out, UpgradeCredentials::Source source, std::string_view value) {
  if (out->source != UpgradeCredentials::Source::kNone || !IsTokenText(value)) {
    out->malformed = true;
    return;
  }
  out->source = source;
  out->value = std::string(value);
}

void FromAuthorization(const HttpRequest& request, UpgradeCredentials* out) {
  auto [begin, end] = request.equal_range(http::field::authorization);
  for (auto it = begin; it != end; ++it) {
    std::string_view value = Std(it->value());
    // RFC 7235: the scheme is case-insensitive; one space before the token.
    if (value.size() < 7 || !absl::EqualsIgnoreCase(Absl(value.substr(0, 7)), "bearer ")) {
      out->malformed = true;
      return;
    }
    Offer(out, UpgradeCredentials::Source::kAuthorization,
          Std(absl::StripAsciiWhitespace(Absl(value.substr(7)))));
  }
}

// The value of `name` in the query part of `target`, if present once.
bool QueryParameter(std::string_view target, std::string_view name, std::string_view* value,
                    bool* repeated) {
  size_t question = target.find('?');
  if (question == std::string_view::npos) return false;
  std::string_view query = target.substr(question + 1);
  query = query.substr(0, query.find('#'));
  bool found = false;
  for (absl::string_view pair : absl::StrSplit(Absl(query), '&')) {
    std::string_view key = Std(pair.substr(0, pair.find('=')));
    if (key != name) continue;
    if (found) *repeated = true;
    found = true;
    *value = pair.find('=') == absl::string_view::npos ? std::string_view()
                                                       : Std(pair.substr(pair.find('=') + 1));
  }
  return found;
}

}  // namespace

std::string_view SourceName(UpgradeCredentials::Source source) {
  switch (source) {
    case UpgradeCredentials::Source::kNone:
      return "none";
    case UpgradeCredentials::Source::kAuthorization:
      return "authorization";
    case UpgradeCredentials::Source::kSubprotocol:
      return "subprotocol";
    case UpgradeCredentials::Source::kTicket:
      return "ticket";
  }
  return "none";
}

UpgradeCredentials ExtractBearer(const HttpRequest& request) {
  UpgradeCredentials out;
  FromAuthorization(request, &out);
  return out;
}

UpgradeCredentials ExtractUpgradeCredentials(const HttpRequest& request) {
  UpgradeCredentials out;
  FromAuthorization(request, &out);
  auto [begin, end] = request.equal_range(http::field::sec_websocket_protocol);
  for (auto it = begin; it != end; ++it) {
    for (absl::string_view raw : absl::StrSplit(Absl(Std(it->value())), ',')) {
      std::string_view entry = Std(absl::StripAsciiWhitespace(raw));
      if (entry == kSubprotocol) {
        out.offers_subprotocol = true;
      } else if (entry.substr(0, kBearerSubprotocolPrefix.size()) == kBearerSubprotocolPrefix) {
        Offer(&out, UpgradeCredentials::Source::kSubprotocol,
              entry.substr(kBearerSubprotocolPrefix.size()));
      }
    }
  }
  std::string_view ticket;
  bool repeated = false;
  if (QueryParameter(Std(request.target()), "ticket", &ticket, &repeated)) {
    if (repeated) out.malformed = true;
    Offer(&out, UpgradeCredentials::Source::kTicket, ticket);
  }
  if (out.malformed) out.value.clear();
  return out;
}

}  // namespace streamgate::gateway
