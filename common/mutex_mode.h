#pragma once

namespace streamgate::common {

// Debian's Abseil is built with mutex deadlock detection on: every lock is recorded in a
// process-wide lock-order graph, which showed in profiles of the per-message paths
// (llm-service's ChunkChannel, the gateway's LlmStreamCall). Release binaries (NDEBUG) turn
// it off at startup; debug builds keep it, as do the tests.
void UseReleaseMutexMode();

}  // namespace streamgate::common
