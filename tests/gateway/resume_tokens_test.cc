#include "gateway/resume_tokens.h"

#include <openssl/sha.h>

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace streamgate::gateway {
namespace {

// SHA-256 computed here, independently of the code under test.
std::string Sha256Of(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

bool IsBase64UrlUnpadded(const std::string& token) {
  for (char c : token) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

TEST(ResumeTokens, IssueGives256BitsOfBase64UrlEachTimeDifferent) {
  std::set<std::string> seen;
  // 43 characters of 6 bits hold 258 bits: 32 bytes, so the last character's low 2 bits
  // are zero; every value of the first shows that its 6 bits are random.
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::set<char> first_chars;
  for (int i = 0; i < 1000; ++i) {
    ResumeTokens tokens;
    std::string token = tokens.Issue();
    ASSERT_EQ(token.size(), 43u) << token;  // >= 128 bits: 22 characters would do
    ASSERT_TRUE(IsBase64UrlUnpadded(token)) << token;
    EXPECT_TRUE(seen.insert(token).second) << "issued twice: " << token;
    first_chars.insert(token[0]);
    EXPECT_EQ(alphabet.find(token.back()) % 4, 0u) << token;
  }
  // 1000 draws of a uniform 6-bit character miss one of the 64 with odds of ~1e-5.
  EXPECT_EQ(first_chars.size(), 64u);
}

TEST(ResumeTokens, TheNewestIsAcceptedAndNothingElse) {
  ResumeTokens tokens;
  std::string token = tokens.Issue();
  EXPECT_TRUE(tokens.Accepts(token));
  EXPECT_FALSE(tokens.Accepts(""));
  EXPECT_FALSE(tokens.Accepts(token.substr(0, 42)));
  EXPECT_FALSE(tokens.Accepts(token + "A"));
  std::string flipped = token;
  flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(tokens.Accepts(flipped));
  // A newer Issue (a fresh session) forgets the older token.
  std::string next = tokens.Issue();
  EXPECT_TRUE(tokens.Accepts(next));
  EXPECT_FALSE(tokens.Accepts(token));
}

TEST(ResumeTokens, StoresOnlySha256Hashes) {
  ResumeTokens tokens;
  std::string token = tokens.Issue();
  EXPECT_EQ(tokens.newest_hash().size(), 32u);
  EXPECT_EQ(tokens.newest_hash(), Sha256Of(token));
  EXPECT_NE(tokens.newest_hash(), token);
  EXPECT_EQ(tokens.newest_hash().find(token), std::string::npos);
  EXPECT_TRUE(tokens.previous_hash().empty());
  std::string next = tokens.Rotate(token);
  EXPECT_EQ(tokens.newest_hash(), Sha256Of(next));
  EXPECT_EQ(tokens.previous_hash(), Sha256Of(token));
  EXPECT_NE(tokens.previous_hash(), token);
}

TEST(ResumeTokens, ThePreviousTokenWorksOnlyUntilTheNewOneIsFirstUsed) {
  ResumeTokens tokens;
  std::string t1 = tokens.Issue();
  std::string t2 = tokens.Rotate(t1);
  EXPECT_EQ(t2.size(), 43u);
  EXPECT_TRUE(IsBase64UrlUnpadded(t2));
  EXPECT_NE(t2, t1);
  // session_resumed (with t2) may never have arrived: t1 still works.
  EXPECT_TRUE(tokens.Accepts(t1));
  EXPECT_TRUE(tokens.Accepts(t2));
  std::string t3 = tokens.Rotate(t2);  // t2 used: t1 is dead
  EXPECT_FALSE(tokens.Accepts(t1));
  EXPECT_TRUE(tokens.Accepts(t2));
  EXPECT_TRUE(tokens.Accepts(t3));
  std::string t4 = tokens.Rotate(t3);
  EXPECT_FALSE(tokens.Accepts(t2));
  EXPECT_TRUE(tokens.Accepts(t3));
  EXPECT_TRUE(tokens.Accepts(t4));
}

TEST(ResumeTokens, ResumingAgainWithThePreviousTokenReplacesTheUnusedNewest) {
  ResumeTokens tokens;
  std::string t1 = tokens.Issue();
  std::string t2 = tokens.Rotate(t1);  // t2 got lost with its connection
  std::string t3 = tokens.Rotate(t1);
  EXPECT_TRUE(tokens.Accepts(t1));
  EXPECT_FALSE(tokens.Accepts(t2));
  EXPECT_TRUE(tokens.Accepts(t3));
  EXPECT_EQ(tokens.previous_hash(), Sha256Of(t1));
}

TEST(ResumeTokens, RevokeEndsEveryToken) {
  ResumeTokens tokens;
  std::string t1 = tokens.Issue();
  std::string t2 = tokens.Rotate(t1);
  EXPECT_FALSE(tokens.revoked());
  tokens.Revoke();
  EXPECT_TRUE(tokens.revoked());
  EXPECT_FALSE(tokens.Accepts(t1));
  EXPECT_FALSE(tokens.Accepts(t2));
  EXPECT_FALSE(tokens.Accepts(""));
  EXPECT_TRUE(tokens.newest_hash().empty());
  EXPECT_TRUE(tokens.previous_hash().empty());
}

TEST(ResumeTokens, RestoredFromHashesAcceptsTheSameTokens) {
  ResumeTokens original;
  std::string t1 = original.Issue();
  std::string t2 = original.Rotate(t1);
  ResumeTokens restored;
  EXPECT_TRUE(restored.revoked());  // nothing issued: nothing accepted
  EXPECT_FALSE(restored.Accepts(t1));
  restored.Restore(original.newest_hash(), original.previous_hash());
  EXPECT_FALSE(restored.revoked());
  EXPECT_TRUE(restored.Accepts(t1));
  EXPECT_TRUE(restored.Accepts(t2));
  EXPECT_FALSE(restored.Accepts("not-a-token"));
  // Restored with no previous one: only the newest.
  ResumeTokens only_newest;
  only_newest.Restore(Sha256Of(t2), "");
  EXPECT_TRUE(only_newest.Accepts(t2));
  EXPECT_FALSE(only_newest.Accepts(t1));
  EXPECT_FALSE(only_newest.Accepts(""));
  // A revoked session in the store (empty hashes) stays revoked.
  ResumeTokens revoked;
  revoked.Restore("", "");
  EXPECT_TRUE(revoked.revoked());
  EXPECT_FALSE(revoked.Accepts(t2));
  // A stored hash of the wrong length (a damaged row) is no hash: nothing is accepted.
  ResumeTokens damaged;
  damaged.Restore(Sha256Of(t2).substr(0, 31), Sha256Of(t1));
  EXPECT_TRUE(damaged.revoked());
  EXPECT_FALSE(damaged.Accepts(t1));
  EXPECT_FALSE(damaged.Accepts(t2));
  ResumeTokens bad_previous;
  bad_previous.Restore(Sha256Of(t2), Sha256Of(t1) + "x");
  EXPECT_TRUE(bad_previous.Accepts(t2));
  EXPECT_FALSE(bad_previous.Accepts(t1));
  EXPECT_TRUE(bad_previous.previous_hash().empty());
}

TEST(ResumeTokens, CompareWithNothingTakesAnyToken) {
  // Its point is timing parity with Accepts, which a unit test cannot measure; it must
  // take any input without effect.
  ResumeTokens::CompareWithNothing("");
  ResumeTokens::CompareWithNothing(std::string(43, 'A'));
  ResumeTokens::CompareWithNothing(std::string(1 << 16, 'x'));
}

}  // namespace
}  // namespace streamgate::gateway
