#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/statusor.h"

namespace streamgate::common {

// Hashed bearer credentials: the gateway's --api-keys-file and llm-service's
// --auth-tokens-file. The file never holds a secret, only its hash, one entry a line:
//
//   # comment
//   <id> <name> sha256:<64 hex digits>
//
// `id` is 1-64 of [A-Za-z0-9] and unique in the file; `name` (the identity the credential
// authenticates, 1-128 of [A-Za-z0-9._@:+-]) may repeat, so one identity can hold several
// keys while one is rotated. A credential is "sg_<id>_<secret>"; the hash is SHA-256 of the
// whole string. The id travels in clear so that lookup needs no scan and the log can say
// which key was used; the secret is 256 random bits, so a plain (fast) hash suffices.
//
// Immutable once built; shared (shared_ptr<const CredentialSet>) by every thread and
// swapped whole on reload.
class CredentialSet {
 public:
  struct Entry {
    std::string id;
    std::string name;
    std::string hash;  // 32 raw bytes
  };
  enum class Failure { kNone, kMalformed, kUnknownId, kWrongSecret };
  struct Match {
    const Entry* entry = nullptr;  // set when the credential is valid
    Failure failure = Failure::kNone;
  };

  // `source` names the file in error messages ("line 3 of keys.txt: ...").
  static absl::StatusOr<std::shared_ptr<const CredentialSet>> Parse(std::string_view text,
                                                                    std::string_view source);
  static absl::StatusOr<std::shared_ptr<const CredentialSet>> Load(const std::string& path);

  // Checks a presented credential. Does the same work (one SHA-256 and one constant-time
  // compare) whether or not the id exists, so timing tells nothing about valid ids.
  Match Verify(std::string_view presented) const;
  // The entry with `id`, or null: after a reload, whether a session's key still stands.
  const Entry* Find(std::string_view id) const;
  size_t size() const { return entries_.size(); }
  template <class Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& [id, entry] : entries_) fn(entry);
  }

 private:
  std::unordered_map<std::string, Entry> entries_;  // by id
};

std::string_view FailureName(CredentialSet::Failure failure);

// A new credential for identity `name` (validated as above): the secret to hand out once,
// and the line to add to the file.
struct NewCredential {
  std::string id;
  std::string secret;  // "sg_<id>_<256 random bits, base64url>"
  std::string line;    // "<id> <name> sha256:<hex>"
};
absl::StatusOr<NewCredential> MakeCredential(std::string_view name);

bool IsValidCredentialName(std::string_view name);

}  // namespace streamgate::common
