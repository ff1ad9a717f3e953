#include "common/credential_file.h"

#include "common/sha256.h"
#include "gtest/gtest.h"

namespace streamgate::common {
namespace {

std::string LineFor(std::string_view id, std::string_view name, std::string_view secret) {
  return std::string(id) + " " + std::string(name) + " sha256:" + HexEncode(Sha256(secret));
}

TEST(CredentialSet, AcceptsTheRightSecretAndNamesItsIdentity) {
  auto set = CredentialSet::Parse("# keys\n\n" + LineFor("k1", "alice", "sg_k1_s3cret") + "\n",
                                  "keys.txt");
  ASSERT_TRUE(set.ok()) << set.status();
  auto match = (*set)->Verify("sg_k1_s3cret");
  ASSERT_NE(match.entry, nullptr);
  EXPECT_EQ(match.entry->name, "alice");
  EXPECT_EQ(match.entry->id, "k1");
}

TEST(CredentialSet, TellsUnknownIdWrongSecretAndMalformedApart) {
  auto set = CredentialSet::Parse(LineFor("k1", "alice", "sg_k1_s3cret"), "keys.txt");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ((*set)->Verify("sg_k1_wrong").failure, CredentialSet::Failure::kWrongSecret);
  EXPECT_EQ((*set)->Verify("sg_k2_s3cret").failure, CredentialSet::Failure::kUnknownId);
  for (std::string_view bad : {"", "s3cret", "sg_", "sg_k1", "sg_k1_", "sg__x", "xx_k1_s3cret",
                               "sg_k-1_s3cret"}) {
    EXPECT_EQ((*set)->Verify(bad).failure, CredentialSet::Failure::kMalformed) << bad;
  }
  EXPECT_EQ((*set)->Verify("sg_k1_" + std::string(300, 'a')).failure,
            CredentialSet::Failure::kMalformed);
}

TEST(CredentialSet, OneIdentityMayHoldSeveralKeys) {
  auto set = CredentialSet::Parse(
      LineFor("old", "svc", "sg_old_a") + "\n" + LineFor("new", "svc", "sg_new_b"), "f");
  ASSERT_TRUE(set.ok());
  EXPECT_EQ((*set)->size(), 2u);
  EXPECT_NE((*set)->Verify("sg_old_a").entry, nullptr);
  EXPECT_NE((*set)->Verify("sg_new_b").entry, nullptr);
  EXPECT_NE((*set)->Find("old"), nullptr);
  EXPECT_EQ((*set)->Find("gone"), nullptr);
}

TEST(CredentialSet, RejectsBadLinesNamingTheLineButNeverQuotingIt) {
  struct Case {
    std::string text;
    std::string message;
  };
  std::string hash = "sha256:" + std::string(64, 'a');
  for (const Case& c : std::vector<Case>{
           {"k1 alice", "line 1 of f: expected"},
           {"k1 alice sg_k1_plaintextkey", "line 1 of f: the hash"},
           {"k1 alice sha256:abcd", "line 1 of f: the hash"},
           {"k-1 alice " + hash, "line 1 of f: the id"},
           {"k1 al/ice " + hash, "line 1 of f: the name"},
           {"k1 alice " + hash + "\n# x\nk1 bob " + hash, "line 3 of f: this id"},
       }) {
    auto set = CredentialSet::Parse(c.text, "f");
    ASSERT_FALSE(set.ok()) << c.text;
    std::string message(set.status().message());
    EXPECT_EQ(message.rfind(c.message, 0), 0u) << message;
    EXPECT_EQ(message.find("plaintextkey"), std::string::npos);
  }
}

TEST(MakeCredential, PrintsASecretThatTheLineItPrintsAccepts) {
  auto made = MakeCredential("team.bot");
  ASSERT_TRUE(made.ok());
  EXPECT_EQ(made->secret.rfind("sg_" + made->id + "_", 0), 0u);
  EXPECT_GE(made->secret.size(), 3 + made->id.size() + 1 + 43);
  EXPECT_EQ(made->line.find(made->secret), std::string::npos);
  auto set = CredentialSet::Parse(made->line, "f");
  ASSERT_TRUE(set.ok());
  auto match = (*set)->Verify(made->secret);
  ASSERT_NE(match.entry, nullptr);
  EXPECT_EQ(match.entry->name, "team.bot");
  EXPECT_NE(MakeCredential("team.bot")->secret, made->secret);
  EXPECT_FALSE(MakeCredential("two words").ok());
}

}  // namespace
}  // namespace streamgate::common
