#include "gateway/auth/jwt/jwt_verifier.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base64url.h"
#include "gateway/auth/jwt/strict_json.h"

namespace streamgate::gateway::jwt {
namespace {

using Json = nlohmann::json;

constexpr size_t kMaxSubjectBytes = 256;
// NumericDates later than 9999-12-31T23:59:59Z are refused rather than overflowing.
constexpr double kMaxNumericDate = 253402300799.0;

Result Fail(Failure failure, std::string detail) {
  return Result{std::nullopt, failure, std::move(detail)};
}

absl::string_view Absl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return absl::EqualsIgnoreCase(Absl(a), Absl(b));
}

bool IsValidSubject(std::string_view subject) {
  if (subject.empty() || subject.size() > kMaxSubjectBytes) return false;
  return std::all_of(subject.begin(), subject.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

// A NumericDate (RFC 7519 section 2): a JSON number of seconds since the epoch, possibly
// fractional, here between the epoch and the year 9999.
std::optional<absl::Time> NumericDate(const Json& value) {
  if (!value.is_number()) return std::nullopt;
  double seconds = value.get<double>();
  if (!(seconds >= 0 && seconds <= kMaxNumericDate)) return std::nullopt;
  if (value.is_number_integer()) return absl::FromUnixSeconds(value.get<int64_t>());
  return absl::UnixEpoch() + absl::Seconds(seconds);
}

// The header checks that need no key: the failure, or nullopt with *alg and *kid set (*kid
// null when absent).
std::optional<Result> CheckHeader(const Json& header, const std::string** alg,
                                  const std::string** kid) {
  // RFC 7515 section 4.1.11: a recipient must refuse extensions it does not understand, and
  // we understand none (this also refuses b64=false unencoded payloads, RFC 7797).
  if (header.contains("crit")) return Fail(Failure::kMalformed, "header has crit; not supported");
  auto typ = header.find("typ");
  if (typ != header.end() &&
      (!typ->is_string() || !(EqualsIgnoringCase(typ->get_ref<const std::string&>(), "JWT") ||
                              EqualsIgnoringCase(typ->get_ref<const std::string&>(), "at+jwt")))) {
    return Fail(Failure::kMalformed, "header typ is neither JWT nor at+jwt");
  }
  auto alg_it = header.find("alg");
  if (alg_it == header.end() || !alg_it->is_string()) {
    return Fail(Failure::kMalformed, "header alg is missing or not a string");
  }
  *alg = &alg_it->get_ref<const std::string&>();
  *kid = nullptr;
  auto kid_it = header.find("kid");
  if (kid_it != header.end()) {
    if (!kid_it->is_string()) return Fail(Failure::kMalformed, "header kid is not a string");
    *kid = &kid_it->get_ref<const std::string&>();
  }
  return std::nullopt;
}

// The claim checks, in the documented order: the failure, or nullopt with *claims filled.
std::optional<Result> CheckClaims(const Json& payload, const Policy& policy, absl::Time now,
                                  Claims* claims) {
  absl::Duration leeway = std::max(policy.leeway, absl::ZeroDuration());
  auto exp = payload.find("exp");
  if (exp == payload.end()) return Fail(Failure::kMissingClaim, "exp is missing");
  std::optional<absl::Time> expires = NumericDate(*exp);
  if (!expires.has_value()) return Fail(Failure::kMissingClaim, "exp is not a NumericDate");
  std::optional<absl::Time> not_before;
  auto nbf = payload.find("nbf");
  if (nbf != payload.end()) {
    not_before = NumericDate(*nbf);
    if (!not_before.has_value()) return Fail(Failure::kMissingClaim, "nbf is not a NumericDate");
  }
  if (now > *expires + leeway) return Fail(Failure::kExpired, "exp has passed (beyond the leeway)");
  if (not_before.has_value() && now + leeway < *not_before) {
    return Fail(Failure::kNotYetValid, "nbf is in the future (beyond the leeway)");
  }
  if (!policy.issuer.empty()) {
    auto iss = payload.find("iss");
    if (iss == payload.end() || !iss->is_string()) {
      return Fail(Failure::kMissingClaim, "iss is missing or not a string");
    }
    if (iss->get_ref<const std::string&>() != policy.issuer) {
      return Fail(Failure::kWrongIssuer, "iss is not the expected issuer");
    }
  }
  if (!policy.audience.empty()) {
    auto aud = payload.find("aud");
    if (aud == payload.end()) return Fail(Failure::kMissingClaim, "aud is missing");
    bool found = false;
    if (aud->is_string()) {
      found = aud->get_ref<const std::string&>() == policy.audience;
    } else if (aud->is_array()) {
      for (const Json& entry : *aud) {
        if (!entry.is_string()) {
          return Fail(Failure::kMissingClaim, "aud is not a string or an array of strings");
        }
        found = found || entry.get_ref<const std::string&>() == policy.audience;
      }
    } else {
      return Fail(Failure::kMissingClaim, "aud is not a string or an array of strings");
    }
    if (!found) {
      return Fail(Failure::kWrongAudience, "aud does not contain the expected audience");
    }
  }
  auto sub = payload.find("sub");
  if (sub == payload.end()) return Fail(Failure::kMissingClaim, "sub is missing");
  if (!sub->is_string() || !IsValidSubject(sub->get_ref<const std::string&>())) {
    return Fail(Failure::kMissingClaim, "sub is not 1-256 printable ASCII characters");
  }
  claims->subject = sub->get_ref<const std::string&>();
  claims->expires = *expires;
  return std::nullopt;
}

}  // namespace

std::string_view FailureName(Failure failure) {
  switch (failure) {
    case Failure::kNone:
      return "none";
    case Failure::kTooLong:
      return "too_long";
    case Failure::kMalformed:
      return "malformed";
    case Failure::kUnknownKey:
      return "unknown_key";
    case Failure::kAlgorithmMismatch:
      return "algorithm_mismatch";
    case Failure::kBadSignature:
      return "bad_signature";
    case Failure::kExpired:
      return "expired";
    case Failure::kNotYetValid:
      return "not_yet_valid";
    case Failure::kWrongIssuer:
      return "wrong_issuer";
    case Failure::kWrongAudience:
      return "wrong_audience";
    case Failure::kMissingClaim:
      return "missing_claim";
  }
  return "unknown";
}

Result Verify(std::string_view token, const KeySet& keys, const Policy& policy, absl::Time now) {
  if (token.size() > kMaxTokenBytes) {
    return Fail(Failure::kTooLong, absl::StrCat("token is longer than ", kMaxTokenBytes, " bytes"));
  }
  size_t first_dot = token.find('.');
  size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    return Fail(Failure::kMalformed, "not three dot-separated segments");
  }
  std::string_view header_text = token.substr(0, first_dot);
  std::string_view payload_text = token.substr(first_dot + 1, second_dot - first_dot - 1);
  std::string_view signature_text = token.substr(second_dot + 1);
  std::string_view signing_input = token.substr(0, second_dot);

  std::optional<std::string> header_json = common::Base64UrlDecode(header_text);
  if (!header_json.has_value()) return Fail(Failure::kMalformed, "header is not strict base64url");
  std::optional<Json> header = ParseStrictJsonObject(*header_json);
  if (!header.has_value()) return Fail(Failure::kMalformed, "header is not a JSON object");
  const std::string* alg = nullptr;
  const std::string* kid = nullptr;
  if (std::optional<Result> failed = CheckHeader(*header, &alg, &kid)) return *std::move(failed);

  const VerificationKey* key = kid != nullptr ? keys.Find(*kid) : keys.SoleKey();
  if (key == nullptr) {
    return Fail(Failure::kUnknownKey, kid != nullptr
                                          ? "kid not configured"
                                          : "token has no kid and several keys are configured");
  }
  // The key decides the algorithm; the header only has to agree, exactly. This is what
  // defeats alg=none and HS256-signed-with-the-RSA-public-key forgeries.
  if (*alg != AlgorithmName(key->algorithm())) {
    return Fail(Failure::kAlgorithmMismatch, absl::StrCat("header alg is not the key's algorithm ",
                                                          Absl(AlgorithmName(key->algorithm()))));
  }

  std::optional<std::string> signature = common::Base64UrlDecode(signature_text);
  if (!signature.has_value()) {
    return Fail(Failure::kMalformed, "signature is not strict base64url");
  }
  if (!key->VerifySignature(signing_input, *signature)) {
    return Fail(Failure::kBadSignature, "signature does not verify");
  }

  // Only signed bytes are parsed from here on.
  std::optional<std::string> payload_json = common::Base64UrlDecode(payload_text);
  if (!payload_json.has_value()) {
    return Fail(Failure::kMalformed, "payload is not strict base64url");
  }
  std::optional<Json> payload = ParseStrictJsonObject(*payload_json);
  if (!payload.has_value()) return Fail(Failure::kMalformed, "payload is not a JSON object");
  Claims claims;
  if (std::optional<Result> failed = CheckClaims(*payload, policy, now, &claims)) {
    return *std::move(failed);
  }
  claims.kid = key->kid();
  return Result{std::move(claims), Failure::kNone, std::string()};
}

}  // namespace streamgate::gateway::jwt
