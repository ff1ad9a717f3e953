#include "gateway/auth/origin_policy.h"

#include <boost/asio/ip/address.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace streamgate::gateway {
namespace {

absl::string_view Absl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

struct Authority {
  std::string host;  // lowercase, IPv6 without brackets
  int port = 0;      // 0 when absent
};

// Parses "host", "host:port", "[v6]" or "[v6]:port".
std::optional<Authority> ParseAuthority(std::string_view text) {
  Authority out;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port_text = rest.substr(1);
      if (port_text.empty()) return std::nullopt;
    }
  } else {
    size_t colon = text.rfind(':');
    if (colon != std::string_view::npos) {
      port_text = text.substr(colon + 1);
      text = text.substr(0, colon);
      if (port_text.empty()) return std::nullopt;
    }
    out.host = std::string(text);
  }
  if (out.host.empty()) return std::nullopt;
  for (char c : out.host) {
    bool ok = absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
              c == ':' || c == '_';
    if (!ok) return std::nullopt;
  }
  out.host = absl::AsciiStrToLower(Absl(out.host));
  if (!port_text.empty()) {
    int port = 0;
    if (!absl::SimpleAtoi(Absl(port_text), &port) || port < 1 || port > 65535) return std::nullopt;
    out.port = port;
  }
  return out;
}

int DefaultPort(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

struct Origin {
  std::string scheme;
  Authority authority;
};

// An Origin header value: scheme "://" authority, nothing after it.
std::optional<Origin> ParseOrigin(std::string_view text) {
  size_t sep = text.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  Origin out;
  out.scheme = absl::AsciiStrToLower(Absl(text.substr(0, sep)));
  if (out.scheme != "http" && out.scheme != "https") return std::nullopt;
  auto authority = ParseAuthority(text.substr(sep + 3));
  if (!authority.has_value()) return std::nullopt;
  out.authority = *std::move(authority);
  if (out.authority.port == 0) out.authority.port = DefaultPort(out.scheme);
  return out;
}

bool IsLoopbackOrLiteral(std::string_view host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  boost::asio::ip::make_address(std::string(host), ec);
  return !ec;
}

}  // namespace

absl::StatusOr<OriginPolicy> OriginPolicy::Parse(std::string_view list, bool rebinding_guard) {
  OriginPolicy policy;
  policy.rebinding_guard_ = rebinding_guard;
  for (absl::string_view raw : absl::StrSplit(Absl(list), ',', absl::SkipWhitespace())) {
    std::string_view entry(raw.data(), raw.size());
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    if (entry == "self") {
      policy.self_ = true;
      continue;
    }
    if (entry == "*") {
      policy.any_ = true;
      continue;
    }
    auto bad = [&] {
      return absl::InvalidArgumentError(
          absl::StrCat("--allowed-origins: '", Absl(entry),
                       "' is not self, * or an origin such as https://app.example.com or "
                       "https://*.example.com"));
    };
    size_t sep = entry.find("://");
    if (sep == std::string_view::npos) return bad();
    Pattern pattern;
    std::string_view authority = entry.substr(sep + 3);
    if (authority.substr(0, 2) == "*.") {
      pattern.wildcard = true;
      authority.remove_prefix(2);
    }
    auto origin = ParseOrigin(absl::StrCat(Absl(entry.substr(0, sep)), "://", Absl(authority)));
    if (!origin.has_value()) return bad();
    pattern.scheme = origin->scheme;
    pattern.host = origin->authority.host;
    pattern.port = origin->authority.port;
    policy.patterns_.push_back(std::move(pattern));
  }
  if (!policy.self_ && !policy.any_ && policy.patterns_.empty()) {
    return absl::InvalidArgumentError("--allowed-origins must name at least one origin or self");
  }
  return policy;
}

bool OriginPolicy::Allows(std::optional<std::string_view> origin_header, std::string_view host,
                          bool tls) const {
  if (!origin_header.has_value()) return true;
  auto origin = ParseOrigin(*origin_header);
  if (!origin.has_value()) return false;  // "null", garbage: never a page we know
  if (any_) return true;
  if (self_) {
    auto authority = ParseAuthority(host);
    std::string_view scheme = tls ? "https" : "http";
    if (authority.has_value() && origin->scheme == scheme &&
        origin->authority.host == authority->host &&
        origin->authority.port == (authority->port != 0 ? authority->port : DefaultPort(scheme)) &&
        (!rebinding_guard_ || IsLoopbackOrLiteral(authority->host))) {
      return true;
    }
  }
  for (const Pattern& pattern : patterns_) {
    if (origin->scheme != pattern.scheme || origin->authority.port != pattern.port) continue;
    const std::string& candidate = origin->authority.host;
    if (!pattern.wildcard) {
      if (candidate == pattern.host) return true;
      continue;
    }
    if (candidate.size() > pattern.host.size() + 1 &&
        candidate.compare(candidate.size() - pattern.host.size(), pattern.host.size(),
                          pattern.host) == 0 &&
        candidate[candidate.size() - pattern.host.size() - 1] == '.') {
      return true;
    }
  }
  return false;
}

}  // namespace streamgate::gateway
