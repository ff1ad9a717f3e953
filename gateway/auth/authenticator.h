#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/credential_file.h"
#include "gateway/auth/jwt/jwt_verifier.h"
#include "gateway/auth/principal.h"

namespace streamgate::gateway {

enum class AuthMode { kNone, kApiKeys, kJwt };
std::string_view AuthModeName(AuthMode mode);

// Decides who a bearer credential stands for: an API key (--api-keys-file, hashed) or a JWT
// (--jwt-keys-file, issuer, audience, leeway), by mode. The key files are read at start and
// again on Reload (SIGHUP); a reload that fails keeps what was loaded before.
//
// Owned by main; Authenticate and StillValid run on any thread (the key sets are immutable
// and swapped whole under mu_), Reload on main's thread.
class Authenticator {
 public:
  struct Options {
    AuthMode mode = AuthMode::kNone;
    std::string api_keys_file;
    std::string jwt_keys_file;
    jwt::Policy jwt_policy;
  };
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(Options options);

  struct Outcome {
    // Shared: every connection of one API key holds the same principal.
    std::shared_ptr<const Principal> principal;
    // Why it failed, for the log only: a fixed word plus facts that are no secret (a key id
    // that exists), never the credential.
    std::string reason;
  };
  // Not for AuthMode::kNone.
  Outcome Authenticate(std::string_view credential, absl::Time now) const;

  // Re-reads the key file. On error the previous keys stay in force.
  absl::Status Reload();
  // Whether the credential behind `principal` is still configured (same key id and hash,
  // or the JWT's kid still present), so sessions of a revoked key can be closed.
  bool StillValid(const Principal& principal) const;

  AuthMode mode() const { return options_.mode; }
  absl::Duration leeway() const { return options_.jwt_policy.leeway; }

 private:
  explicit Authenticator(Options options) : options_(std::move(options)) {}
  absl::Status Load();

  const Options options_;
  // The loaded keys and a principal per key id, made once per load: idle connections are
  // the many, and a copy each would cost them ~400 bytes apiece.
  struct ApiKeys {
    std::shared_ptr<const common::CredentialSet> set;
    std::unordered_map<std::string, std::shared_ptr<const Principal>> principals;
  };

  mutable absl::Mutex mu_;
  std::shared_ptr<const ApiKeys> api_keys_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const jwt::KeySet> jwt_keys_ ABSL_GUARDED_BY(mu_);
};

// The identity of a client with --auth none: its address, so per-client limits can apply.
Principal AnonymousPrincipal(std::string_view client_address);

}  // namespace streamgate::gateway
