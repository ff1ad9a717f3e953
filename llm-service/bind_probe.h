#pragma once

#include <string>

namespace streamgate::llm {

// Why `host:port` cannot be bound, in the words the gateway uses: "Address already in use",
// "Cannot assign requested address", ... gRPC only reports that it added no port, so after a
// failed start LlmServer binds a plain socket (no SO_REUSEPORT, as the server now is) to
// find out. Returns "" when the probe binds (the address came free in between) or the host
// does not resolve. Any thread.
std::string ProbeBindError(const std::string& host, int port);

}  // namespace streamgate::llm
