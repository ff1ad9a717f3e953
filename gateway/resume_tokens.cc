#include "gateway/resume_tokens.h"

#include <algorithm>

#include "common/secure_random.h"
#include "common/sha256.h"

namespace streamgate::gateway {
namespace {

// 32 random bytes: 256 bits, 43 base64url characters.
constexpr size_t kTokenBytes = 32;

}  // namespace

bool ResumeTokens::Set(HashBytes* hash, std::string_view value) {
  if (value.size() != kHashBytes) return false;
  std::copy(value.begin(), value.end(), hash->begin());
  return true;
}

std::unique_ptr<ResumeTokens::HashBytes> ResumeTokens::MakePrevious(std::string_view value) {
  auto hash = std::make_unique<HashBytes>();
  if (!Set(hash.get(), value)) return nullptr;
  return hash;
}

std::string ResumeTokens::Issue() {
  std::string token = common::NewSecretToken(kTokenBytes);
  has_newest_ = Set(&newest_, common::Sha256(token));
  previous_.reset();
  return token;
}

bool ResumeTokens::Accepts(std::string_view token) const {
  if (revoked()) {
    CompareWithNothing(token);
    return false;
  }
  std::string hash = common::Sha256(token);
  // Both compared every time: which one matched must not show in the timing either.
  bool newest = common::ConstantTimeEquals(hash, newest_hash());
  static const HashBytes kNoHash{};
  bool previous = common::ConstantTimeEquals(hash, Hash(previous_ ? *previous_ : kNoHash, true)) &&
                  previous_ != nullptr;
  return newest || previous;
}

std::string ResumeTokens::Rotate(std::string_view used) {
  // Using the newest retires the one before it; using the previous one keeps it (the
  // newest, never used, is replaced).
  previous_ = MakePrevious(common::Sha256(used));
  std::string token = common::NewSecretToken(kTokenBytes);
  has_newest_ = Set(&newest_, common::Sha256(token));
  return token;
}

void ResumeTokens::Restore(std::string_view newest_hash, std::string_view previous_hash) {
  has_newest_ = Set(&newest_, newest_hash);
  previous_ = has_newest_ ? MakePrevious(previous_hash) : nullptr;
}

void ResumeTokens::Revoke() {
  newest_.fill('\0');
  previous_.reset();
  has_newest_ = false;
}

void ResumeTokens::CompareWithNothing(std::string_view token) {
  static const std::string kNothing(32, '\0');
  std::string hash = common::Sha256(token);
  volatile bool ignored = common::ConstantTimeEquals(hash, kNothing);
  ignored = common::ConstantTimeEquals(hash, kNothing);
  (void)ignored;
}

}  // namespace streamgate::gateway
