#include "common/credential_file.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/secure_random.h"
#include "common/sha256.h"

namespace streamgate::common {
namespace {

// Debian's Abseil has its own string_view type.
absl::string_view Absl(std::string_view text) { return absl::string_view(text.data(), text.size()); }
std::string_view Std(absl::string_view text) { return std::string_view(text.data(), text.size()); }

constexpr std::string_view kPrefix = "sg_";
constexpr std::string_view kHashPrefix = "sha256:";
constexpr size_t kMaxIdBytes = 64;
constexpr size_t kMaxNameBytes = 128;
// Far more than a real credential ("sg_" + id + "_" + 43): anything longer is not one.
constexpr size_t kMaxCredentialBytes = 256;

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Splits "sg_<id>_<secret>"; false when it is not of that shape.
bool SplitCredential(std::string_view presented, std::string_view* id) {
  if (presented.size() > kMaxCredentialBytes || presented.substr(0, kPrefix.size()) != kPrefix) {
    return false;
  }
  std::string_view rest = presented.substr(kPrefix.size());
  size_t sep = rest.find('_');
  if (sep == std::string_view::npos || sep + 1 >= rest.size()) return false;
  *id = rest.substr(0, sep);
  return IsValidId(*id);
}

}  // namespace

bool IsValidCredentialName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  for (char c : name) {
    bool ok = absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
              c == '@' || c == ':' || c == '+' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string_view FailureName(CredentialSet::Failure failure) {
  switch (failure) {
    case CredentialSet::Failure::kNone: return "none";
    case CredentialSet::Failure::kMalformed: return "malformed";
    case CredentialSet::Failure::kUnknownId: return "unknown_key";
    case CredentialSet::Failure::kWrongSecret: return "wrong_secret";
  }
  return "unknown";
}

absl::StatusOr<std::shared_ptr<const CredentialSet>> CredentialSet::Parse(
    std::string_view text, std::string_view source) {
  auto set = std::make_shared<CredentialSet>();
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(Absl(text), '\n')) {
    ++line_number;
    std::string_view line = Std(absl::StripAsciiWhitespace(raw));
    if (line.empty() || line.front() == '#') continue;
    auto fail = [&](std::string_view what) {
      // Never quote the line: a secret pasted by mistake must not reach a log.
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, " of ", Absl(source), ": ", Absl(what)));
    };
    std::vector<std::string_view> fields;
    for (absl::string_view field : absl::StrSplit(Absl(line), absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
      fields.push_back(Std(field));
    }
    if (fields.size() != 3) return fail("expected '<id> <name> sha256:<hex>'");
    if (!IsValidId(fields[0])) return fail("the id must be 1-64 letters or digits");
    if (!IsValidCredentialName(fields[1])) {
      return fail("the name must be 1-128 of A-Z a-z 0-9 . _ @ : + -");
    }
    if (fields[2].substr(0, kHashPrefix.size()) != kHashPrefix) {
      return fail("the hash must be written sha256:<64 hex digits> (never the key itself)");
    }
    auto hash = HexDecode(fields[2].substr(kHashPrefix.size()));
    if (!hash.has_value() || hash->size() != 32) {
      return fail("the hash must be written sha256:<64 hex digits> (never the key itself)");
    }
    Entry entry{std::string(fields[0]), std::string(fields[1]), *std::move(hash)};
    std::string id = entry.id;
    if (!set->entries_.emplace(std::move(id), std::move(entry)).second) {
      return fail("this id is already used by an earlier line");
    }
  }
  return std::shared_ptr<const CredentialSet>(std::move(set));
}

absl::StatusOr<std::shared_ptr<const CredentialSet>> CredentialSet::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

CredentialSet::Match CredentialSet::Verify(std::string_view presented) const {
  static const std::string kNoHash(32, '\0');
  std::string_view id;
  if (!SplitCredential(presented, &id)) return {nullptr, Failure::kMalformed};
  auto it = entries_.find(std::string(id));
  const std::string& expected = it != entries_.end() ? it->second.hash : kNoHash;
  bool equal = ConstantTimeEquals(Sha256(presented), expected);
  if (it == entries_.end()) return {nullptr, Failure::kUnknownId};
  if (!equal) return {nullptr, Failure::kWrongSecret};
  return {&it->second, Failure::kNone};
}

const CredentialSet::Entry* CredentialSet::Find(std::string_view id) const {
  auto it = entries_.find(std::string(id));
  return it == entries_.end() ? nullptr : &it->second;
}

absl::StatusOr<NewCredential> MakeCredential(std::string_view name) {
  if (!IsValidCredentialName(name)) {
    return absl::InvalidArgumentError("the name must be 1-128 of A-Z a-z 0-9 . _ @ : + -");
  }
  uint8_t id_bytes[6];
  FillSecureRandom(id_bytes, sizeof(id_bytes));
  NewCredential out;
  out.id = HexEncode(std::string_view(reinterpret_cast<char*>(id_bytes), sizeof(id_bytes)));
  out.secret = absl::StrCat(Absl(kPrefix), out.id, "_", NewSecretToken(32));
  out.line = absl::StrCat(out.id, " ", Absl(name), " ", Absl(kHashPrefix),
                          HexEncode(Sha256(out.secret)));
  return out;
}

}  // namespace streamgate::common
