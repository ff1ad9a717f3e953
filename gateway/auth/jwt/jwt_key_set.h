#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/auth/jwt/verification_key.h"

namespace streamgate::gateway::jwt {

// The keys the gateway accepts JWTs from, each with its kid and its one algorithm; the file
// formats are in docs/jwt.md. Owns its VerificationKeys (and through them the OpenSSL keys).
// Immutable once built: shared as shared_ptr<const KeySet> by every io thread, which verify
// against it concurrently, and swapped whole when SIGHUP reloads the file.
class KeySet {
 public:
  // Detects the format: a JWKS document when the first non-blank character is '{' (or '['),
  // a PEM bundle otherwise (a leading UTF-8 byte order mark is skipped). `source` names the file in
  // error messages, which are InvalidArgument, say where (key index or line, and kid), and
  // never quote key material.
  static absl::StatusOr<std::shared_ptr<const KeySet>> Parse(std::string_view text,
                                                             std::string_view source);
  // Reads and parses `path`; NotFound when it cannot be read, InvalidArgument when it is
  // larger than kMaxFileBytes or does not parse.
  static absl::StatusOr<std::shared_ptr<const KeySet>> Load(const std::string& path);
  static constexpr size_t kMaxFileBytes = 1 << 20;

  size_t size() const { return keys_.size(); }
  // After a reload: whether the key a session was admitted with still stands.
  bool Contains(std::string_view kid) const { return Find(kid) != nullptr; }
  // The key with `kid`, or null.
  const VerificationKey* Find(std::string_view kid) const;
  // The key for a token without a kid: the only key, or null when several are configured
  // (guessing among them would let a token pick its own key).
  const VerificationKey* SoleKey() const;
  // The configured kids in order, for the reload log line.
  std::vector<std::string> Kids() const;

  // Prefer Parse. The kids must be unique (the readers refuse repeats; one here aborts).
  explicit KeySet(std::vector<VerificationKey> keys);

 private:
  std::map<std::string, VerificationKey, std::less<>> keys_;  // by kid
};

}  // namespace streamgate::gateway::jwt
