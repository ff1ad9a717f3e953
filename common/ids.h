#pragma once

#include <string>
#include <string_view>

namespace streamgate::common {

// A random (version 4) UUID in canonical lowercase form, e.g.
// "3f2b6c1e-8d4a-4e0b-9c7d-2a1b3c4d5e6f". Uses the kernel's CSPRNG: session ids must not
// be guessable. Thread-safe.
std::string NewUuidV4();

// True when `text` is a canonical lowercase version 4 UUID with the RFC 4122 variant.
bool IsUuidV4(std::string_view text);

}  // namespace streamgate::common
