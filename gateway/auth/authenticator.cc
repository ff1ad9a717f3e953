#include "gateway/auth/authenticator.h"

#include "absl/strings/str_cat.h"
#include "common/sha256.h"

namespace streamgate::gateway {
namespace {

constexpr std::string_view kKeyPrefix = "key:";
constexpr std::string_view kJwtPrefix = "jwt:";

// "key:<id>#<first 8 bytes of the key's hash, hex>": a key rotated under the same id (a
// new hash) no longer vouches for the sessions of the old one. The hash is no secret.
std::string KeyCredential(const common::CredentialSet::Entry& entry) {
  return absl::StrCat(std::string(kKeyPrefix), entry.id, "#",
                      common::HexEncode(std::string_view(entry.hash).substr(0, 8)));
}

}  // namespace

std::string_view AuthModeName(AuthMode mode) {
  switch (mode) {
    case AuthMode::kNone:
      return "none";
    case AuthMode::kApiKeys:
      return "api-keys";
    case AuthMode::kJwt:
      return "jwt";
  }
  return "none";
}

Principal AnonymousPrincipal(std::string_view client_address) {
  return Principal{.identity = absl::StrCat("address:", std::string(client_address))};
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(Options options) {
  std::unique_ptr<Authenticator> auth(new Authenticator(std::move(options)));
  if (absl::Status loaded = auth->Load(); !loaded.ok()) return loaded;
  return auth;
}

absl::Status Authenticator::Load() {
  switch (options_.mode) {
    case AuthMode::kNone:
      return absl::OkStatus();
    case AuthMode::kApiKeys: {
      auto set = common::CredentialSet::Load(options_.api_keys_file);
      if (!set.ok()) return set.status();
      auto keys = std::make_shared<ApiKeys>();
      keys->set = *std::move(set);
      keys->set->ForEach([&](const common::CredentialSet::Entry& entry) {
        keys->principals.emplace(
            entry.id, std::make_shared<const Principal>(
                          Principal{.identity = entry.name, .credential = KeyCredential(entry)}));
      });
      absl::MutexLock lock(&mu_);
      api_keys_ = std::move(keys);
      return absl::OkStatus();
    }
    case AuthMode::kJwt: {
      auto keys = jwt::KeySet::Load(options_.jwt_keys_file);
      if (!keys.ok()) return keys.status();
      absl::MutexLock lock(&mu_);
      jwt_keys_ = *std::move(keys);
      return absl::OkStatus();
    }
  }
  return absl::OkStatus();
}

absl::Status Authenticator::Reload() { return Load(); }

Authenticator::Outcome Authenticator::Authenticate(std::string_view credential,
                                                   absl::Time now) const {
  Outcome outcome;
  if (options_.mode == AuthMode::kApiKeys) {
    std::shared_ptr<const ApiKeys> keys;
    {
      absl::MutexLock lock(&mu_);
      keys = api_keys_;
    }
    auto match = keys->set->Verify(credential);
    if (match.entry == nullptr) {
      outcome.reason = std::string(common::FailureName(match.failure));
      return outcome;
    }
    outcome.principal = keys->principals.at(match.entry->id);
    return outcome;
  }
  if (options_.mode == AuthMode::kJwt) {
    std::shared_ptr<const jwt::KeySet> keys;
    {
      absl::MutexLock lock(&mu_);
      keys = jwt_keys_;
    }
    jwt::Result result = jwt::Verify(credential, *keys, options_.jwt_policy, now);
    if (!result.claims.has_value()) {
      outcome.reason =
          absl::StrCat(std::string(jwt::FailureName(result.failure)), ": ", result.detail);
      return outcome;
    }
    outcome.principal = std::make_shared<const Principal>(
        Principal{.identity = result.claims->subject,
                  .credential = absl::StrCat(std::string(kJwtPrefix), result.claims->kid),
                  .expires = result.claims->expires});
    return outcome;
  }
  outcome.reason = "auth is off";
  return outcome;
}

bool Authenticator::StillValid(const Principal& principal) const {
  std::string_view credential = principal.credential;
  absl::MutexLock lock(&mu_);
  if (options_.mode == AuthMode::kApiKeys &&
      credential.substr(0, kKeyPrefix.size()) == kKeyPrefix) {
    std::string_view id = credential.substr(kKeyPrefix.size());
    id = id.substr(0, id.find('#'));
    const auto* entry = api_keys_->set->Find(id);
    return entry != nullptr && entry->name == principal.identity &&
           KeyCredential(*entry) == credential;
  }
  if (options_.mode == AuthMode::kJwt && credential.substr(0, kJwtPrefix.size()) == kJwtPrefix) {
    return jwt_keys_->Contains(credential.substr(kJwtPrefix.size()));
  }
  return options_.mode == AuthMode::kNone;
}

}  // namespace streamgate::gateway
