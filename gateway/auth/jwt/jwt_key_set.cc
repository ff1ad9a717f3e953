#include "gateway/auth/jwt/jwt_key_set.h"

#include <fstream>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/fatal.h"
#include "gateway/auth/jwt/jwks_reader.h"
#include "gateway/auth/jwt/pem_bundle_reader.h"

namespace streamgate::gateway::jwt {
namespace {

absl::string_view Absl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

}  // namespace

KeySet::KeySet(std::vector<VerificationKey> keys) {
  for (VerificationKey& key : keys) {
    std::string kid = key.kid();
    if (!keys_.emplace(std::move(kid), std::move(key)).second) {
      common::Fatal("jwt", "KeySet built with a repeated kid");  // the readers refuse those
    }
  }
}

absl::StatusOr<std::shared_ptr<const KeySet>> KeySet::Parse(std::string_view text,
                                                            std::string_view source) {
  if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
  absl::string_view body = absl::StripLeadingAsciiWhitespace(Absl(text));
  // '[' too, so that a bare array of JWKs is told it is not a JWKS rather than not PEM.
  bool json = !body.empty() && (body.front() == '{' || body.front() == '[');
  absl::StatusOr<std::vector<VerificationKey>> keys =
      json ? ReadJwks(text, source) : ReadPemBundle(text, source);
  if (!keys.ok()) return keys.status();
  return std::make_shared<const KeySet>(*std::move(keys));
}

absl::StatusOr<std::shared_ptr<const KeySet>> KeySet::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::string text(kMaxFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": larger than ", kMaxFileBytes, " bytes; not a key file"));
  }
  return Parse(text, path);
}

const VerificationKey* KeySet::Find(std::string_view kid) const {
  auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : &it->second;
}

const VerificationKey* KeySet::SoleKey() const {
  return keys_.size() == 1 ? &keys_.begin()->second : nullptr;
}

std::vector<std::string> KeySet::Kids() const {
  std::vector<std::string> kids;
  kids.reserve(keys_.size());
  for (const auto& [kid, key] : keys_) kids.push_back(kid);
  return kids;
}

}  // namespace streamgate::gateway::jwt
