#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace streamgate::common {

// One W3C Trace Context (https://www.w3.org/TR/trace-context/): the trace a reply belongs
// to and the span that called it. The gateway takes it from the client (a `traceparent`
// header on the upgrade, or a `traceparent` field in user_message), starts one otherwise,
// sends it on to llm-service as `traceparent`, and both log the trace id with the reply.
// A plain value; ids are lowercase hex.
struct TraceContext {
  std::string trace_id;   // 32 hex digits, not all zero
  std::string parent_id;  // 16 hex digits, not all zero: the caller's span
  std::string flags = "00";

  // "00-<trace_id>-<parent_id>-<flags>".
  std::string Traceparent() const;
};

// A traceparent header's value, or nullopt for anything the spec says to ignore: a wrong
// length or separator, non-lowercase-hex, all-zero ids, version "ff", or a version-00 value
// with anything after the flags. A later version is read by its first four fields.
std::optional<TraceContext> ParseTraceparent(std::string_view value);

// A fresh trace (random ids), for a reply no caller traced.
TraceContext NewTrace();
// The same trace with a fresh span of ours as the parent of what we call next.
TraceContext ChildSpan(const TraceContext& parent);

}  // namespace streamgate::common
