#include "llm-service/call_authenticator.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace streamgate::llm {
namespace {

constexpr char kStreamChat[] = "/streamgate.llm.v1.LlmService/StreamChat";
constexpr char kReflection[] = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

class CallAuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tool_ = *common::MakeCredential("tool-a");
    other_ = *common::MakeCredential("tool-b");
    authenticator_ = std::make_unique<CallAuthenticator>(Set({tool_.line}));
  }

  static std::shared_ptr<const common::CredentialSet> Set(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines) absl::StrAppend(&text, line, "\n");
    return *common::CredentialSet::Parse(text, "test");
  }

  absl::StatusCode Check(absl::string_view method, std::vector<std::string> values) {
    std::vector<absl::string_view> views(values.begin(), values.end());
    absl::Status status = authenticator_->Check(method, views);
    if (!status.ok()) {
      // The same generic text whatever the reason, and never a piece of the token.
      EXPECT_EQ(status.message(), CallAuthenticator::kRefusedMessage);
    }
    return status.code();
  }

  common::NewCredential tool_;
  common::NewCredential other_;
  std::unique_ptr<CallAuthenticator> authenticator_;
};

TEST_F(CallAuthenticatorTest, TableOfAuthorizationValues) {
  const std::string wrong_secret =
      tool_.secret.substr(0, tool_.secret.size() - 1) + (tool_.secret.back() == 'A' ? "B" : "A");
  struct Case {
    std::string name;
    std::vector<std::string> values;
    absl::StatusCode expected;
  };
  const std::vector<Case> cases = {
      {"missing", {}, absl::StatusCode::kUnauthenticated},
      {"empty value", {""}, absl::StatusCode::kUnauthenticated},
      {"scheme only", {"Bearer"}, absl::StatusCode::kUnauthenticated},
      {"scheme and space", {"Bearer "}, absl::StatusCode::kUnauthenticated},
      {"other scheme", {"Basic " + tool_.secret}, absl::StatusCode::kUnauthenticated},
      {"no scheme", {tool_.secret}, absl::StatusCode::kUnauthenticated},
      {"no space", {"Bearer" + tool_.secret}, absl::StatusCode::kUnauthenticated},
      {"not an sg_ token", {"Bearer abc.def.ghi"}, absl::StatusCode::kUnauthenticated},
      {"unknown key", {"Bearer " + other_.secret}, absl::StatusCode::kUnauthenticated},
      {"wrong secret", {"Bearer " + wrong_secret}, absl::StatusCode::kUnauthenticated},
      {"two values",
       {"Bearer " + tool_.secret, "Bearer " + tool_.secret},
       absl::StatusCode::kUnauthenticated},
      {"valid", {"Bearer " + tool_.secret}, absl::StatusCode::kOk},
      {"scheme in lower case", {"bearer " + tool_.secret}, absl::StatusCode::kOk},
      {"surrounding spaces", {"  Bearer   " + tool_.secret + " "}, absl::StatusCode::kOk},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Check(kStreamChat, c.values), c.expected) << c.name;
  }
}

TEST_F(CallAuthenticatorTest, HealthIsOpenEverythingElseNeedsAToken) {
  EXPECT_EQ(Check("/grpc.health.v1.Health/Check", {}), absl::StatusCode::kOk);
  EXPECT_EQ(Check("/grpc.health.v1.Health/Watch", {"Bearer nonsense"}), absl::StatusCode::kOk);
  EXPECT_EQ(Check(kReflection, {}), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Check(kReflection, {"Bearer " + tool_.secret}), absl::StatusCode::kOk);
  EXPECT_EQ(Check("/grpc.health.v1.HealthX/Check", {}), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Check("", {}), absl::StatusCode::kUnauthenticated);
}

TEST_F(CallAuthenticatorTest, ReplaceSwapsTheWholeSet) {
  EXPECT_EQ(authenticator_->size(), 1u);
  authenticator_->Replace(Set({other_.line}));
  EXPECT_EQ(authenticator_->size(), 1u);
  EXPECT_EQ(Check(kStreamChat, {"Bearer " + tool_.secret}), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(Check(kStreamChat, {"Bearer " + other_.secret}), absl::StatusCode::kOk);
  authenticator_->Replace(Set({}));
  EXPECT_EQ(Check(kStreamChat, {"Bearer " + other_.secret}), absl::StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace streamgate::llm
