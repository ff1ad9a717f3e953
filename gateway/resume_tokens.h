#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace streamgate::gateway {

// A session's resume tokens: the secret that, with the session id (which is no secret: it
// is in every frame and log line), lets a new connection take the session over. Holds only
// SHA-256 hashes. The rules (README "Resume"):
//   - a token is handed out with connection_established and with each session_resumed;
//   - the token last used keeps working only until the newest one is first used, so a
//     connection that drops before session_resumed arrived can still resume with the old
//     one, and a token that leaked once does not work for ever.
// A value type owned by its ChatSession (and mirrored in the store); not thread-safe.
class ResumeTokens {
 public:
  // A fresh token for a new session; returns the token (to send once, never to log).
  std::string Issue();
  // Whether `token` is the newest or the last used one (constant time in either case).
  bool Accepts(std::string_view token) const;
  // A resume with `used` succeeded: `used` becomes the last used one (the newest, if it was
  // the newest), and a new newest is returned.
  std::string Rotate(std::string_view used);

  // Empty when there is none.
  std::string_view newest_hash() const { return Hash(newest_, has_newest_); }
  std::string_view previous_hash() const {
    return previous_ ? Hash(*previous_, true) : std::string_view();
  }
  // A hash that is not 32 bytes counts as none (no newest: revoked).
  void Restore(std::string_view newest_hash, std::string_view previous_hash);
  // The session is closed for good: no token works any more.
  void Revoke();
  bool revoked() const { return !has_newest_; }

  // The same work as Accepts for a session that does not exist, so that timing tells
  // nothing about which session ids are valid.
  static void CompareWithNothing(std::string_view token);

 private:
  static constexpr size_t kHashBytes = 32;
  using HashBytes = std::array<char, kHashBytes>;
  static std::string_view Hash(const HashBytes& hash, bool present) {
    return present ? std::string_view(hash.data(), hash.size()) : std::string_view();
  }
  static bool Set(HashBytes* hash, std::string_view value);
  // The previous hash, or none when `value` is not a hash.
  static std::unique_ptr<HashBytes> MakePrevious(std::string_view value);

  // The newest inline: every session has one, and idle sessions are the many; a previous
  // one exists only after a resume.
  HashBytes newest_{};                   // SHA-256 of the newest token handed out
  std::unique_ptr<HashBytes> previous_;  // of the one last used
  bool has_newest_ = false;
};

}  // namespace streamgate::gateway
