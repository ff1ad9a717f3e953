#include "tests/fakes/reply_script.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace streamgate::fake_claude {
namespace {

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 529:
      return "Overloaded";
    default:
      return "Unknown";
  }
}

}  // namespace

std::string ReplyScript::StatusLine(int status) {
  return absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status));
}

std::string ReplyScript::HttpDate(absl::Time time) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", time, absl::UTCTimeZone());
}

std::string ReplyScript::Head(int status, const HeaderList& headers, bool keep_alive) {
  std::string head = absl::StrCat(StatusLine(status), "\r\n");
  absl::StrAppend(&head, "date: ", HttpDate(absl::Now()), "\r\nserver: fake-claude\r\n");
  for (const auto& [name, value] : headers) absl::StrAppend(&head, name, ": ", value, "\r\n");
  if (!keep_alive) absl::StrAppend(&head, "connection: close\r\n");
  return head;
}

ReplyScript ReplyScript::Complete(int status, HeaderList headers, std::string body,
                                  bool keep_alive) {
  ReplyScript script(status, /*chunked=*/false, keep_alive);
  std::string bytes = Head(status, headers, keep_alive);
  absl::StrAppend(&bytes, "content-length: ", body.size(), "\r\n\r\n", body);
  script.steps_.push_back({.kind = ReplyStep::Kind::kWrite, .bytes = std::move(bytes)});
  return script;
}

ReplyScript ReplyScript::Chunked(int status, HeaderList headers, bool keep_alive) {
  ReplyScript script(status, /*chunked=*/true, keep_alive);
  std::string bytes = Head(status, headers, keep_alive);
  absl::StrAppend(&bytes, "transfer-encoding: chunked\r\n\r\n");
  script.steps_.push_back({.kind = ReplyStep::Kind::kWrite, .bytes = std::move(bytes)});
  return script;
}

void ReplyScript::AddChunk(std::string_view data, std::chrono::milliseconds delay, int events) {
  if (data.empty()) return;  // an empty chunk would end the body
  char size[24];
  std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
  std::string bytes = absl::StrCat(size, absl::string_view(data.data(), data.size()), "\r\n");
  steps_.push_back({.kind = ReplyStep::Kind::kWrite,
                    .bytes = std::move(bytes),
                    .delay = delay,
                    .events = events});
}

void ReplyScript::EndBody() {
  steps_.push_back({.kind = ReplyStep::Kind::kWrite, .bytes = "0\r\n\r\n"});
}

void ReplyScript::CloseConnection(bool reset, std::chrono::milliseconds delay) {
  steps_.push_back({.kind = reset ? ReplyStep::Kind::kReset : ReplyStep::Kind::kClose,
                    .bytes = {},
                    .delay = delay});
}

void ReplyScript::HoldOpen(std::chrono::milliseconds delay) {
  steps_.push_back({.kind = ReplyStep::Kind::kHold, .bytes = {}, .delay = delay});
}

}  // namespace streamgate::fake_claude
