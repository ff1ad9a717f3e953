#include "gateway/resume_tokens.h"

#include "common/secure_random.h"
#include "common/sha256.h"

namespace streamgate::gateway {
namespace {

// 32 random bytes: 256 bits, 43 base64url characters.
constexpr size_t kTokenBytes = 32;

}  // namespace

std::string ResumeTokens::Issue() {
  std::string token = common::NewSecretToken(kTokenBytes);
  newest_ = common::Sha256(token);
  previous_.clear();
  return token;
}

bool ResumeTokens::Accepts(std::string_view token) const {
  if (revoked()) {
    CompareWithNothing(token);
    return false;
  }
  std::string hash = common::Sha256(token);
  // Both compared every time: which one matched must not show in the timing either.
  bool newest = common::ConstantTimeEquals(hash, newest_);
  bool previous = !previous_.empty() && common::ConstantTimeEquals(hash, previous_);
  return newest || previous;
}

std::string ResumeTokens::Rotate(std::string_view used) {
  std::string used_hash = common::Sha256(used);
  // Using the newest retires the one before it; using the previous one keeps it (the
  // newest, never used, is replaced).
  previous_ = std::move(used_hash);
  std::string token = common::NewSecretToken(kTokenBytes);
  newest_ = common::Sha256(token);
  return token;
}

void ResumeTokens::Restore(std::string newest_hash, std::string previous_hash) {
  newest_ = std::move(newest_hash);
  previous_ = std::move(previous_hash);
}

void ResumeTokens::Revoke() {
  newest_.clear();
  previous_.clear();
}

void ResumeTokens::CompareWithNothing(std::string_view token) {
  static const std::string kNothing(32, '\0');
  std::string hash = common::Sha256(token);
  volatile bool ignored = common::ConstantTimeEquals(hash, kNothing);
  ignored = common::ConstantTimeEquals(hash, kNothing);
  (void)ignored;
}

}  // namespace streamgate::gateway
