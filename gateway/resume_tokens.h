#pragma once

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

  const std::string& newest_hash() const { return newest_; }
  const std::string& previous_hash() const { return previous_; }
  void Restore(std::string newest_hash, std::string previous_hash);
  // The session is closed for good: no token works any more.
  void Revoke();
  bool revoked() const { return newest_.empty(); }

  // The same work as Accepts for a session that does not exist, so that timing tells
  // nothing about which session ids are valid.
  static void CompareWithNothing(std::string_view token);

 private:
  std::string newest_;    // SHA-256 of the newest token handed out
  std::string previous_;  // of the one last used (empty: none)
};

}  // namespace streamgate::gateway
