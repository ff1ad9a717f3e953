#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace streamgate::fake_claude {

// One HTTP request as the fake received it, independent of Beast so that the pure classes
// (MessagesEndpoint, TrafficRecorder) can be unit-tested without sockets. Built by
// FakeConnection on the io thread and passed by const&.
struct IncomingRequest {
  uint64_t connection_id = 0;
  std::string method;  // "POST"
  std::string target;  // as sent, query included: "/__fake/requests?since=3"
  // Every header line in arrival order, names as sent (case preserved).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The client allows the connection to stay open after the response (HTTP/1.1 default).
  bool keep_alive = true;

  // The path part of the target (before '?').
  std::string_view path() const {
    std::string_view view = target;
    return view.substr(0, view.find('?'));
  }
  // The query part of the target (after '?'), empty when there is none.
  std::string_view query() const {
    std::string_view view = target;
    size_t mark = view.find('?');
    return mark == std::string_view::npos ? std::string_view() : view.substr(mark + 1);
  }

  // The first header named `name` (ASCII case-insensitive), or nullptr.
  const std::string* Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (key.size() != name.size()) continue;
      bool same = true;
      for (size_t i = 0; i < key.size() && same; ++i) {
        same = AsciiLower(key[i]) == AsciiLower(name[i]);
      }
      if (same) return &value;
    }
    return nullptr;
  }

 private:
  static char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }
};

}  // namespace streamgate::fake_claude
