#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tools/ws-bench/bench_config.h"
#include "tools/ws-bench/bench_stats.h"

namespace streamgate::bench {

// The reply an uncut session gets, fetched once on a connection of its own before the resume
// scenario's sessions start. The mock is deterministic, so each session's whole text (chunks
// before the cut + replayed + live) must equal it with the message swapped for the session's;
// fetching it rather than computing it keeps ws-bench ignorant of llm-service's flags.
struct ReferenceReply {
  std::string message;  // the user message it answers
  std::string text;     // every chunk's text, in order
  int64_t chunks = 0;
  double duration_ms = 0;  // send -> stream_end
  std::string error;       // empty when fetched; otherwise why not (every session then fails)

  bool ok() const { return error.empty(); }
  // The text a session that sent `session_message` must end up with.
  std::string ExpectedFor(std::string_view session_message) const;
};

// Opens one connection, sends UserMessageText(config.connections, 1, config.words) (an index
// no session has), reads to stream_end and closes. Runs its own io_context on the calling
// thread and returns by `deadline` at the latest.
ReferenceReply FetchReferenceReply(const BenchConfig& config, const Target& target,
                                   Clock::time_point deadline);

}  // namespace streamgate::bench
