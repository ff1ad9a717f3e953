#include "gateway/auth/jwt/pem_bundle_reader.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace streamgate::gateway::jwt {
namespace {

absl::string_view Absl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}
std::string_view Std(absl::string_view text) { return std::string_view(text.data(), text.size()); }

constexpr std::string_view kBegin = "-----BEGIN PUBLIC KEY-----";
constexpr std::string_view kEnd = "-----END PUBLIC KEY-----";

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};

// The label line that names the next block.
struct Label {
  int line = 0;
  std::string kid;
  Algorithm algorithm = Algorithm::kRs256;
};

// Parses "kid=<kid> alg=<alg>" (the text after '#'); the error is the bare reason.
absl::StatusOr<Label> ParseLabel(std::string_view text, int line) {
  std::vector<std::string_view> fields;
  for (absl::string_view field :
       absl::StrSplit(Absl(text), absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
    fields.push_back(Std(field));
  }
  constexpr std::string_view kKid = "kid=";
  constexpr std::string_view kAlg = "alg=";
  if (fields.size() != 2 || fields[0].substr(0, kKid.size()) != kKid ||
      fields[1].substr(0, kAlg.size()) != kAlg) {
    return absl::InvalidArgumentError("a key label must read '# kid=<kid> alg=<RS256|ES256>'");
  }
  Label label{line, std::string(fields[0].substr(kKid.size())), Algorithm::kRs256};
  if (!IsValidKid(label.kid)) {
    return absl::InvalidArgumentError(
        "kid must be 1-128 printable ASCII characters without spaces");
  }
  std::string_view alg = fields[1].substr(kAlg.size());
  if (alg == "HS256") {
    return absl::InvalidArgumentError(
        "HS256 secrets are not PEM keys; configure them in a JWKS file (kty oct)");
  }
  if (!ParseAlgorithm(alg, &label.algorithm)) {
    return absl::InvalidArgumentError("alg must be RS256 or ES256");
  }
  return label;
}

// Decodes one PEM block (BEGIN line to END line) holding exactly one DER
// SubjectPublicKeyInfo and nothing after it; null otherwise.
EVP_PKEY* DecodePublicKeyBlock(const std::string& block) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(block.data(), static_cast<int>(block.size())));
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;
  EVP_PKEY* key = nullptr;
  if (bio != nullptr && PEM_read_bio(bio.get(), &name, &header, &data, &length) == 1 &&
      std::string_view(name) == "PUBLIC KEY" && header[0] == '\0') {
    const unsigned char* cursor = data;
    key = d2i_PUBKEY(nullptr, &cursor, length);
    if (key != nullptr && cursor != data + length) {
      EVP_PKEY_free(key);
      key = nullptr;
    }
  }
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(data);
  ERR_clear_error();
  return key;
}

}  // namespace

absl::StatusOr<std::vector<VerificationKey>> ReadPemBundle(std::string_view text,
                                                           std::string_view source) {
  std::vector<VerificationKey> result;
  std::set<std::string, std::less<>> kids;
  std::optional<Label> label;  // read, and its block not yet seen
  int block_start = 0;         // the BEGIN line of the block being read; 0 outside blocks
  std::string block;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(Absl(text), '\n')) {
    ++line_number;
    std::string_view line = Std(absl::StripAsciiWhitespace(raw));
    auto fail = [&](int at, absl::string_view what) {
      // Never quote the line: it may be key material.
      return absl::InvalidArgumentError(absl::StrCat(Absl(source), ": line ", at, ": ", what));
    };
    if (block_start != 0) {
      absl::StrAppend(&block, Absl(line), "\n");
      if (line == kEnd) {
        EVP_PKEY* key = DecodePublicKeyBlock(block);
        if (key == nullptr) {
          return fail(block_start, "the block is not a DER SubjectPublicKeyInfo in base64");
        }
        absl::StatusOr<VerificationKey> verification_key =
            VerificationKey::FromPublicKey(label->kid, label->algorithm, key);
        if (!verification_key.ok()) {
          return fail(block_start,
                      absl::StrCat("(kid ", label->kid, ") ", verification_key.status().message()));
        }
        result.push_back(*std::move(verification_key));
        label.reset();
        block_start = 0;
        block.clear();
      } else if (absl::StartsWith(Absl(line), "-----")) {
        return fail(line_number, absl::StrCat("the block opened on line ", block_start,
                                              " must end with ", Absl(kEnd)));
      }
      continue;
    }
    if (line.empty()) continue;
    if (line.front() == '#') {
      std::string_view rest = Std(absl::StripLeadingAsciiWhitespace(Absl(line.substr(1))));
      if (!absl::StartsWith(Absl(rest), "kid=")) continue;  // a comment
      if (label.has_value()) {
        return fail(label->line, "this key label is not followed by a key block");
      }
      absl::StatusOr<Label> parsed = ParseLabel(rest, line_number);
      if (!parsed.ok()) return fail(line_number, parsed.status().message());
      if (!kids.insert(parsed->kid).second) {
        return fail(line_number, absl::StrCat("(kid ", parsed->kid,
                                              ") this kid is already used by an earlier key"));
      }
      label = *std::move(parsed);
      continue;
    }
    if (line == kBegin) {
      if (!label.has_value()) {
        return fail(line_number, "a key block must follow a '# kid=<kid> alg=<RS256|ES256>' line");
      }
      block_start = line_number;
      absl::StrAppend(&block, Absl(line), "\n");
      continue;
    }
    if (absl::StartsWith(Absl(line), "-----BEGIN") &&
        absl::StrContains(Absl(line), "PRIVATE KEY")) {
      return fail(line_number, "this is a private key; the bundle holds only public keys");
    }
    if (absl::StartsWith(Absl(line), "-----BEGIN")) {
      return fail(line_number, absl::StrCat("only ", Absl(kBegin),
                                            " blocks (SubjectPublicKeyInfo) are accepted"));
    }
    return fail(line_number, "unexpected text outside a key block (comments start with '#')");
  }
  auto fail_at_end = [&](int at, absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(Absl(source), ": line ", at, ": ", what));
  };
  if (block_start != 0) {
    return fail_at_end(block_start, absl::StrCat("the block is not closed by ", Absl(kEnd)));
  }
  if (label.has_value()) {
    return fail_at_end(label->line, "this key label is not followed by a key block");
  }
  if (result.empty()) return absl::InvalidArgumentError(absl::StrCat(Absl(source), ": no keys"));
  return result;
}

}  // namespace streamgate::gateway::jwt
