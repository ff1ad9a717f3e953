#pragma once

#include <span>
#include <string_view>

namespace streamgate::gateway {

// One file of the chat page, compiled into the binary from gateway/web/ at build time
// (see gateway/web/CMakeLists.txt). Every view points at static storage.
struct WebAsset {
  std::string_view path;          // the URL path it is served at, e.g. "/app.js"
  std::string_view content_type;  // e.g. "text/javascript; charset=utf-8"
  std::string_view body;
};

// The asset served at the URL path `path` (no query string), or nullptr. "/" is the page.
const WebAsset* FindWebAsset(std::string_view path);

// Every embedded asset, in the order gateway/web/CMakeLists.txt lists them.
std::span<const WebAsset> AllWebAssets();

// Headers the gateway sends with every asset. The page loads only its own files, talks only
// to the gateway's WebSocket, and never runs inline script, so model output that somehow
// reached the DOM as markup still could not run.
inline constexpr std::string_view kWebContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";
inline constexpr std::string_view kWebCacheControl = "no-cache";

}  // namespace streamgate::gateway
