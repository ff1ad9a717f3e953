#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace streamgate::gateway {

// Which web pages may open a WebSocket here: the browser's defence against cross-site
// WebSocket hijacking (a page elsewhere opening ws://gateway/ws in a visitor's browser).
// Browsers always send Origin; programs usually send none, and a request without one is
// allowed (programs still need a credential when auth is on).
//
// `--allowed-origins` is a comma-separated list of:
//   self                      the gateway's own page: the Origin names the Host the request
//                             was sent to, with the listener's scheme (http/https)
//   https://app.example.com   one origin (scheme, host, optional port), exactly
//   https://*.example.com     any subdomain of example.com (not example.com itself)
//   *                         any origin (only sensible with auth on)
// Default: self.
//
// With `rebinding_guard` (set with --auth none) `self` holds only when the Host is an IP
// literal or `localhost`: a DNS-rebinding page (evil.example resolving to 127.0.0.1) sends
// a matching Origin and Host, and nothing else would stop it. Pages served under a real
// host name are then listed explicitly.
//
// Immutable after Parse; any thread.
class OriginPolicy {
 public:
  static absl::StatusOr<OriginPolicy> Parse(std::string_view list, bool rebinding_guard);

  // `origin`: the Origin header, nullopt when absent. `host`: the Host header. `tls`: the
  // request came over the TLS listener.
  bool Allows(std::optional<std::string_view> origin, std::string_view host, bool tls) const;

 private:
  struct Pattern {
    std::string scheme;
    std::string host;  // lowercase; for a wildcard the suffix after "*."
    int port = 0;      // explicit or the scheme's default
    bool wildcard = false;
  };

  bool self_ = false;
  bool any_ = false;
  bool rebinding_guard_ = false;
  std::vector<Pattern> patterns_;
};

}  // namespace streamgate::gateway
