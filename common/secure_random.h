#pragma once

#include <cstddef>
#include <string>

namespace streamgate::common {

// Fills `out` with `size` bytes from the kernel's CSPRNG (getrandom). Aborts if the kernel
// cannot provide them: without entropy nothing unguessable can be handed out. Thread-safe.
void FillSecureRandom(void* out, size_t size);

// A fresh secret of `bytes` random bytes, base64url without padding (43 characters for the
// default 32 bytes = 256 bits). For API keys, tickets and resume tokens.
std::string NewSecretToken(size_t bytes = 32);

}  // namespace streamgate::common
