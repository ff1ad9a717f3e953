// streamgate-cli against a gateway that wants a credential and speaks TLS: `keys add` makes
// a key the gateway accepts, STREAMGATE_TOKEN and --token-file carry it, wss:// and
// https:// trust a CA made at test time, and a refusal says why without the secret.
#include <regex>

#include "gtest/gtest.h"
#include "tests/cli/cli_process.h"
#include "tests/support/streamgate_pair.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace streamgate::testing {
namespace {

using Stream = CliProcess::Stream;
constexpr Stream kOut = Stream::kStdout;
constexpr Stream kErr = Stream::kStderr;
constexpr auto kExitTimeout = 20s;

std::string Cli() { return BinaryPath("streamgate-cli"); }

struct MadeKey {
  std::string secret;
  std::string line;
};

// Runs `streamgate-cli keys add NAME` and takes the key and the file line it prints.
MadeKey AddKey(const std::string& name) {
  CliProcess cli({Cli(), "keys", "add", name});
  EXPECT_EQ(cli.WaitForExit(kExitTimeout), 0) << cli.Diagnostics();
  MadeKey key;
  for (const auto& line : cli.Lines(kOut)) {
    if (line.empty() || line[0] == '#') continue;
    (key.secret.empty() ? key.secret : key.line) = line;
  }
  EXPECT_EQ(key.secret.rfind("sg_", 0), 0u) << cli.Diagnostics();
  EXPECT_NE(key.line.find(" " + name + " sha256:"), std::string::npos) << cli.Diagnostics();
  return key;
}

class CliAuthE2e : public ::testing::Test {
 protected:
  void Start(std::vector<std::string> extra) {
    alice_ = AddKey("alice");
    std::vector<std::string> args = {"--auth=api-keys",
                                     "--api-keys-file=" + dir_.Write("keys.txt", alice_.line)};
    args.insert(args.end(), extra.begin(), extra.end());
    StreamgatePair::Options options;
    options.llm_args = {"--mock-chunk-delay-ms=0"};
    options.gateway_args = args;
    pair_ = std::make_unique<StreamgatePair>(options);
    ASSERT_TRUE(pair_->ok());
  }
  std::string Url(const char* scheme) {
    return std::string(scheme) + "://localhost:" + std::to_string(pair_->gateway_port()) + "/ws";
  }

  TempDir dir_;
  MadeKey alice_;
  std::unique_ptr<StreamgatePair> pair_;
};

TEST_F(CliAuthE2e, AKeyFromKeysAddWorksThroughTheEnvironmentAndAFile) {
  Start({});
  CliProcess from_env({Cli(), "--url", Url("ws"), "who am i"},
                      {"STREAMGATE_TOKEN=" + alice_.secret}, CliProcess::Input::kNone);
  ASSERT_EQ(from_env.WaitForExit(kExitTimeout), 0) << from_env.Diagnostics();
  EXPECT_EQ(from_env.Output(kOut), "Echo: who am i\n");
  std::string token_file = dir_.Write("token", alice_.secret + "\n");
  CliProcess from_file({Cli(), "--url", Url("ws"), "--token-file", token_file, "again"}, {},
                       CliProcess::Input::kNone);
  ASSERT_EQ(from_file.WaitForExit(kExitTimeout), 0) << from_file.Diagnostics();
  EXPECT_EQ(from_file.Output(kOut), "Echo: again\n");
  EXPECT_TRUE(pair_->gateway().WaitForLine(std::regex("session open .*identity=alice"), 5s));
}

TEST_F(CliAuthE2e, WithoutTheRightKeyItExits3AndSaysWhyWithoutTheSecret) {
  Start({});
  CliProcess none({Cli(), "--url", Url("ws"), "hi"}, {}, CliProcess::Input::kNone);
  EXPECT_EQ(none.WaitForExit(kExitTimeout), 3);
  EXPECT_TRUE(std::regex_search(none.Output(kErr), std::regex("HTTP 401.*STREAMGATE_TOKEN")))
      << none.Diagnostics();
  std::string wrong = alice_.secret.substr(0, alice_.secret.size() - 3) + "xyz";
  CliProcess bad({Cli(), "--url", Url("ws"), "hi"}, {"STREAMGATE_TOKEN=" + wrong},
                 CliProcess::Input::kNone);
  EXPECT_EQ(bad.WaitForExit(kExitTimeout), 3);
  EXPECT_NE(bad.Output(kErr).find("not accepted"), std::string::npos) << bad.Diagnostics();
  EXPECT_EQ(bad.Output(kErr).find(wrong), std::string::npos);
}

TEST_F(CliAuthE2e, WssAndHttpsTrustTheGivenCa) {
  std::string error;
  auto pki = TestPki::Create(&error);
  ASSERT_NE(pki, nullptr) << error;
  Start({"--tls-cert=" + pki->server_pem(), "--tls-key=" + pki->server_key()});
  CliProcess secure({Cli(), "--url", Url("wss"), "--tls-ca", pki->ca_pem(), "over tls"},
                    {"STREAMGATE_TOKEN=" + alice_.secret}, CliProcess::Input::kNone);
  ASSERT_EQ(secure.WaitForExit(kExitTimeout), 0) << secure.Diagnostics();
  EXPECT_EQ(secure.Output(kOut), "Echo: over tls\n");
  // The system's CAs do not know the test CA: refused, exit 3.
  CliProcess untrusting({Cli(), "--url", Url("wss"), "hi"}, {"STREAMGATE_TOKEN=" + alice_.secret},
                        CliProcess::Input::kNone);
  EXPECT_EQ(untrusting.WaitForExit(kExitTimeout), 3) << untrusting.Diagnostics();
  EXPECT_NE(untrusting.Output(kErr).find("TLS handshake"), std::string::npos)
      << untrusting.Diagnostics();
  std::string health = "https://localhost:" + std::to_string(pair_->gateway_port()) + "/healthz";
  CliProcess probe({Cli(), "--health", health, "--tls-ca", pki->ca_pem()});
  EXPECT_EQ(probe.WaitForExit(kExitTimeout), 0) << probe.Diagnostics();
}

TEST(CliKeysE2e, KeysAddRefusesANameThatCannotBeAnIdentity) {
  CliProcess cli({Cli(), "keys", "add", "two words"});
  EXPECT_EQ(cli.WaitForExit(kExitTimeout), 2);
  CliProcess usage({Cli(), "keys", "remove", "alice"});
  EXPECT_EQ(usage.WaitForExit(kExitTimeout), 2);
  EXPECT_EQ(usage.Output(kOut), "");
}

}  // namespace
}  // namespace streamgate::testing
