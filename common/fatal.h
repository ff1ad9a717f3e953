#pragma once

namespace streamgate::common {

// For a broken invariant (a bug, never bad input): prints "<component>: <what>" to stderr
// and aborts, so the core dump shows where. Deliberately not through the logger, which may
// be the thing that is broken.
[[noreturn]] void Fatal(const char* component, const char* what);

}  // namespace streamgate::common
