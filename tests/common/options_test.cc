#include "common/options.h"

#include <map>

#include "gtest/gtest.h"

namespace streamgate::common {
namespace {

struct Values {
  std::string name = "default";
  int port = 3000;
  bool verbose = false;
  absl::Duration timeout = absl::Seconds(10);
};

class OptionsTest : public ::testing::Test {
 protected:
  OptionsTest() : options_("prog", "PROG") {
    options_.AddString("name", "a name", &values_.name);
    options_.AddInt("port", "a port", &values_.port, 0, 65535);
    options_.AddBool("verbose", "talk more", &values_.verbose);
    options_.AddDuration("reply-timeout", "a duration", &values_.timeout);
  }

  absl::Status Parse(std::vector<const char*> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), "prog");
    EnvLookup lookup = [env](const std::string& key) -> std::optional<std::string> {
      auto it = env.find(key);
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
    return options_.Parse(static_cast<int>(args.size()), args.data(), lookup, &help_);
  }

  Values values_;
  OptionSet options_;
  bool help_ = false;
};

TEST_F(OptionsTest, DefaultsStayWithoutFlagsOrEnvironment) {
  ASSERT_TRUE(Parse({}).ok());
  EXPECT_EQ(values_.name, "default");
  EXPECT_EQ(values_.port, 3000);
  EXPECT_FALSE(values_.verbose);
  EXPECT_EQ(values_.timeout, absl::Seconds(10));
}

TEST_F(OptionsTest, FlagFormsAreAccepted) {
  ASSERT_TRUE(Parse({"--name=x", "--port", "0", "--verbose", "--reply-timeout=500ms"}).ok());
  EXPECT_EQ(values_.name, "x");
  EXPECT_EQ(values_.port, 0);
  EXPECT_TRUE(values_.verbose);
  EXPECT_EQ(values_.timeout, absl::Milliseconds(500));
}

TEST_F(OptionsTest, EnvironmentTwinUsesPrefixAndUnderscores) {
  ASSERT_TRUE(Parse({}, {{"PROG_REPLY_TIMEOUT", "1m30s"}, {"PROG_VERBOSE", "true"}}).ok());
  EXPECT_EQ(values_.timeout, absl::Seconds(90));
  EXPECT_TRUE(values_.verbose);
}

TEST_F(OptionsTest, CommandLineBeatsEnvironment) {
  ASSERT_TRUE(Parse({"--port=81"}, {{"PROG_PORT", "80"}}).ok());
  EXPECT_EQ(values_.port, 81);
}

TEST_F(OptionsTest, AliasIsReadOnlyWithoutThePrefixedTwin) {
  options_.AddEnvAlias("SPECIAL_NAME");  // the last option added: reply-timeout
  ASSERT_TRUE(Parse({}, {{"SPECIAL_NAME", "3s"}}).ok());
  EXPECT_EQ(values_.timeout, absl::Seconds(3));
  ASSERT_TRUE(Parse({}, {{"SPECIAL_NAME", "3s"}, {"PROG_REPLY_TIMEOUT", "2s"}}).ok());
  EXPECT_EQ(values_.timeout, absl::Seconds(2));
  auto status = Parse({}, {{"SPECIAL_NAME", "soon"}});
  EXPECT_NE(status.message().find("SPECIAL_NAME"), absl::string_view::npos) << status;
  EXPECT_NE(options_.Usage().find("PROG_REPLY_TIMEOUT or SPECIAL_NAME"), std::string::npos);
}

TEST_F(OptionsTest, UnknownEnvironmentListsOnlyPrefixedNamesNoOptionOwns) {
  options_.AddEnvAlias("PROG_OLD_TIMEOUT");  // read, so not unknown
  options_.DeclareEnv("PROG_SECRET");
  std::vector<std::string> names = {"PATH",        "PROG_PORT",   "PROG_PROT", "PROG_SECRET",
                                    "PROGRAM_X",   "PROG_VERBOSE", "PROG_",    "PROG_OLD_TIMEOUT",
                                    "prog_port"};
  EXPECT_EQ(options_.UnknownEnvironment(names),
            (std::vector<std::string>{"PROG_", "PROG_PROT"}));
}

TEST_F(OptionsTest, VersionIsReported) {
  ASSERT_TRUE(Parse({"--port=1", "--version", "--nope"}).ok());
  EXPECT_TRUE(options_.version_requested());
  EXPECT_EQ(values_.port, 1);
  ASSERT_TRUE(Parse({}).ok());
  EXPECT_FALSE(options_.version_requested());
  EXPECT_NE(options_.Usage().find("--version"), std::string::npos);
}

TEST_F(OptionsTest, BadValuesNameTheirSource) {
  auto status = Parse({"--port=70000"});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("--port"), absl::string_view::npos) << status;
  status = Parse({}, {{"PROG_PORT", "abc"}});
  EXPECT_NE(status.message().find("PROG_PORT"), absl::string_view::npos) << status;
  EXPECT_FALSE(Parse({"--reply-timeout=10"}).ok());  // a duration needs a unit
  EXPECT_FALSE(Parse({"--reply-timeout=-1s"}).ok());
  EXPECT_FALSE(Parse({"--verbose=maybe"}).ok());
}

TEST_F(OptionsTest, UnknownFlagsAndStrayArgumentsAreErrors) {
  EXPECT_FALSE(Parse({"--nope=1"}).ok());
  EXPECT_FALSE(Parse({"stray"}).ok());
  EXPECT_FALSE(Parse({"--name"}).ok());  // value missing
}

TEST_F(OptionsTest, HelpIsReportedAndUsageListsEveryFlag) {
  ASSERT_TRUE(Parse({"--help"}).ok());
  EXPECT_TRUE(help_);
  std::string usage = options_.Usage();
  for (const char* text : {"--name", "PROG_NAME", "--reply-timeout", "PROG_REPLY_TIMEOUT", "10s"}) {
    EXPECT_NE(usage.find(text), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace streamgate::common
