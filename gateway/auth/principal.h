#pragma once

#include <string>

#include "absl/time/time.h"

namespace streamgate::gateway {

// Who a connection acts for, settled on the HTTP upgrade before any connection or session
// exists (and renewed by a JWT `authenticate`). Every limit and session belongs to it.
// A value type: copied into each connection; immutable once made.
struct Principal {
  // The API key's name, the JWT's `sub`, or, with --auth none, "address:<client IP>".
  std::string identity;
  // What authenticated it, so a reload can tell whether it still stands: "key:<id>#<hash>",
  // "jwt:<kid>", or "" with --auth none.
  std::string credential;
  // When the credential stops being valid (a JWT's exp); never for keys and --auth none.
  absl::Time expires = absl::InfiniteFuture();
};

}  // namespace streamgate::gateway
