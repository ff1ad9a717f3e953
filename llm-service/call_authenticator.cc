#include "llm-service/call_authenticator.h"

#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "common/log.h"
#include "common/log_value.h"

namespace streamgate::llm {
namespace {

constexpr absl::string_view kBearer = "bearer";
constexpr absl::string_view kHealthPrefix = "/grpc.health.v1.Health/";
// Longer method names are not ours; the log says so instead of quoting them.
constexpr size_t kMaxLoggedMethodBytes = 128;

std::string_view Std(absl::string_view text) { return std::string_view(text.data(), text.size()); }

// The token of "Bearer <token>" (scheme case-insensitive, RFC 7235), or empty.
absl::string_view BearerToken(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  if (value.size() <= kBearer.size() || !absl::StartsWithIgnoreCase(value, kBearer)) return {};
  absl::string_view rest = value.substr(kBearer.size());
  if (rest.front() != ' ') return {};
  return absl::StripLeadingAsciiWhitespace(rest);
}

// "sg_<id>_<secret>" -> "<id>". Only called once Verify has accepted the shape, so the id is
// 1-64 letters and digits and safe to log.
absl::string_view KeyId(absl::string_view token) {
  absl::string_view rest = token.substr(3);
  return rest.substr(0, rest.find('_'));
}

}  // namespace

CallAuthenticator::CallAuthenticator(std::shared_ptr<const common::CredentialSet> tokens)
    : tokens_(std::move(tokens)) {}

bool CallAuthenticator::IsOpenMethod(absl::string_view method) {
  return absl::StartsWith(method, kHealthPrefix);
}

absl::Status CallAuthenticator::Check(absl::string_view method,
                                      const std::vector<absl::string_view>& authorization) {
  if (IsOpenMethod(method)) return absl::OkStatus();
  if (authorization.empty()) return Refuse(kMissing, {}, method);
  // Two values leave it open which one a proxy or the log would attribute the call to.
  if (authorization.size() > 1) return Refuse(kMalformed, {}, method);
  absl::string_view token = BearerToken(authorization.front());
  if (token.empty()) return Refuse(kMalformed, {}, method);
  std::shared_ptr<const common::CredentialSet> tokens;
  {
    absl::MutexLock lock(&mu_);
    tokens = tokens_;
  }
  common::CredentialSet::Match match = tokens->Verify(Std(token));
  switch (match.failure) {
    case common::CredentialSet::Failure::kNone:
      common::Logger("auth")->debug(
          "call authenticated key={} name={} method={}", match.entry->id, match.entry->name,
          common::IsPrintableToken(method, kMaxLoggedMethodBytes) ? method : "-");
      return absl::OkStatus();
    case common::CredentialSet::Failure::kMalformed:
      return Refuse(kMalformed, {}, method);
    case common::CredentialSet::Failure::kUnknownId:
      return Refuse(kUnknownKey, KeyId(token), method);
    case common::CredentialSet::Failure::kWrongSecret:
      return Refuse(kWrongSecret, KeyId(token), method);
  }
  return Refuse(kMalformed, {}, method);
}

absl::Status CallAuthenticator::Refuse(Reason reason, absl::string_view key_id,
                                       absl::string_view method) {
  static constexpr const char* kReasonNames[kReasonCount] = {"missing", "malformed", "unknown_key",
                                                             "wrong_secret"};
  uint64_t suppressed = 0;
  if (throttles_[reason].Admit(&suppressed)) {
    common::Logger("auth")->warn(
        "call refused reason={} key={} method={} repeated={}", kReasonNames[reason],
        key_id.empty() ? "-" : key_id,
        common::IsPrintableToken(method, kMaxLoggedMethodBytes) ? method : "-", suppressed);
  }
  return absl::UnauthenticatedError(kRefusedMessage);
}

void CallAuthenticator::Replace(std::shared_ptr<const common::CredentialSet> tokens) {
  absl::MutexLock lock(&mu_);
  tokens_ = std::move(tokens);
}

size_t CallAuthenticator::size() const {
  absl::MutexLock lock(&mu_);
  return tokens_->size();
}

}  // namespace streamgate::llm
